"""feedsvc from Python (feedsvc.api): the documented example (docs/api.md) runs as written, a store
made outside feedsvc has its articles held to a record's rules, and the site's clock
is the one its builds and takedowns go by."""

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import pytest

from feedsvc import Scan, SourceArticle, SourceScan, open_site

API_PAGE = Path(__file__).resolve().parents[1] / "docs" / "api.md"
NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def documented_example() -> str:
    section = API_PAGE.read_text(encoding="utf-8").split("## Use it from Python", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_documented_example_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    exec(compile(documented_example(), "docs/api.md", "exec"), {"__name__": "example"})
    assert capsys.readouterr().out.startswith("True ['feeds/main/archive/1.rss'")
    feed = feedparser.parse((tmp_path / "public/feeds/main.atom").read_bytes())
    assert [e.title for e in feed.entries] == ["Harbour Ferry Returns"], "the tram taken down"
    (ferry,) = feed.entries
    assert 'href="https://news.example.org/timetable"' in ferry.content[0].value


class ListStore:
    """A store of the embedder's own: whatever SourceArticles it is given."""

    name = "cms"

    def __init__(self, *articles: SourceArticle) -> None:
        self.articles = articles

    def scan(self, memory, progress=None) -> Scan:
        scan = Scan(self.name, present={a.key for a in self.articles})
        scan.changed = [SourceScan(a.key, None, [a]) for a in self.articles]
        return scan


def article(key: str, title: str, body: str = "<p>Body.</p>", **fields) -> SourceArticle:
    return SourceArticle(
        store="cms", key=key, origin=f"cms:{key}", title=title, body_html=body,
        **{"summary_html": "", **fields},
    )  # fmt: skip


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        '[site]\nbase_url = "https://feeds.example.org/"\n'
        'article_url = "https://news.example.org/{slug}/"\n',
        encoding="utf-8",
    )
    return path


def test_a_custom_stores_articles_are_sanitised_and_a_bad_one_is_skipped(config: Path):
    store = ListStore(
        article(
            "good",
            "Rates\u202e Held",  # a bidi override, stripped as from a file
            '<p onclick="steal()">Held. <a href="javascript:alert(1)">x</a>'
            '<img src="/chart.png"></p><script>steal()</script>',
            url="https://news.example.org/rates",
        ),
        article("long", "x" * 501),
        article("future", "Far Off", published=datetime(3500, 1, 1, tzinfo=UTC)),
        # a page's own latest-news list that is not a list (it stopped every build:
        # the fuzzing of embedders' stores found it)
        article("listless", "No List", latest=True),
    )
    with open_site(config, stores=[store]) as site:
        report = site.build()
        assert report.ok, report.failures
        refused = {str(p) for p in report.problems}
        assert any(p.startswith("cms:long") and "title" in p for p in refused), refused
        assert any(p.startswith("cms:future") and "published" in p for p in refused), refused
        assert any(p.startswith("cms:listless") and "latest" in p for p in refused), refused
        checked = {str(p) for p in site.check()}
        assert checked == refused, "check finds what a build would meet"
    atom = (config.parent / "public/feeds/main.atom").read_text(encoding="utf-8")
    (entry,) = feedparser.parse(atom).entries
    assert entry.title == "Rates Held"
    for unsafe in ("<script", "onclick", "javascript:", "\u202e"):
        assert unsafe not in atom
    assert "https://news.example.org/chart.png" in entry.content[0].value


def test_the_sites_clock_dates_what_it_builds_and_takes_down(config: Path):
    store = ListStore(article("a", "Undated Story"), article("b", "Other Story"))
    with open_site(config, stores=[store], clock=lambda: NOON) as site:
        assert site.build().ok
        found, report = site.takedown("b", "legal request")
        assert [a.key for a in found] == ["b"] and report is not None and report.ok
        assert [row.taken_down for row in site.state.taken_down()] == [NOON]
        assert site.takedown("nothing-has-this", "") == ([], None)
        assert any(line.startswith("store cms:") or "cms" in line for line in site.stats())
    (entry,) = feedparser.parse((config.parent / "public/feeds/main.atom").read_bytes()).entries
    assert entry.title == "Undated Story"
    assert entry.published == "2026-11-30T12:00:00+00:00", "first seen at the site's noon"


def test_the_sites_app_serves_what_it_built(config: Path):
    async def ask(app, path: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get(path)

    with open_site(config, stores=[ListStore(article("a", "Served Story"))]) as site:
        assert site.build().ok
        app = site.app(scheduled=False)
        answer = asyncio.run(ask(app, "/feeds/main.atom"))
        assert answer.status_code == 200
        assert feedparser.parse(answer.content).entries[0].title == "Served Story"
        assert asyncio.run(ask(app, "/healthz")).json()["status"] == "ok"


def test_a_custom_stores_record_of_wrong_types_is_skipped_not_the_build(config: Path):
    """The door every record goes through does not raise: None where text is due, None
    where a list is due, a media entry that is no Media; each is that record's problem."""
    bad = [
        article("n", "No Summary", summary_html=None),
        article("a", "No Authors", authors=None),
        article("m", "Odd Media", media=(object(),)),
    ]
    store = ListStore(article("ok", "Ferry Timetable Changes"), *bad)
    with open_site(config, stores=[store], clock=lambda: NOON) as site:
        report = site.build()
    assert report.ok, report.failures
    skipped = sorted(p.path for p in report.problems if not p.warning)
    assert skipped == ["cms:a", "cms:m", "cms:n"]
    assert all("cannot be read as an article" in p.reason for p in report.problems)
    feed = feedparser.parse((config.parent / "public/feeds/main.rss").read_bytes())
    assert [e.title for e in feed.entries] == ["Ferry Timetable Changes"]
