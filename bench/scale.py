"""Benchmark: a newsroom-sized store with category, tag and author families (issue 6).

Generates N articles (default 20,000) as Markdown files of 3-8 KB with 1-3
categories of 300, 1-5 tags of 3,000, one author of 500 and dates over ten years,
configures the main feed (full text) and category, tag and author families (summaries:
each article is in about seven feeds, and their archive pages in full text would
be over 20 GB at 200,000 articles) in all three formats, and prints, with seconds
per stage (scan, select, render, validate, publish, notify):
- the first full build;
- a build with nothing changed (it must write nothing);
- one article added: the build, then telling a subscriber of every feed it changed
  (a real HTTP server on 127.0.0.1) until the last one has it;
- 100 articles edited at once;
- served end to end: `feedsvc run` on the same site, after a warm-up post, five
  articles posted one after another to its ingest API, each timed until the POST is
  answered (built and published), until the server serves it in every feed it joined
  (polled over HTTP), and until a subscriber of each of those feeds has it.
Run it at 20,000 and at 200,000 to see the growth.

    .venv/bin/python bench/scale.py [--articles 20000] [--keep DIR]
"""

import argparse
import asyncio
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from processes import answers, free_port, stop, wait_for
from sqlalchemy import delete

from feedsvc.core import config
from feedsvc.core.stages import STAGES
from feedsvc.core.text import slugify
from feedsvc.feeds.specs import is_topic, public_url
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.state.database import State
from feedsvc.state.schema import subscriptions as subscriptions_table
from feedsvc.websub.deliver import announce

VOCABULARY = (
    "city council harbour ferry bridge budget school library river storm market tram station "
    "minister report workers vote island festival museum hospital winter road север город мост "
    "рынок трамвай вокзал новости погода"
)
WORDS = VOCABULARY.split()
START = datetime(2016, 11, 1, tzinfo=UTC)
BASE_URL = "http://127.0.0.1:8080/"  # the feeds' links; the service listens elsewhere
FEEDS = """
[[feeds]]
name = "main"
[[feeds]]
name = "category"
per = "category"
content = "summary"
[[feeds]]
name = "tag"
per = "tag"
content = "summary"
[[feeds]]
name = "author"
per = "author"
content = "summary"
"""


def article(rng: random.Random, number: int, count: int, tags: int = 3000) -> str:
    """One Markdown article; `count` spreads the store's dates over ten years; tags
    are drawn from `tags` of them."""
    paragraphs = []
    size = rng.randint(3000, 8000)
    while sum(map(len, paragraphs)) < size:
        words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90)))
        paragraphs.append(words.capitalize() + ".")
    categories = rng.sample(range(300), rng.randint(1, 3))
    labels = rng.sample(range(tags), rng.randint(1, 5))
    published = START + timedelta(minutes=min(number, count) * 5_256_000 // count)
    front = (
        f'title = "Story {number}: {" ".join(rng.choice(WORDS) for _ in range(6))}"\n'
        f"categories = {[f'Section {c}' for c in categories]}\n"
        f"tags = {[f'tag-{t}' for t in labels]}\n"
        f'author = "Reporter {rng.randrange(500)}"\n'
        f'published = "{published.isoformat()}"\n'
    )
    return f"+++\n{front}+++\n" + "\n\n".join(paragraphs) + "\n"


def write_store(root: Path, count: int, rng: random.Random, tags: int = 3000) -> None:
    for number in range(count):
        folder = root / f"{number % 200:03}"
        if number < 200:
            folder.mkdir(parents=True)
        text = article(rng, number, count, tags)
        (folder / f"{number}.md").write_text(text, encoding="utf-8")


class Subscriber:
    """An HTTP server that records when each callback path last got a delivery."""

    def __init__(self) -> None:
        self.got: dict[str, float] = {}
        self.holds: dict[tuple[str, int], float] = {}  # (path, posted story): when first held
        outer = self

        class Callback(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.got[self.path] = time.monotonic()
                for title in re.findall(rb"Posted story (\d+)", body):
                    outer.holds.setdefault((self.path, int(title)), time.monotonic())
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()

        class Server(ThreadingHTTPServer):
            request_queue_size = 128  # socketserver's 5 drops SYNs of a burst: 1 s retries

        self.server = Server(("127.0.0.1", 0), Callback)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{number}"


def configure(site: Path, extra: str = "") -> config.Settings:
    """The site's config; `extra` (the server's sections) changes nothing in the feeds,
    so the in-process runs and the running service publish the same bytes."""
    (site / "config.toml").write_text(
        f'[site]\nbase_url = "{BASE_URL}"\n'
        "[websub]\nallow_private_callbacks = true\nretries = 0\n" + extra + FEEDS,
        encoding="utf-8",
    )
    return config.load(site / "config.toml")


def posted_story(rng: random.Random, article_id: str, title: str, words: int) -> dict:
    """An article as the ingest API takes it, with `words` words of body, in 2 of the
    store's categories, 3 of its tags and by one of its authors."""
    return {
        "id": article_id,
        "title": title,
        "body_html": "<p>" + " ".join(rng.choice(WORDS) for _ in range(words)) + "</p>",
        "categories": [f"Section {c}" for c in rng.sample(range(300), 2)],
        "tags": [f"tag-{t}" for t in rng.sample(range(3000), 3)],
        "author": [f"Reporter {rng.randrange(500)}"],
    }


def served_end_to_end(site: Path, rng: random.Random, posts: int = 5) -> None:
    """`feedsvc run` on the site; each posted article timed until answered, served, told."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    settings = configure(
        site,
        f'[server]\nport = {port}\nrate_limit = 0\naccess_log = false\n[api]\ntoken = "bench"\n',
    )
    subscriber = Subscriber()
    posted = []
    state = State(settings.state.url)
    subscriptions = state.subscriptions
    far = datetime.now(UTC) + timedelta(days=1)
    stamp = int(time.time()) * 100  # a reused site already holds the last run's posts
    for number in range(stamp, stamp + posts):  # a subscriber of each feed, beforehand
        article = posted_story(rng, f"posted-{number}", f"Posted story {number}", 800)
        keys = ["main"] + [
            f"{family}/{slugify(value)}"
            for family, field in (("category", "categories"), ("tag", "tags"), ("author", "author"))
            for value in article[field]
        ]
        paths = [f"feeds/{key}.{fmt}" for key in keys for fmt in ("rss", "atom", "json")]
        for path in paths:
            topic = public_url(BASE_URL, path)
            subscriptions.subscribe(topic, subscriber.url(number) + "/" + path, "", far)
        posted.append((article, paths))
    state.close()
    log = (site / "run.log").open("w")
    service = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "-q", "--config", str(site / "config.toml"), "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = httpx.Client(timeout=60)
    try:
        wait_for(answers(base + "feeds/main.rss"), 900, "feedsvc run serving")
        # A warm-up post, not timed: it waits for the service's start-up build (a walk of
        # the whole store, its signatures and family members loaded) and makes STORE/api/.
        warm = {"id": f"warm-up-{stamp}", "title": "Warm-up", "body_html": "<p>Warm.</p>"}
        headers = {"Authorization": "Bearer bench"}
        assert client.post(base + "api/articles", json=warm, headers=headers).is_success
        answered, served, told = [], [], []
        for number, (article, paths) in enumerate(posted, start=stamp):
            started = time.monotonic()
            reply = client.post(base + "api/articles", json=article, headers=headers)
            assert reply.status_code == 201, reply.text
            answered.append(time.monotonic() - started)
            marker = article["title"].encode()
            wait_for(
                lambda marker=marker, paths=paths: all(
                    marker in client.get(base + path).content for path in paths
                ),
                30,
                "served",
            )
            served.append(time.monotonic() - started)
            callbacks = [f"/{number}/{path}" for path in paths]
            wait_for(
                lambda number=number, callbacks=callbacks: all(
                    (c, number) in subscriber.holds for c in callbacks
                ),
                30,
                "told",
            )
            told.append(max(subscriber.holds[c, number] for c in callbacks) - started)
        print(f"served end to end ({posts} posts, each in {len(paths)} feed documents):")
        for name, times in (("POST answered", answered), ("served", served), ("told", told)):
            print(f"  {name:14} median {statistics.median(times):.2f} s, max {max(times):.2f} s")
    finally:
        stop(service)
        log.close()


def show(name: str, seconds: float, report: BuildReport) -> None:
    """One build; with a render pool its render and validate seconds are its processes'."""
    stages = ", ".join(f"{s} {report.stages.seconds[s]:.2f}" for s in STAGES if s != "notify")
    print(
        f"{name:24} {seconds:8.2f} s  ({len(report.written):,} files, "
        f"{report.bytes_written / 2**20:.1f} MiB written; {stages})",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="build the site here and leave it")
    parser.add_argument(
        "--site", type=Path, help="a site --keep left: skip generating and the first build"
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each incremental kind")
    args = parser.parse_args()
    rng = random.Random(6)
    site = args.site or args.keep or Path(tempfile.mkdtemp(prefix="feedsvc-bench-scale-"))
    try:
        if not args.site:
            print(f"generating {args.articles:,} articles in {site} ...", flush=True)
            started = time.perf_counter()
            write_store(site / "articles", args.articles, rng)
            print(f"  {time.perf_counter() - started:.1f} s", flush=True)
        settings = configure(site)
        state = State(settings.state.url)
        pipeline = Pipeline(settings, state)

        def build(name: str) -> tuple[float, BuildReport]:
            started = time.perf_counter()
            report = pipeline.run()
            seconds = time.perf_counter() - started
            show(name, seconds, report)
            if not report.ok:
                sys.exit("; ".join(report.failures[:5]))
            return seconds, report

        first = build("first run of the process" if args.site else "first full build")[1]
        feeds = sum(1 for path in first.written if is_topic(path))
        print(f"  {feeds:,} feed documents, {len(first.written):,} files in all")
        unchanged = []
        for _ in range(args.repeat):
            seconds, report = build("nothing changed")
            assert not report.written, "a build with nothing changed wrote files"
            unchanged.append(seconds)

        # One article added, then a subscriber of every feed it changed is told.
        subscriber = Subscriber()
        subscriptions = state.subscriptions
        far = datetime.now(UTC) + timedelta(days=1)
        with state.engine.begin() as conn:  # a reused site's subscribers from the last run
            conn.execute(delete(subscriptions_table))
        subscribed: set[str] = set()
        added = []
        for _ in range(args.repeat):
            # A new number and text every run: a reused site already has the last run's.
            number = time.time_ns() // 1000
            text = article(random.Random(number), number, number)
            (site / "articles" / "000" / f"{number}.md").write_text(text)
            built, report = build("one article added")
            topics = [path for path in report.written if is_topic(path)]
            for path in set(topics) - subscribed:  # one subscriber for each feed document
                topic = public_url(settings.site.base_url, path)
                subscriptions.subscribe(topic, subscriber.url(len(subscribed)), "", far)
                subscribed.add(path)
            told = time.perf_counter()
            asyncio.run(announce(settings, state, report.written))
            notified = time.perf_counter() - told
            print(
                f"  {len(topics)} feed documents changed; their subscribers told in "
                f"{notified:.2f} s; end to end {built + notified:.2f} s",
                flush=True,
            )
            added.append((built, notified, built + notified))
        print(
            f"nothing changed: median {statistics.median(unchanged):.2f} s, "
            f"max {max(unchanged):.2f} s ({args.repeat} runs)"
        )
        for index, name in enumerate(("built", "told", "end to end")):
            times = [run[index] for run in added]
            print(
                f"one article added, {name}: median {statistics.median(times):.2f} s, "
                f"max {max(times):.2f} s ({args.repeat} runs)"
            )

        for offset in range(100):  # 100 articles edited at once
            path = site / "articles" / f"{offset % 200:03}" / f"{offset}.md"
            path.write_text(
                path.read_text() + "\nCorrection: an earlier version misnamed the pier.\n"
            )
        build("100 articles edited")
        state.close()
        served_end_to_end(site, rng)
    finally:
        if not (args.keep or args.site):
            shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
