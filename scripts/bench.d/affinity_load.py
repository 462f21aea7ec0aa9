"""The workload of scripts/bench-affinity: multi-turn conversations, replayed through Relay.

    affinity_load.py --url URL --key KEY --model ALIAS --out RUN.json [options]

Each conversation has a document of its own in the system prompt (a made-up chronicle, about
32 tokens a sentence, different in every conversation from its first line on), then turns: a short
question, the streamed answer, which the next turn sends back with a new question, as a chat
client does. The conversations are the same in every run (a fixed seed), so two balance modes
replay the same requests. --concurrency conversations run at a time, each on a thread of its
own with one kept-alive connection; a conversation runs its turns one after the other, and a
thread that finishes one starts the next. Before each turn (the first too) the user thinks for
a while (--think-s on average, uniformly from half to one and a half times that): without it
the conversations would move in lockstep, and least_in_flight would send each turn back to the
backend the conversation's previous turn just left (the one with a free place), which real
users, who come back after other requests have come and gone, do not get.

No header or field names the conversation: Relay's affinity finds it by the prompt's opening
(the messages up to the first user message), as it does for a client that sends none.

Per request: time to first token (from the request sent to the first event whose delta carries
text), the whole time, the prompt tokens and those the server took from its cache (the usage
of the last chunk: `prompt_tokens_details.cached_tokens`, as llama-server fills it), and Relay's
request id, by which the access log tells the backend that served it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import random
import threading
import time
import urllib.parse

FIRST_NAMES = (
    "Arden Brisa Calder Dunya Eskel Farah Goran Helka Ilse Joren Kasimir Liesl Marek Nadja Oskar "
    "Petra Quill Rasmus Sabine Tomasz Ulla Vesna Wendel Xenia Yuri Zofia Anselm Berit Cosmin Dagny"
).split()
LAST_NAMES = (
    "Vasko Hallberg Merrow Ostrander Kettle Lindqvist Brandt Tamsin Okafor Reyes Dubois Kowal "
    "Sorensen Abara Fenwick Marlow Iversen Castell Novak Pellegrin Quast Roshan Szabo Thorne"
).split()
PLACES = (
    "Lindholm Orsk Varenna Thule Brackwater Calloway Dunmere Esterhalt Fenmoor Graywick Hollin "
    "Ivelport Jorvik Kestrel Lowmarsh Morrow Norhaven Ostvale Pennick Quarry Redmarch Saltry"
).split()
GUILDS = "weavers millers coopers tanners glassblowers chandlers masons salters brewers ropemakers".split()
GOODS = ["amber", "barley", "copper", "dyed wool", "salted herring", "tallow candles", "slate tiles",
         "oak barrels", "hemp rope", "rye flour", "green glass", "iron nails", "beeswax", "linen cloth"]
DEEDS = (
    "traded {n} crates of {good} with the {guild} of {place}",
    "built a {good} storehouse beside the north gate of {place}",
    "lent {n} silver marks to the {guild} of {place}",
    "was elected warden of the {guild} of {place}",
    "carried {n} sacks of {good} over the pass to {place}",
    "settled a quarrel between the {guild} and the harbor master of {place}",
)


def chronicle(index: int, sentences: int) -> tuple[str, list[tuple[str, str, str]]]:
    """Conversation index's document and its facts (who, what they did, the year)."""
    rng = random.Random(1000 + index)
    town = rng.choice(PLACES)
    lines, facts = [], []
    for _ in range(sentences):
        who = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        year = rng.randrange(1620, 1890)
        deed = rng.choice(DEEDS).format(
            n=rng.randrange(3, 400), good=rng.choice(GOODS), guild=rng.choice(GUILDS), place=rng.choice(PLACES)
        )
        lines.append(f"In {year}, {who} of {town} {deed}.")
        facts.append((who, deed, str(year)))
    return f"Chronicle no. {index + 1} of the town of {town}\n\n" + " ".join(lines), facts


def questions(index: int, facts: list[tuple[str, str, str]], turns: int) -> list[str]:
    rng = random.Random(5000 + index)
    asked = rng.sample(facts, min(turns, len(facts)))
    shapes = ("In which year did {who} do this: {deed}?", "Who {deed}?", "What did {who} do in {year}?")
    return [rng.choice(shapes).format(who=w, deed=d, year=y) for (w, d, y) in asked]


SYSTEM = "You are an archivist. Answer in a few words, using only the chronicle below.\n\n"


class Client:
    """One kept-alive connection to Relay, reopened when the server closes it."""

    def __init__(self, url: str, key: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname, parts.port or 80
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self.connection: http.client.HTTPConnection | None = None

    def stream(self, body: dict) -> dict:
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
            try:
                start = time.perf_counter()
                self.connection.request("POST", "/v1/chat/completions", data, self.headers)
                response = self.connection.getresponse()
                return self.read(response, start)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection the server closed meanwhile: once more on a new one.
                self.connection.close()
                self.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def read(self, response: http.client.HTTPResponse, start: float) -> dict:
        result = {"status": response.status, "request_id": response.getheader("x-request-id")}
        if response.status != 200:
            result["error"] = response.read()[:300].decode(errors="replace")
            return result
        text, usage, ttft, done = [], None, None, False
        for raw in response:
            line = raw.strip()
            if not line.startswith(b"data:"):
                continue
            payload = line[5:].strip()
            if payload == b"[DONE]":
                done = True
                continue
            event = json.loads(payload)
            for choice in event.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content")
                if piece:
                    if ttft is None:
                        ttft = time.perf_counter() - start
                    text.append(piece)
            if event.get("usage"):
                usage = event["usage"]
        # complete: the stream ended as a server ends it, with the usage chunk and [DONE]; a stream
        # cut short (Relay's idle timeout, a server that fails) has neither.
        result.update(
            ttft_s=ttft, total_s=time.perf_counter() - start, answer="".join(text), complete=done and usage is not None
        )
        if usage:
            result["prompt_tokens"] = usage.get("prompt_tokens")
            result["cached_tokens"] = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
            result["completion_tokens"] = usage.get("completion_tokens")
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--turns", type=int, default=6)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=30, help="sentences of each document")
    parser.add_argument("--max-tokens", type=int, default=12)
    parser.add_argument("--think-s", type=float, default=2.0, help="mean pause before each turn")
    args = parser.parse_args()

    todo: queue.Queue[int] = queue.Queue()
    for index in range(args.conversations):
        todo.put(index)
    records: list[dict] = []
    lock = threading.Lock()
    origin = time.perf_counter()

    def converse(client: Client, index: int) -> None:
        document, facts = chronicle(index, args.sentences)
        messages = [{"role": "system", "content": SYSTEM + document}]
        pauses = random.Random(9000 + index)
        for turn, question in enumerate(questions(index, facts, args.turns), start=1):
            time.sleep(args.think_s * pauses.uniform(0.5, 1.5))
            messages.append({"role": "user", "content": question})
            body = {
                "model": args.model, "messages": messages, "max_tokens": args.max_tokens, "temperature": 0,
                "stream": True, "stream_options": {"include_usage": True},
            }
            sent = time.perf_counter() - origin
            try:
                result = client.stream(body)
            except OSError as error:
                result = {"status": 0, "error": f"{type(error).__name__}: {error}"}
            result.update(conversation=index, turn=turn, sent_s=sent)
            with lock:
                records.append(result)
            if result.get("status") != 200 or not result.get("complete"):
                return  # no whole answer to carry on with
            messages.append({"role": "assistant", "content": result["answer"]})

    def worker() -> None:
        client = Client(args.url, args.key)
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            converse(client, index)

    threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - origin
    with open(args.out, "w") as out:
        json.dump({"wall_s": wall, "requests": sorted(records, key=lambda r: r["sent_s"])}, out)


if __name__ == "__main__":
    main()
