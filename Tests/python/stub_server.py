"""The plumbing every stub server shares: serving on a daemon thread, stopping, ``with``."""

from __future__ import annotations

import http.server
import threading
from typing import Self


class ServedInBackground:
    """Serves ``self._server`` on a daemon thread named ``_thread_name`` between start and stop."""

    _server: http.server.HTTPServer
    _thread_name = "stub"
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, name=self._thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
