"""The example alerting rules (deploy/prometheus/relay-alerts.yml, docs/operations.md) hold.

promtool (Debian's `prometheus` package) checks the rule file and runs its unit tests; the metric
names the rules use are checked against what a running Relay actually exposes, so renaming a
metric cannot silently leave an alert that never fires.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from relay_process import REPO_ROOT
import raw_http

RULES_DIR = REPO_ROOT / "deploy" / "prometheus"
RULES = RULES_DIR / "relay-alerts.yml"

#: Counters Relay creates on their first event (a fallback, a refused request); the SPEC lists them.
CREATED_ON_FIRST_EVENT = {"relay_fallbacks_total", "relay_rate_limited_total"}

promtool = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(promtool is None, reason="promtool not installed (apt-get install prometheus)")


@needs_promtool
def test_promtool_accepts_the_rule_file():
    result = subprocess.run([promtool, "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 8 rules found" in result.stdout


@needs_promtool
def test_the_alerts_fire_exactly_when_their_unit_tests_say():
    result = subprocess.run([promtool, "test", "rules", "relay-alerts.test.yml"], cwd=RULES_DIR,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_the_rules_use_is_one_relay_exposes(relay, keys):
    answer = raw_http.request("POST", relay.url("/v1/chat/completions"),
                              json_body={"model": "chat-a", "stream": True,
                                         "messages": [{"role": "user", "content": "hi"}]},
                              headers={"Authorization": f"Bearer {keys.main}"})
    assert answer.status == 200
    exposition = raw_http.request("GET", relay.url("/metrics")).text
    exposed = set(re.findall(r"^(relay_[a-z_]+?)(?:_bucket|_count|_sum)?(?:\{| )", exposition, re.MULTILINE))
    used = set(re.findall(r"\b(relay_[a-z_]+?)(?:_bucket|_count|_sum)?\b", RULES.read_text()))
    assert used, "no relay_* metric found in the rule file"
    assert used - exposed <= CREATED_ON_FIRST_EVENT, f"rules use metrics Relay does not expose: {used - exposed}"
