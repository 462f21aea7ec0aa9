"""Plain HTTP/1.1 requests with the standard library, for what an SDK hides (raw bytes, headers).

Usage::

    response = raw_http.request("POST", relay.url("/v1/chat/completions"), json_body={...},
                                headers={"Authorization": "Bearer " + key})
    assert response.status == 200 and response.header("x-request-id")
"""

from __future__ import annotations

import http.client
import json as jsonlib
import urllib.parse
from dataclasses import dataclass
from typing import Any

__all__ = ["Response", "request"]


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


def request(method: str, url: str, *, headers: dict[str, str] | None = None, json_body: Any = None,
            body: bytes | None = None, timeout: float = 30) -> Response:
    """One request on a new connection; reads the whole response (streams included)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    all_headers = dict(headers or {})
    if json_body is not None:
        body = jsonlib.dumps(json_body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers=all_headers)
        response = connection.getresponse()
        return Response(response.status, response.getheaders(), response.read())
    finally:
        connection.close()
