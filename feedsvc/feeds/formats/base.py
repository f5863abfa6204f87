"""What every feed format module gives (a Format), and what their strict readers share."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from feedsvc.core.config import FeedFormat
from feedsvc.core.model import FeedItem, FeedMeta

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
_ABSOLUTE = re.compile(r"^https?://[^/\s]+")
IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


@dataclass(frozen=True)
class Read:
    """One item as a reader finds it."""

    id: str
    title: str
    link: str
    published: datetime
    updated: datetime | None  # RSS has no item updated date


@dataclass(frozen=True)
class Format:
    """One feed format: how it is written, how it is read back strictly, how people and
    HTTP name it."""

    name: FeedFormat  # also the file extension
    label: str  # for people: "RSS 2.0"
    media_type: str  # in <link type>; served with a charset where it is XML (core.layout)
    render: Callable[[FeedMeta, Sequence[FeedItem]], bytes]
    # Every item as a strict reader finds it, every rule broken added to the list.
    read: Callable[[bytes, list[str]], list[Read]]
    item_id: Callable[[str], str] = str  # the id a reader sees for a GUID
    feedparser_reads: bool = True  # the suite's full check reads it back with feedparser


def absolute(what: str, url: str | None, found: list[str]) -> None:
    if not _ABSOLUTE.match(url or ""):
        found.append(f"{what} {url!r} is not an absolute http(s) URL")


def rfc3339(value: str | None, what: str, found: list[str]) -> datetime | None:
    if value is None or not _RFC3339.match(value):
        found.append(f"{what} {value!r} is not RFC 3339")
        return None
    return datetime.fromisoformat(value)


def xml_root(body: bytes, found: list[str]) -> etree._Element | None:
    """The parsed document (no entities, DTDs or network), or None with why."""
    if not body.startswith(b"<?xml"):
        found.append("the XML declaration is not the first thing in the feed")
        return None
    try:
        return etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        found.append(f"not well-formed: {exc}")
        return None


def children(element: etree._Element) -> tuple[dict[str, etree._Element], list]:
    """(first child of each tag, every other child in order): one pass, no repeated finds."""
    first: dict[str, etree._Element] = {}
    rest = []
    for child in element:
        if child.tag in first:
            rest.append(child)
        else:
            first[child.tag] = child
    return first, rest


def every(first: dict[str, etree._Element], rest: list, tag: str) -> list[etree._Element]:
    """Every child with this tag, from what children() made."""
    return [e for e in (first.get(tag), *rest) if e is not None and e.tag == tag]


def text(first: dict[str, etree._Element], tag: str) -> str | None:
    element = first.get(tag)
    return None if element is None else (element.text or "")
