"""Turns package-benchmark's JMH export of scripts/microbench into the table it prints and
into docs/hot-path-benchmarks.md.

    microbench_table.py --check FILE...                  every benchmark ran and counted mallocs
    microbench_table.py --doc PATH --machine M ... FILE...  print the table and write the doc
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from dataclasses import dataclass

#: Benchmarks over a whole 64-chunk stream also get a per-chunk row.
STREAM_CHUNKS = 64
PER_STREAM = re.compile(r"\b64-(chunk|line)\b")

#: The order of the table, by name prefix; anything else goes last.
ORDER = ["request:", "answer:", "stream:", "auth:", "limiter:"]


@dataclass
class Row:
    name: str
    p50_us: float
    p99_us: float
    mallocs: float
    samples: int


def load(paths: list[str]) -> list[Row]:
    rows = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            for element in json.load(file):
                # "package.benchmark.HotPath.request:_parse_..." (JMH has no spaces in names)
                name = element["benchmark"].split(".", 3)[3].replace("_", " ")
                metrics = element["secondaryMetrics"]
                wall = metrics["Time (wall clock)"]["scorePercentiles"]
                mallocs = metrics["Malloc (total)"]["scorePercentiles"]
                rows.append(Row(name, wall["50.0"], wall["99.0"], mallocs["50.0"],
                                element["measurementIterations"]))
    rank = {prefix: index for index, prefix in enumerate(ORDER)}
    rows.sort(key=lambda row: (rank.get(row.name.split(" ", 1)[0], len(ORDER)), row.name))
    return rows


def duration(us: float) -> str:
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    if us >= 10:
        return f"{us:.1f} µs"
    return f"{us:.2f} µs"


def count(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


def table(rows: list[Row]) -> list[str]:
    lines = ["| Benchmark | p50 time | p99 time | mallocs / op (p50) | samples |",
             "| --- | ---: | ---: | ---: | ---: |"]
    for row in rows:
        lines.append(f"| {row.name} | {duration(row.p50_us)} | {duration(row.p99_us)} | "
                     f"{count(row.mallocs)} | {row.samples:,} |")
        if PER_STREAM.search(row.name):
            lines.append(f"| &nbsp;&nbsp;↳ per chunk (÷ {STREAM_CHUNKS}) | {duration(row.p50_us / STREAM_CHUNKS)} | "
                         f"{duration(row.p99_us / STREAM_CHUNKS)} | {count(row.mallocs / STREAM_CHUNKS)} | |")
    return lines


DOC = """# Hot-path microbenchmarks

What each per-request piece of Relay costs on its own, in time and in heap allocations per
operation, so that a change that makes one slower or allocate more shows up as a number. The
end-to-end figures (Relay against nginx and LiteLLM under load) are in
[benchmarks.md](benchmarks.md); this page is the level below them.

Written by `scripts/microbench` on {date}; commit {commit}.

## Machine

- {machine}
- {swift}
- redis-server {redis} on loopback, started and stopped by the script
- package-benchmark (ordo-one/benchmark) 1.38, release build, mallocs counted by its malloc
  interposer (`MallocInterposer` trait; no jemalloc needed)

The machine is shared with other builds and tests, so p99 times are noisier than p50 times;
malloc counts do not depend on load.

## Figures

{table}

A *sample* is one operation (one body, one whole stream, one key check, one reserve + settle).
Streams are measured whole, from a fresh parser to `[DONE]`, one upstream read per event as
they arrive from a model; the per-chunk row divides by the 64 model chunks (the usage event
and `[DONE]` included in the cost).

## What is measured

| Benchmark | The work, through RelayCore's public API |
| --- | --- |
| request: parse + model rewrite | `ClientRequest(body:)` (parse, duplicate-key and type checks), then `JSONObjectRewriter` sets `model` to the upstream name and, for a stream, `stream_options.include_usage`: what is sent to a `vllm`/`openai` backend. Small: a system prompt and one question (330 bytes). 32 KB: a 40-turn conversation with escapes and non-ASCII text, `stream: true`, a tool. |
| answer: parse + model rewrite | `OpenAIResponseRewriter.rewrite` of a vLLM `chat.completion` (900 bytes): `model` back to the alias, `usage` read for the limiter. |
| stream: SSE framing + relay | `SSEFrameParser` + `OpenAIStreamRelay` over a vLLM stream of 64 chunks, the usage chunk and `[DONE]`, one read per event; each read's output in a fresh buffer, as the stream forwarder does; the client did not ask for usage, so the usage chunk is dropped. |
| stream: NDJSON to SSE | `OllamaStreamTranslator` over an Ollama `/api/chat` stream of 63 content lines and the `done` line, one read per line. |
| auth: valid sha256 key | `APIKeyAuthenticator.authenticate` with a `Bearer rk-…` header, 50 keys configured: SHA-256 of the key, bucket lookup, constant-time compare. |
| auth: valid argon2id key, cached | The same for an argon2id entry whose key verified once before: the digest is found among verified keys, no argon2 run (the first check of a key, with argon2 on the verifier threads, takes tens of milliseconds and is not measured here). |
| limiter: in process | `InProcessRateLimiter` reserve (rpm, tpm and `max_parallel` all set) then settle to the real usage. |
| limiter: Redis | `RedisRateLimiter` over Relay's own Redis client: one `EVALSHA` of the batch script for reserve and one for settle (one request at a time, so each call carries one operation), each a round trip to redis-server on loopback. This is the limiter's cost per request with `redis_url` set (issue #5). |

## Running them

```sh
scripts/microbench                          # build, run (3 s each), print the table, write this page
MICROBENCH_FILTER='^stream' scripts/microbench   # only some (a regexp of names)
scripts/microbench --smoke                  # each benchmark briefly: builds and runs, writes nothing
```

{smoke}

To see whether a change made the hot path slower, store a baseline before it and compare after:

```sh
scripts/microbench baseline update main     # on the code before the change
# ... change, commit ...
scripts/microbench baseline compare main    # the same benchmarks now, against the stored run
```

Baselines are stored in `Benchmarks/.benchmarkBaselines/` (not committed: they belong to one
machine). Any other command of the plugin runs as `scripts/microbench -- <command>`, for example
`scripts/microbench -- run --filter auth --format markdown`.

The benchmark package is `Benchmarks/Package.swift`, outside the root package so that the main
build and CI never compile it; its code is `Benchmarks/Benchmarks/HotPath/`.
"""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="+")
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--doc")
    parser.add_argument("--machine", default="")
    parser.add_argument("--swift", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--commit", default="")
    parser.add_argument("--smoke-note", default=(
        "A fresh release build of the benchmark package and all its dependencies takes well over ten\n"
        "minutes on the shared 2-core machine; with a warm `.build-microbench` only Relay's changed\n"
        "sources are rebuilt."))
    args = parser.parse_args()

    rows = load(args.files)
    if args.check:
        problems = [row.name for row in rows if row.samples < 1 or row.p50_us <= 0]
        if not rows or problems:
            print(f"benchmarks without measurements: {problems or 'all'}", file=sys.stderr)
            return 1
        print(f"{len(rows)} benchmarks ran")
        return 0

    lines = table(rows)
    print("\n".join(lines))
    if args.doc:
        with open(args.doc, "w", encoding="utf-8") as file:
            file.write(DOC.format(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                                  commit=args.commit, machine=args.machine, swift=args.swift, redis=args.redis,
                                  table="\n".join(lines), smoke=args.smoke_note))
    return 0


if __name__ == "__main__":
    sys.exit(main())
