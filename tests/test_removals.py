"""Every input reaches what is published, and removals reach readers: config edits,
emptied family members (then 410), tombstones, headline GUIDs, complete archive pages,
undated pages, text-page languages. Each of these was once left stale."""

import json
import os
from datetime import UTC, datetime, timedelta

import feedparser
from conftest import Site, feedsvc, md, page
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
AT = "{http://purl.org/atompub/tombstones/1.0}"
FAMILY = '[[feeds]]\nname = "main"\n[[feeds]]\nname = "category"\nper = "category"\n'
T0 = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)


def at(moment: datetime):
    return lambda: moment


def set_site(site: Site, **values: str) -> None:
    """Set [site] keys in the site's config (TOML values, written as given)."""
    text = site.config.read_text(encoding="utf-8")
    for key, value in values.items():
        lines = [line for line in text.split("\n") if not line.startswith(f"{key} =")]
        text = "\n".join(lines).replace("[site]\n", f"[site]\n{key} = {value}\n", 1)
    site.config.write_text(text, encoding="utf-8")


def entries(site: Site, path: str) -> list:
    return feedparser.parse((site.feeds / path).read_bytes()).entries


def test_a_config_edit_reaches_every_document_it_shapes(site: Site):
    site.configure(
        extra=FAMILY + 'archive_size = 1\n[[feeds]]\nname = "econ"\ncategory = "Economy"\n'
    )
    site.write("a.md", md("Rates Held", categories="['Economy']", published="2026-04-01"))
    site.write("b.md", md("Ferry Back", categories="['Transport']", published="2026-04-02"))
    assert site.build().ok
    set_site(site, title='"Северогорск сегодня"', base_url='"https://feeds.example.org/"')
    report = site.build()
    assert report.ok
    rss = etree.fromstring((site.feeds / "main.rss").read_bytes())
    assert rss.findtext("channel/title") == "Северогорск сегодня"
    page1 = etree.fromstring((site.feeds / "category/economy/archive/1.atom").read_bytes())
    selfs = [link.get("href") for link in page1.iterfind(f"{ATOM}link[@rel='self']")]
    assert selfs == ["https://feeds.example.org/feeds/category/economy/archive/1.atom"]
    family = etree.fromstring((site.feeds / "category/transport.atom").read_bytes())
    hubs = [link.get("href") for link in family.iterfind(f"{ATOM}link[@rel='hub']")]
    assert hubs == ["https://feeds.example.org/websub"]
    assert site.build().written == [], "and nothing again once it is out"


def test_a_feed_setting_rewrites_only_the_documents_it_shapes(site: Site):
    feeds = FAMILY + '[[feeds]]\nname = "econ"\ncategory = "Economy"\ndescription = "{}"\n'
    site.configure(extra=feeds.format("Money."))
    site.write("a.md", md("Rates Held", categories="['Economy']", published="2026-04-01"))
    site.write("b.md", md("Ferry Back", categories="['Transport']", published="2026-04-02"))
    assert site.build().ok
    site.configure(extra=feeds.format("Деньги и рынки."))
    written = set(site.build().written)
    econ = {f"feeds/econ.{fmt}" for fmt in ("rss", "atom", "json")}
    assert econ <= written
    # Its own documents, preview and archive page, and the pages that list it.
    assert all(p.startswith(("feeds/econ", "index.html", "feeds.opml")) for p in written), written


def test_a_family_member_that_loses_its_last_article_is_served_empty_then_gone(
    site: Site, start_server
):
    site.configure(extra=FAMILY)
    set_site(site, empty_family_days="30")
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']"))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    site.write("w.md", md("Wind Warning", "Wind body.", categories="['Weather']"))
    assert site.build(clock=at(T0)).ok
    (site.articles / "a.md").unlink()
    site.write("w.md", md("Wind Warning", "Wind body.", categories="['Погода']"))  # moved
    report = site.build(clock=at(T0 + timedelta(minutes=5)))
    assert report.ok
    for path in ("category/transport.rss", "category/transport.atom", "category/weather.json"):
        assert entries(site, path) == [], path
    weather = json.loads((site.feeds / "category/weather.json").read_text())
    assert weather["items"] == []
    assert [e.title for e in entries(site, "category/погода.atom")] == ["Wind Warning"]
    archive = site.feeds / "category/transport/archive/1.atom"
    assert entries(site, "category/transport/archive/1.atom") == [] and archive.exists()
    assert "Ferry Back" not in (site.feeds / "category/transport.html").read_text()
    assert "no stories since 2026-04-06" in (site.root / "public/index.html").read_text()
    # Still empty 29 days on; gone on the 30th: its files deleted, 410 for readers.
    assert site.build(clock=at(T0 + timedelta(days=29))).ok
    assert (site.feeds / "category/transport.rss").exists()
    report = site.build(clock=at(T0 + timedelta(days=30, minutes=5)))
    assert "feeds/category/transport.rss" in report.removed
    assert not (site.feeds / "category/transport.rss").exists()
    assert not (site.feeds / "category/transport").exists()
    assert "category/transport.rss" not in (site.root / "public/feeds.opml").read_text()
    server = start_server("serve")
    assert server.get("/feeds/category/transport.rss").status_code == 410
    assert server.get("/feeds/category/transport/archive/1.atom").status_code == 410
    assert server.get("/feeds/category/nothing-ever.rss").status_code == 404
    assert server.get("/feeds/category/economy.rss").status_code == 200
    # It comes back when an article does.
    site.write("c.md", md("Tram Line Opens", "Tram body.", categories="['Transport']"))
    assert site.build(clock=at(T0 + timedelta(days=31))).ok
    assert [e.title for e in entries(site, "category/transport.rss")] == ["Tram Line Opens"]


def test_atom_feeds_announce_removed_articles_for_tombstone_days(site: Site):
    site.configure(extra=FAMILY)
    set_site(site, tombstone_days="2")
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']", id='"ferry-1"'))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    assert site.build(clock=at(T0)).ok
    (site.articles / "a.md").unlink()
    assert site.build(clock=at(T0 + timedelta(hours=1))).ok
    for path in ("main.atom", "category/transport.atom"):
        feed = etree.fromstring((site.feeds / path).read_bytes())
        tombstones = [(t.get("ref"), t.get("when")) for t in feed.iterfind(f"{AT}deleted-entry")]
        assert tombstones == [("tag:feedsvc,2026:guid/ferry-1", "2026-04-06T11:00:00+00:00")], path
    economy = etree.fromstring((site.feeds / "category/economy.atom").read_bytes())
    assert economy.find(f"{AT}deleted-entry") is None, "it was never in that feed"
    assert site.build(clock=at(T0 + timedelta(days=2, hours=2))).ok
    feed = etree.fromstring((site.feeds / "main.atom").read_bytes())
    assert feed.find(f"{AT}deleted-entry") is None, "after tombstone_days, forgotten"


def test_a_listed_headline_keeps_its_guid_whether_or_not_its_article_is_there(site: Site):
    site.configure(extra='[[feeds]]\nname = "latest"\nselect = "latest"\n')
    (site.root / "latest-news.txt").write_text("- Ferry Back\n- Library Opens Late\n")
    site.write("a.md", md("Ferry Back", "Ferry body."))
    assert site.build().ok

    def guids() -> dict[str, str]:
        return {e.title: e.id for e in entries(site, "latest.atom")}

    first = guids()
    text = (site.articles / "a.md").read_text()
    (site.articles / "a.md").unlink()
    assert site.build().ok
    assert guids() == first, "its article deleted, the headline item keeps the GUID"
    site.write("a.md", text)
    assert site.build().ok
    assert guids() == first, "restored, the same GUID again"
    site.write("b.md", md("Library Opens Late", "Library body."))  # listed first, written later
    assert site.build().ok
    assert guids() == first, "an article written for a listed headline takes its GUID"
    assert entries(site, "latest.atom")[1].get("content"), "and it is the full item now"


def test_complete_archive_pages_are_served_for_long_the_open_one_briefly(site: Site, start_server):
    site.configure(extra='[[feeds]]\nname = "main"\nlimit = 2\narchive_size = 2\n')
    for number in range(1, 4):
        site.write(
            f"{number}.md", md(f"Story {number}", f"Day {number}.", published=f"2026-03-0{number}")
        )
    assert site.build().ok
    server = start_server("serve")
    complete = server.get("/feeds/main/archive/1.atom").headers["cache-control"]
    assert complete == "public, max-age=86400, immutable"
    assert server.get("/feeds/main/archive/2.atom").headers["cache-control"] == "max-age=60"
    assert server.get("/feeds/main.atom").headers["cache-control"] == "max-age=60"


def test_undated_pages_first_seen_together_keep_the_order_they_were_written(site: Site):
    site.configure(extra='[[feeds]]\nname = "main"\n')
    written = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
    for number, headline in enumerate(
        ["Bridge Repairs Begin", "Harbour Ferry Returns", "Library Opens Late"]
    ):
        path = site.write(f"{number}.txt", page(headline, "A paragraph about it."))
        when = (written + timedelta(minutes=number)).timestamp()
        os.utime(path, (when, when))
    assert site.build().ok
    found = entries(site, "main.atom")
    assert [e.title for e in found] == [
        "Library Opens Late",
        "Harbour Ferry Returns",
        "Bridge Repairs Begin",
    ]
    assert [e.updated for e in found] == [
        "2026-02-01T09:02:00+00:00",
        "2026-02-01T09:01:00+00:00",
        "2026-02-01T09:00:00+00:00",
    ]
    os.utime(site.articles / "0.txt")  # touched: its date stays
    assert site.build().written == []


def test_text_pages_take_the_language_of_their_folder(site: Site):
    site.configure(
        extra='[store]\nlanguages = { "ru" = "ru", "kk" = "kk" }\n[[feeds]]\nname = "main"\n'
    )
    site.write("ru/tram.txt", page("Трамвай дошёл до вокзала", "Новая линия открыта."))
    site.write("kk/fest.txt", page("Далада фестиваль өтті", "Ауылда мереке болды."))
    site.write("harbour.txt", page("Harbour Ferry Returns", "The ferry is back."))
    assert site.build().ok
    atom = etree.fromstring((site.feeds / "main.atom").read_bytes())
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    by_title = {e.findtext(f"{ATOM}title"): e.get(lang) for e in atom.iterfind(f"{ATOM}entry")}
    assert by_title == {
        "Трамвай дошёл до вокзала": "ru",
        "Далада фестиваль өтті": "kk",
        "Harbour Ferry Returns": None,  # the site's language
    }
    items = json.loads((site.feeds / "main.json").read_text())["items"]
    assert {i["title"]: i.get("language") for i in items}["Трамвай дошёл до вокзала"] == "ru"


def test_a_listed_headline_of_a_scheduled_article_never_freezes_the_latest_feed(site: Site):
    """Found by the oracle: the headline took its article's future date, and the latest
    feed failed its check at every build until that date."""
    site.configure(extra='[[feeds]]\nname = "latest"\nselect = "latest"\n')
    (site.root / "latest-news.txt").write_text("- Budget Vote Tonight\n")
    site.write("a.md", md("Budget Vote Tonight", published="2026-04-06T18:00:00+00:00"))
    report = site.build(clock=at(T0))
    assert report.ok, report.failures
    (item,) = entries(site, "latest.atom")
    assert item.title == "Budget Vote Tonight" and item.published <= "2026-04-06T10:00:00+00:00"


def test_a_headline_whose_guid_went_to_a_retitled_article_never_freezes_the_latest_feed(
    site: Site,
):
    """Found by the oracle: an article written for a listed headline took its GUID and
    was retitled to another listed headline, whose own article had been deleted; made a
    draft, both headlines had no article and both took that GUID, and the latest feed
    failed its check at every build. Each item is listed once, as it is while the
    article is out."""
    site.configure(extra='[[feeds]]\nname = "latest"\nselect = "latest"\n')
    (site.root / "latest-news.txt").write_text("- Snow Closes the Pass\n- Rates Held\n")
    site.write("b.md", md("Rates Held", "Rates body."))
    assert site.build().ok  # the snow headline has no article: it gets a GUID of its own
    site.write("a.md", md("Snow Closes the Pass", "Snow body."))  # and a takes it
    (site.articles / "b.md").unlink()
    assert site.build().ok
    site.write("a.md", md("Rates Held", "Retitled."))
    assert site.build().ok
    titles = [e.title for e in entries(site, "latest.atom")]
    assert titles == ["Rates Held"], "the old headline is the retitled article's item"
    site.write("a.md", md("Rates Held", "Retitled.", draft="true"))
    report = site.build()
    assert report.ok, report.failures
    guids = [e.id for e in entries(site, "latest.atom")]
    assert len(guids) == 1, "the draft's two headlines are one item, listed once"


def published_text(site: Site) -> str:
    """Every published file's text (compressed copies aside)."""
    public = site.root / "public"
    return "\n".join(
        p.read_text(encoding="utf-8")
        for p in public.rglob("*")
        if p.is_file() and p.suffix not in (".gz", ".br") and not p.name.startswith(".")
    )


def test_a_takedown_reaches_every_document_and_holds_until_undone(site: Site):
    site.configure(
        extra='[[feeds]]\nname = "main"\nlimit = 1\narchive_size = 1\n[[feeds]]\nname = "category"\nper = "category"\n[[feeds]]\nname = "latest"\nselect = "latest"\n'
    )
    (site.root / "latest-news.txt").write_text("- Ferry Back\n- Rates Held\n")
    site.write(
        "a.md",
        md(
            "Ferry Back",
            "Ferry body.",
            categories="['Transport']",
            id="'ferry-1'",
            published="2026-04-01",
        ),
    )
    site.write(
        "b.md", md("Rates Held", "Rates body.", categories="['Economy']", published="2026-04-02")
    )
    site.write(
        "c.md",
        md("Tram Line Opens", "Tram body.", categories="['Transport']", published="2026-04-03"),
    )
    assert site.build().ok
    assert "Ferry Back" in (site.feeds / "main/archive/1.atom").read_text(), "on a complete page"
    config = str(site.config)
    out = feedsvc("--config", config, "takedown", "ferry-1", "--reason", "court order")
    assert out.returncode == 0, out.stderr
    assert "taken down: ferry-1 (a.md)" in out.stdout
    stats = feedsvc("--config", config, "stats")
    assert ", 2 articles, " in stats.stdout, "the takedown's build counts what is left (it said 0)"
    assert "Ferry Back" not in published_text(site)
    assert [e.title for e in entries(site, "latest.atom")] == ["Rates Held"]
    # A re-export of the same article does not bring it back.
    site.write(
        "a.md",
        md(
            "Ferry Back",
            "Ferry body, re-exported.",
            categories="['Transport']",
            id="'ferry-1'",
            published="2026-04-01",
        ),
    )
    assert feedsvc("--config", config, "build").returncode == 0
    assert "Ferry Back" not in published_text(site)
    listed = feedsvc("--config", config, "takedown", "--list")
    assert "ferry-1 a.md (court order)" in listed.stdout
    out = feedsvc("--config", config, "takedown", "ferry-1", "--undo")
    assert out.returncode == 0 and "published again: ferry-1" in out.stdout
    again = feedsvc("--config", config, "takedown", "ferry-1", "--undo")
    assert "was not taken down: ferry-1" in again.stdout, "not 'published again' twice"
    assert [e.title for e in entries(site, "category/transport.atom")] == [
        "Tram Line Opens",
        "Ferry Back",
    ]
    missing = feedsvc("--config", config, "takedown", "no-such-story")
    assert missing.returncode == 2
    assert "no article has the GUID, id or path 'no-such-story'" in missing.stderr
    assert "first build" not in missing.stderr, "its store was read"
    # A file's path as an operator types it: from the site's folder, or whole.
    by_path = feedsvc("--config", config, "takedown", "articles/b.md", cwd=site.root)
    assert by_path.returncode == 0 and "taken down: " in by_path.stdout, by_path.stderr
    whole = feedsvc("--config", config, "takedown", str(site.articles / "b.md"), "--undo")
    assert whole.returncode == 0 and "published again: " in whole.stdout, whole.stderr


def test_a_takedown_before_the_store_was_ever_read_says_so(site: Site):
    """During a first build's reading of a big store the state holds none of its articles
    yet: "no article has ..." alone would say the story is not there."""
    site.write("a.md", md("Ferry Back", "Ferry body.", id="'ferry-1'"))
    missing = feedsvc("--config", str(site.config), "takedown", "ferry-1")
    assert missing.returncode == 2
    assert "no article has the GUID, id or path 'ferry-1'" in missing.stderr
    assert "the state holds no article of store 'files' yet" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_check_says_which_family_members_are_empty_and_when_they_go(site: Site):
    site.configure(extra=FAMILY)
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']"))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    assert site.build(clock=at(T0)).ok
    (site.articles / "a.md").unlink()
    assert site.build(clock=at(T0 + timedelta(hours=1))).ok
    out = feedsvc("--config", str(site.config), "check")
    assert out.returncode == 0, out.stdout
    assert (
        "feeds/category/transport: warning: no article since 2026-04-06: served empty; "
        "gone (410 Gone) since 2026-05-06" in out.stdout
    )


def main_tombstones(site: Site) -> list[str]:
    feed = etree.fromstring((site.feeds / "main.atom").read_bytes())
    return [t.get("ref") for t in feed.iterfind(f"{AT}deleted-entry")]


def ferry_deleted(site: Site, feed_table: str) -> str:
    """The ferry story (id ferry-1) and a newer one built, then the ferry deleted and
    built again: announced in main.atom. Returns the ferry file's text."""
    site.configure(extra=feed_table)
    site.write("a.md", md("Ferry Back", "Ferry body.", published="2026-04-01", id="'ferry-1'"))
    site.write("b.md", md("Rates Held", "Rates body.", published="2026-04-02"))
    assert site.build(clock=at(T0)).ok
    text = (site.articles / "a.md").read_text()
    (site.articles / "a.md").unlink()
    assert site.build(clock=at(T0 + timedelta(minutes=1))).ok
    assert main_tombstones(site) == ["tag:feedsvc,2026:guid/ferry-1"]
    return text


def test_a_tombstone_goes_when_its_article_comes_back_to_the_feed(site: Site):
    """Also when it comes back to the feed's open archive page only, not its items."""
    text = ferry_deleted(site, '[[feeds]]\nname = "main"\nlimit = 1\narchive_size = 5\n')
    site.write("a.md", text)
    assert site.build(clock=at(T0 + timedelta(minutes=2))).ok
    assert main_tombstones(site) == []
    assert "Ferry Back" in (site.feeds / "main/archive/1.atom").read_text()


def test_a_tombstone_goes_when_its_article_comes_back_to_a_complete_archive_page(site: Site):
    """Back after its page was sealed: the page alone was made again, and the feed's own
    document went on announcing the article deleted (found by the oracle: a new page with
    a deleted story's headline took back its GUID, and with it its place)."""
    text = ferry_deleted(site, '[[feeds]]\nname = "main"\nlimit = 2\narchive_size = 1\n')
    site.write("c.md", md("Tram Opens", "Tram body.", published="2026-04-03"))
    site.write("d.md", md("Storm Passes", "Storm body.", published="2026-04-04"))
    assert site.build(clock=at(T0 + timedelta(minutes=2))).ok
    site.write("a.md", text)
    assert site.build(clock=at(T0 + timedelta(minutes=3))).ok
    assert "Ferry Back" in (site.feeds / "main/archive/1.atom").read_text()
    assert main_tombstones(site) == []


def test_a_family_added_to_the_config_gets_every_member_in_the_next_process(site: Site):
    """A new process starts from the members the history says were published: not for
    a family the history cannot know (added or refiltered since)."""
    site.configure(extra='[[feeds]]\nname = "main"\n')
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']"))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    assert site.build().ok
    assert site.build().written == []  # the history is complete: the next process starts from it
    site.configure(extra=FAMILY)
    assert site.build().ok
    assert [e.title for e in entries(site, "category/transport.atom")] == ["Ferry Back"]
    assert [e.title for e in entries(site, "category/economy.atom")] == ["Rates Held"]
    site.write("c.md", md("Tram Line Opens", "Tram body.", categories="['Transport']"))
    assert site.build().ok  # a third process, from the history: the family is there
    assert [e.title for e in entries(site, "category/economy.atom")] == ["Rates Held"]
    assert len(entries(site, "category/transport.atom")) == 2


def test_a_member_back_from_410_gets_its_complete_archive_pages_again(site: Site):
    """Found by the oracle: only the open page came back; the complete ones, deleted
    with the member, were not made again."""
    site.configure(extra='[[feeds]]\nname = "category"\nper = "category"\narchive_size = 1\n')
    set_site(site, empty_family_days="3")
    site.write(
        "a.md", md("Ferry Back", "Ferry body.", categories="['Transport']", published="2026-04-01")
    )
    site.write(
        "b.md",
        md("Tram Line Opens", "Tram body.", categories="['Transport']", published="2026-04-02"),
    )
    assert site.build(clock=at(T0)).ok
    pages = site.feeds / "category/transport/archive"
    assert sorted(p.name for p in pages.glob("*.atom")) == ["1.atom", "2.atom", "3.atom"]
    for name in ("a.md", "b.md"):
        text = (site.articles / name).read_text().replace("Transport", "Economy")
        site.write(name, text)
    assert site.build(clock=at(T0 + timedelta(minutes=1))).ok
    assert site.build(clock=at(T0 + timedelta(days=4))).ok
    assert not pages.exists(), "gone: its pages deleted"
    site.write(
        "c.md",
        md("Bus Lane Opens", "Bus body.", categories="['Transport']", published="2026-04-03"),
    )
    assert site.build(clock=at(T0 + timedelta(days=5))).ok
    # Pages 1 and 2 complete and empty now (their articles left), 3 with the newcomer.
    assert sorted(p.name for p in pages.glob("*.atom")) == ["1.atom", "2.atom", "3.atom", "4.atom"]


def test_a_family_table_removed_is_served_empty_then_gone_like_an_emptied_member(
    site: Site, start_server
):
    """Removing a whole family's [[feeds]] table: its subscribers get the removal (an
    empty feed, tombstones in Atom) for empty_family_days, then 410 Gone, never a 404."""
    site.configure(extra=FAMILY)
    set_site(site, empty_family_days="3")
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']"))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    assert site.build(clock=at(T0)).ok
    guid = entries(site, "category/transport.rss")[0].id
    site.configure(extra='[[feeds]]\nname = "main"\n')
    set_site(site, empty_family_days="3")
    assert site.build(clock=at(T0 + timedelta(hours=1))).ok
    for path in ("category/transport.rss", "category/economy.atom", "category/economy.json"):
        assert entries(site, path) == [], path
    atom = etree.fromstring((site.feeds / "category/transport.atom").read_bytes())
    assert [t.get("ref") for t in atom.iterfind(f"{AT}deleted-entry")] == [guid]
    assert [e.title for e in entries(site, "main.rss")] == ["Rates Held", "Ferry Back"]
    assert site.build(clock=at(T0 + timedelta(days=2))).ok
    assert (site.feeds / "category/transport.rss").exists()
    report = site.build(clock=at(T0 + timedelta(days=3, hours=2)))
    assert "feeds/category/transport.rss" in report.removed
    server = start_server("serve")
    assert server.get("/feeds/category/transport.rss").status_code == 410
    assert server.get("/feeds/category/economy.atom").status_code == 410
    assert server.get("/feeds/main.rss").status_code == 200


def test_a_taken_down_file_that_takes_another_articles_id_stays_down(site: Site):
    """Found by the oracle: a file taken down that then states the id another article's
    row holds (that file claims an id a third holds, and is refused meanwhile) is that
    row from then on, an explicit id winning, and its words were published again under
    that row's GUID. The takedown goes with the words."""
    site.write("a.md", md("Ferry Back", "Ferry body.", id="'x-1'", published="2026-04-01"))
    site.write("b.md", md("Court Case", "Words a court had taken down.", published="2026-04-02"))
    site.write("c.md", md("Rates Held", "Rates body.", id="'x-2'", published="2026-04-03"))
    assert site.build().ok
    config = str(site.config)
    assert feedsvc("--config", config, "takedown", "b.md", "--service-wait", "0").returncode == 0
    # a.md claims c.md's id (refused: its row keeps x-1); b.md states x-1.
    site.write("a.md", md("Ferry Back", "Ferry body.", id="'x-2'", published="2026-04-01"))
    site.build()
    site.write(
        "b.md",
        md("Court Case", "Words a court had taken down.", id="'x-1'", published="2026-04-02"),
    )
    site.build()
    assert "a court had taken down" not in published_text(site)
    assert "Rates body." in published_text(site)


def test_a_taken_down_file_refused_for_a_while_stays_down_when_it_settles(site: Site):
    """Found by the oracle (2026-12-07): a file taken down that claims an id another file
    holds is refused, and its row let go; when the other file lets the id go, the first
    settles into that id's row, and its words were published again under its GUID."""
    site.write("a.md", md("Court Case", "Words a court had taken down.", id="'x-1'"))
    site.write("c.md", md("Rates Held", "Rates body.", id="'x-2'", published="2026-04-03"))
    assert site.build().ok
    config = str(site.config)
    assert feedsvc("--config", config, "takedown", "a.md", "--service-wait", "0").returncode == 0
    site.write("a.md", md("Court Case", "Words a court had taken down.", id="'x-2'"))
    site.build()  # a.md refused: c.md holds x-2
    site.write("c.md", md("Rates Held", "Rates body.", published="2026-04-03"))
    site.build()  # x-2 is a.md's now
    assert "a court had taken down" not in published_text(site)
    assert "Rates body." in published_text(site)
    listed = feedsvc("--config", config, "takedown", "--list")
    rows = sorted(line.split()[2:4] for line in listed.stdout.splitlines())
    assert rows == [["x-1", "a.md"], ["x-2", "a.md"]]  # the row let go, and the one now
