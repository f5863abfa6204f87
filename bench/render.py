"""Benchmark: rendering and checking one 50-item full-content feed (issue 4's figures).

Prints milliseconds per feed (median of --repeat runs, interleaved) for each
format, against a plain string-template baseline measured in the same run:
- baseline: f-strings and html.escape, nothing else (JSON: json.dumps of a dict);
- feedgen alone: the same fields through feedgen with no workarounds or extras
  (XML only: feedgen writes no JSON Feed);
- ours: feedsvc's renderer, with every workaround, media, archive and sy hints;
  every item carries an episode's audio (an enclosure, media:content, itunes:
  duration), and the "podcast" row renders the feed as a podcast (itunes: and
  podcast: show and episode elements) against the RSS baseline.
Goal: ours within 3x the baseline. Then what each check costs per feed: the
strict check run on every build, the feedparser round trip and the second
parser (fastfeedparser), which the test suite runs.

    .venv/bin/python bench/render.py [--items 50] [--repeat 60]
"""

import argparse
import gc
import html
import json
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import fastfeedparser
from feedgen.feed import FeedGenerator
from lxml import etree
from scan import WORDS  # bench/ is on the path when a script here runs

from feedsvc.core.model import FeedItem, FeedMeta, Image, Media, Schedule
from feedsvc.core.podcast import Episode, Show
from feedsvc.feeds import check, roundtrip
from feedsvc.feeds.formats import FORMATS

GOAL = 3.0


def paragraph(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(80)).capitalize() + "."


def make_items(count: int) -> list[FeedItem]:
    """News-sized items: ~4 KB of HTML body, a summary, authors, categories, an image, and
    an episode's audio with its podcast details."""
    rng = random.Random(4)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    items = []
    for number in range(count):
        when = start + timedelta(minutes=17 * number)
        body = "\n".join(f"<p>{paragraph(rng)} &amp; more</p>" for _ in range(6))
        items.append(
            FeedItem(
                guid=f"urn:uuid:00000000-0000-4000-8000-{number:012}",
                title=f"Story {number}: {paragraph(rng)[:60]}",
                link=f"https://example.org/story-{number}/",
                published=when,
                updated=when,
                summary_html=html.escape(paragraph(rng)[:280]),
                body_html=body,
                authors=("Мария Лебедева",),
                categories=("Economy", "Экономика"),
                image=Image(f"https://cdn.example.org/{number}.jpg", "photo", "image/jpeg", 50_000),
                media=(
                    Media(f"https://cdn.example.org/{number}.mp3", "audio/mpeg", 9_000_000, 1491),
                ),
                episode=Episode(
                    number + 1, 2, "full", False, "https://example.org/t.vtt", "text/vtt"
                ),
            )
        )
    return items[::-1]


META = FeedMeta(
    key="main",
    title="Example News",
    description="The latest stories.",
    site_url="https://example.org/",
    feed_id="urn:uuid:feed",
    language="en",
    updated=datetime(2026, 11, 2, tzinfo=UTC),
    links={
        "self": {f: f"https://feeds.example.org/feeds/main.{f}" for f in FORMATS},
        "prev-archive": {f: f"https://feeds.example.org/feeds/main/archive/9.{f}" for f in FORMATS},
    },
    image="https://example.org/logo.png",
    icon="https://example.org/icon.png",
    author="Example News",
    schedule=Schedule(5),
    item_language="en",
)
PODCAST = replace(
    META,
    podcast=Show(
        "https://example.org/radio-3000.jpg", "News", "Daily News", owner_email="r@example.org"
    ),
)


def template_rss(items: list[FeedItem]) -> bytes:
    e = html.escape
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{e(META.title)}</title><link>{META.site_url}</link>"
        f"<description>{e(META.description)}</description>"
        f"<lastBuildDate>{format_datetime(META.updated)}</lastBuildDate>"
    ]
    for item in items:
        cats = "".join(f"<category>{e(c)}</category>" for c in item.categories)
        parts.append(
            f"<item><title>{e(item.title)}</title><link>{e(item.link)}</link>"
            f"<description>{e(item.summary_html or '')}</description>"
            f"<content:encoded>{e(item.body_html or '')}</content:encoded>"
            f'<guid isPermaLink="false">{e(item.guid)}</guid>'
            f"<pubDate>{format_datetime(item.published)}</pubDate>"
            f"<dc:creator>{e(item.authors[0])}</dc:creator>{cats}</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def template_atom(items: list[FeedItem]) -> bytes:
    e = html.escape
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f"<id>{META.feed_id}</id><title>{e(META.title)}</title>"
        f"<updated>{META.updated.isoformat()}</updated>"
        f'<link href="{META.site_url}" rel="alternate"/>'
    ]
    for item in items:
        cats = "".join(f'<category term="{e(c)}"/>' for c in item.categories)
        parts.append(
            f"<entry><id>{e(item.guid)}</id><title>{e(item.title)}</title>"
            f'<link href="{e(item.link)}" rel="alternate" type="text/html"/>'
            f"<updated>{item.updated.isoformat()}</updated>"
            f"<published>{item.published.isoformat()}</published>"
            f"<author><name>{e(item.authors[0])}</name></author>"
            f'<summary type="html">{e(item.summary_html or "")}</summary>'
            f'<content type="html">{e(item.body_html or "")}</content>{cats}</entry>'
        )
    parts.append("</feed>")
    return "".join(parts).encode()


def template_json(items: list[FeedItem]) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": META.title,
        "items": [
            {
                "id": i.guid,
                "url": i.link,
                "title": i.title,
                "content_html": i.body_html,
                "date_published": i.published.isoformat(),
            }
            for i in items
        ],
    }
    return json.dumps(feed, ensure_ascii=False).encode()


def feedgen_alone(items: list[FeedItem], fmt: str) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(META.feed_id)
    fg.title(META.title)
    fg.subtitle(META.description)
    fg.link(href=META.site_url, rel="alternate")
    fg.updated(META.updated)
    for item in items:
        fe = fg.add_entry(order="append")
        fe.guid(item.guid, permalink=False)
        fe.title(item.title)
        fe.link(href=item.link)
        fe.published(item.published)
        fe.updated(item.updated)
        fe.content(item.body_html, type="html")
        fe.summary(item.summary_html, type="html")
        fe.author({"name": item.authors[0]})
        fe.dc.dc_creator(item.authors[0])
        fe.category([{"term": c} for c in item.categories])
    return fg.rss_str() if fmt == "rss" else fg.atom_str()


def interleaved_ms(tasks: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median milliseconds of each task, run in turns so drifts in machine speed hit all."""
    times: dict[str, list[float]] = {name: [] for name in tasks}
    for _ in range(repeat):
        gc.collect()
        for name, task in tasks.items():
            started = time.perf_counter()
            task()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    items = make_items(args.items)
    now = datetime(2026, 11, 28, tzinfo=UTC)
    templates = {"rss": template_rss, "atom": template_atom, "json": template_json}
    print(f"one {args.items}-item full-content feed, median of {args.repeat} runs, ms per feed")
    print(f"{'format':6} {'baseline':>9} {'feedgen':>9} {'ours':>9} {'ours/base':>10}  goal")
    failed = False
    rows = [(fmt, fmt, META) for fmt in FORMATS] + [("podcast", "rss", PODCAST)]
    for row, fmt, meta in rows:
        form = FORMATS[fmt]
        tasks = {"base": lambda: templates[fmt](items)}  # noqa: B023
        if fmt != "json":
            tasks["feedgen"] = lambda: feedgen_alone(items, fmt)  # noqa: B023
        tasks["ours"] = lambda: form.render(meta, items)  # noqa: B023
        ms = interleaved_ms(tasks, args.repeat)
        ratio = ms["ours"] / ms["base"]
        failed |= ratio > GOAL
        alone = f"{ms['feedgen']:9.2f}" if "feedgen" in ms else "-"
        print(
            f"{row:7} {ms['base']:8.2f} {alone:>9} {ms['ours']:9.2f} {ratio:9.2f}x  "
            f"{'ok' if ratio <= GOAL else 'OVER'} (<= {GOAL:g}x)"
        )
    size = len(FORMATS["rss"].render(META, items))
    print(f"\nchecks of the {size:,}-byte RSS feed (and its twins), ms per feed (x rendering it);")
    print("parse: lxml (json) alone, which the strict check includes")
    columns = (
        ("render", 7),
        ("parse", 6),
        ("strict", 13),
        ("feedparser", 16),
        ("fastfeedparser", 15),
    )
    print(f"{'format':6} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for fmt, form in FORMATS.items():
        body = form.render(META, items)
        assert check.problems(body, items, fmt, now) == [], fmt
        parse = (lambda: json.loads(body)) if fmt == "json" else (lambda: etree.fromstring(body))  # noqa: B023
        tasks = {
            "render": lambda: form.render(META, items),  # noqa: B023
            "parse": parse,
            "strict": lambda: check.problems(body, items, fmt, now),  # noqa: B023
            "second": lambda: fastfeedparser.parse(body),  # noqa: B023
        }
        if FORMATS[fmt].feedparser_reads:
            tasks["feedparser"] = lambda: roundtrip.problems(body, items, fmt)  # noqa: B023
        ms = interleaved_ms(tasks, max(5, args.repeat // 4))
        base = ms["render"]
        full = (
            f"{ms['feedparser']:7.2f} ({ms['feedparser'] / base:4.1f}x)"
            if "feedparser" in ms
            else "-"
        )
        print(
            f"{fmt:6} {base:7.2f} {ms['parse']:6.2f} "
            f"{ms['strict']:6.2f} ({ms['strict'] / base:3.1f}x) {full:>16} "
            f"{ms['second']:8.2f} ({ms['second'] / base:3.1f}x)"
        )
    if failed:
        raise SystemExit("rendering is over the goal")


if __name__ == "__main__":
    main()
