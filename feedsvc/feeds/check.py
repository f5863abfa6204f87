"""The check every feed passes before it is published: strict, and about a millisecond.

The bytes are parsed (lxml, or json for JSON Feed) and every rule of RSS 2.0,
Atom 1.0 (RFC 4287) and JSON Feed 1.1 that a reader relies on is checked, with
our own: ids unique, no dates in the future, under 2 MB. Then the feed is
compared with the items it was made from: same count, order, ids, titles,
links and dates.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from lxml import etree

from feedsvc.core.model import FeedItem
from feedsvc.feeds.render import ATOM_NS, atom_id

MAX_BYTES = 2 * 1024 * 1024  # what Google News and others accept
ATOM = f"{{{ATOM_NS}}}"
LINK = ATOM + "link"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_RFC822 = re.compile(
    rf"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{{2}}) ({'|'.join(MONTHS)}) "
    r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}|GMT)$"
)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ABSOLUTE = re.compile(r"^https?://[^/\s]+")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@dataclass(frozen=True)
class Read:
    """One item as a reader finds it."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime | None  # RSS has no item updated date


def _absolute(what: str, url: str | None, found: list[str]) -> None:
    if not _ABSOLUTE.match(url or ""):
        found.append(f"{what} {url!r} is not an absolute http(s) URL")


def _rfc822(value: str) -> datetime | None:
    """An RFC 822 date with a 4-digit year and English names, or None (email.utils is
    lenient, and five times slower)."""
    match = _RFC822.match(value)
    if match is None:
        return None
    day, month, year, hour, minute, second, zone = match.groups()
    offset = 0 if zone == "GMT" else int(zone[0] + "1") * (int(zone[1:3]) * 60 + int(zone[3:]))
    try:
        return datetime(int(year), MONTHS.index(month) + 1, int(day), int(hour), int(minute),
                        int(second), tzinfo=timezone(timedelta(minutes=offset)))  # fmt: skip
    except ValueError:  # 31 Feb, 25:00
        return None


def _children(element: etree._Element) -> tuple[dict[str, etree._Element], list]:
    """(first child of each tag, every other child in order): one pass, no repeated finds."""
    first: dict[str, etree._Element] = {}
    rest = []
    for child in element:
        if child.tag in first:
            rest.append(child)
        else:
            first[child.tag] = child
    return first, rest


def _every(first: dict[str, etree._Element], rest: list, tag: str) -> list[etree._Element]:
    """Every child with this tag, from what _children() made."""
    return [e for e in (first.get(tag), *rest) if e is not None and e.tag == tag]


def _text(first: dict[str, etree._Element], tag: str) -> str | None:
    element = first.get(tag)
    return None if element is None else (element.text or "")


def _rss_items(channel: etree._Element, found: list[str]) -> list[Read]:
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            found.append(f"channel has no <{name}>")
    _absolute("channel link", channel.findtext("link"), found)
    if (built := channel.findtext("lastBuildDate")) is not None and _rfc822(built) is None:
        found.append(f"lastBuildDate {built!r} is not RFC 822 with a 4-digit year")
    read = []
    for number, item in enumerate(channel.iterfind("item"), start=1):
        where = f"item {number}"
        first, rest = _children(item)
        guid, date = first.get("guid"), _text(first, "pubDate") or ""
        if guid is None or not guid.text:
            found.append(f"{where}: no <guid>")
        elif guid.get("isPermaLink", "true") == "true":
            _absolute(f"{where}: permalink guid", guid.text, found)
        if "title" not in first and "description" not in first:
            found.append(f"{where}: neither title nor description")
        for enclosure in _every(first, rest, "enclosure"):
            if not (enclosure.get("length") or "").isdigit() or not enclosure.get("type"):
                found.append(f"{where}: enclosure without a length in bytes and a type")
            _absolute(f"{where}: enclosure", enclosure.get("url"), found)
        when = _rfc822(date)
        if when is None:
            found.append(f"{where}: pubDate {date!r} is not RFC 822 with a 4-digit year")
            continue
        text = (guid.text if guid is not None else "") or ""
        title, link = _text(first, "title") or "", _text(first, "link") or ""
        read.append(Read(text, title, link, when, None))
    return read


def _links(first: dict, rest: list, where: str, found: list[str]) -> list[etree._Element]:
    """Every link checked absolute; returns the rel="alternate" ones, at most one of each
    type and language (RFC 4287 4.1.1)."""
    alternates = []
    for link in _every(first, rest, LINK):
        rel = link.get("rel", "alternate")
        _absolute(f"{where}: {rel} link", link.get("href"), found)
        if rel == "alternate":
            alternates.append(link)
    if len({(a.get("type"), a.get("hreflang")) for a in alternates}) != len(alternates):
        found.append(f"{where}: more than one alternate link of one type")
    return alternates


def _rfc3339(value: str | None, what: str, found: list[str]) -> datetime | None:
    if value is None or not _RFC3339.match(value):
        found.append(f"{what} {value!r} is not RFC 3339")
        return None
    return datetime.fromisoformat(value)


def _atom_entries(feed: etree._Element, found: list[str]) -> list[Read]:
    first, rest = _children(feed)
    for name in ("id", "title", "updated"):
        if ATOM + name not in first:
            found.append(f"feed has no <{name}>")
    if not _IRI.match(_text(first, ATOM + "id") or ""):
        found.append("feed id is not an absolute IRI")
    _rfc3339(_text(first, ATOM + "updated"), "feed updated", found)
    _links(first, rest, "feed", found)
    feed_has_author = ATOM + "author" in first
    read = []
    for number, entry in enumerate(feed.iterfind(ATOM + "entry"), start=1):
        where = f"entry {number}"
        fields, others = _children(entry)
        entry_id = _text(fields, ATOM + "id") or ""
        if not _IRI.match(entry_id):
            found.append(f"{where}: id {entry_id!r} is not an absolute IRI")
        if ATOM + "title" not in fields:
            found.append(f"{where}: no <title>")
        if not feed_has_author and ATOM + "author" not in fields:
            found.append(f"{where}: no <author>, and the feed names none")
        content = fields.get(ATOM + "content")
        if content is not None and content.get("src") and ATOM + "summary" not in fields:
            found.append(f"{where}: content by reference needs a <summary>")
        alternates = _links(fields, others, where, found)
        if content is None and not alternates:
            found.append(f"{where}: neither content nor an alternate link")
        updated = _rfc3339(_text(fields, ATOM + "updated"), f"{where}: updated", found)
        published = _rfc3339(_text(fields, ATOM + "published"), f"{where}: published", found)
        if updated is None or published is None:
            continue
        link = alternates[0].get("href", "") if alternates else ""
        title = _text(fields, ATOM + "title") or ""
        read.append(Read(entry_id, title, link, published, updated))
    return read


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _json_items(body: bytes, found: list[str]) -> list[Read]:
    try:
        feed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        found.append(f"not valid JSON: {exc}")
        return []
    if not isinstance(feed, dict) or feed.get("version") != "https://jsonfeed.org/version/1.1":
        found.append("not a JSON Feed 1.1 document")
        return []
    if not isinstance(feed.get("title"), str):
        found.append("feed has no title")
    for key in ("home_page_url", "feed_url", "next_url", "icon", "favicon"):
        if key in feed:
            _absolute(key, feed[key], found)
    if not isinstance(feed.get("items"), list):
        found.append("feed has no items list")
        return []
    read = []
    for number, item in enumerate(feed["items"], start=1):
        where = f"item {number}"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            found.append(f"{where}: no id")
            continue
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            found.append(f"{where}: neither content_html nor content_text")
        for key in ("url", "image"):
            if key in item:
                _absolute(f"{where}: {key}", item[key], found)
        for attachment in item.get("attachments", []):
            if not attachment.get("mime_type"):
                found.append(f"{where}: attachment without mime_type")
            _absolute(f"{where}: attachment", attachment.get("url"), found)
        published = _rfc3339(_str(item.get("date_published")), f"{where}: date_published", found)
        modified = _rfc3339(_str(item.get("date_modified")), f"{where}: date_modified", found)
        if published and modified:
            title, link = item.get("title", ""), item.get("url", "")
            read.append(Read(item["id"], title, link, published, modified))
    return read


def _read(body: bytes, fmt: str, found: list[str]) -> list[Read]:
    if fmt == "json":
        return _json_items(body, found)
    if not body.startswith(b"<?xml"):
        found.append("the XML declaration is not the first thing in the feed")
        return []
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        found.append(f"not well-formed: {exc}")
        return []
    if fmt == "rss":
        channel = root.find("channel")
        if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
            found.append("not an RSS 2.0 document")
            return []
        return _rss_items(channel, found)
    if root.tag != ATOM + "feed":
        found.append("not an Atom 1.0 document")
        return []
    return _atom_entries(root, found)


def problems(body: bytes, items: Sequence[FeedItem], fmt: str, now: datetime) -> list[str]:
    """Every rule the feed breaks, and every way it differs from the items; empty when good."""
    found: list[str] = []
    if len(body) > MAX_BYTES:
        found.append(f"{len(body):,} bytes, over the {MAX_BYTES:,} readers accept")
    read = _read(body, fmt, found)
    if found:
        return found
    if len(read) != len(items):
        return [f"{len(read)} items read back, {len(items)} written"]
    if len({r.id for r in read}) != len(read):
        found.append("an id appears more than once")
    for number, (got, item) in enumerate(zip(read, items, strict=True), start=1):
        where = f"item {number} ({item.guid})"
        for what, value, meant in (
            ("id", got.id, atom_id(item.guid) if fmt == "atom" else item.guid),
            ("title", got.title, item.title),
            ("link", got.link, item.link),
        ):
            if value != meant:
                found.append(f"{where}: {what} reads back as {value!r}")
        _absolute(f"{where}: link", got.link, found)
        if got.published != item.published:
            found.append(f"{where}: published date reads back as {got.published.isoformat()}")
        if got.updated is not None and got.updated != item.updated:
            found.append(f"{where}: updated date reads back as {got.updated.isoformat()}")
        if max(got.published, got.updated or got.published) > now:
            found.append(f"{where}: dated in the future")
    return found
