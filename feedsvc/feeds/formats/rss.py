"""RSS 2.0: written with feedgen (feedgen_xml.py), read back strictly."""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from lxml import etree

from feedsvc.core.layout import FEED_MEDIA_TYPES
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.feeds.formats import podcast_xml
from feedsvc.feeds.formats.base import Format, Read, absolute, children, every, text, xml_root
from feedsvc.feeds.formats.feedgen_xml import MONTHS, generator

MEDIA_TYPE = FEED_MEDIA_TYPES["rss"]
_RFC822 = re.compile(
    rf"^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{{2}}) ({'|'.join(MONTHS)}) "
    r"(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}|GMT)$"
)


def render(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    fg = generator(meta, items, "rss", MEDIA_TYPE)
    return fg.rss_str(pretty=True)


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


def _items(channel: etree._Element, found: list[str]) -> list[Read]:
    for name in ("title", "link", "description"):
        if channel.find(name) is None:
            found.append(f"channel has no <{name}>")
    absolute("channel link", channel.findtext("link"), found)
    if (built := channel.findtext("lastBuildDate")) is not None and _rfc822(built) is None:
        found.append(f"lastBuildDate {built!r} is not RFC 822 with a 4-digit year")
    items_read = []
    for number, item in enumerate(channel.iterfind("item"), start=1):
        where = f"item {number}"
        first, rest = children(item)
        guid, date = first.get("guid"), text(first, "pubDate") or ""
        if guid is None or not guid.text:
            found.append(f"{where}: no <guid>")
        elif guid.get("isPermaLink", "true") == "true":
            absolute(f"{where}: permalink guid", guid.text, found)
        if "title" not in first and "description" not in first:
            found.append(f"{where}: neither title nor description")
        for enclosure in every(first, rest, "enclosure"):
            if not (enclosure.get("length") or "").isdigit() or not enclosure.get("type"):
                found.append(f"{where}: enclosure without a length in bytes and a type")
            absolute(f"{where}: enclosure", enclosure.get("url"), found)
        when = _rfc822(date)
        if when is None:
            found.append(f"{where}: pubDate {date!r} is not RFC 822 with a 4-digit year")
            continue
        guid_text = (guid.text if guid is not None else "") or ""
        title, link = text(first, "title") or "", text(first, "link") or ""
        items_read.append(Read(guid_text, title, link, when, None))
    return items_read


def read(body: bytes, found: list[str]) -> list[Read]:
    root = xml_root(body, found)
    if root is None:
        return []
    channel = root.find("channel")
    if root.tag != "rss" or root.get("version") != "2.0" or channel is None:
        found.append("not an RSS 2.0 document")
        return []
    podcast_xml.check(channel, found)
    return _items(channel, found)


FORMAT = Format("rss", "RSS 2.0", MEDIA_TYPE, render, read)
