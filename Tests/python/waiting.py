"""Waiting for what a test expects to become true, bounded in time."""

from __future__ import annotations

import time
from typing import Callable


def wait_until(predicate: Callable[[], bool], timeout_s: float = 10.0, what: str = "condition",
               interval_s: float = 0.02) -> None:
    """Returns once `predicate()` is true; fails the test after `timeout_s`, naming `what`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval_s)
    raise AssertionError(f"timed out waiting for {what}")
