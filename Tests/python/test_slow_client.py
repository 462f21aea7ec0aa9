"""A client that reads a stream slower than its upstream writes it: Relay holds the upstream
back instead of queueing the difference in memory, and the client still gets every event."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import time

from relay_configs import standard_config

EVENT_CONTENT = "x" * 8192
EVENTS = 4096  # 32 MiB of content, written as fast as the connection takes it


class _FloodHandler(http.server.BaseHTTPRequestHandler):
    """An upstream that streams a long chat answer as fast as TCP lets it, counting what it
    managed to write."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - stdlib signature
        pass

    def do_GET(self):  # noqa: N802 - stdlib name; health checks
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):  # noqa: N802 - stdlib name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = {"id": "chatcmpl-flood", "object": "chat.completion.chunk", "created": 1732579200,
                 "model": "stub-chat-1",
                 "choices": [{"index": 0, "delta": {"content": EVENT_CONTENT}, "finish_reason": None}]}
        event = f"data: {json.dumps(chunk)}\n\n".encode()
        framed = b"%x\r\n%s\r\n" % (len(event), event)
        try:
            for _ in range(EVENTS):
                self.wfile.write(framed)
                self.server.sent += len(event)
            done = b"data: [DONE]\n\n"
            self.wfile.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
        except OSError:
            pass


def test_a_slow_reader_holds_the_upstream_back_and_still_gets_every_event(keys, start_relay):
    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FloodHandler)
    upstream.sent = 0
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    try:
        relay = start_relay(standard_config(f"http://127.0.0.1:{upstream.server_address[1]}", keys))
        connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=60)
        body = {"model": "chat-a", "stream": True, "messages": [{"role": "user", "content": "flood"}]}
        connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                           headers={"Authorization": f"Bearer {keys.main}", "Content-Type": "application/json"})
        response = connection.getresponse()
        assert response.status == 200
        received = bytearray(response.read1())

        # The client stops reading. What the upstream can write meanwhile is bounded by the
        # sockets' buffers on the way and Relay's queue (256 KiB), not by the answer's size.
        time.sleep(3)
        sent_while_paused = upstream.sent
        print(f"upstream wrote {sent_while_paused / 2**20:.1f} MiB while the client read nothing")
        assert sent_while_paused < 24 * 2**20, f"the upstream wrote {sent_while_paused >> 20} MiB to a client that read nothing"

        # Reading again, the client gets all of it, in order, and the end.
        while chunk := response.read1():
            received += chunk
        events = [line for line in received.split(b"\n\n") if line]
        assert events[-1] == b"data: [DONE]" and len(events) == EVENTS + 1
        content = EVENT_CONTENT.encode()
        assert all(event.startswith(b"data: {") and content in event for event in events[:-1])
        first = json.loads(events[0][len("data: "):])
        assert first["model"] == "chat-a" and first["choices"][0]["delta"]["content"] == EVENT_CONTENT
    finally:
        upstream.shutdown()
        upstream.server_close()
