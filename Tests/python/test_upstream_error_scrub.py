"""An upstream's 400/413/422 passes through to the client scrubbed (issue #25.6): neither its
`message` nor its `param` shows the upstream model's name (in any letter case), an internal URL
(the backend's own base_url among them) or an absolute file path."""

from __future__ import annotations

import json

import pytest

import raw_http
from relay_configs import standard_config
from stub_ollama import StubOllama


def _leaky_error(stub_url: str) -> dict:
    return {"error": {
        "message": f"Model STUB-CHAT-1 cannot do this: see {stub_url}/v1/models and "
                   "/opt/models/Stub-Chat-1/config.json.",
        "type": "invalid_request_error",
        "param": f"Stub-Chat-1.max_tokens ({stub_url})",
        "code": None,
    }}


def _assert_scrubbed(text: str, stub_url: str) -> None:
    lowered = text.lower()
    assert "stub-chat-1" not in lowered, text
    assert stub_url.lower() not in lowered and "127.0.0.1" not in lowered and "http://" not in lowered, text
    assert "/opt/models" not in lowered, text


@pytest.mark.parametrize("status", [400, 413, 422])
def test_the_message_and_param_of_an_upstream_rejection_are_scrubbed(relay, stub, keys, status):
    body = {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]}
    response = raw_http.request(
        "POST", relay.url("/v1/chat/completions"), json_body=body,
        headers={"Authorization": f"Bearer {keys.main}", "x-stub-status": str(status),
                 "x-stub-error-body": json.dumps(_leaky_error(stub.base_url))})
    assert response.status == status, response.text
    assert stub.api_requests(), "the upstream was called and answered the rejection"
    error = response.json()["error"]
    _assert_scrubbed(error["message"], stub.base_url)
    _assert_scrubbed(error["param"], stub.base_url)
    _assert_scrubbed(response.text, stub.base_url)
    # What is left still tells the client what went wrong, under the name it knows.
    assert error["message"] == "Model chat-a cannot do this: see [redacted] and [redacted]."
    assert error["param"] == "chat-a.max_tokens ([redacted])"


def test_an_ollama_rejection_does_not_name_the_upstream_model(stub, keys, start_relay):
    upstream = "qwen-no-tools:7b"
    with StubOllama(pulled=[upstream]) as ollama:
        config = standard_config(stub.base_url, keys)
        config["backends"]["ollama"] = {"type": "ollama", "base_url": ollama.base_url, "health_path": None}
        config["models"]["tools-a"] = {"backend": "ollama", "upstream_model": upstream}
        config["api_keys"][1]["scopes"] = ["*"]
        relay = start_relay(config)
        body = {"model": "tools-a", "messages": [{"role": "user", "content": "hi"}],
                "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}
        response = raw_http.request("POST", relay.url("/v1/chat/completions"), json_body=body,
                                    headers={"Authorization": f"Bearer {keys.other}"})
    assert response.status == 400, response.text
    message = response.json()["error"]["message"]
    assert "qwen-no-tools" not in message.lower() and "tools-a" in message, message
