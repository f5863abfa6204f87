"""Benchmark: from `POST /api/articles` to the new item at every WebSub subscriber.

Starts `feedsvc run` on a generated site (--articles stories, the default feeds),
subscribes --subscribers callbacks on 127.0.0.1 to its main feed through the
built-in hub, then posts --posts articles one after another. For each post it
times, from just before the POST, the moment each subscriber receives a feed body
holding the new item. Prints medians and p99s of: the POST's answer (build and
publish), the first subscriber, and the last one (goal: p99 under 1 s with 100
subscribers). Bounded: each post waits at most --timeout seconds.

    .venv/bin/python bench/push.py [--posts 100] [--subscribers 100] [--articles 500]
"""

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from processes import answers, free_port, stop, wait_for

TOKEN = "bench-token"
ITEM = re.compile(rb"<title>Bench item (\d+)</title>")


class Arrivals:
    """When each subscriber first held each bench item."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first: dict[tuple[int, int], float] = {}
        self.verified: set[int] = set()
        self.changed = threading.Condition(self.lock)

    def delivered(self, subscriber: int, body: bytes, at: float) -> None:
        with self.lock:
            for item in ITEM.findall(body):
                self.first.setdefault((subscriber, int(item)), at)
            self.changed.notify_all()

    def wait_all(self, item: int, subscribers: int, timeout: float) -> list[float] | None:
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                times = [self.first.get((s, item)) for s in range(subscribers)]
                if all(t is not None for t in times):
                    return times  # type: ignore[return-value]
                if not self.changed.wait(deadline - time.monotonic()):
                    return None


def subscriber_server(arrivals: Arrivals) -> ThreadingHTTPServer:
    class Callback(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the hub reuses its connections

        def log_message(self, *_args) -> None:
            pass

        def _answer(self, body: bytes, status: int = 200) -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # verification of intent
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            with arrivals.lock:
                arrivals.verified.add(int(parts.path.rsplit("/", 1)[1]))
            self._answer(query["hub.challenge"][0].encode())

        def do_POST(self) -> None:  # content distribution
            body = self.rfile.read(int(self.headers["Content-Length"]))
            arrivals.delivered(int(self.path.rsplit("/", 1)[1]), body, time.monotonic())
            self._answer(b"", 204)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_site(root: Path, port: int, articles: int) -> Path:
    folder = root / "articles"
    folder.mkdir(parents=True)
    for number in range(articles):
        (folder / f"old-{number:05}.md").write_text(
            f'+++\ntitle = "Earlier story {number}"\ncategories = ["Section {number % 20}"]\n'
            f'published = "2026-0{1 + number % 9}-{1 + number % 28:02}T08:00:00Z"\n+++\n'
            + "Paragraph of an older story about the city and its harbour.\n\n"
            * 12,
            encoding="utf-8",
        )
    config = root / "config.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{port}/"\n[server]\nport = {port}\n'
        "access_log = false\n[schedule]\ninterval = 3600\n"
        f'[api]\ntoken = "{TOKEN}"\n[websub]\nallow_private_callbacks = true\n',
        encoding="utf-8",
    )
    return config


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def show(name: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"  {name:28} median {statistics.median(ms):7.1f} ms   p99 {percentile(ms, 0.99):7.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=30)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-push-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = make_site(work, port, args.articles)
    arrivals = Arrivals()
    callbacks = subscriber_server(arrivals)
    log = (work / "run.log").open("w")
    service = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "-q", "--config", str(config), "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        client = httpx.Client(timeout=60)
        wait_for(answers(base + "feeds/main.rss"), 120, "feedsvc's first build")
        deadline = time.monotonic() + 120
        callback_base = f"http://127.0.0.1:{callbacks.server_address[1]}/s/"
        for number in range(args.subscribers):
            form = {
                "hub.mode": "subscribe",
                "hub.callback": f"{callback_base}{number}",
                "hub.topic": base + "feeds/main.rss",
            }
            assert client.post(base + "websub", data=form).status_code == 202
        while len(arrivals.verified) < args.subscribers and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # the last verifications are stored
        print(
            f"{args.articles} articles in the store, {args.subscribers} subscribers to the main "
            f"feed, {args.posts} posts one after another\n"
        )

        answered, first, last = [], [], []
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for item in range(args.posts):
            article = {
                "id": f"bench-{item}",
                "title": f"Bench item {item}",
                "body_html": f"<p>Breaking: item {item} of the push benchmark.</p>",
            }
            started = time.monotonic()
            response = client.post(base + "api/articles", json=article, headers=headers)
            answered.append(time.monotonic() - started)
            assert response.status_code == 201, response.text
            times = arrivals.wait_all(item, args.subscribers, args.timeout)
            if times is None:
                raise SystemExit(f"item {item} did not reach every subscriber in {args.timeout} s")
            first.append(min(times) - started)
            last.append(max(times) - started)
        show("POST answered (built)", answered)
        show("first subscriber has it", first)
        show(f"all {args.subscribers} subscribers have it", last)
    finally:
        stop(service)
        callbacks.shutdown()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
