"""A store's articles belong to the store by name: renaming it keeps their GUIDs only
when the rename is declared, and a store taken out of the config takes its articles
out of every feed (announced as removals), never leaving them published for ever."""

import feedparser
import pytest
from conftest import Site, md, page
from lxml import etree

from feedsvc.core.config import ConfigError

AT = "{http://purl.org/atompub/tombstones/1.0}"
ATOM = "{http://www.w3.org/2005/Atom}"


def guids(site: Site) -> dict[str, str]:
    """title -> GUID of main.rss's items (each title once: a twin would be lost here)."""
    entries = feedparser.parse((site.feeds / "main.rss").read_bytes()).entries
    titles = [entry.title for entry in entries]
    assert len(titles) == len(set(titles)), f"an article published twice: {titles}"
    return {entry.title: entry.id for entry in entries}


def tombstones(site: Site) -> int:
    feed = etree.fromstring((site.feeds / "main.atom").read_bytes())
    return len(feed.findall(f"{AT}deleted-entry"))


def write_two(site: Site) -> None:
    site.write("harbour.txt", page("Harbour Lights Restored", "The lamps were lit again."))
    site.write("snow.md", md("Снегопад закрыл перевал", "Дорогу откроют утром."))


def test_a_store_renamed_without_saying_so_replaces_its_articles_once(site: Site):
    write_two(site)
    site.configure(extra=f'[store]\npath = "{site.articles}"\n')
    site.build()
    before = guids(site)
    site.configure(extra=f'[store]\nname = "newsroom"\npath = "{site.articles}"\n')
    report = site.build(full=True)
    after = guids(site)
    assert set(after) == set(before), "each story once, not twice"
    assert not set(after.values()) & set(before.values()), "new GUIDs: an undeclared rename"
    assert tombstones(site) == 2, "readers are told the old items went"
    (warning,) = [p for p in report.problems if p.path == "config"]
    assert "store 'files' is not configured any more: its 2 articles left" in str(warning)
    assert "renamed_from = 'files'" in str(warning)


def test_a_declared_rename_keeps_every_guid(site: Site):
    write_two(site)
    site.configure(extra=f'[store]\npath = "{site.articles}"\n')
    site.build()
    before = guids(site)
    site.configure(
        extra=f'[store]\nname = "newsroom"\nrenamed_from = "files"\npath = "{site.articles}"\n'
    )
    report = site.build()
    assert guids(site) == before and tombstones(site) == 0
    assert not [p for p in report.problems if p.path == "config"]
    site.build()  # and again, the rename done
    assert guids(site) == before


def test_a_rename_declared_late_takes_the_old_guids_back(site: Site):
    """Built once under the new name first (new GUIDs), then the rename declared: the
    GUIDs readers had before come back, the accidental ones are removed."""
    write_two(site)
    site.configure(extra=f'[store]\npath = "{site.articles}"\n')
    site.build()
    before = guids(site)
    site.configure(extra=f'[store]\nname = "newsroom"\npath = "{site.articles}"\n')
    site.build()
    site.configure(
        extra=f'[store]\nname = "newsroom"\nrenamed_from = "files"\npath = "{site.articles}"\n'
    )
    site.build()
    assert guids(site) == before


def test_a_store_taken_out_of_the_config_takes_its_articles_out(site: Site, tmp_path):
    write_two(site)
    wire = tmp_path / "wire"
    wire.mkdir()
    (wire / "agency.md").write_text(md("Wire: Port Strike Ends"), encoding="utf-8")
    both = f'[[store]]\npath = "{site.articles}"\n[[store]]\nname = "wire"\npath = "{wire}"\n'
    site.configure(extra=both)
    site.build()
    assert "Wire: Port Strike Ends" in guids(site)
    site.configure(extra=f'[[store]]\npath = "{site.articles}"\n')
    site.build(full=True)
    assert set(guids(site)) == {"Harbour Lights Restored", "Снегопад закрыл перевал"}
    for path in site.feeds.rglob("*"):
        if path.is_file() and path.suffix in {".rss", ".atom", ".json", ".html"}:
            assert "Port Strike" not in path.read_text(encoding="utf-8"), path


def test_a_rename_from_a_name_still_in_use_stops_start_up(site: Site):
    site.configure(
        extra=f'[[store]]\npath = "{site.articles}"\n'
        f'[[store]]\nname = "wire"\nrenamed_from = "files"\npath = "{site.articles}/w"\n'
    )
    with pytest.raises(ConfigError, match=r"store: .*renamed_from: 'files' is still the name"):
        site.settings()
