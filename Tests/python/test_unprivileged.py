"""Relay as an unprivileged user, as its container image runs it (uid 10001): every socket
option it sets must be one such a user may set, so backends are reachable."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

import raw_http
from relay_configs import standard_config
from relay_process import RelayProcess

UNPRIVILEGED = 10001


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to drop to another user")
def test_an_unprivileged_relay_reaches_its_backends(stub, keys):
    # Where the user it runs as reads its config and writes its coverage profile (pytest's own
    # temporary folders are root's alone).
    workdir = Path(tempfile.mkdtemp(prefix="relay-unprivileged-"))
    workdir.chmod(0o777)
    config = standard_config(stub.base_url, keys)
    config["backends"]["stub"]["health_path"] = "/health"
    relay = RelayProcess(config, workdir, run_as=UNPRIVILEGED)
    relay.start()
    try:
        answer = raw_http.request("POST", relay.url("/v1/chat/completions"),
                                  headers={"Authorization": f"Bearer {keys.main}"},
                                  json_body={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]})
        assert answer.status == 200, answer.text
        assert answer.json()["choices"][0]["message"]["content"]
        ready = json.loads(raw_http.request("GET", relay.url("/readyz")).text)
        assert ready["backends"]["stub"]["state"] == "up"
    finally:
        relay.stop()
        shutil.rmtree(workdir, ignore_errors=True)
