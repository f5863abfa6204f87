"""The built feeds: what a feed reader finds in them, and that only good ones are published."""

import gzip
import locale
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import feedparser
import pytest
from conftest import CORPUS, Site, page
from feedgen.util import formatRFC2822
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feedsvc.core.model import FeedItem, FeedMeta, Image
from feedsvc.feeds import check, roundtrip
from feedsvc.feeds.formats import FORMATS
from feedsvc.store import RecordError, formats
from feedsvc.store.formats import FileInfo
from feedsvc.store.record import SiteContext

INFO = FileInfo(
    "files", "a.txt", "a.txt", SiteContext("https://example.org/{slug}/", ZoneInfo("UTC"), 300)
)
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def test_rss_and_atom_carry_full_content_summary_author_and_self_link(site: Site):
    site.write(
        "tram.txt",
        page(
            "Трамвай дошёл до вокзала",
            "Новая линия открыта.",
            "Поездка занимает 15 минут & стоит 40 рублей.",
            author="Мария Лебедева",
        ),
    )
    report = site.build()
    assert report.ok and report.articles == 1
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    item = rss.find("channel/item")
    assert item.findtext("title") == "Трамвай дошёл до вокзала"
    assert item.findtext("dc:creator", namespaces=NS) == "Мария Лебедева"
    assert "<p>Поездка занимает 15 минут &amp; стоит 40 рублей.</p>" in item.findtext(
        "content:encoded", namespaces=NS
    )
    assert item.findtext("description") == "Новая линия открыта."
    assert item.find("guid").get("isPermaLink") == "false"
    self_link = rss.find("channel/atom:link[@rel='self']", NS)
    assert self_link.get("href") == f"{site.url}feeds/main.rss"
    assert rss.findtext("channel/language") == "en"

    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    entry = atom.find("atom:entry", NS)
    assert entry.find("atom:content", NS).get("type") == "html"
    assert entry.findtext("atom:summary", namespaces=NS) == "Новая линия открыта."
    assert entry.findtext("atom:author/atom:name", namespaces=NS) == "Мария Лебедева"
    assert atom.find("atom:link[@rel='self']", NS).get("href") == f"{site.url}feeds/main.atom"
    assert entry.find("atom:link", NS).get("rel") == "alternate"
    assert atom.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"


def test_every_feed_has_a_gzip_twin_with_the_same_bytes(site: Site):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    for name in ("main.rss", "main.atom", "latest.rss", "latest.atom"):
        body = (site.feeds / name).read_bytes()
        assert gzip.decompress((site.feeds / f"{name}.gz").read_bytes()) == body


def test_main_feed_keeps_the_newest_50(site: Site):
    for number in range(55):
        site.write(f"{number:02}.txt", page(f"Story number {number}", "Text."))
    site.build()
    assert len(feedparser.parse((site.feeds / "main.rss").read_bytes()).entries) == 50


def test_a_page_alone_gives_a_20_item_latest_feed(site: Site):
    shutil.copy(CORPUS / "river-port-page.txt", site.articles)
    site.build()
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse((site.feeds / f"latest.{fmt}").read_bytes())
        assert not parsed.bozo
        assert len(parsed.entries) == 20
        first = parsed.entries[0]
        assert first.title == "Tram Line Reaches the New Hospital Three Months Early"
        assert (
            first.link
            == "https://example.org/tram-line-reaches-the-new-hospital-three-months-early/"
        )


def test_latest_news_file_wins_and_matches_headlines_loosely(site: Site):
    site.write("budget.txt", page('Council Agrees "Lean" Budget', "The council voted."))
    site.write("page.txt", page("Other", "Body.", latest=["Ignored Because The File Has A List"]))
    (site.root / "latest-news.txt").write_text(
        "- council   agrees “lean” BUDGET\n\n"
        "- Ферри вернулся в порт\n"
        "- Council Agrees 'Lean' Budget\n"
    )
    site.build()
    entries = feedparser.parse((site.feeds / "latest.atom").read_bytes()).entries
    assert [e.title for e in entries] == ['Council Agrees "Lean" Budget', "Ферри вернулся в порт"]
    main_ids = {
        e.title: e.id for e in feedparser.parse((site.feeds / "main.atom").read_bytes()).entries
    }
    assert entries[0].id == main_ids['Council Agrees "Lean" Budget']
    assert "content" in entries[0]
    assert (
        entries[1].link
        == "https://example.org/%D1%84%D0%B5%D1%80%D1%80%D0%B8-%D0%B2%D0%B5%D1%80%D0%BD%D1%83%D0%BB%D1%81%D1%8F-%D0%B2-%D0%BF%D0%BE%D1%80%D1%82/"
    )
    assert "content" not in entries[1]


def test_without_a_list_file_the_newest_page_section_is_used(site: Site):
    site.write("page.txt", page("Other", "Body.", latest=["From The Page"]))
    site.build()
    entries = feedparser.parse((site.feeds / "latest.rss").read_bytes()).entries
    assert [e.title for e in entries] == ["From The Page"]


def test_a_headline_item_keeps_its_guid_and_date_across_builds(site: Site):
    (site.root / "latest-news.txt").write_text("Wind Warning for the Coast\n")
    site.build()
    first = feedparser.parse((site.feeds / "latest.atom").read_bytes()).entries[0]
    (site.root / "latest-news.txt").write_text("New Headline\nWind Warning for the Coast\n")
    site.build()
    second = feedparser.parse((site.feeds / "latest.atom").read_bytes()).entries[1]
    assert (second.id, second.updated) == (first.id, first.updated)


def test_a_bad_file_is_reported_and_skipped_while_the_others_go_in(site: Site):
    site.write("good.txt", page("Good Story", "Fine."))
    (site.articles / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (site.articles / "latin1.txt").write_bytes(b"Caf\xe9\n\nBody.\n")
    site.write("empty.txt", "")
    site.write("photo.jpg", "not really")
    report = site.build()
    assert report.ok and report.articles == 1
    reasons = sorted(str(p) for p in report.problems)
    assert reasons == sorted(
        [
            f"{site.articles / 'binary.txt'}: binary file, not text (it contains NUL bytes)",
            f"{site.articles / 'empty.txt'}: empty file",
            f"{site.articles / 'latin1.txt'}:1: not UTF-8: byte 0xe9 at offset 3",
            f"{site.articles / 'photo.jpg'}: not an article: unsupported file type '.jpg'",
        ]
    )
    titles = [e.title for e in feedparser.parse((site.feeds / "main.rss").read_bytes()).entries]
    assert titles == ["Good Story"]


def test_a_feed_failing_validation_is_not_published_and_the_last_good_one_stays(
    site: Site, monkeypatch
):
    site.write("a.txt", page("First Story", "One."))
    site.build()
    good = (site.feeds / "main.atom").read_bytes()
    # A fault no real input makes feedgen show: the renderer cuts its output short.
    real = FORMATS["atom"]
    cut = replace(real, render=lambda meta, items: real.render(meta, items)[:-40])
    monkeypatch.setitem(FORMATS, "atom", cut)
    site.write("b.txt", page("Second Story", "Two."))
    report = site.build()
    assert not report.ok
    assert any("feeds/main.atom: not published: not well-formed" in f for f in report.failures)
    assert (site.feeds / "main.atom").read_bytes() == good
    assert "Second Story" in (site.feeds / "main.rss").read_text()


def _item(**overrides) -> FeedItem:
    when = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)
    fields = {"guid": "urn:uuid:1", "title": "T", "link": "https://example.org/t/"}
    return FeedItem(**{**fields, "published": when, "updated": when, **overrides})


NOW = datetime(2026, 11, 3, tzinfo=UTC)


def _meta() -> FeedMeta:
    return FeedMeta(
        key="main",
        title="Example",
        description="d",
        site_url="https://example.org/",
        feed_id="urn:uuid:feed",
        language="en",
        updated=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        links={"self": {fmt: f"http://127.0.0.1/feeds/main.{fmt}" for fmt in FORMATS}},
        author="Example News",
    )


def strict(body: bytes, items, fmt: str) -> list[str]:
    return check.problems(body, items, fmt, NOW)


@pytest.mark.parametrize("checker", [strict, roundtrip.problems], ids=["strict", "feedparser"])
@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_both_checks_catch_feeds_that_read_back_wrong(fmt: str, checker):
    items = [_item()]
    body = FORMATS[fmt].render(_meta(), items)
    assert checker(body, items, fmt) == []
    assert checker(body[:-30], items, fmt)[0].startswith("not well-formed")
    assert checker(b"\n" + body, items, fmt) != []
    assert "1 items read back, 2 written" in checker(body, [*items, _item(guid="x")], fmt)[0]
    wrong = checker(body, [_item(guid="urn:uuid:2", title="Other")], fmt)
    assert any("id reads back" in p for p in wrong) and any("title reads back" in p for p in wrong)


@pytest.mark.parametrize(
    ("fmt", "damage", "message"),
    [
        (
            "rss",
            (b"<pubDate>Mon, 02 Nov 2026", b"<pubDate>Mon, 02 Nov 26"),
            "is not RFC 822 with a 4-digit year",
        ),
        ("rss", (b'<guid isPermaLink="false">urn:uuid:1</guid>', b""), "no <guid>"),
        (
            "rss",
            (b"<link>https://example.org/t/</link>", b"<link>/t/</link>"),
            "is not an absolute http(s) URL",
        ),
        ("atom", (b"<id>urn:uuid:1</id>", b"<id>1</id>"), "id '1' is not an absolute IRI"),
        (
            "atom",
            (
                b"<updated>2026-11-02T08:30:00+00:00</updated>\n    <link",
                b"<updated>2 Nov 2026</updated>\n    <link",
            ),
            "not RFC 3339",
        ),
        (
            "atom",
            (
                b'rel="alternate" type="text/html"/>',
                b'rel="alternate" type="text/html"/><link href="https://x.org/" rel="alternate" type="text/html"/>',
            ),
            "more than one alternate link",
        ),
    ],
)
def test_the_strict_check_enforces_the_format_rules(
    fmt: str, damage: tuple[bytes, bytes], message: str
):
    items = [_item()]
    body = FORMATS[fmt].render(_meta(), items)
    assert damage[0] in body
    broken = body.replace(*damage)
    assert any(message in problem for problem in strict(broken, items, fmt)), strict(
        broken, items, fmt
    )


def test_a_bare_guid_gets_an_atom_id_that_is_an_iri():
    item = _item(guid="1042")
    atom = FORMATS["atom"].render(_meta(), [item])
    assert b"<id>tag:feedsvc,2026:guid/1042</id>" in atom
    assert b'<guid isPermaLink="false">1042</guid>' in FORMATS["rss"].render(_meta(), [item])
    assert strict(atom, [item], "atom") == []


def test_rendering_is_deterministic():
    full = _item(
        guid="urn:uuid:2", title="Two", authors=("A",), summary_html="s", body_html="<p>b</p>"
    )
    items = [_item(), full]
    for fmt, form in FORMATS.items():
        assert form.render(_meta(), items) == form.render(_meta(), items), fmt


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_rss_dates_are_feedgens_own_without_touching_the_process_locale(
    when: datetime, minutes: int
):
    """feedgen's date writer sets the process-wide locale twice a date (pitfall 11): ours
    writes the same text, and rendering leaves the locale alone (another thread's)."""
    when = when.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes)))
    item = _item(published=when, updated=when)
    meta = replace(_meta(), updated=when)

    def refused(*args):
        raise AssertionError(f"the process-wide locale was set: {args}")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(locale, "setlocale", refused)
        body = FORMATS["rss"].render(meta, [item])
    written = formatRFC2822(when)  # feedgen's own, in this process's C locale
    assert f"<pubDate>{written}</pubDate>".encode() in body
    assert f"<lastBuildDate>{written}</lastBuildDate>".encode() in body


def test_every_format_a_config_may_name_is_one_module_that_renders_reads_and_names_it():
    from feedsvc.core.config import FORMATS as CONFIGURABLE
    from feedsvc.core.layout import CONTENT_TYPES

    assert tuple(FORMATS) == CONFIGURABLE, "RSS first: the one a reader is offered first"
    items = [_item()]
    for fmt, form in FORMATS.items():
        assert CONTENT_TYPES[fmt].startswith(form.media_type), "served as it is linked"
        assert form.label and form.name == fmt
        body = form.render(_meta(), items)
        assert strict(body, items, fmt) == []
        for other in FORMATS:
            if other != fmt:
                assert strict(body, items, other), f"{other}'s reader refuses {fmt}"


def feed_is_valid(article) -> None:
    """Render an article both ways and require the strict read-back to pass."""
    item = FeedItem(
        guid="urn:uuid:1",
        title=article.title,
        link="https://example.org/x/",
        published=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        updated=datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
        summary_html=article.summary_html,
        body_html=article.body_html,
        authors=article.authors,
        categories=article.categories,
        image=article.image,
        media=article.media,
    )
    for fmt, form in FORMATS.items():
        body = form.render(_meta(), [item])
        assert strict(body, [item], fmt) == []
        if form.feedparser_reads:
            assert roundtrip.problems(body, [item], fmt) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(min_size=1, max_size=300), st.text(max_size=600), st.text(max_size=40))
def test_any_article_text_gives_a_valid_feed(headline: str, body: str, author: str):
    text = f"{headline}\n\n{body}\nOriginal Author: {author}\n"
    try:
        parsed = formats.parse_text(text, INFO)
    except RecordError:
        return
    feed_is_valid(parsed.articles[0])


RICH = {
    "image": Image("https://cdn.example.org/a.jpg", "", "image/jpeg", 5),
    "authors": ("A",),
    "summary_html": "s",
    "body_html": "<p>b</p>",
}


@pytest.mark.parametrize(
    ("fmt", "damage", "message"),
    [
        ("rss", (b' length="5"', b""), "enclosure without a length in bytes and a type"),
        (
            "rss",
            (b'isPermaLink="false">urn:uuid:1', b'isPermaLink="true">urn:uuid:1'),
            "permalink guid 'urn:uuid:1' is not an absolute http(s) URL",
        ),
        ("json", (b'"content_html": "<p>b</p>",', b""), "neither content_html nor content_text"),
        ("json", (b'"2026-11-02T08:30:00+00:00"', b'"2 Nov 2026"'), "is not RFC 3339"),
        ("json", (b'"url": "https://cdn', b'"url": "//cdn'), "attachment '//cdn"),
        (
            "json",
            (b'"version": "https://jsonfeed.org/version/1.1"', b'"version": "1"'),
            "not a JSON Feed 1.1",
        ),
        ("json", (b'"id": "urn:uuid:1"', b'"id": 1'), "item 1: no id"),
        ("json", (b"{", b"[", 1), "not valid JSON"),
    ],
)
def test_the_strict_check_holds_every_format_to_its_rules(fmt, damage, message):
    items = [_item(**RICH)]
    body = FORMATS[fmt].render(_meta(), items)
    assert strict(body, items, fmt) == []
    assert damage[0] in body
    broken = body.replace(*damage)
    found = strict(broken, items, fmt)
    assert any(message in problem for problem in found), found


def test_an_atom_entry_without_author_is_refused_when_the_feed_names_none():
    items = [_item(**{**RICH, "authors": ()})]
    body = FORMATS["atom"].render(replace(_meta(), author=""), items)
    assert any("no <author>, and the feed names none" in p for p in strict(body, items, "atom"))
    assert strict(FORMATS["atom"].render(_meta(), items), items, "atom") == []


def test_no_date_in_the_future_passes():
    future = datetime(2026, 11, 4, tzinfo=UTC)  # NOW is 3 November
    items = [_item(published=future, updated=future)]
    for fmt, form in FORMATS.items():
        assert any(
            "dated in the future" in p for p in strict(form.render(_meta(), items), items, fmt)
        )
