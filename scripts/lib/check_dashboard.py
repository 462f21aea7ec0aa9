"""Checks deploy/grafana/relay.json against a real Prometheus scraping a real Relay under load.

Starts the stub upstream (Tests/python/stub_upstream.py), Relay in front of it, and Prometheus
scraping Relay's /metrics every second; sends a mix of traffic that exercises every panel
(successes, streams, a bad key, rate-limit 429s, a fallback, a 502); then runs every panel's
expression and every template variable through Prometheus's HTTP API. Exits 1 when one
errors or returns no series. Run it through scripts/check-dashboard.

    .venv/bin/python scripts/lib/check_dashboard.py --relay .build/debug/relay --prometheus /usr/bin/prometheus
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "python"))

from relay_process import RelayProcess, free_port, key_hash, new_key  # noqa: E402
from stub_upstream import StubUpstream  # noqa: E402

DASHBOARD = REPO / "deploy" / "grafana" / "relay.json"

# Relay closes upstream connections it is done with; the stub need not print a traceback for each.
socketserver.BaseServer.handle_error = lambda self, request, client_address: None  # type: ignore[method-assign]
#: What Grafana would put for `$__rate_interval` at a 1 s scrape interval, with room to spare.
RATE_INTERVAL = "15s"
WARMUP_S = 20


def relay_config(stub_url: str, app: str, limited: str) -> dict:
    backend = {"type": "vllm", "base_url": stub_url, "api_key": "upstream-secret", "max_concurrency": 32,
               "health_path": None, "circuit": {"failures": 100000, "cooldown_s": 1}}
    return {
        "server": {"drain_delay_s": 0, "shutdown_grace_s": 2},
        "log": {"level": "info", "format": "json"},
        "backends": {"stub": backend, "stub-b": dict(backend)},
        "models": {
            "chat": {"backend": "stub", "upstream_model": "stub-chat-1"},
            "fo": {"backend": "stub", "upstream_model": "fail-500",
                   "fallbacks": [{"backend": "stub-b", "upstream_model": "stub-chat-2"}]},
            "broken": {"backend": "stub", "upstream_model": "fail-500"},
        },
        "api_keys": [
            {"name": "app", "hash": key_hash(app), "scopes": ["*"]},
            {"name": "batch", "hash": key_hash(limited), "scopes": ["*"], "limits": {"rpm": 5}},
        ],
    }


class Load:
    """A few clients sending a mix of requests until stopped."""

    def __init__(self, port: int, app: str, limited: str, workers: int = 4):
        self.port, self.app, self.limited = port, app, limited
        self.stop = threading.Event()
        self.sent = 0
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True) for i in range(workers)]

    def post(self, key: str, body: dict, headers: dict[str, str] | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                               headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                                        **(headers or {})})
            response = connection.getresponse()
            response.read()
            self.sent += 1
            return response.status
        finally:
            connection.close()

    def run(self, worker: int) -> None:
        messages = [{"role": "user", "content": "tell me something about dashboards please"}]
        while not self.stop.is_set():
            self.post(self.app, {"model": "chat", "messages": messages}, {"x-stub-delay-ms": str(20 * worker)})
            self.post(self.app, {"model": "chat", "messages": messages, "stream": True},
                      {"x-stub-chunk-delay-ms": "5"})
            self.post(self.app, {"model": "fo", "messages": messages})
            self.post(self.app, {"model": "broken", "messages": messages})
            self.post("rk-not-a-key", {"model": "chat", "messages": messages})
            self.post(self.limited, {"model": "chat", "messages": messages})

    def __enter__(self) -> "Load":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)


class Prometheus:
    def __init__(self, binary: str, workdir: Path, target_port: int):
        self.port = free_port()
        config = workdir / "prometheus.yml"
        config.write_text(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "scrape_configs:\n"
            "  - job_name: relay\n"
            "    metrics_path: /metrics\n"
            f"    static_configs: [{{targets: ['127.0.0.1:{target_port}']}}]\n"
        )
        self.log = workdir / "prometheus.log"
        self.process = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdin=subprocess.DEVNULL, stdout=self.log.open("wb"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"prometheus did not start:\n{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)

    def api(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read() or b"{}") or {"status": "error", "error": str(error)}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def grafana_to_promql(expr: str) -> str:
    """Grafana's variables as the dashboard's defaults would set them (All = .*)."""
    for name in ("$model", "$backend", "$key"):
        expr = expr.replace(name, ".*")
    return expr.replace("$__rate_interval", RATE_INTERVAL)


def show(value: str) -> str:
    number = float(value)
    return "NaN" if math.isnan(number) else f"{number:.6g}"


def check(prometheus: Prometheus, dashboard: dict) -> list[str]:
    failures: list[str] = []
    for variable in dashboard["templating"]["list"]:
        if variable["type"] != "query":
            continue
        # label_values(metric, label)
        metric, label = [part.strip() for part in variable["query"]["query"][len("label_values("):-1].split(",")]
        answer = prometheus.api(f"label/{label}/values", **{"match[]": metric})
        values = answer.get("data") or []
        print(f"variable ${variable['name']}: {', '.join(values) or 'NONE'}")
        if answer.get("status") != "success" or not values:
            failures.append(f"variable {variable['name']}: {answer}")
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            query = grafana_to_promql(target["expr"])
            answer = prometheus.api("query", query=query)
            result = (answer.get("data") or {}).get("result") or []
            finite = [r for r in result if not math.isnan(float(r["value"][1]))]
            print(f"\n[{panel['title']}] {target['refId']}: {query}")
            if answer.get("status") != "success":
                failures.append(f"{panel['title']} {target['refId']}: {answer.get('error')}")
                print(f"  ERROR {answer.get('error')}")
                continue
            for series in result[:8]:
                labels = ",".join(f"{k}={v}" for k, v in sorted(series["metric"].items())) or "(no labels)"
                print(f"  {labels} = {show(series['value'][1])}")
            if len(result) > 8:
                print(f"  … {len(result) - 8} more series")
            if not finite:
                failures.append(f"{panel['title']} {target['refId']}: no series with a value")
                print("  EMPTY")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--relay", required=True)
    parser.add_argument("--prometheus", required=True)
    args = parser.parse_args()
    dashboard = json.loads(DASHBOARD.read_text())
    app, limited = new_key(), new_key()
    with tempfile.TemporaryDirectory(prefix="relay-dashboard-") as tmp, StubUpstream() as stub:
        work = Path(tmp)
        relay = RelayProcess(relay_config(stub.base_url, app, limited), work / "relay", binary=Path(args.relay).resolve())
        relay.start()
        prometheus = None
        try:
            prometheus = Prometheus(args.prometheus, work, relay.port)
            with Load(relay.port, app, limited) as load:
                time.sleep(WARMUP_S)
                print(f"traffic: {load.sent} requests in {WARMUP_S}s; scraped every 1s; rate windows {RATE_INTERVAL}")
                failures = check(prometheus, dashboard)
        finally:
            if prometheus:
                prometheus.stop()
            relay.stop()
    targets = sum(len(p.get("targets", [])) for p in dashboard["panels"])
    if failures:
        print(f"\n{len(failures)} of {targets} panel queries failed:", *failures, sep="\n  ")
        return 1
    print(f"\nall {targets} panel queries of {DASHBOARD.relative_to(REPO)} returned data")
    return 0


if __name__ == "__main__":
    sys.exit(main())
