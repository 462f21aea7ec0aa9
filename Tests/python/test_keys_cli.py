"""`relay keys generate` and `relay keys hash` (SPEC §1), and a server that accepts their keys."""

from __future__ import annotations

import hashlib
import re
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from relay_process import RelayProcess, relay_binary

KEY = re.compile(r"^rk-([0-9A-Za-z]{12})[0-9A-Za-z]{43}$")
OWASP_PHC = re.compile(r"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$")


def relay(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(relay_binary()), *args], input=stdin, capture_output=True, timeout=60)


def generate(*args: str) -> tuple[str, dict[str, str], str]:
    """The key, the pasted entry's fields, and the whole output of `relay keys generate`."""
    result = relay("keys", "generate", *args)
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    key = out.splitlines()[0]
    fields = dict(re.findall(r"^\s+(?:- )?(name|hash|id|scopes): (.*)$", out, re.MULTILINE))
    return key, fields, out


def hash_key(stdin: bytes, *args: str) -> str:
    result = relay("keys", "hash", *args, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode().rstrip("\n")


def unquote(value: str) -> str:
    return value.split("  #")[0].strip().strip("'\"")


def test_generate_prints_a_base62_key_and_its_entry() -> None:
    key, fields, _ = generate("--name", "ci-bot")
    match = KEY.match(key)
    assert match, "key has the wrong shape"
    assert unquote(fields["name"]) == "ci-bot"
    assert unquote(fields["id"]) == match.group(1)
    assert unquote(fields["hash"]) == "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    assert fields["scopes"].startswith("[]")
    assert generate()[0] != key


def test_generate_argon2_prints_an_owasp_phc_string() -> None:
    key, fields, _ = generate("--argon2")
    assert KEY.match(key)
    assert OWASP_PHC.match(unquote(fields["hash"]))
    assert unquote(fields["name"]) == "key-" + unquote(fields["id"])


def test_hash_round_trips_generate_and_strips_one_newline() -> None:
    key, fields, _ = generate()
    expected = unquote(fields["hash"])
    assert hash_key(key.encode() + b"\n") == expected
    assert hash_key(key.encode() + b"\r\n") == expected
    assert hash_key(key.encode()) == expected


def test_hash_refuses_keys_that_cannot_work_without_echoing_them() -> None:
    secret = "rk-NotPrintedAnywhere123"
    for stdin in (b"", b"\n", secret.encode() + b"\n\n", b" " + secret.encode(), b"\xff\xfe"):
        result = relay("keys", "hash", stdin=stdin)
        assert result.returncode == 1
        assert result.stdout == b""
        assert secret.encode() not in result.stderr


def test_hash_argon2_prints_a_fresh_phc_string_each_time() -> None:
    first = hash_key(b"some key\n", "--argon2")
    assert OWASP_PHC.match(first)
    assert hash_key(b"some key\n", "--argon2") != first  # new salt every time


def test_pasted_entries_pass_check_config(tmp_path: Path) -> None:
    _, _, sha_out = generate("--name", "plain")
    _, _, argon_out = generate("--argon2", "--name", "strong")
    entries = "".join(
        line.replace("scopes: []", 'scopes: ["*"]') + "\n"
        for out in (sha_out, argon_out)
        for line in out.splitlines()
        if line.startswith("  ")
    )
    config = tmp_path / "relay.yaml"
    config.write_text(
        "backends:\n  b: {type: vllm, base_url: 'http://127.0.0.1:9'}\n"
        "models:\n  m: {backend: b}\n"
        "api_keys:\n" + entries
    )
    result = relay("check-config", "--config", str(config))
    assert result.returncode == 0, result.stderr.decode()


def models_status(relay_process: RelayProcess, key: str) -> int:
    request = urllib.request.Request(relay_process.url("/v1/models"), headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_server_accepts_generated_argon2_keys(start_relay: Callable[..., RelayProcess]) -> None:
    with_id, with_id_fields, _ = generate("--argon2", "--name", "with-id")
    # A key from elsewhere, hashed with `keys hash --argon2` and configured without an id.
    foreign = "sk-from-another-system-0123456789"
    config = {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 2},
        "backends": {"b": {"type": "vllm", "base_url": "http://127.0.0.1:9", "health_path": None}},
        "models": {"m": {"backend": "b"}},
        "api_keys": [
            {"name": "with-id", "hash": unquote(with_id_fields["hash"]), "id": unquote(with_id_fields["id"]),
             "scopes": ["*"]},
            {"name": "foreign", "hash": hash_key(foreign.encode() + b"\n", "--argon2"), "scopes": ["*"]},
        ],
    }
    relay_process = start_relay(config)
    assert models_status(relay_process, with_id) == 200
    assert models_status(relay_process, with_id) == 200  # now from the verified-key cache
    assert models_status(relay_process, foreign) == 200
    assert models_status(relay_process, with_id[:-1] + ("a" if with_id[-1] != "a" else "b")) == 401
    assert models_status(relay_process, generate()[0]) == 401
    log = relay_process.stdout_path.read_text() + relay_process.stderr_path.read_text()
    assert with_id not in log and foreign not in log
