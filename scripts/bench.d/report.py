"""Turns the raw figures of one scripts/bench run into the tables of docs/benchmarks.md.

    report.py RESULTS.tsv META.txt VERSIONS.txt SOAK.tsv OUT.md

RESULTS.tsv has one line a cell (wrk output files or stream-client JSON files, CPU seconds);
every cell ran REPEAT times and the median of each figure is reported.

A whole run writes the whole page, keeping what scripts/bench-responses-memory and
scripts/bench-affinity wrote between their markers. A run of the Responses cells or the Relay
variants alone (META's only=responses or only=variants) writes their table, with a note on the
run, between their markers in OUT (bench-responses, bench-variants) and leaves the rest.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import platform
import re
import statistics
import sys

NAMES = {"direct": "direct to stub", "nginx": "nginx proxy", "relay": "Relay", "litellm": "LiteLLM proxy"}
# The Messages cells' columns: (shape, target) and its heading.
MESSAGES_COLUMNS = {
    ("passthrough", "direct"): "direct to stub",
    ("passthrough", "nginx"): "nginx proxy",
    ("passthrough", "relay"): "Relay, passed through",
    ("translated", "relay"): "Relay, translated to chat",
    ("chat", "relay"): "Relay, chat (for comparison)",
}
# The Responses cells' columns, the same shapes.
RESPONSES_COLUMNS = {
    ("passthrough", "direct"): "direct to stub",
    ("passthrough", "nginx"): "nginx proxy",
    ("passthrough", "relay"): "Relay, passed through",
    ("unstored", "relay"): "Relay, passed through, `store: false`",
    ("translated", "relay"): "Relay, translated to chat",
    ("chat", "relay"): "Relay, chat (for comparison)",
}
RESPONSES_TITLE = "### OpenAI Responses (`POST /v1/responses`), non-streamed, the C stub answering at once"
# Where the Responses table, and the figures of scripts/bench-responses-memory, sit in the page.
RESPONSES_MARKERS = ("<!-- bench-responses:begin -->", "<!-- bench-responses:end -->")
MEMORY_MARKERS = ("<!-- bench-responses-memory:begin -->", "<!-- bench-responses-memory:end -->")
# Where scripts/bench-affinity writes its report (scripts/bench.d/affinity_report.py), kept as it is.
AFFINITY_MARKERS = ("<!-- bench-affinity:begin -->", "<!-- bench-affinity:end -->")
VARIANTS = {
    "full": "as of record (auth, limits, metrics, access log)",
    "nolimits": "limits off",
    "redis": "limits kept in Redis",
    "nolog": "access log off",
    "balanced": "two balanced backends",
    "quotas-file": "quotas and a budget, state file",
    "redis-quotas": "limits, quotas and a budget in Redis",
}
VARIANTS_MARKERS = ("<!-- bench-variants:begin -->", "<!-- bench-variants:end -->")


def read_kv(path: str) -> dict[str, str]:
    pairs = {}
    for line in open(path):
        if "=" in line:
            key, value = line.rstrip("\n").split("=", 1)
            pairs[key] = value
    return pairs


def parse_wrk(path: str) -> dict[str, float] | None:
    text = open(path).read()
    match = re.search(
        r"BENCH requests=(\d+) duration_us=(\d+) p50_us=([\d.]+) p99_us=([\d.]+) p999_us=([\d.]+) "
        r"errors=(\d+) non2xx=(\d+)",
        text,
    )
    if not match:
        return None
    requests, duration, p50, p99, p999, errors, non2xx = match.groups()
    if int(requests) == 0:  # wrk's percentiles are 0 then: no answer came back in time
        return {"requests": 0, "rps": 0.0, "p50": None, "p99": None, "p999": None,
                "errors": int(errors) + int(non2xx)}
    return {
        "requests": int(requests),
        "rps": int(requests) / (int(duration) / 1e6),
        "p50": float(p50) / 1000,
        "p99": float(p99) / 1000,
        "p999": float(p999) / 1000,
        "errors": int(errors) + int(non2xx),
    }


def median_of(cells: list[dict], key: str) -> float | None:
    values = [c[key] for c in cells if c.get(key) is not None]
    return statistics.median(values) if values else None


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) < 1:
        return f"{value * 1000:.0f} µs"
    if abs(value) < 100:
        return f"{value:.2f} ms"
    return f"{value:,.0f} ms"


def added(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "—"
    delta = value - base
    return ("+" if delta >= 0 else "−") + fmt_ms(abs(delta))


def fmt_num(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None, digits: int = 2) -> str:
    if a is None or not b:
        return "—"
    return f"{a / b:.{digits}f}×"


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(["---"] + ["---:"] * (len(header) - 1)) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def between(text: str, markers: tuple[str, str]) -> str | None:
    """What sits between the markers in text (without them); None when they are not both there."""
    begin, end = markers
    start = text.find(begin)
    stop = text.find(end, start + len(begin)) if start >= 0 else -1
    return text[start + len(begin):stop].strip("\n") if start >= 0 and stop >= 0 else None


def fenced(markers: tuple[str, str], body: str) -> str:
    return f"{markers[0]}\n{body}\n{markers[1]}"


def machine_note() -> str:
    cpu = "unknown"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPUs ({cpu}), {mem_gib:.0f} GiB, {platform.system()} {platform.release()}"


def main() -> None:
    results_path, meta_path, versions_path, soak_path, out = sys.argv[1:]
    meta = read_kv(meta_path)
    versions = read_kv(versions_path)
    rows = list(csv.DictReader(open(results_path), delimiter="\t"))
    targets = [t for t in NAMES if any(r["target"] == t and r["kind"] == "wrk" for r in rows)]
    concurrency = sorted({int(r["c"]) for r in rows if r["kind"] == "wrk"})

    # ---- wrk cells: the median of each figure over the repeats ----
    cells: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["kind"] not in ("wrk", "variant", "stub", "messages", "responses"):
            continue
        parsed = parse_wrk(r["file"])
        if parsed is None:
            continue
        parsed["cpu_per_1k"] = float(r["cpu_s"]) / parsed["requests"] * 1000 if parsed["requests"] else None
        cells.setdefault((r["kind"], r["shape"], int(r["c"]), r["target"]), []).append(parsed)

    def wrk(kind: str, shape: str, c: int, target: str, key: str) -> float | None:
        found = cells.get((kind, shape, c, target))
        return median_of(found, key) if found else None

    sections = []
    shape_titles = {
        "instant": "Non-streamed, upstream answers at once (nginx `return 200`)",
        "delayed": "Non-streamed, upstream answers after 50 ms (the C stub)",
    }
    for shape, title in shape_titles.items():
        body = []
        for c in concurrency:
            direct = {k: wrk("wrk", shape, c, "direct", k) for k in ("p50", "p99", "p999")}
            body.append([f"**{c} connection{'s' if c != 1 else ''}**"] + [""] * len(targets))
            body.append(["requests/s"] + [fmt_num(wrk("wrk", shape, c, t, "rps")) for t in targets])
            for key, label in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
                body.append([f"{label} latency"] + [fmt_ms(wrk("wrk", shape, c, t, key)) for t in targets])
            for key, label in (("p50", "p50"), ("p99", "p99"), ("p999", "p99.9")):
                body.append(
                    [f"added {label} vs direct"]
                    + ["—" if t == "direct" else added(wrk("wrk", shape, c, t, key), direct[key]) for t in targets]
                )
            body.append(
                ["CPU s per 1,000 requests"] + [fmt_num(wrk("wrk", shape, c, t, "cpu_per_1k"), 3) for t in targets]
            )
            body.append(
                ["errors (all runs)"]
                + [str(sum(x["errors"] for x in cells.get(("wrk", shape, c, t), []))) for t in targets]
            )
        sections.append(f"### {title}\n\n" + table([""] + [NAMES[t] for t in targets], body))

    # ---- Anthropic Messages and OpenAI Responses against the C stub without its delay ----
    def api_levels(kind: str) -> list[int]:
        return sorted({int(r["c"]) for r in rows if r["kind"] == kind})

    def api_table(kind: str, columns: dict[tuple[str, str], str], what: str) -> tuple[str, str] | None:
        """The table of one API's cells and the sentence that sums it up; None when none ran."""
        levels = api_levels(kind)
        present = [k for k in columns if any(cells.get((kind, k[0], c, k[1])) for c in levels)]
        if not present:
            return None

        def get(column: tuple[str, str], c: int, key: str) -> float | None:
            return wrk(kind, column[0], c, column[1], key)

        body = []
        for c in levels:
            direct = {k: get(("passthrough", "direct"), c, k) for k in ("p50", "p99")}
            body.append([f"**{c} connection{'s' if c != 1 else ''}**"] + [""] * len(present))
            body.append(["requests/s"] + [fmt_num(get(k, c, "rps")) for k in present])
            for key, label in (("p50", "p50"), ("p99", "p99")):
                body.append([f"{label} latency"] + [fmt_ms(get(k, c, key)) for k in present])
            for key, label in (("p50", "p50"), ("p99", "p99")):
                body.append(
                    [f"added {label} vs direct"]
                    + ["—" if k[1] == "direct" else added(get(k, c, key), direct[key]) for k in present]
                )
            body.append(["CPU s per 1,000 requests"] + [fmt_num(get(k, c, "cpu_per_1k"), 3) for k in present])
            body.append(
                ["errors (all runs)"]
                + [str(sum(x["errors"] for x in cells.get((kind, k[0], c, k[1]), []))) for k in present]
            )
        lo, hi = levels[0], levels[-1]
        passed, translated, chat = ("passthrough", "relay"), ("translated", "relay"), ("chat", "relay")
        base = get(("passthrough", "direct"), lo, "p50")
        summary = (
            f"Through Relay, to the same stub: added p50 at {lo} connection{'s' if lo != 1 else ''}"
            f" {added(get(passed, lo, 'p50'), base)} for {what} passed through,"
            f" {added(get(translated, lo, 'p50'), base)} translated to chat, {added(get(chat, lo, 'p50'), base)} for chat;"
            f" requests/s at {hi} connections {fmt_num(get(passed, hi, 'rps'))} passed through"
            f" ({ratio(get(passed, hi, 'rps'), get(chat, hi, 'rps'))} chat's),"
            f" {fmt_num(get(translated, hi, 'rps'))} translated ({ratio(get(translated, hi, 'rps'), get(chat, hi, 'rps'))}),"
            f" {fmt_num(get(chat, hi, 'rps'))} for chat."
        )
        return table([""] + [columns[k] for k in present], body), summary

    messages_levels = api_levels("messages")
    messages = api_table("messages", MESSAGES_COLUMNS, "Messages")
    if messages:
        sections.append(
            "### Anthropic Messages (`POST /v1/messages`), non-streamed, the C stub answering at once\n\n"
            + messages[0]
            + "\n\n"
            + messages[1]
            + " Direct and nginx send the Message straight to the stub (llama-server's Messages API); \"added\""
            " is against the direct Message for every column (the stub answers chat and Messages alike)."
        )

    variant_rows = []
    full_rps = wrk("variant", "full", 64, "relay", "rps")
    for v, label in VARIANTS.items():
        rps = wrk("variant", v, 64, "relay", "rps")
        variant_rows.append(
            [
                label,
                fmt_num(rps),
                fmt_ms(wrk("variant", v, 64, "relay", "p50")),
                fmt_ms(wrk("variant", v, 64, "relay", "p99")),
                fmt_num(wrk("variant", v, 64, "relay", "cpu_per_1k"), 3),
                ratio(rps, full_rps),
            ]
        )
    variants_body = table(
        ["Relay", "requests/s", "p50", "p99", "CPU s / 1,000 req", "vs as of record"], variant_rows
    ) + (
        "\n\nThe quota variants give the key `requests_per_day`, `tokens_per_day`, `tokens_per_month` and a"
        " `budget` (none ever reached) and the model a `price`: each request reserves and settles all four"
        " counters, in process and the state file (`state_path`), or in Redis with the rate limits (beside"
        " \"limits kept in Redis\", which counts the rate limits alone)."
    )
    if meta.get("only") == "variants":
        runs = f"Every variant {meta['repeat']} times, interleaved, the median of the runs."
        write_only(VARIANTS_MARKERS, variants_body, runs, meta, versions, out)
        return

    responses_levels = api_levels("responses")

    def unstored_note() -> str:
        hi = responses_levels[-1]
        unstored = wrk("responses", "unstored", hi, "relay", "rps")
        if unstored is None:
            return ""
        chat = wrk("responses", "chat", hi, "relay", "rps")
        return (
            f" Passed through with `store: false`, {fmt_num(unstored)} requests/s at {hi} connections"
            f" ({ratio(unstored, chat)} chat's)."
        )

    responses = api_table("responses", RESPONSES_COLUMNS, "Responses")
    responses_body = "Not run."
    if responses:
        rss = meta.get("responses_rss")
        responses_body = (
            responses[0]
            + "\n\n"
            + responses[1]
            + unstored_note()
            + " Every request but those with `store: false` is stored (`store` is left out: true, the default):"
            " the Relay process of these cells keeps up to `responses_max_stored` (100,000) responses, the"
            " oldest evicted first; its RSS after its cells: "
            + (f"{rss} MiB." if rss else "—.")
            + " Direct and nginx send the request straight to the stub (llama-server's Responses API);"
            " \"added\" is against the direct request for every column (the stub answers chat and Responses alike)."
        )
    if meta.get("only") == "responses":
        write_only(RESPONSES_MARKERS, responses_body, api_runs(responses_levels, meta), meta, versions, out)
        return
    previous = open(out).read() if os.path.exists(out) else ""
    memory_body = between(previous, MEMORY_MARKERS) or "Not measured yet: run `scripts/bench-responses-memory`."
    sections.append(
        RESPONSES_TITLE
        + "\n\n"
        + fenced(RESPONSES_MARKERS, responses_body)
        + "\n\n#### Memory of the stored responses (`scripts/bench-responses-memory`)\n\n"
        + "Relay's RSS as its in-process store fills with typical responses, with the default bounds and with"
        " a small `responses_max_bytes`, and whether eviction keeps it there; written by that script (its"
        " header says how), not by this run.\n\n"
        + fenced(MEMORY_MARKERS, memory_body)
    )

    memory = [
        ["peak RSS after the wrk runs"] + [f"{meta.get(f'peak_rss_{t}', '—')} MiB" for t in targets],
        ["peak RSS after the stream ramp"]
        + [f"{meta[f'stream_rss_{t}']} MiB" if meta.get(f"stream_rss_{t}") else "—" for t in targets],
    ]
    sections.append(
        "### Memory (all processes of each server together)\n\n"
        + table([""] + [NAMES[t] for t in targets], memory)
        + f"\n\nRelay's idle RSS (started, one health check, no request yet): **{meta['relay_idle_rss']} MiB**;"
        f" after the whole run: {meta['relay_end_rss']} MiB."
    )

    # ---- streams ----
    def stream_runs(kind: str, target: str, c: str | None = None) -> list[dict]:
        found = []
        for r in rows:
            if r["kind"] == kind and r["target"] == target and (c is None or r["c"] == c):
                try:
                    run = json.load(open(r["file"]))
                except (OSError, ValueError):
                    continue
                run["cpu_s"] = float(r["cpu_s"]) if r["cpu_s"] else None
                run["stub_cpu_s"] = float(r["stub_cpu_s"]) if r.get("stub_cpu_s") else None
                found.append(run)
        return found

    def stream_median(target: str, group: str, key: str) -> float | None:
        values = [run[group][key] for run in stream_runs("stream", target) if run[group][key] >= 0]
        return statistics.median(values) if values else None

    latency_rows = []
    for group, key, label in (
        ("ttft_ms", "p50", "time to first token p50"),
        ("ttft_ms", "p99", "time to first token p99"),
        ("gap_ms", "p50", "gap between chunks p50"),
        ("gap_ms", "p99", "gap between chunks p99"),
    ):
        base = stream_median("direct", group, key)
        values = [stream_median(t, group, key) for t in targets]
        latency_rows.append([label] + [fmt_ms(v) for v in values])
        latency_rows.append(
            [f"added {label.split(' p')[0].replace('time to first token', 'TTFT')} p{key[1:]}"]
            + ["—" if t == "direct" else added(v, base) for t, v in zip(targets, values)]
        )
    latency_rows.append(
        ["streams stalled / run"]
        + [
            "/".join(str(run["stalled"]) for run in stream_runs("stream", t)) + f" of {stream_runs('stream', t)[0]['streams']}"
            if stream_runs("stream", t)
            else "—"
            for t in targets
        ]
    )
    sections.append(
        f"### Streams: 64 chunks 25 ms apart, 32 streams at a time, {meta['waves']} waves a run\n\n"
        + table([""] + [NAMES[t] for t in targets], latency_rows)
    )

    ramp_rows = []
    held: dict[str, int] = {}
    for t in targets:
        held[t] = 0
        for run_row in [r for r in rows if r["kind"] == "ramp" and r["target"] == t]:
            run = json.load(open(run_row["file"]))
            level = int(run_row["c"])
            # Held: every stream of the level open at once and none stalled. A proxy too slow to
            # open them all within the ramp has not held the level, even if none stalled.
            ok = run["stalled"] == 0 and run["open_max"] == level
            if ok:
                held[t] = max(held[t], level)
            ramp_rows.append(
                [
                    NAMES[t],
                    f"{level:,}",
                    f"{run['open_max']:,}",
                    f"{run['completed']:,}",
                    f"{run['stalled']:,}",
                    fmt_ms(run["ttft_ms"]["p99"] if run["ttft_ms"]["p99"] >= 0 else None),
                    fmt_ms(run["gap_ms"]["p99"] if run["gap_ms"]["p99"] >= 0 else None),
                    fmt_ms(run["gap_ms"]["max"] if run["gap_ms"]["max"] >= 0 else None),
                    fmt_num(float(run_row["cpu_s"]), 2) if run_row["cpu_s"] else "—",
                    fmt_num(float(run_row["stub_cpu_s"]), 2) if run_row["stub_cpu_s"] else "—",
                    fmt_num(run["client_cpu_s"], 2),
                    fmt_num(run["wall_s"], 1),
                ]
            )
    direct_levels = {int(r["c"]): json.load(open(r["file"]))["stalled"] for r in rows
                     if r["kind"] == "ramp" and r["target"] == "direct"}
    direct_stalls = sorted(level for level, n in direct_levels.items() if n)
    direct_caveat = (
        f" **In this run even the direct streams stalled at {direct_stalls[0]:,}:** at that level the machine"
        " (shared with other work) could not keep the stub and the client on time, so that level and those above"
        " it say nothing about the proxies."
        if direct_stalls
        else ""
    )
    sections.append(
        f"### Concurrent streams (all opened within 1 s, each 1.6 s long; a stall is a gap over {meta['stall_ms']} ms"
        " or a stream that does not end with `[DONE]`)\n\n"
        + table(
            ["through", "streams", "open at once", "completed", "stalled", "TTFT p99", "gap p99", "gap max",
             "server CPU s", "stub CPU s", "client CPU s", "wall s"],
            ramp_rows,
        )
        + "\n\nMost streams held (all open at once, none stalling): "
        + ", ".join(f"{NAMES[t]} **{held[t]:,}**" if held[t] else f"{NAMES[t]} none of the levels" for t in targets)
        + ". A target stops at its first level with a stall."
        + direct_caveat
    )

    sections.append(
        "### Relay variants, 64 connections, upstream answers at once\n\n" + fenced(VARIANTS_MARKERS, variants_body)
    )

    # ---- ratios and the targets of issue #9 ----
    def rps(t: str, c: int, shape: str = "instant") -> float | None:
        return wrk("wrk", shape, c, t, "rps")

    ratio_rows = []
    for c in concurrency:
        ratio_rows.append(
            [f"requests/s, {c} conn., instant", ratio(rps("relay", c), rps("nginx", c)), ratio(rps("relay", c), rps("litellm", c), 1)]
        )
        ratio_rows.append(
            [f"requests/s, {c} conn., 50 ms", ratio(rps("relay", c, "delayed"), rps("nginx", c, "delayed")),
             ratio(rps("relay", c, "delayed"), rps("litellm", c, "delayed"), 1)]
        )
    for kind, levels, what in (("messages", messages_levels, "Messages"), ("responses", responses_levels, "Responses")):
        for c in levels:
            relay_rps = wrk(kind, "passthrough", c, "relay", "rps")
            ratio_rows.append(
                [f"requests/s, {c} conn., {what} passed through", ratio(relay_rps, wrk(kind, "passthrough", c, "nginx", "rps")), "—"]
            )
    sections.append("### Ratios\n\n" + table(["", "Relay / nginx", "Relay / LiteLLM"], ratio_rows))

    goals = []

    def goal(what: str, value: str, met: bool | None) -> None:
        goals.append([what, value, "—" if met is None else ("yes" if met else "**no**")])

    c1, c64 = (1, 64) if {1, 64} <= set(concurrency) else (concurrency[0], concurrency[-1])
    d50 = wrk("wrk", "instant", c1, "direct", "p50")
    r50 = wrk("wrk", "instant", c1, "relay", "p50")
    n50 = wrk("wrk", "instant", c1, "nginx", "p50")
    a50 = r50 - d50 if r50 is not None and d50 is not None else None
    goal(f"added p50 at {c1} connection ≤ 100 µs", fmt_ms(a50), a50 is not None and a50 <= 0.1)
    if a50 is not None and n50 is not None and d50 is not None:
        goal("… within 2× nginx's added p50", f"{fmt_ms(a50)} vs nginx {fmt_ms(n50 - d50)}", a50 <= 2 * (n50 - d50))
    d99, r99 = wrk("wrk", "instant", c1, "direct", "p99"), wrk("wrk", "instant", c1, "relay", "p99")
    a99 = r99 - d99 if r99 is not None and d99 is not None else None
    goal(f"added p99 at {c1} connection ≤ 0.5 ms", fmt_ms(a99), a99 is not None and a99 <= 0.5)
    share = rps("relay", c64) / rps("nginx", c64) if rps("relay", c64) and rps("nginx", c64) else None
    goal(f"requests/s at {c64} connections ≥ 60% of nginx's", f"{share:.0%}" if share else "—", share is not None and share >= 0.6)
    if rps("litellm", c64):
        times = rps("relay", c64) / rps("litellm", c64)
        goal("≥ 100× LiteLLM's requests/s", f"{times:.1f}×", times >= 100)
        lower = all(
            (wrk("wrk", s, c, "relay", "p99") or 1e9) < (wrk("wrk", s, c, "litellm", "p99") or 0)
            for s in shape_titles
            for c in concurrency
        )
        goal("lower p99 than LiteLLM at every concurrency", "see the tables", lower)
    ttft99 = stream_median("relay", "ttft_ms", "p99")
    dttft99 = stream_median("direct", "ttft_ms", "p99")
    if ttft99 is not None and dttft99 is not None:
        goal("added TTFT p99 ≤ 1 ms", added(ttft99, dttft99), ttft99 - dttft99 <= 1)
    gap99, dgap99 = stream_median("relay", "gap_ms", "p99"), stream_median("direct", "gap_ms", "p99")
    if gap99 is not None and dgap99 is not None:
        goal("added chunk gap p99 ≤ 0.5 ms", added(gap99, dgap99), gap99 - dgap99 <= 0.5)
    if "relay" in held:
        rss = meta.get("stream_rss_relay")
        goal("≥ 2,000 concurrent streams, none stalling, RSS < 300 MB", f"{held['relay']:,} streams, peak {rss} MiB",
             held["relay"] >= 2000 and rss is not None and float(rss) * 1.048576 < 300)
    idle = float(meta["relay_idle_rss"])
    goal("idle RSS ≤ 30 MB", f"{idle} MiB", idle * 1.048576 <= 30)
    soak = []
    if os.path.exists(soak_path):
        soak = [line.rstrip("\n").split("\t") for line in open(soak_path)][1:]
    if len(soak) > 2:
        warm, last = float(soak[2][1]), float(soak[-1][1])
        goal("RSS flat over 1,000,000 requests (after warm-up)", f"{warm} → {last} MiB", last <= warm * 1.05)
    else:
        goal("RSS flat over 1,000,000 requests", "not run (BENCH_SOAK=1)", None)
    sections.insert(0, "### Targets of issue #9\n\n" + table(["target", "measured", "met"], goals))

    # ---- the stub and the client are not the bottleneck ----
    self_rps = wrk("stub", "self", 64, "direct", "rps")
    self_cpu = wrk("stub", "self", 64, "direct", "cpu_per_1k")
    direct_ramp = [r for r in rows if r["kind"] == "ramp" and r["target"] == "direct"]
    top = max(direct_ramp, key=lambda r: int(r["c"])) if direct_ramp else None
    stub_note = (
        f"The C stub with its delay off answers **{fmt_num(self_rps)} requests/s** at 64 connections"
        f" ({fmt_num(self_cpu, 3)} CPU s per 1,000), and the nginx stub is the direct column:"
        " both far above any proxy's rate."
    )
    if top:
        run = json.load(open(top["file"]))
        stub_note += (
            f" Streaming {int(top['c']):,} streams directly, the stub used {top['stub_cpu_s']} CPU s and the client"
            f" {run['client_cpu_s']:.2f} CPU s in {run['wall_s']:.1f} s, with {run['stalled']} stalled: when a proxy"
            " stalls at a level, the stub and the client are not the cause unless the direct row stalls too."
        )
    if len(soak) > 1:
        sections.append(
            "### RSS over 1,000,000 requests through Relay (64 connections, instant upstream)\n\n"
            + table(["requests", "Relay RSS"], [[f"{int(n):,}", f"{v} MiB"] for n, v in soak])
        )
    affinity_body = between(previous, AFFINITY_MARKERS) or "Not measured yet: run `scripts/bench-affinity`."
    sections.append(
        "### Conversation affinity on two llama-server replicas (`scripts/bench-affinity`)\n\n"
        "Written by that script (its header says how), not by this run.\n\n" + fenced(AFFINITY_MARKERS, affinity_body)
    )

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if int(meta["repeat"]) > 1:
        repeats = (
            f"Every cell ran {meta['repeat']} times, interleaved across the targets, and each figure"
            " is the median of those runs."
        )
    else:
        repeats = "Every cell ran once, so a single slow moment shows in its figures."
    messages_runs = api_runs(messages_levels, meta)
    responses_runs = api_runs(responses_levels, meta)
    doc = f"""# Benchmarks

What Relay adds on top of the upstream, measured by `scripts/bench`: the same requests sent
straight to a stub upstream, through nginx as a plain reverse proxy, through Relay and through
LiteLLM proxy, side by side in one run on one machine, all on loopback. Rerun it to refresh this
page (`scripts/bench`; `BENCH_QUICK=1` for a smoke run of about 4 minutes; options in the script's header).

## The run

- Date: {date}. Relay {versions.get('relay')}, release build (`swift build -c release --static-swift-stdlib`).
- Machine: {machine_note()}.
  Load average before the run {meta['load_before']}, after it {meta['load_after']}. The machine is
  shared: other work may run beside the benchmark. {repeats} Compare the columns of one run,
  not figures across runs.
- Versions: {versions.get('nginx')}, {versions.get('wrk')}, LiteLLM {versions.get('litellm')},
  Redis {versions.get('redis')}, gcc {versions.get('gcc')}.

## Method

- **Upstreams.** nginx `return 200` with a real `chat.completion` (the instant shape), and
  `scripts/bench.d/stub_upstream.c`, one epoll thread written for this benchmark, for the paced
  shapes: the same answer after 50 ms, or with `"stream": true` an SSE stream of 64
  `chat.completion.chunk` events 25 ms apart (40 tokens/s, a real model's pace: role chunk,
  content chunks, finish chunk), then the usage chunk when `stream_options.include_usage`, then
  `data: [DONE]`, byte for byte as vLLM (uvicorn) writes them.
- **nginx proxy**: `proxy_pass` with an upstream `keepalive` pool, access log off, and
  `proxy_buffering off` in front of the streaming stub (as any SSE proxy must).
- **Relay** as of record: a `type: vllm` backend per stub, one sha256 API key, `default_limits`
  (rpm, tpm, max_parallel) high enough never to reject, `/metrics` on, the JSON access log at
  `info` (one line a request) written to a file.
- **LiteLLM proxy** {versions.get('litellm')} (`litellm[proxy]` from PyPI in `.venv-litellm`): `--num_workers 2`,
  a `master_key` (its auth without a database), each stub as an `openai/` model with `api_base`.
  Its limits, spend tracking and logging need a database and are not on: it does less per
  request than Relay here.
- **Load.** `wrk -t1 --latency` for {meta['seconds']} s per cell after a 2 s warm-up, `POST /v1/chat/completions`
  with a small body and an `Authorization` header; p50/p99/p99.9 from wrk's own histogram.
  "Added" is the proxy's latency minus the direct latency at the same percentile.
  CPU seconds per 1,000 requests: user + system time of all the server's processes
  (`/proc/PID/stat`, nginx's and LiteLLM's workers included) over the cell, divided by its requests.
  Peak RSS: `VmHWM` of all the server's processes, summed.
- **Anthropic Messages.** The same body, sent as an Anthropic client sends it (`x-api-key`,
  `anthropic-version`) to `POST /v1/messages`, against the C stub without its delay, which
  answers it as llama.cpp's llama-server does (a `message`; the stub's chat answer's text and
  token counts): straight to the stub, through nginx, and through Relay to a backend with
  `apis: [chat, messages]` (passed through: the client's bytes with `model` swapped, the
  answer's with the alias put back) or to one with chat only (translated to a chat completion
  and back); a chat completion through Relay to the same stub beside them. {messages_runs}
- **OpenAI Responses.** The same request as a response (`{{"model": ..., "input": "Hello!",
  "max_output_tokens": 16}}`, an `Authorization` header) to `POST /v1/responses`, against the same
  stub, which answers it as llama-server does (a `response` with one `message` item, the same
  text and token counts, and ids of its own in every answer): straight to the stub, through
  nginx, and through Relay to a backend with `apis: [chat, responses]` (passed through) or to one
  with chat only (translated); chat through the same Relay beside them. `store` is left out, so it
  is true, as for any client that does not say otherwise: Relay keeps every response in process;
  one more cell sends the passed-through request with `"store": false`, for what storing costs.
  These cells have a Relay process of their own (the configuration of record), so that what it
  stores stays out of the other cells' memory figures. {responses_runs}
- **Streams.** `scripts/bench.d/stream_client.c` (one epoll thread, one connection a stream) times
  every event when the read that completes it returns. Time to first token: from the request's
  last byte to the first event whose delta carries text (the stub sends it one gap, 25 ms, after
  the role chunk). A stall is a gap between two events above {meta['stall_ms']} ms, or a stream
  that does not end in `[DONE]` within 30 s.
- **Not the bottleneck.** {stub_note}
- Everything shares the machine's CPUs: the load generator, the stub and the proxy. Absolute
  rates are lower than on separate machines; the columns are comparable.

## Results

{chr(10).join(s + chr(10) for s in sections)}"""
    with open(out, "w") as f:
        f.write(doc)
    print(doc.split("## Results", 1)[1])


def api_runs(levels: list[int], meta: dict[str, str]) -> str:
    """How often the Messages or Responses cells ran, for the method."""
    if not levels:
        return "Not run."
    times = {"1": "once", "2": "twice"}.get(meta.get("messages_repeat", ""), f"{meta.get('messages_repeat')} times")
    at = " and ".join(str(c) for c in levels)
    if times == "once":
        return f"At {at} connections only, every cell once."
    return (
        f"At {at} connections only, each Relay cell {times} (interleaved, the median of the runs;"
        " with two, their mean), direct and nginx once."
    )


def write_only(markers: tuple[str, str], body: str, runs: str, meta: dict[str, str], versions: dict[str, str], out: str) -> None:
    """A run of one group of cells alone (BENCH_ONLY): its table, with a note on the run, between
    the group's markers in out; the rest of the page is left as it is."""
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    note = (
        f"From a run of these cells alone (`BENCH_ONLY={meta['only']} scripts/bench`), not the run above:"
        f" {date}, Relay {versions.get('relay')}, release build; {machine_note()};"
        f" {versions.get('wrk')}, {meta['seconds']} s a cell after a 2 s warm-up."
        f" Load average before {meta['load_before']}, after {meta['load_after']}; the machine is shared."
        f" {runs}"
    )
    block = note + "\n\n" + body
    print(block)
    text = open(out).read() if os.path.exists(out) else ""
    name = markers[0].removeprefix("<!-- ").removesuffix(":begin -->")
    if between(text, markers) is None:
        print(f"\n{out} has no {name} markers: not written", file=sys.stderr)
        return
    begin, end = markers
    start, stop = text.index(begin), text.index(end, text.index(begin))
    with open(out, "w") as f:
        f.write(text[:start] + fenced(markers, block) + text[stop + len(end):])
    print(f"\nwritten between the {name} markers of {out}", file=sys.stderr)

if __name__ == "__main__":
    main()
