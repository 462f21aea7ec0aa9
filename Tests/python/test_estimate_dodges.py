"""The token estimate cannot be dodged (issue #25.6): a body that repeats a field the estimate
or the routing reads is a 400 that reaches no upstream (Relay reads the first copy, a Python
server the last), and `n` choices reserve `n` times the completion budget."""

from __future__ import annotations

import json

import pytest

import raw_http
from relay_configs import standard_config
from relay_process import key_hash, new_key

TPM = 100_000
MESSAGES = [{"role": "user", "content": "hello there"}]


def _post(relay, key: str, body: bytes, path: str = "/v1/chat/completions") -> raw_http.Response:
    return raw_http.request("POST", relay.url(path), body=body,
                            headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})


DUPLICATED = {
    "messages": ('/v1/chat/completions',
                 b'{"model":"chat-a","messages":[],"messages":[{"role":"user","content":"' + b"x" * 5000 + b'"}]}'),
    "prompt": ('/v1/completions', b'{"model":"chat-a","prompt":"a","prompt":"' + b"x" * 5000 + b'"}'),
    "input": ('/v1/embeddings', b'{"model":"embed-a","input":"a","input":"' + b"x" * 5000 + b'"}'),
    "n": ('/v1/chat/completions', b'{"model":"chat-a","messages":[],"n":1,"n":8}'),
    "max_tokens": ('/v1/chat/completions', b'{"model":"chat-a","messages":[],"max_tokens":1,"max_tokens":9000}'),
}


@pytest.mark.parametrize("field", sorted(DUPLICATED))
def test_a_duplicated_field_the_estimate_reads_is_a_400_naming_it(relay, stub, keys, field):
    path, body = DUPLICATED[field]
    response = _post(relay, keys.main, body, path)
    assert response.status == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == field
    assert f'duplicate key "{field}"' in error["message"]
    assert stub.api_requests() == []


@pytest.mark.parametrize("n", [0, -2, 1.5, "4", True])
def test_an_n_that_is_not_a_positive_integer_is_a_400_naming_n(relay, stub, keys, n):
    body = json.dumps({"model": "chat-a", "messages": MESSAGES, "n": n}).encode()
    response = _post(relay, keys.main, body)
    assert response.status == 400, response.text
    assert response.json()["error"]["param"] == "n"
    assert stub.api_requests() == []


@pytest.fixture
def two_fresh_keys(stub, keys, start_relay):
    """A relay with two keys limited by `tpm` and never used before this test."""
    one, four = new_key(), new_key()
    config = standard_config(stub.base_url, keys)
    limits = {"rpm": 1000, "tpm": TPM}
    config["api_keys"] += [
        {"name": "one-choice", "hash": key_hash(one), "scopes": ["chat-a"], "limits": limits},
        {"name": "four-choices", "hash": key_hash(four), "scopes": ["chat-a"], "limits": limits},
    ]
    return start_relay(config), one, four


def test_n_choices_reserve_n_times_the_completion_budget(two_fresh_keys, stub):
    relay, one, four = two_fresh_keys
    answers = {}
    for key, n in ((one, 1), (four, 4)):
        body = json.dumps({"model": "chat-a", "max_tokens": 100, "n": n, "messages": MESSAGES}).encode()
        answers[n] = _post(relay, key, body)
        assert answers[n].status == 200, answers[n].text
    assert stub.last_api_request.json["n"] == 4, "n is forwarded as the client sent it"
    # The same prompt on two keys with no history: the headers show what each reservation held.
    reserved = {n: TPM - int(answer.header("x-ratelimit-remaining-tokens")) for n, answer in answers.items()}
    assert reserved[4] - reserved[1] == 3 * 100, reserved
