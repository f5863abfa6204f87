"""GUIDs and dates live in the state database and survive what newsrooms do to files."""

import calendar
import os
import time

import feedparser
import pytest
from conftest import Clock, Site, md, page
from oracle import differences, from_scratch

from feedsvc.core.model import now_utc


def items(site: Site, feed: str = "main.atom") -> dict[str, dict]:
    parsed = feedparser.parse((site.feeds / feed).read_bytes())
    return {entry.title: entry for entry in parsed.entries}


def test_touching_a_file_changes_nothing(site: Site):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    before = (site.feeds / "main.atom").read_bytes()
    later = time.time() + 5
    os.utime(path, (later, later))
    report = site.build()
    assert report.written == []
    assert (site.feeds / "main.atom").read_bytes() == before


def test_moving_a_file_keeps_its_guid_and_published_time(site: Site, clock: Clock):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build(clock=clock)
    first = items(site)["Harbour Opens"]
    (site.articles / "2026").mkdir()
    path.rename(site.articles / "2026" / "renamed.txt")
    clock.advance()
    site.build(clock=clock)
    moved = items(site)["Harbour Opens"]
    assert (moved.id, moved.published, moved.updated) == (first.id, first.published, first.updated)


def test_editing_the_headline_keeps_the_guid_and_moves_updated_only(site: Site, clock: Clock):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build(clock=clock)
    first = items(site)["Harbour Opens"]
    site.write("a.txt", page("Harbour Reopens After Storm", "Boats came in."), at=clock.advance())
    site.build(clock=clock)
    edited = items(site)["Harbour Reopens After Storm"]
    assert edited.id == first.id
    assert edited.published == first.published
    assert edited.updated_parsed > first.updated_parsed


def test_moving_and_retitling_at_once_still_finds_the_article_by_its_body(site: Site):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in at dawn."))
    site.build()
    first = items(site)["Harbour Opens"]
    path.unlink()
    site.write("b.txt", page("Harbour Opens at Dawn", "Boats came in at dawn."))
    site.build()
    assert items(site)["Harbour Opens at Dawn"].id == first.id


def test_updated_moves_only_when_content_changes(site: Site, clock: Clock):
    text = page("Harbour Opens", "Boats came in.", author="T. Brightwater")
    site.write("a.txt", text)
    site.build(clock=clock)
    first = items(site)["Harbour Opens"]
    site.write("a.txt", text, at=clock.advance())  # written again, the same
    site.build(clock=clock)
    assert items(site)["Harbour Opens"].updated == first.updated
    text = page("Harbour Opens", "Boats came in.", author="Tomas Brightwater")
    site.write("a.txt", text, at=clock.advance())
    site.build(clock=clock)
    assert items(site)["Harbour Opens"].updated_parsed > first.updated_parsed


def test_a_removed_article_leaves_and_comes_back_with_its_old_guid(site: Site):
    site.write("keep.txt", page("Council Meets", "The council met."))
    path = site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    first = items(site)["Harbour Opens"]
    text = path.read_text()
    path.unlink()
    site.build()
    assert "Harbour Opens" not in items(site)
    site.write("restored/a-copy.txt", text)
    site.build()
    back = items(site)["Harbour Opens"]
    assert (back.id, back.published) == (first.id, first.published)


def test_of_two_stories_of_one_body_deleted_together_the_file_back_is_its_own(
    site: Site, clock: Clock
):
    """Found by the differential test: the file that came back took the GUID of the other
    story with its body, where a build from the ledger gave it its own."""
    site.configure(extra='[[feeds]]\nname = "main"\n')
    for name, title in (("a.md", "Snow Closes the Pass"), ("b.md", "Pass Reopens")):
        site.write(name, md(title, "Road report."))
    site.build(clock=clock)
    before = {entry.title: entry.id for entry in items(site).values()}
    (site.articles / "a.md").unlink()
    (site.articles / "b.md").unlink()
    clock.advance(60)
    site.build(clock=clock)
    clock.advance(60)
    site.write("b.md", md("Pass Reopens at Noon", "Road report."))
    site.build(clock=clock)
    assert items(site)["Pass Reopens at Noon"].id == before["Pass Reopens"]


def test_two_new_articles_get_different_guids_and_first_seen_dates(site: Site, clock: Clock):
    site.write("a.txt", page("First Story", "One."), at=clock.now)
    site.build(clock=clock)
    site.write("b.txt", page("Second Story", "Two."), at=clock.advance())
    site.build(clock=clock)
    found = items(site)
    assert found["First Story"].id != found["Second Story"].id
    assert found["Second Story"].published_parsed > found["First Story"].published_parsed
    assert [e.title for e in feedparser.parse((site.feeds / "main.rss").read_bytes()).entries] == [
        "Second Story",
        "First Story",
    ]


def test_an_explicit_id_is_the_guid_and_follows_the_article_anywhere(site: Site):
    site.write("a.md", md("Budget Passed", id="'tag:example.org,2026:budget'"))
    site.build()
    assert items(site)["Budget Passed"].id == "tag:example.org,2026:budget"
    (site.articles / "a.md").unlink()
    site.write(
        "exports/all.json",
        '[{"id": "tag:example.org,2026:budget", "title": "Budget Passed Late", "body_html": "<p>New.</p>"}]',
    )
    site.build()
    assert items(site)["Budget Passed Late"].id == "tag:example.org,2026:budget"


def test_reexporting_the_whole_store_with_new_mtimes_changes_nothing(site: Site):
    for number in range(5):
        site.write(f"{number}.md", md(f"Story {number}", f"Body {number}."))
    site.build()
    before = {p: p.read_bytes() for p in site.feeds.rglob("*") if p.is_file()}
    later = time.time() + 60
    for path in site.articles.iterdir():
        path.write_text(path.read_text())
        os.utime(path, (later, later))
    assert site.build().written == []
    assert {p: p.read_bytes() for p in site.feeds.rglob("*") if p.is_file()} == before


def test_editing_the_slug_keeps_the_guid_and_moves_the_link(site: Site):
    path = site.write("a.md", md("Ferry Returns", slug="'ferry'"))
    site.build()
    first = items(site)["Ferry Returns"]
    assert first.link == "https://example.org/ferry/"
    path.write_text(md("Ferry Returns", slug="'night-ferry-returns'"))
    site.build()
    again = items(site)["Ferry Returns"]
    assert (again.id, again.link) == (first.id, "https://example.org/night-ferry-returns/")


def test_two_files_claiming_one_id_are_an_error_naming_both_and_neither_wins(site: Site):
    site.write("one.md", md("First Claim", id="'story-7'"))
    site.write("two.md", md("Second Claim", id="'story-7'"))
    report = site.build()
    assert set(items(site, "main.rss")) == set()
    reasons = sorted(str(p) for p in report.problems)
    assert reasons == [
        f"{site.articles / 'one.md'}: id 'story-7' is also claimed by {site.articles / 'two.md'}; "
        "neither is published until one of them changes it",
        f"{site.articles / 'two.md'}: id 'story-7' is also claimed by {site.articles / 'one.md'}; "
        "neither is published until one of them changes it",
    ]
    (site.articles / "two.md").write_text(md("Second Claim", id="'story-8'"))
    report = site.build()
    assert report.problems == []
    assert {t: e.id for t, e in items(site, "main.rss").items()} == {
        "First Claim": "story-7",
        "Second Claim": "story-8",
    }


def test_a_new_file_copying_a_published_id_does_not_replace_the_article(site: Site):
    site.write("one.md", md("Original", id="'story-7'"))
    site.build()
    site.write("copy.md", md("Impostor", id="'story-7'"))
    report = site.build()
    assert any("id 'story-7' is also claimed by" in str(p) for p in report.problems)
    assert set(items(site, "main.rss")) == {"Original"}, "the published article stays as it was"
    (site.articles / "one.md").unlink()
    report = site.build()
    assert report.problems == []
    assert items(site, "main.rss")["Impostor"].id == "story-7"


def test_updated_follows_what_a_reader_sees_tags_included_but_not_the_file_date(
    site: Site, clock: Clock
):
    text = md("Story", categories="['City']", tags="['x']")
    site.write("a.md", text)
    site.build(clock=clock)
    first = items(site)["Story"]
    site.write("a.md", text, at=clock.advance())  # touched, not changed
    site.build(clock=clock)
    assert items(site)["Story"].updated == first.updated
    text = md("Story", categories="['City', 'Transport']", tags="['x', 'y']")
    site.write("a.md", text, at=clock.advance())
    site.build(clock=clock)
    assert items(site)["Story"].updated_parsed > first.updated_parsed
    assert [t.term for t in items(site)["Story"].tags] == ["City", "Transport", "x", "y"]


def test_published_moves_only_when_the_source_states_a_new_one(site: Site):
    path = site.write("a.md", md("Story", published="2026-11-01T09:00:00Z"))
    site.build()
    assert items(site)["Story"].published == "2026-11-01T09:00:00+00:00"
    path.write_text(md("Story", "Edited body."))  # no date stated now: keep the old one
    site.build()
    assert items(site)["Story"].published == "2026-11-01T09:00:00+00:00"
    path.write_text(md("Story", published="2026-11-02T09:00:00Z"))
    site.build()
    assert items(site)["Story"].published == "2026-11-02T09:00:00+00:00"


def test_an_updated_date_in_the_future_is_kept_out_of_the_future(site: Site):
    site.write(
        "a.md", md("Story", published="2026-11-01T09:00:00Z", updated="2030-01-01T00:00:00Z")
    )
    report = site.build()
    assert report.ok, report.failures
    item = items(site)["Story"]
    assert item.published == "2026-11-01T09:00:00+00:00"
    assert item.updated_parsed < time.gmtime(time.time() + 60)


def test_with_statistics_sqlite_still_finds_explicit_ids_by_their_index(tmp_path):
    """After a big scan SQLite gets statistics (without them a tag feed's newest articles
    were found by walking every article). Most articles have no explicit id, so to
    ANALYZE every id matched them all, and SQLite looked ids up by walking the table
    (0.3 s a scan at 200,000 articles); after `analyze` it must use the index. The
    20,000 rows, none with an id yet (as before ids come through the ingest API), are
    written straight in: scanning that many files would take a minute."""
    import sqlite3
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from feedsvc.state.database import State
    from feedsvc.state.schema import articles

    when = datetime(2026, 11, 28, tzinfo=UTC)
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        rows = [
            {
                "guid": f"urn:{number}", "store": "files", "source": f"{number}.md",
                "key": f"{number}.md", "slug": f"s{number}", "title_key": f"t{number}",
                "body_hash": f"b{number}", "content_hash": f"c{number}", "published": when,
                "updated": when, "first_seen": when, "draft": False, "has_latest": False,
                "data": "{}", "explicit_id": None,
            }
            for number in range(20_000)
        ]  # fmt: skip
        with state.engine.begin() as conn:
            conn.execute(insert(articles), rows)
        state.analyze()
    finally:
        state.close()
    with sqlite3.connect(tmp_path / "state.db") as db:
        query = "SELECT * FROM articles WHERE explicit_id IN ('named') AND deleted IS NULL"
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}"))
        assert "USING INDEX ix_articles_explicit_id" in plan


def test_two_records_of_one_file_claiming_one_id_are_refused_and_the_build_goes_on(site: Site):
    """Found by the fuzz harness: records of one NDJSON file with one id used to count as
    one claimant, and both went in with one GUID (an IntegrityError stopped every build)."""
    record = '{{"id": "wire-1", "title": "{}", "body_html": "<p>x</p>"}}\n'
    site.write("wire.ndjson", record.format("Первая") + record.format("Вторая"))
    site.write("own.md", md("Our own story"))
    report = site.build()
    assert report.ok and set(items(site, "main.rss")) == {"Our own story"}
    assert [str(p) for p in report.problems] == [
        f"{site.articles / 'wire.ndjson'}: id 'wire-1' is also claimed by another record of "
        "the same file; neither is published until one of them changes it"
    ]


def test_a_future_draft_published_now_is_dated_now_not_in_the_future(site: Site):
    """Found by the fuzz harness: a draft scheduled for 2999, then made public with its
    date taken out, was published now but kept its 2999 `updated`, and every feed
    holding it failed its check ("dated in the future") until the body changed."""
    site.write("a.md", md("Паром назначен", draft="true", published="2999-01-01T00:00:00Z"))
    site.write("b.md", md("Other story"))
    assert site.build().ok
    site.write("a.md", md("Паром назначен"))
    report = site.build()
    assert report.ok, report.failures
    item = items(site, "main.atom")["Паром назначен"]
    assert calendar.timegm(item.updated_parsed) <= time.time()


def test_an_id_stated_later_keeps_the_guid_readers_have(site: Site):
    path = site.write("a.md", md("Ferry Timetable Changes"))
    site.build()
    first = items(site)["Ferry Timetable Changes"].id
    path.write_text(md("Ferry Timetable Changes", id="'ferry-2026'"))
    site.build()
    assert items(site)["Ferry Timetable Changes"].id == first
    path.rename(site.articles / "moved.md")  # the id now finds it wherever it goes
    site.build()
    assert items(site)["Ferry Timetable Changes"].id == first


def test_pages_written_in_one_second_get_dates_of_their_own(site: Site, clock: Clock):
    """Undated pages first seen together, all written in the same second (a checkout, an
    `init --sample`): each its own date, the same in every later build."""
    when = clock.advance()
    for name in ("a.txt", "b.txt", "c.txt"):
        site.write(name, page(f"Story {name[0].upper()}", "Body."), at=when)
    site.build(clock=clock)
    dates = {title: entry.published for title, entry in items(site, "main.rss").items()}
    assert len(set(dates.values())) == 3, dates
    newest = max(dates, key=lambda title: items(site, "main.rss")[title].published_parsed)
    assert newest == "Story C"
    clock.advance()
    site.build(clock=clock, full=True)
    assert {t: e.published for t, e in items(site, "main.rss").items()} == dates


def test_when_the_holder_lets_an_id_go_two_claimants_are_both_held_back(site: Site, tmp_path):
    """Found by a long oracle run: the holder of an id took another, leaving two files
    claiming it and none holding it. Neither is published (until one changes), and the
    former holder keeps its GUID, once, under its new id."""
    site.write("one.md", md("Ferry Returns", id="'x-2'"))
    site.write("two.md", md("Bridge Opens"))
    site.write("three.md", md("Snow Closes Pass"))
    site.build()
    site.write("two.md", md("Bridge Opens", id="'x-2'"))
    site.write("three.md", md("Snow Closes Pass", id="'x-2'"))
    site.build()
    assert set(items(site, "main.rss")) == {"Ferry Returns"}
    site.write("one.md", md("Ferry Returns", id="'x-1'"))
    report = site.build()
    assert report.ok, report.failures
    assert {t: e.id for t, e in items(site, "main.rss").items()} == {"Ferry Returns": "x-2"}
    assert sum("neither is published" in p.reason for p in report.problems) == 2
    settings = site.settings()
    scratch = from_scratch(settings, settings.state.url, tmp_path / "scratch", now_utc)
    assert scratch.ok, scratch.failures
    assert differences(site.root / "public", tmp_path / "scratch" / "public") == []


@pytest.mark.parametrize(
    "ids_given",
    [
        [("a.md", "x-2"), ("b.md", "x-1"), ("b.md", "x-2"), ("a.md", None), ("b.md", "x-1"),
         ("b.md", None)],
        [("a.md", "x-2"), ("b.md", "x-1"), ("b.md", "x-2"), ("a.md", None), ("b.md", None),
         ("b.md", "x-1"), ("b.md", None)],
    ],
)  # fmt: skip
def test_a_story_that_drops_its_id_is_its_files_again_in_a_build_from_the_ledger(
    site: Site, clock: Clock, tmp_path, ids_given
):
    """Found by the differential test: a story took an id another let go (earning that
    id's GUID), took a third (back to its file's GUID), then none: it is its file's
    story, with the GUID its file earned. A build from the ledger, which holds both
    GUIDs at that file, gave it the id's: the later one at the key."""
    titles = {"a.md": "Council Agrees Budget", "b.md": "Tram Line Opens"}
    for name, title in titles.items():
        site.write(name, md(title))
    assert site.build(clock=clock).ok
    for name, stated in ids_given:
        site.write(name, md(titles[name], id=f"'{stated}'") if stated else md(titles[name]))
        clock.advance(60)
        assert site.build(clock=clock).ok
    settings = site.settings()
    scratch = from_scratch(settings, settings.state.url, tmp_path / "scratch", clock)
    assert scratch.ok, scratch.failures
    assert differences(site.root / "public", tmp_path / "scratch" / "public") == []
