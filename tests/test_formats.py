"""Markdown, HTML, JSON and NDJSON articles: fields, hygiene, and clear errors for bad ones."""

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import Clock, Site
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import hostile
from test_feeds import feed_is_valid

from feedsvc.store import RecordError, formats
from feedsvc.store.formats import FileInfo
from feedsvc.store.record import SiteContext

SITE = SiteContext("https://example.org/news/{slug}/", ZoneInfo("Asia/Almaty"), 60)


def info(key: str = "a.md") -> FileInfo:
    return FileInfo("files", key, key, SITE)


MARKDOWN = """+++
id = "story-1042"
title = "Tram Line Opens to the Station"
author = ["Мария Лебедева", "Tomas Brightwater"]
categories = ["Transport", "City"]
tags = ["trams"]
region = "north"
language = "ru"
published = 2026-11-20
updated = "2026-11-21T10:15:00+05:00"
image = { url = "img/tram.jpg", alt = "A red tram", type = "image/jpeg", length = 48213 }
+++
The **new line** runs [to the station](/stations/central) in fifteen minutes,
the city said on Wednesday.

| Stop | Minutes |
| --- | --- |
| Market | 4 |
"""


def test_markdown_with_front_matter_gives_every_field():
    article = formats.FORMATS["markdown"](MARKDOWN, info()).articles[0]
    assert article.explicit_id == "story-1042"
    assert article.title == "Tram Line Opens to the Station"
    assert article.authors == ("Мария Лебедева", "Tomas Brightwater")
    assert article.categories == ("Transport", "City")
    assert article.tags == ("trams",)
    assert (article.region, article.language) == ("north", "ru")
    # A date alone is midnight in the site's zone (UTC+5 here).
    assert article.published == datetime(2026, 11, 19, 19, 0, tzinfo=UTC)
    assert article.updated == datetime(2026, 11, 21, 5, 15, tzinfo=UTC)
    assert (
        article.image.url == "https://example.org/news/tram-line-opens-to-the-station/img/tram.jpg"
    )
    assert (article.image.alt, article.image.type, article.image.length) == (
        "A red tram",
        "image/jpeg",
        48213,
    )
    assert "<strong>new line</strong>" in article.body_html
    assert '<a href="https://example.org/stations/central">to the station</a>' in article.body_html
    assert "<table>" in article.body_html and "<td>Market</td>" in article.body_html
    assert article.summary_html == "The new line runs to the station in fifteen minutes, the…"


def test_html_bodies_are_sanitised_but_keep_what_news_needs():
    text = """+++
title = "Storm Damage"
url = "https://example.org/2026/storm/"
+++
<p onclick="steal()">Roofs were <em>torn off</em>.<script>alert(1)</script></p>
<style>p { color: red }</style><iframe src="https://ads.example/x">frame</iframe>
<a href="javascript:alert(1)">click</a> <a href="photos.html">Photos</a>
<figure><img src="/img/roof.jpg" alt="A roof" onerror="x()"><figcaption>Damage</figcaption></figure>
<blockquote>It was loud.</blockquote><ul><li>one</li></ul><h2>Next</h2>
"""
    body = formats.FORMATS["html"](text, info("a.html")).articles[0].body_html
    for gone in (
        "onclick",
        "script",
        "alert",
        "style",
        "color: red",
        "iframe",
        "frame",
        "onerror",
        "javascript:",
    ):
        assert gone not in body, gone
    assert "<em>torn off</em>" in body
    # A frame from a site no reader knows is a link to it, not nothing.
    assert '<a href="https://ads.example/x">Embedded content: ads.example</a>' in body
    assert '<a href="https://example.org/2026/storm/photos.html">Photos</a>' in body
    assert '<img src="https://example.org/img/roof.jpg" alt="A roof">' in body
    for kept in (
        "<figure>",
        "<figcaption>Damage</figcaption>",
        "<blockquote>",
        "<li>one</li>",
        "<h2>",
    ):
        assert kept in body


def test_text_is_nfc_and_free_of_control_characters():
    decomposed = "Cafe\u0301 reopens\x0b"  # e + combining acute, and a vertical tab
    text = json.dumps({"title": decomposed, "body_html": f"<p>{decomposed}</p>"})
    article = formats.FORMATS["json"](text, info("a.json")).articles[0]
    assert article.title == "Café reopens"
    assert article.body_html == "<p>Café reopens</p>"


def test_a_json_file_holds_one_article_or_a_list_and_ndjson_one_a_line():
    one = formats.parse_json('{"title": "One", "body_markdown": "Text."}', info("a.json"))
    assert [a.key for a in one.articles] == ["a.json"]
    many = formats.parse_json(
        '[\n {"title": "One", "body_html": "<p>1</p>"},\n {"title": "Two", "body_html": "<p>2</p>"}\n]',
        info("a.json"),
    )
    assert [(a.key, a.title) for a in many.articles] == [("a.json#1", "One"), ("a.json#2", "Two")]
    lines = '{"title": "One", "body_html": "x"}\n\n{"title": "Two", "body_html": "y"}\n'
    assert [a.title for a in formats.parse_ndjson(lines, info("a.ndjson")).articles] == [
        "One",
        "Two",
    ]


def test_a_bad_record_among_many_is_reported_on_its_line_and_the_rest_go_in():
    text = "\n".join(
        [
            '{"title": "One", "body_html": "x"}',
            '{"title": "Two", "body_html": "y", "published": "last Tuesday"}',
            "{not json",
            '{"title": 5, "body_html": "z"}',
            '{"title": "Five", "body_markdown": "ok"}',
        ]
    )
    parsed = formats.parse_ndjson(text, info("a.ndjson"))
    assert [a.title for a in parsed.articles] == ["One", "Five"]
    assert [(p.line, p.reason.split(":")[0]) for p in parsed.problems] == [
        (2, "published"),
        (3, "not valid JSON"),
        (4, "title"),
    ]
    assert "unknown date format 'last Tuesday' (use RFC 3339" in parsed.problems[0].reason
    listed = formats.parse_json(
        '[\n  {"title": "One", "body_html": "x"},\n\n  {"title": "Two", "draft": "yes", "body_html": "y"}\n]',
        info("a.json"),
    )
    assert [(p.line, p.reason) for p in listed.problems] == [
        (4, "draft: must be true or false, got 'yes'")
    ]


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("no fence\n", 1, "no front matter: the file must start with a +++ line"),
        ("+++\ntitle = 'x'\n", 1, "front matter is never closed"),
        ("+++\ntitle = 'x'\nauthor = [1,\n+++\nbody\n", 4, "front matter is not valid TOML"),
        (
            "+++\ntitle = 'x'\npublished = 'soon'\n+++\nbody\n",
            3,
            "published: unknown date format 'soon'",
        ),
        (
            "+++\ntitle = 'x'\ncategories = 7\n+++\nbody\n",
            3,
            "categories: must be a string or a list",
        ),
        ("+++\ntitel = 'x'\n+++\nbody\n", 1, "unknown field 'titel'"),
        ("+++\nauthor = 'A'\n+++\nbody\n", 1, "title: required"),
        (
            "+++\ntitle = 'x'\nurl = '/relative/'\n+++\nbody\n",
            3,
            "url: must be an absolute http(s) URL",
        ),
        ("+++\ntitle = 'x'\n[image]\nalt = 'no url'\n+++\nb\n", 3, "image.url: required"),
    ],
)
def test_broken_front_matter_names_its_line(text: str, line: int, reason: str):
    with pytest.raises(RecordError) as caught:
        formats.FORMATS["markdown"](text, info())
    assert caught.value.line == line
    assert caught.value.reason.startswith(reason), caught.value.reason


def test_bad_files_in_the_store_are_reported_as_path_line_reason(site: Site):
    site.configure(extra="[store]\nmax_file_size = 2000\n")
    site.write("good.md", "+++\ntitle = 'Good'\n+++\nFine.\n")
    site.write("broken.md", "+++\ntitle = 'Broken'\npublished = 2026-13-45\n+++\nx\n")
    site.write("huge.md", "+++\ntitle = 'Huge'\n+++\n" + "word " * 1000)
    (site.articles / "bad-utf8.json").write_bytes(b'{"title": "caf\xe9"}')
    outside = site.root / "outside.md"
    outside.write_text("+++\ntitle = 'Outside'\n+++\nSecret.\n")
    (site.articles / "link.md").symlink_to(outside)
    report = site.build()
    assert report.ok and report.articles == 1
    found = sorted(str(p) for p in report.problems)
    assert found == sorted(
        [
            f"{site.articles / 'bad-utf8.json'}:1: not UTF-8: byte 0xe9 at offset 14",
            f"{site.articles / 'broken.md'}:3: front matter is not valid TOML: Expected newline or end of document after a statement",
            f"{site.articles / 'huge.md'}: file too large: 5023 bytes, the limit is 2000",
            f"{site.articles / 'link.md'}: symlink to a file outside the article folder",
        ]
    )


def test_drafts_and_future_articles_stay_out_until_due(site: Site, clock: Clock):
    when = (clock.now + timedelta(hours=1)).isoformat()
    site.write("draft.md", "+++\ntitle = 'Draft'\ndraft = true\n+++\nNot yet.\n")
    site.write("later.md", f"+++\ntitle = 'Later'\npublished = '{when}'\n+++\nSoon.\n")
    site.write("now.md", "+++\ntitle = 'Now'\n+++\nHere.\n")
    site.build(clock=clock)

    def titles() -> list[str]:
        return [e.title for e in feedparser.parse((site.feeds / "main.atom").read_bytes()).entries]

    assert titles() == ["Now"]
    clock.advance(60 * 60)
    site.build(clock=clock)
    assert titles() == ["Later", "Now"]
    entry = feedparser.parse((site.feeds / "main.atom").read_bytes()).entries[0]
    assert entry.published == when
    published = "+++\ntitle = 'Draft'\n+++\nNow it is out.\n"
    site.write("draft.md", published, at=clock.advance())  # a second after "Later"
    site.build(clock=clock)
    assert titles()[0] == "Draft"


def test_an_edit_that_keeps_size_and_time_is_not_even_read(site: Site):
    """Rescans look at size and modification time only: an unchanged file is never opened."""
    path = site.write("a.md", "+++\ntitle = 'Alpha'\n+++\nOne.\n")
    site.build()
    stat = path.stat()
    path.write_text("+++\ntitle = 'Omega'\n+++\nOne.\n")  # same length
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert site.build().written == []
    os.utime(path, None)
    site.build()
    assert "Omega" in (site.feeds / "main.rss").read_text()


def test_folder_formats_override_the_extension(site: Site):
    site.configure(extra='[store]\nformats = { "legacy" = "text" }\n')
    site.write("legacy/old-page.html", "Old Page Headline\n\nPlain text, not HTML.\n")
    report = site.build()
    assert report.problems == []
    assert "Old Page Headline" in (site.feeds / "main.rss").read_text()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile, hostile, st.lists(hostile, max_size=30))
def test_hostile_front_matter_and_json_give_an_article_or_a_clear_error(title, body, categories):
    documents = {
        "markdown": "+++\n"
        + f"title = {json.dumps(title)}\ncategories = {json.dumps(categories)}\n+++\n{body}",
        "html": "+++\n" + f"title = {json.dumps(title)}\n+++\n{body}",
        "json": json.dumps({"title": title, "body_html": body, "categories": categories}),
        "ndjson": json.dumps({"title": title, "body_markdown": body}) + "\n" + body,
    }
    for fmt, text in documents.items():
        try:
            parsed = formats.FORMATS[fmt](text, info())
        except RecordError as exc:
            assert exc.reason
            continue
        for problem in parsed.problems:
            assert problem.reason and problem.line
        for article in parsed.articles:
            feed_is_valid(article)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(list(formats.FORMATS)))
def test_any_text_in_any_format_never_crashes(text: str, fmt: str):
    try:
        formats.FORMATS[fmt](text, info())
    except RecordError as exc:
        assert exc.reason


def test_the_documented_front_matter_example_parses():
    page = Path(__file__).resolve().parents[1] / "docs" / "stores.md"
    example = page.read_text(encoding="utf-8").split("```toml\n+++\n", 1)[1].split("```", 1)[0]
    article = formats.FORMATS["markdown"]("+++\n" + example, info()).articles[0]
    assert article.title == "Tram Line Opens to the Station"
    assert article.image.url == "https://example.org/2026/tram/img/tram.jpg"


def test_nesting_deeper_than_the_parsers_recurse_refuses_that_file_only(site: Site):
    """Past about a thousand levels Python's JSON and TOML parsers raise RecursionError:
    the file is refused on its line, the others go in."""
    site.configure()
    site.write("good.md", "+++\ntitle = 'Good'\n+++\nFine.\n")
    site.write("deep.json", "[" * 1500 + "]" * 1500)
    site.write(
        "deep.ndjson",
        '{"title": "Fine too", "body_html": "<p>x</p>"}\n' + "[" * 1500 + "]" * 1500 + "\n",
    )
    site.write("deep.md", "+++\ntitle = 'Deep'\ntags = " + "[" * 1500 + "]" * 1500 + "\n+++\nx\n")
    report = site.build()
    assert report.ok and report.articles == 2
    assert sorted(str(p) for p in report.problems) == [
        f"{site.articles / 'deep.json'}:1: JSON nested too deep to read",
        f"{site.articles / 'deep.md'}:2: front matter is nested too deep to read",
        f"{site.articles / 'deep.ndjson'}:2: JSON nested too deep to read",
    ]
