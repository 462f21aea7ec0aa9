"""A stub OpenAI-compatible upstream (what vLLM or OpenAI would be) for Relay's tests.

It speaks the OpenAI wire format the way vLLM and OpenAI do: compact JSON bodies with a
Content-Length, Server-Sent Events over chunked transfer encoding (``data: {chunk}\\n\\n`` then
``data: [DONE]\\n\\n``), a usage chunk with ``"choices": []`` only when the request asked for
``stream_options.include_usage``, HTTP/1.1 keep-alive.

Every request is recorded (method, path, headers, raw body, parsed JSON) so tests can check what
Relay sent upstream. Answers carry ``"model": <the model it was sent>``, so a test can tell
whether Relay put its alias back.

Behaviours on cue, by the upstream model name (so a config alias can point at them):

- ``fail-<status>`` (``fail-400``, ``fail-404``, ``fail-500`` ...): that status with an
  OpenAI-shaped error whose message names the model: ``bad thing for model <name>``.
- a name containing ``openai-style``: OpenAI's own style: pretty-printed JSON, ``refusal`` and
  ``service_tier`` fields, and the headers OpenAI sends (``x-request-id``, ``x-ratelimit-*``,
  ``set-cookie``, ``openai-processing-ms``) that a gateway must not pass back.
- a name containing ``starlette-style``: stream events as sse-starlette writes them: JSON with
  spaces after ``:`` and ``,``, events ending in ``\r\n\r\n``; and, like llama-cpp-python's
  server (starlette-context's RequestIdPlugin), a 400 with an empty body when the request has an
  ``x-request-id`` that is not a UUID.
- a name containing ``no-usage``: ignores ``stream_options.include_usage`` (as llama.cpp's
  python server does) and sends no usage in streams.
- ``error-after-<n>``: a stream that sends ``n`` content events, then an error event whose
  message names the model in capitals (``BAD THING FOR MODEL <NAME>``), then ``[DONE]``, as
  servers that report a failure inside a stream do.
- ``break-after-<n>``: a stream that sends ``n`` content events, then drops the connection
  without ``[DONE]``.

Faults on cue, by upstream model name (see test_upstream_faults.py):

- ``reset-body``: a JSON answer whose connection is reset (TCP RST) halfway through the body.
- ``reset-after-<n>``: a stream reset (TCP RST) after ``n`` content events.
- ``bad-json``: 200 with a body that is not JSON (with a correct Content-Length).
- ``bad-sse-first`` / ``bad-sse-later``: a stream whose first event (or one after the first
  content event) is ``data: {not json``.
- ``length-long``: a ``Content-Length`` 100 bytes longer than the body, then the connection closes.
- ``length-short``: a ``Content-Length`` 10 bytes shorter than the body; the rest is still sent.
- ``silent``: reads the request and never answers, until the peer closes the connection.
- ``error-200``: 200 with an OpenAI error body (a stream: an error event first).
- ``close-after-<n>``: closes its keep-alive connection after every ``n``-th answer on it,
  without a ``Connection: close`` header (as a server with a request cap per connection does).

And by stub setting: ``keepalive_idle_close_s`` closes a keep-alive connection that stays idle
that long (the race of an idle close with the client reusing the connection).

Every wait (delays, ``silent``) watches the socket: when the peer closes it, the time and the
request's ``x-request-id`` go to ``peer_closes``, so a test can check how fast a gateway
cancels an upstream call.

And by request header (Relay forwards ``x-stub-*`` because the test harness lists it in each
backend's ``forward_headers``: ``relay_process.with_stub_cues``):

- ``x-stub-status: <code>``: answer with that status (same body as ``fail-<code>``).
- ``x-stub-error-body: <json>``: with ``x-stub-status``, answer with this error body instead.
- ``x-stub-response-headers: <json list of [name, value]>``: add these fields to the answer's head.
- ``x-stub-delay-ms: <ms>``: wait before sending the response head.
- ``x-stub-chunk-delay-ms: <ms>``: wait between stream events.

Tools, as vLLM answers them: a chat request with ``tools`` whose last message is not a tool's
result calls the first tool, with arguments ``{"query": "<the last user text>"}`` (streamed in
pieces, the call's id and name first, ``finish_reason: "tool_calls"``); when its last message is a
tool's result, the answer is the text ``The tool said: <that result>``.

Usage::

    with StubUpstream() as stub:
        ...  # point a backend's base_url at stub.base_url
        assert stub.last_request.json["model"] == "stub-chat-1"
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import re
import select
import socket
import struct
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from stub_server import ServedInBackground

__all__ = ["StubUpstream", "RecordedRequest", "embedding_for", "decode_base64_embedding"]

EMBEDDING_DIM = 8
_POLL_PATHS = ("/health", "/metrics")


@dataclass
class RecordedRequest:
    """One request as the stub received it."""

    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes
    json: Any = None
    received_at: float = field(default_factory=time.monotonic)

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_values(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    @property
    def header_names(self) -> set[str]:
        return {key.lower() for key, _ in self.headers}


def embedding_for(text: Any) -> list[float]:
    """The deterministic vector the stub returns for one input.

    Values are not exactly representable as float32, so a test can check that a gateway's
    base64 encoding rounds to float32 the way OpenAI's does.
    """
    digest = hashlib.sha256(json.dumps(text, sort_keys=True).encode()).digest()
    return [(digest[i] - 128) / 97.0 for i in range(EMBEDDING_DIM)]


def _word_count(value: Any) -> int:
    if isinstance(value, str):
        return len(value.split())
    if isinstance(value, list):
        return sum(_word_count(v) for v in value)
    if isinstance(value, dict):
        return sum(_word_count(v) for k, v in value.items() if k in ("content", "text"))
    return 0


class _Behaviour:
    """What the stub does for one request, from the model name and the x-stub-* headers."""

    def __init__(self, model: str, headers: RecordedRequest):
        self.model = model
        self.fail_status: int | None = None
        self.openai_style = "openai-style" in model
        self.starlette_style = "starlette-style" in model
        self.ignore_include_usage = "no-usage" in model
        self.break_after: int | None = None
        self.delay_s = 0.0
        self.chunk_delay_s = 0.0
        self.fault: str | None = None
        self.fault_after = 0
        match = re.fullmatch(r"(reset-body|bad-json|bad-sse-first|bad-sse-later|length-long|length-short|silent"
                             r"|error-200)|(reset-after|close-after|error-after)-(\d+)", model)
        if match:
            self.fault = match.group(1) or match.group(2)
            self.fault_after = int(match.group(3) or 0)
        match = re.fullmatch(r"fail-(\d{3})", model)
        if match:
            self.fail_status = int(match.group(1))
        match = re.fullmatch(r"break-after-(\d+)", model)
        if match:
            self.break_after = int(match.group(1))
        if (status := headers.header("x-stub-status")) is not None:
            self.fail_status = int(status)
        self.error_body: Any = json.loads(headers.header("x-stub-error-body") or "null")
        self.extra_headers: list[list[str]] = json.loads(headers.header("x-stub-response-headers") or "[]")
        if (delay := headers.header("x-stub-delay-ms")) is not None:
            self.delay_s = int(delay) / 1000
        if (delay := headers.header("x-stub-chunk-delay-ms")) is not None:
            self.chunk_delay_s = int(delay) / 1000


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    # uvicorn (vLLM's server) calls itself this; BaseHTTPRequestHandler would add a Python version.
    def version_string(self) -> str:  # noqa: D102
        return "uvicorn"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def setup(self) -> None:
        idle_close = self.server.stub.keepalive_idle_close_s
        if idle_close:
            # The socket timeout ends the wait for the next request on a kept-alive connection.
            self.timeout = idle_close
        super().setup()
        # As uvicorn does: without it, Nagle's algorithm holds each small write (a stream's
        # events) until the previous one is acknowledged, 40 ms with delayed ACKs.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.answers_on_connection = 0
        with self.server.stub._lock:
            self.server.stub.connections += 1

    # ---- waiting and faults ---------------------------------------------------------------

    def _wait(self, seconds: float) -> None:
        """Sleeps, but notices the peer closing the connection (raises ``_PeerClosed``)."""
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.05))
            if not readable:
                continue
            try:
                peeked = self.connection.recv(1, socket.MSG_PEEK)
            except OSError:
                peeked = b""
            if peeked == b"":
                self.server.stub._note_peer_close(self._request_id)
                self.close_connection = True
                raise _PeerClosed()
            time.sleep(remaining)  # pipelined bytes: nothing to watch for
            return

    def _reset(self) -> None:
        """Ends the connection with a TCP RST (SO_LINGER 0), as a crashed server's kernel does."""
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def _send_raw(self, status: int, body: bytes, length: int) -> None:
        self._start(status, "application/json", None, length)
        self.wfile.write(body)
        self.wfile.flush()

    # ---- request reading ------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _record(self) -> RecordedRequest:
        body = self._read_body() if self.command in ("POST", "PUT", "PATCH") else b""
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers=list(self.headers.items()),
            body=body,
            json=parsed,
        )
        self.server.stub._record(request)
        return request

    # ---- response writing -----------------------------------------------------------------

    def _start(self, status: int, content_type: str, behaviour: _Behaviour | None, length: int | None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        if length is None:
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
        else:
            self.send_header("content-length", str(length))
        if behaviour is not None and behaviour.openai_style:
            self.send_header("openai-processing-ms", "5")
            self.send_header("openai-version", "2020-10-01")
            self.send_header("x-request-id", "req_" + uuid.uuid4().hex)
            self.send_header("x-ratelimit-limit-requests", "10000")
            self.send_header("x-ratelimit-remaining-requests", "9999")
            self.send_header("x-ratelimit-reset-requests", "6ms")
            self.send_header("x-ratelimit-limit-tokens", "30000000")
            self.send_header("x-ratelimit-remaining-tokens", "29999990")
            self.send_header("x-ratelimit-reset-tokens", "0s")
            self.send_header("set-cookie", "__cf_bm=stubcookie; path=/; HttpOnly; Secure; SameSite=None")
        for name, value in behaviour.extra_headers if behaviour is not None else []:
            self.send_header(name, value)
        self.end_headers()

    def _send_json(self, status: int, payload: Any, behaviour: _Behaviour | None = None) -> None:
        if behaviour is not None and behaviour.openai_style:
            body = json.dumps(payload, indent=2).encode() + b"\n"
        else:
            body = json.dumps(payload, separators=(",", ":")).encode()
        self._start(status, "application/json", behaviour, len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def _send_error(self, status: int, model: str, behaviour: _Behaviour | None = None) -> None:
        error_type = "invalid_request_error" if status < 500 else "server_error"
        if behaviour is not None and behaviour.error_body is not None:
            self._send_json(status, behaviour.error_body, behaviour)
            return
        self._send_json(
            status,
            {"error": {"message": f"bad thing for model {model}", "type": error_type, "param": None, "code": None}},
            behaviour,
        )

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _send_events(self, events: list[Any], behaviour: _Behaviour) -> None:
        """An SSE stream over chunked encoding, one transfer chunk per event, as uvicorn does."""
        self._start(200, "text/event-stream; charset=utf-8", behaviour, None)
        if behaviour.fault == "bad-sse-first":
            self._write_chunk(b"data: {not json\n\n")
        sent_content = 0
        for event in events:
            if behaviour.chunk_delay_s:
                self._wait(behaviour.chunk_delay_s)
            if behaviour.fault == "reset-after" and sent_content >= behaviour.fault_after:
                if sent_content:
                    # Let the events sent so far reach the client: a RST discards unread data.
                    self._wait(0.2)
                self._reset()
                return
            if behaviour.fault == "bad-sse-later" and sent_content == 1:
                self._write_chunk(b"data: {not json\n\n")
            if behaviour.fault == "error-after" and sent_content >= behaviour.fault_after:
                self._write_chunk(b'data: {"error":{"message":"BAD THING FOR MODEL %s","type":"server_error",'
                                  b'"param":null,"code":null}}\n\n' % behaviour.model.upper().encode())
                break
            if behaviour.break_after is not None and sent_content >= behaviour.break_after:
                # Drop the connection mid-stream: no terminating chunk, no [DONE].
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if behaviour.starlette_style:
                self._write_chunk(b"data: " + json.dumps(event).encode() + b"\r\n\r\n")
            else:
                self._write_chunk(b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n")
            if event.get("choices"):
                sent_content += 1
        self._write_chunk(b"data: [DONE]\r\n\r\n" if behaviour.starlette_style else b"data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # ---- routes ---------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        request = self._record()
        stub = self.server.stub
        path = request.path.split("?")[0]
        if path == "/health":
            self._start(200, "application/json", None, 0)
        elif path == "/metrics":
            body = (
                "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.\n"
                "# TYPE vllm:num_requests_waiting gauge\n"
                f'vllm:num_requests_waiting{{model_name="stub"}} {float(stub.waiting)}\n'
                "# HELP vllm:num_requests_running Number of requests currently running on GPU.\n"
                "# TYPE vllm:num_requests_running gauge\n"
                f'vllm:num_requests_running{{model_name="stub"}} {float(stub.in_flight)}\n'
            ).encode()
            self._start(200, "text/plain; version=0.0.4; charset=utf-8", None, len(body))
            self.wfile.write(body)
        elif path == "/v1/models":
            self._send_json(200, {"object": "list", "data": [_model_card(m) for m in stub.models]})
        elif path.startswith("/v1/models/"):
            model = path[len("/v1/models/") :]
            if model in stub.models:
                self._send_json(200, _model_card(model))
            else:
                self._send_error(404, model)
        else:
            self._send_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        request = self._record()
        stub = self.server.stub
        self._request_id = request.header("x-request-id")
        self.fault_close_every = 0
        with stub._lock:
            stub.in_flight += 1
            stub.max_in_flight = max(stub.max_in_flight, stub.in_flight)
        try:
            self._post(request)
        except _PeerClosed:
            pass
        except OSError:
            # The peer went away while the answer was written.
            self.close_connection = True
        finally:
            with stub._lock:
                stub.in_flight -= 1
        self.answers_on_connection += 1
        if self.fault_close_every and self.answers_on_connection % self.fault_close_every == 0:
            self.close_connection = True
        if stub.keepalive_idle_close_s and not self.close_connection:
            self.connection.settimeout(stub.keepalive_idle_close_s)

    def _post(self, request: RecordedRequest) -> None:
        path = request.path.split("?")[0]
        body = request.json
        if not isinstance(body, dict):
            self._send_json(400, {"error": {"message": "body is not a JSON object", "type": "invalid_request_error",
                                            "param": None, "code": None}})
            return
        model = body.get("model")
        if not isinstance(model, str):
            self._send_json(400, {"error": {"message": "model is required", "type": "invalid_request_error",
                                            "param": "model", "code": None}})
            return
        behaviour = _Behaviour(model, request)
        self.fault_close_every = behaviour.fault_after if behaviour.fault == "close-after" else 0
        if behaviour.starlette_style and not _is_uuid(request.header("x-request-id")):
            self._start(400, "text/plain", None, 0)
            return
        if behaviour.delay_s:
            self._wait(behaviour.delay_s)
        if behaviour.fail_status is not None:
            self._send_error(behaviour.fail_status, model, behaviour)
            return
        if self._answer_fault(body, behaviour):
            return
        if path == "/v1/chat/completions":
            self._chat(body, behaviour)
        elif path == "/v1/completions":
            self._completion(body, behaviour)
        elif path == "/v1/embeddings":
            self._embeddings(body, behaviour)
        else:
            self._send_json(404, {"detail": "Not Found"})

    def _answer_fault(self, body: dict, behaviour: _Behaviour) -> bool:
        """Answers the faults that replace a whole answer; False for the others."""
        fault = behaviour.fault
        answer = json.dumps({"id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()),
                             "model": behaviour.model,
                             "choices": [{"index": 0, "message": {"role": "assistant", "content": "partial"},
                                          "finish_reason": "stop"}],
                             "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
                            separators=(",", ":")).encode()
        if fault == "silent":
            self._wait(3600)
        elif fault == "error-200" and body.get("stream"):
            self._start(200, "text/event-stream; charset=utf-8", behaviour, None)
            self._write_chunk(b'data: {"error":{"message":"bad thing for model %s","type":"server_error",'
                              b'"param":null,"code":null}}\n\n' % behaviour.model.encode())
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        elif fault == "error-200":
            self._send_error(200, behaviour.model, behaviour)
        elif body.get("stream"):
            return False
        elif fault == "reset-body":
            self._start(200, "application/json", None, len(answer))
            self.wfile.write(answer[: len(answer) // 2])
            self._reset()
        elif fault == "bad-json":
            truncated = b'{"id":"chatcmpl-fault","choices":[{"message":'
            self._send_raw(200, truncated, len(truncated))
        elif fault == "length-long":
            self._send_raw(200, answer, len(answer) + 100)
            self.close_connection = True
        elif fault == "length-short":
            self._send_raw(200, answer, len(answer) - 10)
        else:
            return False
        return True

    def _chat(self, body: dict, behaviour: _Behaviour) -> None:
        messages = body.get("messages") or []
        last_user = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "")
        if isinstance(last_user, list):
            last_user = " ".join(p.get("text", "") for p in last_user if isinstance(p, dict))
        tools = body.get("tools") or []
        if tools and messages and messages[-1].get("role") == "tool":
            pieces, finish = _pieces(f"The tool said: {messages[-1].get('content')}", body)
        else:
            pieces, finish = _pieces(f"Hello! You said: {last_user}", body)
        usage = _usage(max(_word_count(messages), 1), len(pieces), behaviour)
        if tools and (not messages or messages[-1].get("role") != "tool"):
            self._tool_call(body, tools[0]["function"]["name"], json.dumps({"query": last_user}), usage, behaviour)
            return
        created = int(time.time())
        completion_id = "chatcmpl-" + uuid.uuid4().hex
        model = behaviour.model
        extra = {"service_tier": "default", "system_fingerprint": "fp_stub"} if behaviour.openai_style else {}
        if not body.get("stream"):
            message: dict[str, Any] = {"role": "assistant", "content": "".join(pieces)}
            if behaviour.openai_style:
                message |= {"refusal": None, "annotations": []}
            else:
                message |= {"reasoning_content": None, "tool_calls": []}
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
                    "usage": usage,
                    **extra,
                },
                behaviour,
            )
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage")) and not (
            behaviour.ignore_include_usage
        )

        def chunk(delta: dict, finish_reason: str | None) -> dict:
            event = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                **extra,
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                event["usage"] = None
            return event

        first_delta = {"role": "assistant", "content": ""}
        if behaviour.openai_style:
            first_delta["refusal"] = None
        events = [chunk(first_delta, None)]
        events += [chunk({"content": piece}, None) for piece in pieces]
        events.append(chunk({}, finish))
        if include_usage:
            events.append(
                {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": model,
                 **extra, "choices": [], "usage": usage}
            )
        self._send_events(events, behaviour)

    def _tool_call(self, body: dict, name: str, arguments: str, usage: dict, behaviour: _Behaviour) -> None:
        """A call of tool `name`, as vLLM writes one: whole, or streamed with the arguments in pieces."""
        completion_id = "chatcmpl-" + uuid.uuid4().hex
        call_id = "chatcmpl-tool-" + uuid.uuid4().hex[:16]
        created = int(time.time())
        head = {"id": completion_id, "object": "chat.completion", "created": created, "model": behaviour.model}
        if not body.get("stream"):
            call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
            message = {"role": "assistant", "content": None, "reasoning_content": None, "tool_calls": [call]}
            self._send_json(200, head | {"choices": [{"index": 0, "message": message, "logprobs": None,
                                                      "finish_reason": "tool_calls"}], "usage": usage}, behaviour)
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        head["object"] = "chat.completion.chunk"

        def chunk(delta: dict, finish_reason: str | None) -> dict:
            event = head | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
            return event | ({"usage": None} if include_usage else {})

        events = [chunk({"role": "assistant", "content": ""}, None),
                  chunk({"tool_calls": [{"id": call_id, "type": "function", "index": 0,
                                         "function": {"name": name, "arguments": ""}}]}, None)]
        step = max(1, len(arguments) // 3)
        for start in range(0, len(arguments), step):
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[start:start + step]}}]},
                                None))
        events.append(chunk({}, "tool_calls"))
        if include_usage:
            events.append(head | {"choices": [], "usage": usage})
        self._send_events(events, behaviour)

    def _completion(self, body: dict, behaviour: _Behaviour) -> None:
        prompt = body.get("prompt", "")
        pieces, finish = _pieces(f" and then it said: {prompt}", body)
        usage = _usage(max(_word_count(prompt), 1), len(pieces), behaviour)
        created = int(time.time())
        completion_id = "cmpl-" + uuid.uuid4().hex
        model = behaviour.model
        if not body.get("stream"):
            self._send_json(
                200,
                {
                    "id": completion_id,
                    "object": "text_completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "text": "".join(pieces), "logprobs": None, "finish_reason": finish}],
                    "usage": usage,
                },
                behaviour,
            )
            return
        include_usage = bool((body.get("stream_options") or {}).get("include_usage")) and not (
            behaviour.ignore_include_usage
        )

        def chunk(text: str, finish_reason: str | None) -> dict:
            event = {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "text": text, "logprobs": None, "finish_reason": finish_reason}],
            }
            if include_usage:
                event["usage"] = None
            return event

        events = [chunk(piece, None) for piece in pieces[:-1]]
        events.append(chunk(pieces[-1] if pieces else "", finish))
        if include_usage:
            events.append(
                {"id": completion_id, "object": "text_completion", "created": created, "model": model,
                 "choices": [], "usage": usage}
            )
        self._send_events(events, behaviour)

    def _embeddings(self, body: dict, behaviour: _Behaviour) -> None:
        raw = body.get("input", "")
        if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
            inputs = [raw]
        else:
            inputs = list(raw)
        data = [{"object": "embedding", "index": i, "embedding": embedding_for(text)} for i, text in enumerate(inputs)]
        tokens = sum(max(_word_count(t), 1) if isinstance(t, str) else len(t) for t in inputs)
        self._send_json(
            200,
            {"object": "list", "data": data, "model": behaviour.model,
             "usage": {"prompt_tokens": tokens, "total_tokens": tokens}},
            behaviour,
        )


class _PeerClosed(Exception):
    """The client closed the connection while the stub was waiting."""


def _is_uuid(value: str | None) -> bool:
    if value is None:
        return True
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _pieces(text: str, body: dict) -> tuple[list[str], str]:
    """The answer cut into stream pieces (a word and its trailing space each), and finish_reason."""
    words = text.split(" ")
    pieces = [w + " " for w in words[:-1]] + [words[-1]]
    pieces = [p for p in pieces if p]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and 0 < limit < len(pieces):
        return pieces[:limit], "length"
    return pieces, "stop"


def _usage(prompt: int, completion: int, behaviour: _Behaviour) -> dict:
    usage: dict[str, Any] = {"prompt_tokens": prompt, "total_tokens": prompt + completion, "completion_tokens": completion}
    if behaviour.openai_style:
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
        }
    else:
        usage["prompt_tokens_details"] = None
    return usage


def _model_card(model: str) -> dict:
    return {"id": model, "object": "model", "created": 1700000000, "owned_by": "vllm", "root": model,
            "parent": None, "max_model_len": 2048}


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    stub: "StubUpstream"

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client resetting its kept-alive connection is normal (a gateway shutting down).
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


class StubUpstream(ServedInBackground):
    """The stub server: start it, point a backend at ``base_url``, inspect ``requests``."""

    _thread_name = "stub-upstream"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, models: list[str] | None = None):
        self._lock = threading.Lock()
        self.requests: list[RecordedRequest] = []
        self.models = models or ["stub-chat-1", "stub-embed-1"]
        #: What /metrics reports as vllm:num_requests_waiting (for busy_when tests).
        self.waiting = 0
        self.in_flight = 0
        self.max_in_flight = 0
        #: Connections accepted so far.
        self.connections = 0
        #: ``(x-request-id, time.monotonic())`` for every request whose peer closed during a wait.
        self.peer_closes: list[tuple[str | None, float]] = []
        #: When set, a kept-alive connection idle this long is closed by the stub.
        self.keepalive_idle_close_s: float | None = None
        self._server = _Server((host, port), _Handler)
        self._server.stub = self

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def reset(self) -> None:
        """Forget recorded requests and counters (between tests)."""
        with self._lock:
            self.requests.clear()
            self.waiting = 0
            self.max_in_flight = self.in_flight
            self.peer_closes.clear()
            self.keepalive_idle_close_s = None

    def _note_peer_close(self, request_id: str | None) -> None:
        with self._lock:
            self.peer_closes.append((request_id, time.monotonic()))

    @property
    def last_request(self) -> RecordedRequest:
        """The last request other than a health check or a metrics poll."""
        with self._lock:
            requests = [r for r in self.requests if r.path.split("?")[0] not in _POLL_PATHS]
        if not requests:
            raise AssertionError("the stub upstream received no request (besides health checks)")
        return requests[-1]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """Recorded requests for one path (health checks and metrics polls filtered out)."""
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def api_requests(self) -> list[RecordedRequest]:
        """Recorded POST requests (what clients caused, not health checks)."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    @property
    def last_api_request(self) -> RecordedRequest:
        requests = self.api_requests()
        if not requests:
            raise AssertionError("the stub upstream received no API request")
        return requests[-1]


def decode_base64_embedding(value: str) -> list[float]:
    """OpenAI's base64 embedding: little-endian float32s."""
    import struct

    raw = base64.b64decode(value)
    return list(struct.unpack(f"<{len(raw) // 4}f", raw))
