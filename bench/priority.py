"""Benchmark: breaking news during a redo of every feed (issue 28).

Makes the store of bench/scale.py (--articles Markdown files: 300 categories, 3,000
tags, 500 authors), builds it once (`feedsvc build`), then edits the site's title (every
feed must be made again) and starts `feedsvc run` on it: its builds redo the feeds in
slices. While that redo goes on it
- POSTs --posts articles to the ingest API, one after another, each timed until the
  answer comes, and checked then to be in every feed document it joins, as the service
  serves it over HTTP;
- runs `feedsvc takedown` on --takedowns of the newest articles, each timed until it is
  out of every feed document it was in, as served (polled), and until the command's
  process ends; then takes as many down by the API (POST /api/takedowns), each timed
  until it is answered, and checked then to be out of every feed document;
and prints medians, p99 and max, how much of the redo was left at each, and how long
the whole redo took. --during first: no build before, the service's first build is
what goes on while the articles are POSTed (no takedowns: nothing is published yet).
--during reread: summary_length edited instead of the title: every file is read again
(part by part) and then every feed made again; "left" counts files to read and feeds.
--feeds full: the scale bench's feeds (main full text; category, tag and author
families in summaries; RSS, Atom and JSON Feed; archive pages); --feeds hugo: those of
bench/hugo.py (RSS only, no archive pages). The service and the commands run with their
bytecode kept, as an installed feedsvc has it (processes.AS_INSTALLED).

    .venv/bin/python bench/priority.py [--articles 20000] [--feeds full|hugo] [--keep DIR]
        [--during redo|first|reread]
"""

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import httpx
from hugo import FEEDSVC_CONFIG as HUGO_FEEDS_CONFIG
from processes import AS_INSTALLED, answers, free_port, stop, wait_for
from scale import FEEDS as SCALE_FEEDS
from scale import posted_story, write_store

from feedsvc.core.text import slugify

TITLES = ("Example News", "The Evening Ledger")  # a site-wide edit: one to the other
FAMILIES = (("category", "categories"), ("tag", "tags"), ("author", "author"))
CHOICES = {
    "full": (SCALE_FEEDS, ("rss", "atom", "json")),
    "hugo": (HUGO_FEEDS_CONFIG[HUGO_FEEDS_CONFIG.index("[[feeds]]") :], ("rss",)),
}


def configure(site: Path, title: str, port: int, feeds: str, summary: int = 300) -> None:
    (site / "config.toml").write_text(
        f'[site]\ntitle = "{title}"\nbase_url = "http://127.0.0.1:8080/"\n'
        f"summary_length = {summary}\n"
        f"[schedule]\ninterval = 3600\n"
        f"[server]\nport = {port}\nrate_limit = 0\naccess_log = false\n"
        f'[api]\ntoken = "bench"\n{feeds}',
        encoding="utf-8",
    )


def command(site: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "feedsvc", "-q", "--config", str(site / "config.toml"), *args]


def feedsvc(site: Path, *args: str) -> float:
    """Wall seconds of one `feedsvc` command, which must succeed."""
    started = time.perf_counter()
    done = subprocess.run(command(site, *args), capture_output=True, text=True, env=AS_INSTALLED)
    if done.returncode != 0:
        sys.exit(f"feedsvc {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started


def documents(labels: dict[str, list[str]], formats: tuple[str, ...]) -> list[str]:
    """The feed documents an article with these labels is in: main, and a member of
    each family per label."""
    keys = ["main"] + [
        f"{family}/{slugify(value)}" for family, field in FAMILIES for value in labels[field]
    ]
    return [f"feeds/{key}.{fmt}" for key in keys for fmt in formats]


def figures(what: str, seconds: list[float], left: list[int]) -> None:
    p99 = statistics.quantiles(seconds, n=100, method="inclusive")[98]
    print(
        f"  {what:44} median {statistics.median(seconds):.2f} s, p99 {p99:.2f} s, "
        f"max {max(seconds):.2f} s (feeds of the redo left: {max(left):,} to {min(left):,})",
        flush=True,
    )


def served(client: httpx.Client, base: str, path: str, known: dict | None = None) -> str:
    """The document as the service serves it to readers ("" when it has none: 404, 410).
    known: asked as a feed reader polls, by its ETag (path -> (etag, text)): a poll every
    10 ms of whole documents was load enough to slow the service it measured."""
    etag, text = (known or {}).get(path, ("", ""))
    reply = client.get(base + path, headers={"If-None-Match": etag} if etag else {})
    if reply.status_code == 304:
        return text
    if reply.status_code in (404, 410):
        return ""
    reply.raise_for_status()  # (a 429 would read as "taken down": the config has no limit)
    if known is not None and "etag" in reply.headers:
        known[path] = (reply.headers["etag"], reply.text)
    return reply.text


def post_news(
    client: httpx.Client,
    base: str,
    formats: tuple[str, ...],
    rng: random.Random,
    posts: int,
    left: Callable[[], int],
) -> tuple[list[float], list[int]]:
    """POST articles one after another: the seconds each took to be answered (and is
    then in every feed document it joins), and the redo left after each."""
    answered, answered_left = [], []
    stamp = int(time.time())  # a site measured again holds the last run's posts
    headers = {"Authorization": "Bearer bench"}
    for number in range(posts):
        name = f"{stamp}-{number}"
        article = posted_story(rng, f"breaking-{name}", f"Breaking story {name}", 400)
        started = time.monotonic()
        reply = client.post(base + "api/articles", json=article, headers=headers)
        answered.append(time.monotonic() - started)
        assert reply.status_code == 201, reply.text
        missing = [
            path
            for path in documents(article, formats)
            if article["title"] not in served(client, base, path)
        ]
        assert not missing, f"answered, yet not served in {missing[:3]}"
        answered_left.append(left())
    return answered, answered_left


def take_down_newest(
    site: Path,
    client: httpx.Client,
    base: str,
    formats: tuple[str, ...],
    articles: int,
    takedowns: int,
    left: Callable[[], int],
    by_api: bool,
) -> None:
    """Take the newest articles still shown down, one after another (by `feedsvc
    takedown`, or by_api: POST /api/takedowns), each timed until it is out of every
    feed document it was in, and until the command ends (the answer comes)."""
    out, whole, taken_left = [], [], []
    for number in range(articles - 1, -1, -1):  # the newest not yet taken down
        if len(out) == takedowns:
            break
        path = Path(f"{number % 200:03}") / f"{number}.md"
        front = tomllib.loads((site / "articles" / path).read_text().split("+++")[1])
        labels = {field: front[field] for _, field in FAMILIES[:2]}
        labels["author"] = [front["author"]]
        headline = f"<title>{front['title']}</title>"

        known: dict[str, tuple[str, str]] = {}  # polled as a reader polls (see served)

        def shown(labels=labels, headline=headline, known=known) -> list[str]:
            return [
                document
                for document in documents(labels, formats)
                if document.endswith(".rss") and headline in served(client, base, document, known)
            ]

        if not shown():  # taken down by an earlier run on this site
            continue
        started = time.monotonic()
        if by_api:
            body = {"ref": path.as_posix(), "reason": "bench"}
            headers = {"Authorization": "Bearer bench"}
            reply = client.post(base + "api/takedowns", json=body, headers=headers)
            assert reply.status_code == 200, reply.text
            whole.append(time.monotonic() - started)
            assert not shown(), "answered, yet still served"
            out.append(whole[-1])
        else:
            process = subprocess.Popen(
                command(site, "takedown", str(path), "--reason", "bench"),
                stdout=subprocess.DEVNULL,
                env=AS_INSTALLED,
            )
            wait_for(lambda: not shown(), 60, "the takedown published")
            out.append(time.monotonic() - started)
            assert process.wait(60) == 0
            whole.append(time.monotonic() - started)
        taken_left.append(left())
    if by_api:
        figures("takedown by the API: answered, out of every feed", whole, taken_left)
    else:
        figures("takedown: out of every feed", out, taken_left)
        figures("takedown: the command's whole process", whole, taken_left)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--feeds", choices=sorted(CHOICES), default="full")
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--takedowns", type=int, default=20)
    parser.add_argument("--during", choices=("redo", "first", "reread"), default="redo")
    parser.add_argument("--keep", type=Path, help="make the site here and leave it")
    parser.add_argument(
        "--site",
        type=Path,
        help="a site --keep left (its feeds built): measure again on it (--articles: its own)",
    )
    args = parser.parse_args()
    feeds, formats = CHOICES[args.feeds]
    rng = random.Random(28)
    site = args.site or args.keep or Path(tempfile.mkdtemp(prefix="feedsvc-bench-priority-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    if args.site:  # as it was left, under one of the two titles: every feed made on it
        args.articles = sum(1 for _ in (site / "articles").rglob("*.md"))  # its own count
        now = TITLES[f'title = "{TITLES[1]}"' in (site / "config.toml").read_text("utf-8")]
        configure(site, now, port, feeds)
        print(f"feeds brought up to date: {feedsvc(site, 'build'):.1f} s", flush=True)
        title = TITLES[1 - TITLES.index(now)]
    else:
        print(f"generating {args.articles:,} articles in {site} ...", flush=True)
        write_store(site / "articles", args.articles, rng)
        configure(site, TITLES[0], port, feeds)
        if args.during != "first":
            print(f"first build: {feedsvc(site, 'build'):.1f} s", flush=True)
        title = TITLES[1] if args.during == "redo" else TITLES[0]
    if args.during == "reread":  # every summary cut elsewhere: every file read again
        configure(site, TITLES[0], port, feeds, summary=280)
    else:
        configure(site, title, port, feeds)  # every feed's title moves (for a redo)
    service = subprocess.Popen(
        command(site, "run"),
        stdout=(site / "run.log").open("w"),
        stderr=subprocess.STDOUT,
        env=AS_INSTALLED,
    )
    client = httpx.Client(timeout=900)

    def left() -> int:
        """Feeds a redo has left to make, and files a reading again has left to read."""
        health = client.get(base + "healthz").json()
        return health["redo_left"] + health["reading_left"]

    try:
        wait_for(answers(base + "healthz", (200, 503)), 120, "feedsvc run answering")
        redo_started = time.monotonic()
        if args.during != "first":
            wait_for(lambda: left() > 0, 900, "the redo to start")
            print(f"redo under way: {left():,} feeds or files left after its first slices")
        answered, answered_left = post_news(client, base, formats, rng, args.posts, left)
        figures("POST answered, in every feed it joins", answered, answered_left)

        if args.during != "first":
            for by_api in (False, True):
                take_down_newest(
                    site, client, base, formats, args.articles, args.takedowns, left, by_api
                )

        wait_for(lambda: left() == 0, 7200, "the redo to end")
        print(
            f"redo done {time.monotonic() - redo_started:.1f} s after the service started "
            "(news included)",
            flush=True,
        )
    finally:
        client.close()
        stop(service)


if __name__ == "__main__":
    main()
