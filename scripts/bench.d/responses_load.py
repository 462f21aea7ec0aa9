"""The load client of scripts/bench-responses-memory: COUNT POST /v1/responses, INFLIGHT at a time
over keep-alive connections, Relay's RSS read every SAMPLE answers; prints one JSON object.

    responses_load.py PORT KEY BODY_FILE COUNT INFLIGHT SAMPLE RELAY_PID
    responses_load.py --get PORT KEY IDS_FILE     the oldest of IDS_FILE still stored (binary search)

Plain asyncio streams and a request written once: on two shared cores a client library would
take more of the CPU than the Relay it measures. Every answer must be 200 with a response id;
the ids are written, in the order the answers came, to BODY_FILE's name + ".ids".
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time

ID = re.compile(rb'"id":"(resp_[A-Za-z0-9]+)"')
LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


def rss_mib(pid: int) -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = LENGTH.search(head)
    if length is None:
        raise RuntimeError(f"an answer without content-length: {head!r}")
    return status, await reader.readexactly(int(length.group(1)))


async def post_all(port: int, key: str, body: bytes, count: int, inflight: int, sample: int, pid: int) -> dict:
    request = (
        b"POST /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    ids: list[str] = []
    samples: list[tuple[int, float]] = []
    issued = 0

    async def worker() -> None:
        nonlocal issued
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while issued < count:
                issued += 1
                writer.write(request)
                status, answer = await read_answer(reader)
                found = ID.search(answer)
                if status != 200 or found is None:
                    raise RuntimeError(f"answer {status}: {answer[:300]!r}")
                ids.append(found.group(1).decode())
                if len(ids) % sample == 0:
                    samples.append((len(ids), rss_mib(pid)))
        finally:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    seconds = time.monotonic() - started
    return {"requests": len(ids), "seconds": seconds, "rss_samples": samples, "ids": ids}


async def oldest_kept(port: int, key: str, ids: list[str]) -> dict:
    """Binary search over ids (oldest first) for the first one GET still finds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)

    async def found(i: int) -> bool:
        writer.write(
            f"GET /v1/responses/{ids[i]} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\r\n".encode()
        )
        status, _ = await read_answer(reader)
        if status not in (200, 404):
            raise RuntimeError(f"GET {ids[i]}: {status}")
        return status == 200

    first, last = await found(0), await found(len(ids) - 1)
    lo, hi = 0, len(ids) - 1  # the first found is in (lo, hi] when the first is gone and the last kept
    if not first and last:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if await found(mid):
                hi = mid
            else:
                lo = mid
    writer.close()
    return {"first_found": first, "last_found": last, "kept": len(ids) - (0 if first else hi) if last else 0}


def main() -> None:
    if sys.argv[1] == "--get":
        port, key, ids_file = int(sys.argv[2]), sys.argv[3], sys.argv[4]
        ids = open(ids_file).read().split()
        print(json.dumps(asyncio.run(oldest_kept(port, key, ids))))
        return
    port, key, body_file, count, inflight, sample, pid = sys.argv[1:]
    body = open(body_file, "rb").read()
    result = asyncio.run(post_all(int(port), key, body, int(count), int(inflight), int(sample), int(pid)))
    with open(body_file + ".ids", "w") as f:
        f.write("\n".join(result.pop("ids")) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
