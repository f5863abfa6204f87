"""The full check: read a feed back with feedparser, as most readers would, and compare.

About 100 ms for a 50-item feed: the test suite runs it over every feed it builds
(`Pipeline(full_check=True)`); the cheap strict check in check.py always runs.
feedparser 6.0 does not read JSON Feed: the suite reads those with a second parser.
"""

import html
from calendar import timegm
from collections.abc import Sequence
from datetime import UTC, datetime
from time import struct_time

import feedparser
from feedparser.sanitizer import _sanitize_html

from feedsvc.core.model import FeedItem
from feedsvc.core.text import collapse_spaces
from feedsvc.feeds.formats.feedgen_xml import atom_id


def _when(parsed: struct_time | None) -> datetime | None:
    """feedparser's dates are UTC struct_times."""
    return None if parsed is None else datetime.fromtimestamp(timegm(parsed), UTC)


def as_feedparser_reads(text: str) -> str:
    """feedparser "repairs" any text that is UTF-8 read as Latin-1 (a headline like "Â¡")."""
    try:
        return text.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _title_matches(entry: dict, expected: str) -> bool:
    """RSS titles are ambiguous (text or HTML?): where feedparser guessed HTML, compare as such."""
    got, want = (
        collapse_spaces(entry.get("title", "")),
        collapse_spaces(as_feedparser_reads(expected)),
    )
    if got == want:
        return True
    if entry.get("title_detail", {}).get("type") != "text/html":
        return False
    if html.unescape(got) == html.unescape(want):
        return True
    # Taken for HTML, the title is what feedparser's sanitiser makes of it ("<P<" is a
    # paragraph to it): what its readers show, though the feed says the same as ever.
    return got == collapse_spaces(_sanitize_html(want, "utf-8", "text/html"))


def problems(body: bytes, items: Sequence[FeedItem], fmt: str) -> list[str]:
    """Every way the feed as parsed differs from the items; empty when it is good."""
    if not body.startswith(b"<?xml"):
        return ["the XML declaration is not the first thing in the feed"]
    parsed = feedparser.parse(body)
    if parsed.bozo:
        return [f"not well-formed: {parsed.bozo_exception}"]
    expected_version = "rss20" if fmt == "rss" else "atom10"
    found: list[str] = []
    if parsed.version != expected_version:
        found.append(f"parsed as {parsed.version or 'unknown'}, expected {expected_version}")
    if len(parsed.entries) != len(items):
        return [*found, f"{len(parsed.entries)} items read back, {len(items)} written"]
    ids = [entry.get("id") for entry in parsed.entries]
    if len(set(ids)) != len(ids):
        found.append("duplicate item ids")
    for number, (entry, item) in enumerate(zip(parsed.entries, items, strict=True), start=1):
        where = f"item {number} ({item.guid})"
        if entry.get("id") != as_feedparser_reads(
            item.guid if fmt == "rss" else atom_id(item.guid)
        ):
            found.append(f"{where}: id reads back as {entry.get('id')!r}")
        if not _title_matches(entry, item.title):
            found.append(f"{where}: title reads back as {entry.get('title')!r}")
        if entry.get("link") != item.link:
            found.append(f"{where}: link reads back as {entry.get('link')!r}")
        if _when(entry.get("published_parsed")) != item.published:
            found.append(f"{where}: published date reads back wrong")
        if fmt == "atom" and _when(entry.get("updated_parsed")) != item.updated:
            found.append(f"{where}: updated date reads back wrong")
    return found
