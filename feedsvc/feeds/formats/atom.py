"""Atom 1.0 (RFC 4287): written with feedgen (feedgen_xml.py), read back strictly."""

from collections.abc import Sequence

from lxml import etree

from feedsvc.core.layout import FEED_MEDIA_TYPES
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.feeds.formats.base import (
    IRI,
    Format,
    Read,
    absolute,
    children,
    every,
    rfc3339,
    text,
    xml_root,
)
from feedsvc.feeds.formats.feedgen_xml import ATOM_NS, atom_id, generator

MEDIA_TYPE = FEED_MEDIA_TYPES["atom"]
ATOM = f"{{{ATOM_NS}}}"
LINK = ATOM + "link"


def render(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    fg = generator(meta, items, "atom", MEDIA_TYPE)
    return fg.atom_str(pretty=True)


def _links(first: dict, rest: list, where: str, found: list[str]) -> list[etree._Element]:
    """Every link checked absolute; returns the rel="alternate" ones, at most one of each
    type and language (RFC 4287 4.1.1)."""
    alternates = []
    for link in every(first, rest, LINK):
        rel = link.get("rel", "alternate")
        absolute(f"{where}: {rel} link", link.get("href"), found)
        if rel == "alternate":
            alternates.append(link)
    if len({(a.get("type"), a.get("hreflang")) for a in alternates}) != len(alternates):
        found.append(f"{where}: more than one alternate link of one type")
    return alternates


def _entries(feed: etree._Element, found: list[str]) -> list[Read]:
    first, rest = children(feed)
    for name in ("id", "title", "updated"):
        if ATOM + name not in first:
            found.append(f"feed has no <{name}>")
    if not IRI.match(text(first, ATOM + "id") or ""):
        found.append("feed id is not an absolute IRI")
    rfc3339(text(first, ATOM + "updated"), "feed updated", found)
    _links(first, rest, "feed", found)
    feed_has_author = ATOM + "author" in first
    items_read = []
    for number, entry in enumerate(feed.iterfind(ATOM + "entry"), start=1):
        where = f"entry {number}"
        fields, others = children(entry)
        entry_id = text(fields, ATOM + "id") or ""
        if not IRI.match(entry_id):
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
        updated = rfc3339(text(fields, ATOM + "updated"), f"{where}: updated", found)
        published = rfc3339(text(fields, ATOM + "published"), f"{where}: published", found)
        if updated is None or published is None:
            continue
        link = alternates[0].get("href", "") if alternates else ""
        title = text(fields, ATOM + "title") or ""
        items_read.append(Read(entry_id, title, link, published, updated))
    return items_read


def read(body: bytes, found: list[str]) -> list[Read]:
    root = xml_root(body, found)
    if root is None:
        return []
    if root.tag != ATOM + "feed":
        found.append("not an Atom 1.0 document")
        return []
    return _entries(root, found)


FORMAT = Format("atom", "Atom 1.0", MEDIA_TYPE, render, read, item_id=atom_id)
