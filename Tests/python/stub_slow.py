"""The stub OpenAI-compatible upstream taking a while over every answer, as a model server does,
so many requests are in flight together; its listen backlog fits many simultaneous connects.

Usage::

    with StubSlow(delay_s=0.2) as server:
        ...  # 200 concurrent requests, then server.max_in_flight
"""

from __future__ import annotations

from typing import Any

from stub_upstream import RecordedRequest, StubUpstream, _Handler

__all__ = ["StubSlow"]


class _SlowHandler(_Handler):
    def _post(self, request: RecordedRequest) -> None:
        # Inside the stub's in-flight count, and watching for the peer leaving, like any wait.
        self._wait(self.server.stub.delay_s)  # type: ignore[attr-defined]
        super()._post(request)


class StubSlow(StubUpstream):
    """A StubUpstream that waits ``delay_s`` before each answer to a POST."""

    def __init__(self, delay_s: float = 0.2, backlog: int = 512, **kwargs: Any):
        super().__init__(**kwargs)
        self.delay_s = delay_s
        self._server.RequestHandlerClass = _SlowHandler
        # The server's own backlog is 5: simultaneous connects past it wait for a SYN to be resent.
        self._server.socket.listen(backlog)
