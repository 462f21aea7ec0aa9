"""A stub Ollama server (its native API) for Relay's end-to-end tests.

It answers the way Ollama's Go server does (ollama/ollama docs/api.md, api/types.go):

- bodies are Go's ``encoding/json``: compact, ``<``, ``>`` and ``&`` escaped as ``\\u003c``...,
  fields in struct order, zero-valued ``omitempty`` fields left out (``done_reason``,
  ``prompt_eval_count``, ``eval_count``, the durations, ``tool_calls``);
- ``POST /api/chat`` and ``/api/generate`` stream by default: NDJSON (``application/x-ndjson``)
  over chunked transfer encoding, one JSON object a line, the last with ``"done":true``, the
  ``done_reason`` and the counts. Every other line is written in two TCP writes (split mid-line),
  so a reader that assumes one line per read breaks;
- tool calls come back with ``arguments`` as a JSON object, not a string;
- errors are ``{"error":"..."}``: a model that is not pulled is a 404
  ``model "x" not found, try pulling it first``; a failure mid-stream is one ``{"error":...}``
  line, after which the stream ends;
- ``GET /api/tags`` lists the pulled models; ``GET /`` says ``Ollama is running``.

Behaviours on cue, by model name (pull the name first, ``StubOllama(pulled=[...])``):

- ``fail-500``: 500 ``{"error":"llama runner process has terminated: exit status 2"}``
- ``busy-503``: 503 ``{"error":"server busy, please try again.  maximum pending requests exceeded"}``
  (what Ollama answers past ``OLLAMA_MAX_QUEUE``)
- a name containing ``no-tools``: 400 ``registry.ollama.ai/library/<name> does not support tools``
  when the request offers tools
- a name containing ``error-mid``: a stream that sends two pieces, then an ``{"error":...}`` line
- a name containing ``cached``: the prompt came from the cache, so ``prompt_eval_count`` and
  ``prompt_eval_duration`` (zero) are left out, as Go's ``omitempty`` does

With ``tools`` in a chat request the model calls every offered tool once, in order, with
arguments built from each tool's parameter schema. ``format: "json"`` answers a JSON object;
``format: <schema>`` an object with the schema's required properties.

Usage::

    with StubOllama(pulled=["qwen2.5:7b"]) as ollama:
        ...  # a backend with type: ollama and base_url: ollama.base_url
        assert ollama.last_request.json["options"]["num_predict"] == 5
"""

from __future__ import annotations

import http.server
import json
import math
import threading
import time
from datetime import datetime, timezone
from typing import Any

from stub_server import ServedInBackground
from stub_upstream import RecordedRequest

__all__ = ["StubOllama", "go_json", "ollama_embedding"]

EMBEDDING_DIM = 6


def go_json(value: Any) -> bytes:
    """JSON as Go's encoding/json writes it: compact, HTML characters escaped, UTF-8 kept."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode()


def ollama_embedding(text: str) -> list[float]:
    """The deterministic, L2-normalised vector the stub returns for one input (Ollama normalises)."""
    raw = [((sum(text.encode()) * (i + 3)) % 97 - 48) / 17.0 + 0.013 for i in range(EMBEDDING_DIM)]
    norm = math.sqrt(sum(v * v for v in raw)) or 1.0
    return [v / norm for v in raw]


def _created_at() -> str:
    """Go's time.Time in JSON: RFC 3339 with nanoseconds."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}123Z"


def _words(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_words(v) for v in value)
    if isinstance(value, dict):
        return _words(value.get("content", ""))
    return 0


def _metrics(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    """Ollama's Metrics struct, zero values left out (``omitempty``)."""
    fields = {
        "total_duration": 512_345_678,
        "load_duration": 2_154_458,
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": 38_380_900 if prompt_tokens else 0,
        "eval_count": completion_tokens,
        "eval_duration": 470_992_000 if completion_tokens else 0,
    }
    return {key: value for key, value in fields.items() if value}


def _sample_value(schema: Any) -> Any:
    """A value of the JSON-schema type `schema` names (what a model under `format` would produce)."""
    kind = schema.get("type") if isinstance(schema, dict) else None
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _sample_value(sub) for name, sub in properties.items()}
    if kind == "array":
        return [_sample_value(schema.get("items") or {"type": "string"})]
    if kind == "integer":
        return 7
    if kind == "number":
        return 21.5
    if kind == "boolean":
        return True
    if isinstance(schema, dict) and schema.get("enum"):
        return schema["enum"][0]
    return "Paris"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    # ---- plumbing -------------------------------------------------------------------------

    def _record(self) -> RecordedRequest:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        request = RecordedRequest(self.command, self.path, list(self.headers.items()), body, parsed)
        with self.server.stub._lock:
            self.server.stub.requests.append(request)
        return request

    def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _error(self, status: int, message: str) -> None:
        self._send(status, go_json({"error": message}))

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _stream(self, lines: list[dict[str, Any]]) -> None:
        """NDJSON over chunked encoding; every other line goes out in two writes, 5 ms apart."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for number, line in enumerate(lines):
            data = go_json(line) + b"\n"
            if number % 2 == 1 and len(data) > 2:
                middle = len(data) // 2
                self._write_chunk(data[:middle])
                time.sleep(0.005)
                self._write_chunk(data[middle:])
            else:
                self._write_chunk(data)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- routes ---------------------------------------------------------------------------

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        self._record()
        self._send(200, b"", "text/plain; charset=utf-8")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        request = self._record()
        stub = self.server.stub
        path = request.path.split("?")[0]
        if path == "/":
            self._send(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif path == "/api/tags":
            with stub._lock:
                pulled = list(stub.pulled)
            self._send(200, go_json({"models": [_tag(name) for name in pulled]}))
        elif path == "/api/version":
            self._send(200, go_json({"version": "0.6.5"}))
        else:
            self._send(404, b"404 page not found", "text/plain")

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        request = self._record()
        path = request.path.split("?")[0]
        body = request.json
        if path not in ("/api/chat", "/api/generate", "/api/embed"):
            self._send(404, b"404 page not found", "text/plain")
            return
        if not isinstance(body, dict):
            self._error(400, "invalid character 'x' looking for beginning of value")
            return
        model = body.get("model")
        if not isinstance(model, str) or not model:
            self._error(400, "model is required")
            return
        if not self.server.stub.is_pulled(model):
            self._error(404, f'model "{model}" not found, try pulling it first')
            return
        if model.startswith("fail-500"):
            self._error(500, "llama runner process has terminated: exit status 2")
        elif model.startswith("busy-503"):
            self._error(503, "server busy, please try again.  maximum pending requests exceeded")
        elif path == "/api/chat":
            self._chat(model, body)
        elif path == "/api/generate":
            self._generate(model, body)
        else:
            self._embed(model, body)

    def _chat(self, model: str, body: dict[str, Any]) -> None:
        tools = body.get("tools") or []
        if tools and "no-tools" in model:
            self._error(400, f"registry.ollama.ai/library/{model} does not support tools")
            return
        messages = body.get("messages") or []
        prompt_tokens = 0 if "cached" in model else max(_words(messages), 1)
        last_user = next((m.get("content", "") for m in reversed(messages) if m.get("role") == "user"), "")
        answer_format = body.get("format")
        calls: list[dict[str, Any]] = []
        if tools:
            text = ""
            for index, tool in enumerate(tools):
                function = tool.get("function") or {}
                arguments = _sample_value(function.get("parameters") or {"type": "object"})
                # api.ToolCallFunction: index (omitempty, so absent for the first), name, arguments.
                call = {"index": index} if index else {}
                calls.append({"function": call | {"name": function.get("name"), "arguments": arguments}})
        elif answer_format == "json":
            text = json.dumps({"answer": last_user})
        elif isinstance(answer_format, dict):
            text = json.dumps(_sample_value(answer_format))
        else:
            text = f"Hello from Ollama! You said: {last_user}"
        pieces, reason = _cut(text, (body.get("options") or {}).get("num_predict"))
        completion_tokens = max(len(pieces), len(calls))
        stream = body.get("stream", True)
        if not stream:
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if calls:
                message["tool_calls"] = calls
            self._send(200, go_json({"model": model, "created_at": _created_at(), "message": message,
                                     "done_reason": reason, "done": True,
                                     **_metrics(prompt_tokens, completion_tokens)}))
            return
        lines: list[dict[str, Any]] = []
        for number, piece in enumerate(pieces):
            if "error-mid" in model and number == 2:
                lines.append({"error": "an error was encountered while running the model: unexpected EOF"})
                self._stream(lines)
                return
            lines.append({"model": model, "created_at": _created_at(),
                          "message": {"role": "assistant", "content": piece}, "done": False})
        if calls:
            # Ollama sends each parsed tool call in a line of its own, content empty.
            for call in calls:
                lines.append({"model": model, "created_at": _created_at(),
                              "message": {"role": "assistant", "content": "", "tool_calls": [call]}, "done": False})
        lines.append({"model": model, "created_at": _created_at(), "message": {"role": "assistant", "content": ""},
                      "done_reason": reason, "done": True, **_metrics(prompt_tokens, completion_tokens)})
        self._stream(lines)

    def _generate(self, model: str, body: dict[str, Any]) -> None:
        prompt = body.get("prompt", "")
        pieces, reason = _cut(f" and so the story goes on after {prompt}", (body.get("options") or {}).get("num_predict"))
        prompt_tokens = 0 if "cached" in model else max(_words(prompt), 1)
        final: dict[str, Any] = {"model": model, "created_at": _created_at(), "response": "", "done": True,
                                 "done_reason": reason}
        if not body.get("raw"):
            final["context"] = [128006, 882, 128007, 271]
        final |= _metrics(prompt_tokens, len(pieces))
        if not body.get("stream", True):
            final["response"] = "".join(pieces)
            self._send(200, go_json(final))
            return
        lines: list[dict[str, Any]] = [{"model": model, "created_at": _created_at(), "response": piece, "done": False}
                                       for piece in pieces]
        self._stream(lines + [final])

    def _embed(self, model: str, body: dict[str, Any]) -> None:
        raw = body.get("input", "")
        inputs = [raw] if isinstance(raw, str) else list(raw)
        if not all(isinstance(text, str) for text in inputs):
            self._error(400, "invalid input type")
            return
        tokens = sum(max(_words(text), 1) for text in inputs)
        self._send(200, go_json({"model": model, "embeddings": [ollama_embedding(t) for t in inputs],
                                 "total_duration": 14_143_917, "load_duration": 1_019_500,
                                 "prompt_eval_count": tokens}))


def _cut(text: str, limit: Any) -> tuple[list[str], str]:
    """The answer in stream pieces (a word and its trailing space each) and the done_reason."""
    words = text.split(" ")
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    pieces = [p for p in pieces if p]
    if isinstance(limit, int) and 0 < limit < len(pieces):
        return pieces[:limit], "length"
    return pieces, "stop"


def _tag(name: str) -> dict[str, Any]:
    """One model in /api/tags, as ListModelResponse marshals it."""
    family = name.split(":")[0].split("/")[-1]
    return {"name": name, "model": name, "modified_at": "2025-04-28T09:32:18.757212583-07:00", "size": 4683087332,
            "digest": "845dbda0ea48ed749caafd9e6037047aa19acfcfd82e704d7ca97d631a0b697e",
            "details": {"parent_model": "", "format": "gguf", "family": family, "families": [family],
                        "parameter_size": "7.6B", "quantization_level": "Q4_K_M"}}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    stub: "StubOllama"


class StubOllama(ServedInBackground):
    """The stub server: start it, point a `type: ollama` backend at ``base_url``."""

    _thread_name = "stub-ollama"

    def __init__(self, pulled: list[str], host: str = "127.0.0.1", port: int = 0):
        self._lock = threading.Lock()
        self.pulled = list(pulled)
        self.requests: list[RecordedRequest] = []
        self._server = _Server((host, port), _Handler)
        self._server.stub = self

    def is_pulled(self, model: str) -> bool:
        """Ollama reads a name without a tag as ``:latest``."""
        def tagged(name: str) -> str:
            return name if ":" in name.split("/")[-1] else name + ":latest"
        with self._lock:
            return tagged(model) in {tagged(name) for name in self.pulled}

    def pull(self, model: str) -> None:
        with self._lock:
            self.pulled.append(model)

    def remove(self, model: str) -> None:
        with self._lock:
            self.pulled = [name for name in self.pulled if name != model]

    def api_requests(self, path: str | None = None) -> list[RecordedRequest]:
        """POSTs received (what clients caused, not health checks), optionally for one path."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and (path is None or r.path == path)]

    @property
    def last_request(self) -> RecordedRequest:
        requests = self.api_requests()
        if not requests:
            raise AssertionError("the stub Ollama received no API request")
        return requests[-1]

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
