"""A real feed reader: Debian's newsboat reloads our feeds and keeps every item."""

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

import feedparser
import pytest
from conftest import Site, md, page

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(NEWSBOAT is None, reason="Debian's newsboat is not installed")
FAMILY = "feeds/category/%D1%8D%D0%BA%D0%BE%D0%BD%D0%BE%D0%BC%D0%B8%D0%BA%D0%B0.atom"


def reload(urls: list[str], home: Path) -> sqlite3.Connection:
    """`newsboat -x reload`: fetch every URL once, no screen, cache in `home`."""
    home.mkdir()
    (home / "urls").write_text("\n".join(urls) + "\n")
    (home / "config").write_text("download-timeout 10\nreload-threads 2\n")
    cache = home / "cache.db"
    result = subprocess.run(
        [NEWSBOAT, "-u", str(home / "urls"), "-c", str(cache), "-C", str(home / "config"),
         "-x", "reload"],
        capture_output=True, text=True, timeout=60,
        env={"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return sqlite3.connect(cache)


def test_newsboat_finds_every_item_with_its_title_and_link(site: Site, start_server, tmp_path):
    site.write("a.txt", page("Night Ferry Returns", "The ferry sails again."))
    site.write("b.md", md("Цены на хлеб выросли", "Хлеб подорожал.", categories="['Экономика']"))
    (site.root / "latest-news.txt").write_text("Night Ferry Returns\nWind Warning Issued\n")
    assert site.build().ok
    server = start_server("serve")
    paths = ["feeds/main.rss", "feeds/main.atom", "feeds/latest.rss", "feeds/latest.atom", FAMILY]
    for number, path in enumerate(paths):
        # One cache per feed: newsboat keeps an item (by GUID) under one feed only, and
        # our RSS and Atom twins share their GUIDs.
        url = server.url + path
        cache = reload([url], tmp_path / f"reader-{number}")
        expected = {
            (e.title, e.link)
            for e in feedparser.parse((site.root / "public" / unquote(path)).read_bytes()).entries
        }
        read = set(cache.execute("SELECT title, url FROM rss_item WHERE feedurl = ?", (url,)))
        assert read == expected and expected, path
        (title,) = cache.execute("SELECT title FROM rss_feed WHERE rssurl = ?", (url,)).fetchone()
        assert title.startswith("Example News")
    assert title == "Example News: Экономика"
