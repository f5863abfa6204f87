"""RFC 5005 archives: the whole history in fixed pages; a complete page takes no new
article, and changes only when one of its own is edited or removed."""

import json
import shutil

import feedparser
from conftest import Site, md
from lxml import etree

NS = {"atom": "http://www.w3.org/2005/Atom", "fh": "http://purl.org/syndication/history/1.0"}
ARCHIVED = '[[feeds]]\nname = "main"\nlimit = 2\narchive_size = 3\n'


def story(site: Site, number: int, title: str | None = None) -> None:
    # Each its own body: a new file with a deleted one's body would be taken for it, moved.
    body = f"What happened on day {number}."
    site.write(
        f"{number}.md", md(title or f"Story {number}", body, published=f"2026-11-{number:02}")
    )


def links(body: bytes) -> dict[str, str]:
    root = etree.fromstring(body)
    return {link.get("rel"): link.get("href") for link in root.iterfind("atom:link", NS)}


def walk_history(site: Site, fmt: str) -> list[list[str]]:
    """Titles page by page, following prev-archive from the current feed as a reader does."""
    pages, url = [], f"{site.url}feeds/main.{fmt}"
    for _ in range(20):
        body = (site.root / "public" / url.removeprefix(site.url)).read_bytes()
        if fmt == "json":
            feed = json.loads(body)
            pages.append([item["title"] for item in feed["items"]])
            url = feed.get("next_url")
        else:
            pages.append([e.title for e in feedparser.parse(body).entries])
            url = links(body).get("prev-archive") if fmt == "atom" else _rss_prev(body)
        if not url:
            return pages
    raise AssertionError("the archive chain does not end")


def _rss_prev(body: bytes) -> str | None:
    link = etree.fromstring(body).find("channel/atom:link[@rel='prev-archive']", NS)
    return None if link is None else link.get("href")


def test_every_article_is_in_the_history_in_fixed_pages(site: Site):
    site.configure(extra=ARCHIVED)
    for number in range(1, 8):
        story(site, number)
    assert site.build().ok
    for fmt in ("atom", "rss", "json"):
        assert walk_history(site, fmt) == [
            ["Story 7", "Story 6"],  # the subscription document
            ["Story 7"],  # page 3, the open one
            ["Story 6", "Story 5", "Story 4"],
            ["Story 3", "Story 2", "Story 1"],
        ], fmt
    archive = site.feeds / "main" / "archive"
    page2 = etree.fromstring((archive / "2.atom").read_bytes())
    assert page2.find("fh:archive", NS) is not None
    assert links((archive / "2.atom").read_bytes()) == {
        "self": f"{site.url}feeds/main/archive/2.atom",
        "current": f"{site.url}feeds/main.atom",
        "prev-archive": f"{site.url}feeds/main/archive/1.atom",
        "next-archive": f"{site.url}feeds/main/archive/3.atom",
        "alternate": "https://example.org/",
    }
    assert "next-archive" not in links((archive / "3.atom").read_bytes())
    assert "prev-archive" not in links((archive / "1.atom").read_bytes())
    rss = etree.fromstring((archive / "1.rss").read_bytes())
    assert rss.find("channel/fh:archive", NS) is not None
    assert etree.fromstring((site.feeds / "main.atom").read_bytes()).find("fh:archive", NS) is None
    # The open page still fills up: not an archive document (RFC 5005 4), in any format.
    assert etree.fromstring((archive / "3.atom").read_bytes()).find("fh:archive", NS) is None
    page3 = etree.fromstring((archive / "3.rss").read_bytes())
    assert page3.find("channel/fh:archive", NS) is None


def test_a_single_page_family_archive_is_not_marked_complete(site: Site):
    site.configure(extra='[[feeds]]\nname = "section"\nper = "category"\n')
    site.write("a.md", md("Rates Held", categories="['Economy']"))
    assert site.build().ok
    page = site.feeds / "section" / "economy" / "archive" / "1.atom"
    assert etree.fromstring(page.read_bytes()).find("fh:archive", NS) is None


def test_a_full_page_takes_no_newcomer_and_shows_its_own_articles_as_they_are(site: Site):
    site.configure(extra=ARCHIVED)
    for number in range(1, 8):
        story(site, number)
    site.build()
    archive = site.feeds / "main" / "archive"
    page1 = {p: p.read_bytes() for p in archive.glob("1.*")}
    story(site, 5, "Story 5, corrected")  # an edit inside a full page
    (site.articles / "4.md").unlink()  # a deletion inside a full page
    (site.articles / "7.md").unlink()  # a deletion on the open page
    for number in (8, 9, 10):
        story(site, number)
    report = site.build()
    assert report.ok
    assert {p: p.read_bytes() for p in page1} == page1, "no article of page 1 changed"
    assert not any("archive/1." in path for path in report.written)
    history = walk_history(site, "atom")
    assert history[1:] == [
        [],  # page 4, open: page 3 filled up with 8, 9 and 10
        ["Story 10", "Story 9", "Story 8"],  # 7 left the open page when it was deleted
        ["Story 6", "Story 5, corrected"],  # complete: 4 removed, 5 as it reads now
        ["Story 3", "Story 2", "Story 1"],
    ]


def test_build_full_restores_a_lost_publish_folder_sealed_pages_included(site: Site):
    site.configure(extra=ARCHIVED)
    for number in range(1, 8):
        story(site, number)
    site.build()
    before = {p: p.read_bytes() for p in site.feeds.rglob("*") if p.is_file()}
    shutil.rmtree(site.root / "public")
    # A plain build sees its feeds' files gone and makes them again whole, complete
    # archive pages included; --full does the same for every feed.
    site.build()
    assert {p: p.read_bytes() for p in site.feeds.rglob("*") if p.is_file()} == before
    shutil.rmtree(site.root / "public")
    site.build(full=True)
    assert {p: p.read_bytes() for p in site.feeds.rglob("*") if p.is_file()} == before


def test_a_deleted_article_leaves_its_full_page_in_a_plain_build(site: Site):
    site.configure(extra=ARCHIVED)
    for number in range(1, 8):
        story(site, number)
    site.build()
    (site.articles / "5.md").unlink()
    page2 = site.feeds / "main" / "archive" / "2.atom"
    assert "feeds/main/archive/2.atom" in site.build().written
    assert [e.title for e in feedparser.parse(page2.read_bytes()).entries] == [
        "Story 6",
        "Story 4",
    ]
    story(site, 11)  # the page stays complete: a newcomer goes to the open page
    site.build()
    assert "Story 11" not in page2.read_text()


def test_families_have_archives_too(site: Site):
    site.configure(extra='[[feeds]]\nname = "section"\nper = "category"\narchive_size = 2\n')
    for number in range(1, 4):
        site.write(f"{number}.md", md(f"Vote {number}", categories="['Выборы']",
                                      published=f"2026-11-{number:02}"))  # fmt: skip
    assert site.build().ok
    archive = site.feeds / "section" / "выборы" / "archive"
    assert sorted(p.name for p in archive.glob("*.atom")) == ["1.atom", "2.atom"]
    first = feedparser.parse((archive / "1.atom").read_bytes())
    assert [e.title for e in first.entries] == ["Vote 2", "Vote 1"]


def test_a_smaller_archive_size_seals_the_open_page_at_once(site: Site):
    site.configure(extra=ARCHIVED)  # pages of 3
    for number in range(1, 6):
        story(site, number)
    site.build()  # page 1: 1-3, open page 2: 4-5
    site.configure(extra=ARCHIVED.replace("archive_size = 3", "archive_size = 1"))
    story(site, 6)
    assert site.build().ok
    assert walk_history(site, "atom")[1:] == [
        [],  # the open page
        ["Story 6"],
        ["Story 5", "Story 4"],  # already over the new size: sealed as it was
        ["Story 3", "Story 2", "Story 1"],
    ]


def test_new_filters_take_out_of_the_open_page_what_they_exclude_and_add_what_they_take(
    site: Site,
):
    """Found by the oracle: after a feed's filters changed, only articles edited since
    were asked again, so the open page kept one the filters now exclude, and one they
    now take was never placed; a build from scratch showed otherwise."""
    feed = '[[feeds]]\nname = "econ"\ncategory = "Economy"\n{}archive_size = 5\n'
    site.configure(extra=feed.format(""))
    site.write("a.md", md("Rates Held", categories="['Economy']", tags="['rates']",
                          published="2026-11-01"))  # fmt: skip
    site.write("b.md", md("Budget Out", categories="['Economy']", tags="['budget']",
                          published="2026-11-02"))  # fmt: skip
    assert site.build().ok
    page = site.feeds / "econ" / "archive" / "1.atom"

    def titles() -> list[str]:
        return [e.title for e in feedparser.parse(page.read_bytes()).entries]

    assert titles() == ["Budget Out", "Rates Held"]
    site.configure(extra=feed.format('tag = ["budget"]\n'))
    assert site.build().ok
    assert titles() == ["Budget Out"], "nothing was edited, and Rates Held left"
    site.configure(extra=feed.format('tag = ["rates"]\n'))
    assert site.build().ok
    assert titles() == ["Rates Held"], "and it comes back when the filters take it again"
