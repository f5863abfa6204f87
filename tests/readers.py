"""A second opinion: two independent parsers must read every feed the same way.

feedparser reads RSS and Atom, atoma reads JSON Feed (feedparser 6.0 cannot), and
fastfeedparser reads all three; they must agree on item count, ids, titles,
links and dates.
"""

import html
from datetime import UTC, datetime

import atoma
import fastfeedparser
import feedparser
from feedparser.sanitizer import _sanitize_html

from feedsvc.core.text import collapse_spaces
from feedsvc.feeds.roundtrip import as_feedparser_reads

Item = tuple[str, str, str, datetime | None]


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _fast(body: bytes) -> list[Item]:
    return [
        (
            e.get("id"),
            collapse_spaces(e.get("title") or ""),
            e.get("link"),
            _date(e.get("published")),
        )
        for e in fastfeedparser.parse(body).entries
    ]


def _feedparser(body: bytes) -> tuple[list[Item], list[bool]]:
    """The items, and for each whether feedparser took its title for HTML."""

    def when(entry) -> datetime | None:
        parsed = entry.get("published_parsed")
        return datetime(*parsed[:6], tzinfo=UTC) if parsed else None

    entries = feedparser.parse(body).entries
    items = [
        (e.get("id"), collapse_spaces(e.get("title", "")), e.get("link"), when(e)) for e in entries
    ]
    return items, [e.get("title_detail", {}).get("type") == "text/html" for e in entries]


def _as_html(item: Item, *, sanitise: bool = False) -> Item:
    """The item with its title read as HTML; `sanitise`: as feedparser's sanitiser leaves
    it first (it drops what is not markup it knows: "&amp;<>" is "&" to its readers)."""
    title = _sanitize_html(item[1], "utf-8", "text/html") if sanitise else item[1]
    return (item[0], html.unescape(collapse_spaces(title)), *item[2:])


def _atoma(body: bytes) -> list[Item]:
    return [
        (i.id_, collapse_spaces(i.title or ""), i.url, i.date_published)
        for i in atoma.parse_json_feed_bytes(body).items
    ]


def disagreements(body: bytes, fmt: str) -> list[str]:
    """How the two parsers' readings of the feed differ; empty when they agree."""
    if fmt == "json":
        first, guessed_html = _atoma(body), []
    else:
        first, guessed_html = _feedparser(body)
    second = _fast(body)
    if len(first) != len(second):
        return [f"{len(first)} items against fastfeedparser's {len(second)}"]
    found = []
    for number, (a, b) in enumerate(zip(first, second, strict=True), start=1):
        if fmt != "json":  # feedparser "repairs" UTF-8 text that looks read as Latin-1
            b = (b[0], collapse_spaces(as_feedparser_reads(b[1])), *b[2:])
        # An RSS title may be text or HTML; where feedparser guessed HTML, compare as HTML.
        if number <= len(guessed_html) and guessed_html[number - 1]:
            a, b = _as_html(a), _as_html(b, sanitise=True)
        if a != b:
            found.append(f"item {number}: {a} against fastfeedparser's {b}")
    return found
