"""Configs the end-to-end tests run Relay with (written as JSON, which is YAML too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from relay_process import key_hash

UPSTREAM_API_KEY = "upstream-secret"

#: Aliases the main key may use (and so exactly what its /v1/models lists).
MAIN_SCOPES = ["chat-a", "org/model-x", "embed-a", "chat-openai", "chat-no-usage", "bad-400", "bad-404",
               "bad-500", "chat-break", "chat-crlf"]


@dataclass(frozen=True)
class Keys:
    main: str
    other: str
    main_scopes: tuple[str, ...]


def standard_config(stub_url: str, keys: Keys, **server: Any) -> dict[str, Any]:
    """The config most tests run against: one vllm backend (the stub) and a few aliases."""
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 5, **server},
        "log": {"level": "info", "format": "json"},
        "backends": {
            "stub": {
                "type": "vllm",
                "base_url": stub_url,
                "api_key": UPSTREAM_API_KEY,
                "max_concurrency": 16,
                "circuit": {"failures": 1000, "cooldown_s": 1},
            },
        },
        "models": {
            "chat-a": {"backend": "stub", "upstream_model": "stub-chat-1"},
            "org/model-x": {"backend": "stub"},
            "embed-a": {"backend": "stub", "upstream_model": "stub-embed-1"},
            "secret-model": {"backend": "stub", "upstream_model": "stub-secret"},
            "chat-openai": {"backend": "stub", "upstream_model": "gpt-openai-style-1"},
            "chat-no-usage": {"backend": "stub", "upstream_model": "stub-no-usage"},
            "bad-400": {"backend": "stub", "upstream_model": "fail-400"},
            "bad-404": {"backend": "stub", "upstream_model": "fail-404"},
            "bad-500": {"backend": "stub", "upstream_model": "fail-500"},
            "chat-break": {"backend": "stub", "upstream_model": "break-after-2"},
            "chat-crlf": {"backend": "stub", "upstream_model": "stub-starlette-style"},
        },
        "api_keys": [
            {"name": "test-main", "hash": key_hash(keys.main), "scopes": list(keys.main_scopes)},
            {"name": "test-other", "hash": key_hash(keys.other), "scopes": ["*"]},
        ],
    }
