"""The stub OpenAI-compatible upstream with ``/health`` answering a chosen status, for the health
check's tests.

The default, 404 with ``{"detail":"Not Found"}``, is what llama-cpp-python's server (FastAPI)
answers there: it has no ``/health``, but serves ``/v1/models`` and the API like any other.
Everything else is ``StubUpstream``'s, and every request is recorded, health checks included.

Usage::

    with StubHealth(health_status=500) as server:
        ...  # a backend on server.base_url with the default health_path fails its checks
"""

from __future__ import annotations

from typing import Any

from stub_upstream import StubUpstream, _Handler

__all__ = ["StubHealth"]


class _HealthHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        if self.path.split("?")[0] != "/health":
            super().do_GET()
            return
        self._record()
        status = self.server.stub.health_status  # type: ignore[attr-defined]
        if status == 404:
            self._send_json(404, {"detail": "Not Found"})
        elif status == 405:
            self._send_json(405, {"detail": "Method Not Allowed"})
        else:
            self._send_json(status, {"status": status})


class StubHealth(StubUpstream):
    """A StubUpstream whose ``/health`` answers ``health_status``."""

    def __init__(self, health_status: int = 404, **kwargs: Any):
        super().__init__(**kwargs)
        self.health_status = health_status
        self._server.RequestHandlerClass = _HealthHandler
