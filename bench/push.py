"""Benchmark: from `POST /api/articles` to the new item at every WebSub subscriber.

Starts `feedsvc run` on a generated site (--articles stories, the default feeds),
subscribes --subscribers callbacks on 127.0.0.1 to its main feed through the
built-in hub, then posts --posts articles one after another. For each post it
times, from just before the POST, the moment each subscriber receives a feed body
holding the new item. Prints medians and p99s of: the POST's answer (build and
publish), the first subscriber, and the last one (goal: p99 under 1 s with 100
subscribers). Bounded: each post waits at most --timeout seconds.

With --hanging N and --pending M the posts are made twice in the same run: first
as above (the baseline), then after N more subscriptions whose callbacks answer the
verification and hang on every delivery (their addresses spelt five ways), and M
subscription requests whose callbacks hang on the verification (goal: the real
subscribers' p99 still under 1 s with 200 hanging and 400 pending).

    .venv/bin/python bench/push.py [--posts 100] [--subscribers 100] [--articles 500]
    .venv/bin/python bench/push.py --posts 20 --subscribers 10 --hanging 200 --pending 400
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


SPELLINGS = ("127.0.0.1", "0x7f000001", "2130706433", "127.1", "0177.0.0.1")
HANG_MOST = 120.0  # seconds a hanging callback holds a request, at most


def hanging_server(stop_event: threading.Event, *, on_verification: bool) -> ThreadingHTTPServer:
    """Callbacks that hang: on the verification, or (answering it) on every delivery."""

    class Hanging(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:
            pass

        def do_GET(self) -> None:
            if on_verification:
                stop_event.wait(HANG_MOST)
                return
            challenge = parse_qs(urlsplit(self.path).query)["hub.challenge"][0].encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(challenge)))
            self.end_headers()
            self.wfile.write(challenge)

        def do_POST(self) -> None:
            stop_event.wait(HANG_MOST)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hanging)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def subscribe_until_taken(client: httpx.Client, base: str, callback: str) -> None:
    """Subscribe, waiting out 429s (8 verifications may wait on one host), 60 s at most."""
    form = {"hub.mode": "subscribe", "hub.callback": callback, "hub.topic": base + "feeds/main.rss"}
    deadline = time.monotonic() + 60
    while (status := client.post(base + "websub", data=form).status_code) == 429:
        if time.monotonic() > deadline:
            raise SystemExit(f"{callback}: still refused after 60 s")
        time.sleep(0.05)
    assert status == 202, status


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


class Posts:
    """Articles posted one after another, each timed to every real subscriber."""

    def __init__(self, client: httpx.Client, base: str, arrivals: Arrivals, args) -> None:
        self.client, self.base, self.arrivals, self.args = client, base, arrivals, args
        self.made = 0

    def run(self, label: str) -> None:
        answered, first, last = [], [], []
        headers = {"Authorization": f"Bearer {TOKEN}"}
        for _ in range(self.args.posts):
            item, self.made = self.made, self.made + 1
            article = {
                "id": f"bench-{item}",
                "title": f"Bench item {item}",
                "body_html": f"<p>Breaking: item {item} of the push benchmark.</p>",
            }
            started = time.monotonic()
            response = self.client.post(self.base + "api/articles", json=article, headers=headers)
            answered.append(time.monotonic() - started)
            assert response.status_code == 201, response.text
            times = self.arrivals.wait_all(item, self.args.subscribers, self.args.timeout)
            if times is None:
                raise SystemExit(f"item {item} did not reach every subscriber in time")
            first.append(min(times) - started)
            last.append(max(times) - started)
        show(f"{label}POST answered (built)", answered)
        show(f"{label}first subscriber has it", first)
        show(f"{label}all {self.args.subscribers} have it", last)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--articles", type=int, default=500)
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--hanging", type=int, default=0)
    parser.add_argument("--pending", type=int, default=0)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-push-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    config = make_site(work, port, args.articles)
    arrivals = Arrivals()
    callbacks = subscriber_server(arrivals)
    stop_hanging = threading.Event()
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

        posts = Posts(client, base, arrivals, args)
        posts.run("")
        if args.hanging or args.pending:
            hangs = [hanging_server(stop_hanging, on_verification=False)
                     for _ in range(-(-args.hanging // 100))]  # fmt: skip
            for number in range(args.hanging):
                server = hangs[number // 100]
                spelling = SPELLINGS[number % len(SPELLINGS)]
                callback = f"http://{spelling}:{server.server_address[1]}/hang/{number}"
                subscribe_until_taken(client, base, callback)
            stuck = hanging_server(stop_hanging, on_verification=True)
            said: dict[int, int] = {}
            for number in range(args.pending):
                spelling = SPELLINGS[number % len(SPELLINGS)]
                form = {
                    "hub.mode": "subscribe",
                    "hub.callback": f"http://{spelling}:{stuck.server_address[1]}/v/{number}",
                    "hub.topic": base + "feeds/main.rss",
                }
                status = client.post(base + "websub", data=form).status_code
                said[status] = said.get(status, 0) + 1
            time.sleep(1)  # the hanging subscriptions are stored
            print(
                f"\nthe same, with {args.hanging} subscribers hanging on every delivery and "
                f"{args.pending} subscription requests hanging on verification "
                f"(answered {', '.join(f'{n} x {code}' for code, n in sorted(said.items()))})"
            )
            posts.run("(under attack) ")
    finally:
        stop_hanging.set()
        stop(service)
        callbacks.shutdown()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
