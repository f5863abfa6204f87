"""The check every feed passes before it is published: strict, and about 1 ms.

lxml parses the bytes and every rule of RSS 2.0 / Atom 1.0 that a reader relies
on is checked, then the feed is compared with the items it was made from: same
count, order, ids, titles, links and dates.
"""

import re
from collections.abc import Sequence
from datetime import datetime
from email.utils import parsedate_to_datetime

from lxml import etree

from feedsvc.build.render import atom_id
from feedsvc.model import FeedItem

MAX_BYTES = 2 * 1024 * 1024  # what Google News and others accept
ATOM = "{http://www.w3.org/2005/Atom}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} ([+-]\d{4}|GMT)$"
)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ABSOLUTE = re.compile(r"^https?://[^/\s]+")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def _rss_items(channel: etree._Element, found: list[str]) -> list[tuple[str, str, str, datetime]]:
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            found.append(f"channel has no <{name}>")
    read = []
    for number, item in enumerate(channel.iterfind("item"), start=1):
        guid, date = item.findtext("guid"), item.findtext("pubDate") or ""
        if not guid:
            found.append(f"item {number}: no <guid>")
        if not _RFC822.match(date):
            found.append(f"item {number}: pubDate {date!r} is not RFC 822 with a 4-digit year")
            continue
        read.append((guid or "", item.findtext("title") or "", item.findtext("link") or "",
                     parsedate_to_datetime(date)))  # fmt: skip
    return read


def _atom_entries(feed: etree._Element, found: list[str]) -> list[tuple[str, str, str, datetime]]:
    for name in ("id", "title", "updated"):
        if feed.find(ATOM + name) is None:
            found.append(f"feed has no <{name}>")
    read = []
    for number, entry in enumerate(feed.iterfind(ATOM + "entry"), start=1):
        entry_id = entry.findtext(ATOM + "id") or ""
        if not _IRI.match(entry_id):
            found.append(f"entry {number}: id {entry_id!r} is not an absolute IRI")
        dates = {name: entry.findtext(ATOM + name) or "" for name in ("updated", "published")}
        if bad := [f"{n} {v!r}" for n, v in dates.items() if not _RFC3339.match(v)]:
            found.append(f"entry {number}: {', '.join(bad)} not RFC 3339")
            continue
        alternates = [
            link
            for link in entry.iterfind(ATOM + "link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if len({(a.get("type"), a.get("hreflang")) for a in alternates}) != len(alternates):
            found.append(f"entry {number}: more than one alternate link of one type")
        if entry.find(ATOM + "content") is None and not alternates:
            found.append(f"entry {number}: neither content nor an alternate link")
        link = alternates[0].get("href", "") if alternates else ""
        read.append((entry_id, entry.findtext(ATOM + "title") or "", link,
                     datetime.fromisoformat(dates["published"])))  # fmt: skip
    return read


def problems(body: bytes, items: Sequence[FeedItem], fmt: str) -> list[str]:
    """Every rule the feed breaks, and every way it differs from the items; empty when good."""
    if not body.startswith(b"<?xml"):
        return ["the XML declaration is not the first thing in the feed"]
    found: list[str] = []
    if len(body) > MAX_BYTES:
        found.append(f"{len(body):,} bytes, over the {MAX_BYTES:,} readers accept")
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        return [*found, f"not well-formed: {exc}"]
    if fmt == "rss":
        channel = root.find("channel")
        if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
            return [*found, "not an RSS 2.0 document"]
        read = _rss_items(channel, found)
        expected_ids = [item.guid for item in items]
    else:
        if root.tag != ATOM + "feed":
            return [*found, "not an Atom 1.0 document"]
        read = _atom_entries(root, found)
        expected_ids = [atom_id(item.guid) for item in items]
    if found:
        return found
    if len(read) != len(items):
        return [f"{len(read)} items read back, {len(items)} written"]
    if len({guid for guid, *_ in read}) != len(read):
        found.append("an id appears more than once")
    for number, ((guid, title, link, date), item, want) in enumerate(
        zip(read, items, expected_ids, strict=True), start=1
    ):
        where = f"item {number} ({item.guid})"
        for what, got, meant in (
            ("id", guid, want),
            ("title", title, item.title),
            ("link", link, item.link),
        ):
            if got != meant:
                found.append(f"{where}: {what} reads back as {got!r}")
        if not _ABSOLUTE.match(link):
            found.append(f"{where}: link {link!r} is not an absolute http(s) URL")
        if date != item.published:
            found.append(f"{where}: published date reads back as {date.isoformat()}")
    return found
