"""After a burst ends, Relay gives its memory back: RSS falls toward where it was before the burst
instead of staying at the burst's peak (the allocator's free memory is trimmed every 5 s once a
burst freed 8 MiB or more; docs/operations.md, "Sizing").

The burst: 150 requests at once, each with a 256 KiB prompt, held together by an upstream that
takes a second over each answer, so Relay holds every body at the same time.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator

import pytest

import raw_http

from relay_configs import Keys
from relay_process import RelayProcess
from stub_slow import StubSlow
from test_admission_defaults import default_config

CONCURRENT = 150
PROMPT = "word " * (256 * 1024 // 5)


# A sanitizer's allocator stands in for glibc's in a sanitized relay (scripts/sanitize): there
# is nothing of glibc's to trim.
pytestmark = pytest.mark.skipif(bool(os.environ.get("RELAY_SANITIZED")),
                                reason="a sanitized relay does not allocate through glibc")


@pytest.fixture
def slow_stub() -> Iterator[StubSlow]:
    with StubSlow(delay_s=1.0, backlog=CONCURRENT * 2) as stub:
        yield stub


def rss_kib(relay: RelayProcess, field: str = "VmRSS") -> int:
    assert relay.process is not None
    with open(f"/proc/{relay.process.pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for relay")


def test_rss_falls_back_after_a_burst_of_large_requests(start_relay, keys: Keys, slow_stub: StubSlow) -> None:
    relay = start_relay(default_config(slow_stub.base_url, keys.main))
    body = {"model": "chat", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 1}
    warm = raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body,
                            headers={"authorization": f"Bearer {keys.main}"})
    assert warm.status == 200, warm.text
    before = rss_kib(relay)
    with ThreadPoolExecutor(max_workers=CONCURRENT) as pool:
        answers = list(pool.map(
            lambda _: raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body,
                                       headers={"authorization": f"Bearer {keys.main}"}),
            range(CONCURRENT)))
    assert sorted({a.status for a in answers}) == [200]
    peak = rss_kib(relay, "VmHWM")
    rise = peak - before
    assert rise > 32 * 1024, f"the burst took only {rise} KiB: it did not test anything"
    # Within three of the trimmer's 5 s rounds, RSS gives back at least two thirds of the rise.
    deadline = time.monotonic() + 15
    after = rss_kib(relay)
    while after > before + rise // 3 and time.monotonic() < deadline:
        time.sleep(0.5)
        after = rss_kib(relay)
    assert after <= before + rise // 3, f"RSS {before} KiB before, {peak} at the peak, still {after} after 15 s"
