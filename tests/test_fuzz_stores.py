"""The fuzz harness for the stores test_fuzz.py does not reach: Markdown front matter,
SQL rows (SQLite's columns take any type), a partner's feed, and an embedder's own
store of SourceArticles. Whatever a record holds, the build publishes every feed, and
each record is in the main feed or named in the build's problems: one door for all.

Bounded here; FEEDSVC_FUZZ_SCALE multiplies the examples (the long run: docs/development.md).
"""

import json
import math
import sqlite3
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import feedparser
from conftest import Site, free_port
from fuzz_fields import WRONG_TYPES, records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_api import ListStore, article
from test_feed_store import feed_store, origin  # noqa: F401 (origin: the fixture)
from test_fuzz import _examples, _stored, _visible
from test_sql_store import configure as configure_sql

from feedsvc import open_site

SETTINGS = settings(
    max_examples=_examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _toml(value: object) -> str | None:
    """TOML for a value, None for what TOML cannot say (a null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)  # JSON's escapes are TOML basic-string escapes
    if isinstance(value, list | tuple):
        return "[" + ", ".join(filter(None, map(_toml, value))) + "]"
    if isinstance(value, dict):
        pairs = [(json.dumps(str(k)), _toml(v)) for k, v in value.items()]
        return "{" + ", ".join(f"{k} = {v}" for k, v in pairs if v is not None) + "}"
    raise TypeError(value)


def front_matter(fields: dict) -> str:
    """A Markdown article: the record's fields but its body as front matter."""
    lines = [
        f"{json.dumps(name)} = {said}"
        for name, value in fields.items()
        if name not in ("body_html", "body_markdown") and (said := _toml(value)) is not None
    ]
    body = fields.get("body_markdown") or fields.get("body_html")
    return "+++\n" + "\n".join(lines) + "\n+++\n" + (body if isinstance(body, str) else "x")


def new_site(folder: Path, extra: str = "") -> Site:
    site = Site(folder / "site", free_port())
    site.articles.mkdir(parents=True)
    site.configure(extra=extra)
    return site


def in_main_or_named(site: Site, report, names: list[str], held: int = 0) -> None:
    """Every feed published, and each record in the main feed, in a problem or `held`
    (a draft, or dated later than now)."""
    assert report.ok, report.failures
    main = json.loads((site.feeds / "main.json").read_text(encoding="utf-8"))
    said = " ".join(f"{p.path} {p.reason}" for p in report.problems)
    assert len(main["items"]) + sum(name in said for name in names) + held >= len(names)


def held_back(batch: list[dict]) -> int:
    """Records that go in but are not shown yet: drafts, and stories dated ahead."""
    now = datetime.now(UTC)
    return sum(_visible(a, now) is False and a is not None for a in map(_stored, batch))


@SETTINGS
@given(st.lists(records(), min_size=1, max_size=5))
def test_any_front_matter_goes_in_or_its_file_is_named(batch: list[dict]):
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder))
        names = [f"story{n}.md" for n in range(len(batch))]
        for name, fields in zip(names, batch, strict=True):
            site.write(name, front_matter(fields))
        in_main_or_named(site, site.build(), names, held_back(batch))


SQL_VALUES = (
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=True) | st.text(max_size=40)
    | st.binary(max_size=20) | st.sampled_from(["²", "٣٤", "2026-13-45", "9" * 40, "<p>x</p>"])
)  # fmt: skip
SQL_ROWS = st.fixed_dictionaries(
    {
        "title": st.text(min_size=1, max_size=30) | SQL_VALUES,
        "body": st.just("<p>Text.</p>") | SQL_VALUES,
        "author": SQL_VALUES,
        "section": SQL_VALUES,
        "published": st.sampled_from(["2026-11-01T10:00:00Z", "2026-11-02"]) | SQL_VALUES,
    }
)


@SETTINGS
@given(st.lists(SQL_ROWS, min_size=1, max_size=5))
def test_any_sql_row_goes_in_or_is_named(rows: list[dict]):
    """SQLite keeps whatever type each value has: ints, floats, blobs, nulls, text."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cms.db"
        with sqlite3.connect(path) as db:
            db.execute(
                "CREATE TABLE stories"
                " (article_id, headline, text_html, written_by, section, created_at)"
            )
            for number, row in enumerate(rows):
                db.execute("INSERT INTO stories VALUES (?, ?, ?, ?, ?, ?)", (number, *row.values()))
        db.close()
        site = new_site(Path(folder))
        configure_sql(site, f"sqlite:///{path}", 'table = "stories"')
        in_main_or_named(site, site.build(), [f"row id={n} " for n in range(len(rows))])


HOSTILE_ATTRIBUTE = st.sampled_from(["²", "٣٤", "-1", "9" * 40, "", "1e3", "0x10", " 12 "])
FEED_ITEMS = st.fixed_dictionaries(
    {
        "title": st.text(min_size=1, max_size=20).map(lambda t: t.replace("]]>", "")),
        "length": HOSTILE_ATTRIBUTE | st.integers(0, 10**13).map(str),
        "date": st.sampled_from(
            ["Tue, 05 Mar 2024 08:00:00 +0300", "yesterday", "", "Mon, 99 Foo"]
        ),
        "link": st.sampled_from(["/a", "https://partner.example/b", "javascript:x", "", "//x"]),
    }
)


def partner_feed(items: list[dict]) -> bytes:
    written = "".join(
        f"<item><title><![CDATA[{item['title']}]]></title><link>{item['link']}</link>"
        f"<guid isPermaLink='false'>p{number}</guid><pubDate>{item['date']}</pubDate>"
        f"<description>Words.</description><enclosure url='https://partner.example/{number}.mp3'"
        f" type='audio/mpeg' length='{item['length']}'/></item>"
        for number, item in enumerate(items)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>Partner</title>"
        f"<link>https://partner.example/</link><description>d</description>{written}"
        "</channel></rss>"
    ).encode()


@SETTINGS
@given(items=st.lists(FEED_ITEMS, min_size=1, max_size=5))
def test_any_partner_feed_item_goes_in_or_is_named(origin, items: list[dict]):  # noqa: F811
    """Enclosure lengths in digits no int() takes, dates no parser knows, bad links."""
    base, handler = origin
    handler.routes["/partner.rss"] = (200, {}, partner_feed(items))
    with tempfile.TemporaryDirectory() as folder:
        site = new_site(Path(folder))
        feed_store(site, base + "/partner.rss")
        report = site.build()
        assert report.ok, report.failures
        shown = feedparser.parse((site.feeds / "main.rss").read_bytes()).entries
        assert len(shown) + len(report.problems) >= len(items), report.problems


ARTICLE_FIELDS = (
    "title", "body_html", "summary_html", "authors", "categories", "tags", "region",
    "language", "explicit_id", "slug", "url", "image", "media", "episode", "published",
    "updated", "draft", "latest",
)  # fmt: skip


@SETTINGS
@given(
    faults=st.lists(
        st.dictionaries(st.sampled_from(ARTICLE_FIELDS), WRONG_TYPES | st.just((object(),))),
        min_size=1,
        max_size=5,
    )
)
def test_any_article_of_an_embedders_store_goes_in_or_is_named(tmp_path_factory, faults):
    """SourceArticles built by an embedder's code, any field of any type."""
    config = tmp_path_factory.mktemp("site") / "site.toml"
    config.write_text('[site]\nbase_url = "https://feeds.example.org/"\n', encoding="utf-8")
    made = [replace(article(f"k{n}", f"Story {n}"), **fields) for n, fields in enumerate(faults)]
    with open_site(config, stores=[ListStore(*made)]) as site:
        report = site.build()
    assert report.ok, report.failures
    main = json.loads((config.parent / "public" / "feeds" / "main.json").read_text())
    said = " ".join(f"{p.path} {p.reason}" for p in report.problems)
    drafts = sum(fields.get("draft") is True for fields in faults)
    assert len(main["items"]) + sum(f"k{n}" in said for n in range(len(made))) + drafts >= len(made)
