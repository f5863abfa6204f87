"""GUIDs and dates live in the state database and survive what newsrooms do to files."""

import os
import time

import feedparser
from conftest import Site, page


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


def test_moving_a_file_keeps_its_guid_and_published_time(site: Site):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    first = items(site)["Harbour Opens"]
    (site.articles / "2026").mkdir()
    path.rename(site.articles / "2026" / "renamed.txt")
    time.sleep(1.1)
    site.build()
    moved = items(site)["Harbour Opens"]
    assert (moved.id, moved.published, moved.updated) == (first.id, first.published, first.updated)


def test_editing_the_headline_keeps_the_guid_and_moves_updated_only(site: Site):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in."))
    site.build()
    first = items(site)["Harbour Opens"]
    time.sleep(1.1)
    path.write_text(page("Harbour Reopens After Storm", "Boats came in."))
    site.build()
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


def test_updated_moves_only_when_content_changes(site: Site):
    path = site.write("a.txt", page("Harbour Opens", "Boats came in.", author="T. Brightwater"))
    site.build()
    first = items(site)["Harbour Opens"]
    time.sleep(1.1)
    path.write_text(page("Harbour Opens", "Boats came in.", author="T. Brightwater"))
    site.build()
    assert items(site)["Harbour Opens"].updated == first.updated
    path.write_text(page("Harbour Opens", "Boats came in.", author="Tomas Brightwater"))
    site.build()
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


def test_two_new_articles_get_different_guids_and_first_seen_dates(site: Site):
    site.write("a.txt", page("First Story", "One."))
    site.build()
    time.sleep(1.1)
    site.write("b.txt", page("Second Story", "Two."))
    site.build()
    found = items(site)
    assert found["First Story"].id != found["Second Story"].id
    assert found["Second Story"].published_parsed > found["First Story"].published_parsed
    assert [e.title for e in feedparser.parse((site.feeds / "main.rss").read_bytes()).entries] == [
        "Second Story",
        "First Story",
    ]
