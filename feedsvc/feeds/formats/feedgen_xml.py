"""RSS 2.0 and Atom 1.0 with feedgen, around its known faults: what both formats share.

Output is a pure function of the data: every date is set from the items (never
"now"), so an unchanged site renders byte-identical feeds and ETags stay put.
"""

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from urllib.parse import quote

import feedgen.entry
import feedgen.feed
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml import etree

from feedsvc.content.media import enclosed, image_type
from feedsvc.core.layout import FEED_MEDIA_TYPES
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.core.podcast import APPLE_SPELLING
from feedsvc.feeds.formats import podcast_xml

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"  # RFC 6721
WEBFEEDS_NS = "http://webfeeds.org/rss/1.0"  # Feedly
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ARCHIVE_RELS = ("current", "prev-archive", "next-archive")
MEDIUMS = frozenset({"image", "audio", "video"})  # MRSS's medium values for these types


def enclosure_of(item: FeedItem) -> tuple[str, str, int | None] | None:
    """(url, type, length) of an RSS item's one enclosure: its first audio podcast apps
    play, else its first audio, else its first other media, else its lead image."""
    if first := enclosed(item.media):
        return first.url, APPLE_SPELLING.get(first.type, first.type), first.length
    if image := item.image:
        return image.url, image_type(image), image.length
    return None


def rfc822(date: datetime) -> str:
    """What feedgen's formatRFC2822 writes in the C locale, and a 4-digit year always,
    without setting the process-wide locale twice a date as it does (pitfall 11): no
    lock around every rendering for it, and in half its time (4-5 against 8-9 µs a date
    on a slow machine; 50 dates a feed)."""
    zone = ""
    if (offset := date.utcoffset()) is not None:
        minutes = offset // timedelta(minutes=1)
        sign, minutes = "-" if minutes < 0 else "+", abs(minutes)
        zone = f" {sign}{minutes // 60:02d}{minutes % 60:02d}"
    return (
        f"{DAYS[date.weekday()]}, {date.day:02d} {MONTHS[date.month - 1]} {date.year:04d} "
        f"{date.hour:02d}:{date.minute:02d}:{date.second:02d}{zone}"
    )


# Its only callers: the RSS channel's dates and each item's pubDate.
feedgen.entry.formatRFC2822 = feedgen.feed.formatRFC2822 = rfc822


class _Entry(FeedEntry):
    """feedgen 1.0 drops rel/type/hreflang/title/length of Atom entry links (pitfall 1).

    RSS authors, enclosures and media are written here directly: feedgen drops
    authors without an e-mail (pitfall 8), and its extensions cost more than the
    rest of the item put together.
    """

    language: str | None = None
    item: FeedItem | None = None
    episode: bool = False  # an item of a podcast feed

    def atom_entry(self, extensions: bool = True):
        entry = super().atom_entry(extensions)
        written = entry.findall("link")
        for element, link in zip(written, self.link() or [], strict=True):
            for attr in ("rel", "type", "hreflang", "title", "length"):
                if link.get(attr):
                    element.set(attr, str(link[attr]))
        if self.language:  # feedgen has no per-entry xml:lang (pitfall 9)
            entry.set(XML_LANG, self.language)
        if self.item and (origin := self.item.source_feed):  # RFC 4287 4.2.11
            source = etree.SubElement(entry, "source")
            etree.SubElement(source, "id").text = origin.url
            etree.SubElement(source, "title").text = origin.title
            etree.SubElement(source, "link", rel="self", href=origin.url)
        return entry

    def rss_entry(self, extensions: bool = True):
        element = super().rss_entry(extensions)
        item = self.item
        if item is None:
            return element
        for author in item.authors:
            etree.SubElement(element, f"{{{DC_NS}}}creator").text = author
        if origin := item.source_feed:
            etree.SubElement(element, "source", url=origin.url).text = origin.title
        # One enclosure (the RSS Advisory Board's advice, and what podcast apps take):
        # see enclosure_of.
        if enclosure := enclosure_of(item):
            url, mime, length = enclosure
            # RSS wants a length; 0 is the RSS Advisory Board's "unknown".
            etree.SubElement(element, "enclosure", url=url, length=str(length or 0), type=mime)
        if self.episode:  # podcast apps take each media:content for another file to play
            podcast_xml.episode(element, item)
        else:
            _media_contents(element, item)
        return element

    def identify(self, guid: str, link: str) -> None:
        """The RSS guid as it is (a permalink only when it is the item's link), the Atom id
        as an IRI: feedgen ties the two together."""
        self.guid(guid, permalink=guid == link)
        self._FeedEntry__atom_id = atom_id(guid)


def _media_contents(element: etree._Element, item: FeedItem) -> None:
    """media:content for each of the item's media and its lead image."""
    for media in item.media:
        content = etree.SubElement(
            element, f"{{{MEDIA_NS}}}content", url=media.url, type=media.type
        )
        if media.length:
            content.set("fileSize", str(media.length))
        content.set("medium", media.kind if media.kind in MEDIUMS else "document")
        if media.duration is not None:
            content.set("duration", str(media.duration))
        if media.title:
            etree.SubElement(content, f"{{{MEDIA_NS}}}title").text = media.title
    if image := item.image:
        mime = image_type(image)
        content = etree.SubElement(element, f"{{{MEDIA_NS}}}content", url=image.url, type=mime)
        if image.length:
            content.set("fileSize", str(image.length))
        content.set("medium", "image")
        etree.SubElement(element, f"{{{MEDIA_NS}}}thumbnail", url=image.url)


class _RssNamespaces(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS, "media": MEDIA_NS}


class _Channel(BaseExtension):
    """What feedgen cannot write at feed level: RSS archive links (pitfall 3), fh:archive,
    and sy:updatePeriod/updateFrequency (its own extension spells them UpdatePeriod)."""

    def __init__(self) -> None:
        self.meta: FeedMeta | None = None

    def extend_ns(self) -> dict[str, str]:
        names = {"fh": FH_NS, "sy": SY_NS}
        if self.meta and self.meta.webfeeds:
            names["webfeeds"] = WEBFEEDS_NS
        if self.meta and self.meta.podcast:
            names |= podcast_xml.NAMESPACES
        return names

    def _archive(self, parent: etree._Element) -> None:
        if self.meta and self.meta.complete:
            xml_elem(f"{{{FH_NS}}}archive", parent)

    def _webfeeds(self, parent: etree._Element) -> None:
        found = self.meta.webfeeds if self.meta else None
        if found is None:
            return
        for name, url in (("icon", found.icon), ("logo", found.logo)):
            if url:
                xml_elem(f"{{{WEBFEEDS_NS}}}{name}", parent).text = url
        if found.cover:
            xml_elem(f"{{{WEBFEEDS_NS}}}cover", parent, image=found.cover)
        if found.accent_color:
            xml_elem(f"{{{WEBFEEDS_NS}}}accentColor", parent).text = found.accent_color
        if found.related:
            xml_elem(f"{{{WEBFEEDS_NS}}}related", parent, layout=found.related, target="browser")

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        meta = self.meta
        if meta is None:
            return feed
        for rel in ARCHIVE_RELS:
            if href := meta.link(rel, "rss"):
                xml_elem(
                    f"{{{ATOM_NS}}}link", channel, href=href, rel=rel, type=FEED_MEDIA_TYPES["rss"]
                )
        for hub in meta.hubs:
            xml_elem(f"{{{ATOM_NS}}}link", channel, href=hub, rel="hub")
        self._archive(channel)
        self._webfeeds(channel)
        if meta.podcast:
            podcast_xml.channel(channel, meta, meta.podcast)
        if meta.schedule:
            period, frequency = meta.schedule.update_period
            xml_elem(f"{{{SY_NS}}}updatePeriod", channel).text = period
            xml_elem(f"{{{SY_NS}}}updateFrequency", channel).text = str(frequency)
        return feed

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        self._archive(feed)
        self._webfeeds(feed)
        for tombstone in self.meta.tombstones if self.meta else ():
            etree.SubElement(
                feed,
                f"{{{TOMBSTONES_NS}}}deleted-entry",
                {"ref": atom_id(tombstone.guid), "when": tombstone.removed.isoformat()},
                nsmap={"at": TOMBSTONES_NS},
            )
        return feed


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def atom_id(guid: str) -> str:
    """An Atom id must be an absolute IRI: a bare GUID ("1042") becomes a tag: URI for it."""
    return guid if _SCHEME.match(guid) else f"tag:feedsvc,2026:guid/{quote(guid, safe='')}"


def _feed_level(fg: FeedGenerator, meta: FeedMeta, fmt: str, self_type: str) -> None:
    fg.id(meta.feed_id)
    fg.title(meta.title)
    fg.subtitle(meta.description)
    fg.language(meta.language)  # also the Atom feed's xml:lang
    fg.generator("feedsvc", uri="https://github.com/feedsvc/feedsvc")
    if meta.author:
        fg.author(name=meta.author, uri=meta.site_url)
    if meta.image:
        fg.image(url=meta.image, title=meta.title, link=meta.site_url)  # also the Atom logo
    if meta.icon:
        fg.icon(meta.icon)
    if meta.schedule:
        fg.ttl(meta.schedule.minutes)
    # RSS <link> is the href of the last link() call: self first (pitfall 2).
    fg.link(href=meta.links["self"][fmt], rel="self", type=self_type)
    if fmt == "atom":
        for rel in ARCHIVE_RELS:
            if href := meta.link(rel, fmt):
                fg.link(href=href, rel=rel, type=self_type)
    fg.link(href=meta.site_url, rel="alternate", type="text/html")
    if fmt == "atom":
        for language, urls in meta.translations:
            if href := urls.get(fmt):
                fg.link(href=href, rel="alternate", type=self_type, hreflang=language)
        for hub in meta.hubs:
            fg.link(href=hub, rel="hub")
    fg.updated(meta.updated)  # also lastBuildDate; never build time (pitfall 4)


def _add_item(fg: FeedGenerator, item: FeedItem, meta: FeedMeta, fmt: str) -> None:
    fe = fg.add_entry(_Entry(), order="append")  # (pitfall 6)
    fe.identify(item.guid, item.link)
    fe.title(item.title)
    fe.link(href=item.link, rel="alternate", type="text/html")
    fe.published(item.published)
    fe.updated(item.updated)
    if item.body_html:
        fe.content(item.body_html, type="html")
    if item.summary_html:
        # summary() after content(): description() would overwrite it (pitfall 5).
        fe.summary(item.summary_html, type="html")
    # One call each: feedgen rebuilds the whole list on every call (quadratic).
    if item.categories:
        fe.category([{"term": category} for category in item.categories])
    fe.item = item  # RSS: authors, enclosure, media; both: the source feed
    fe.episode = meta.podcast is not None
    if fmt == "rss":
        return
    fe.language = meta.language_of(item)
    if item.authors:
        fe.author([{"name": author} for author in item.authors])
    for media in item.media:
        fe.link(href=media.url, rel="enclosure", type=media.type, length=media.length,
                title=media.title or None)  # fmt: skip
    if image := item.image:
        fe.link(href=image.url, rel="enclosure", type=image_type(image), length=image.length)


def generator(meta: FeedMeta, items: Sequence[FeedItem], fmt: str, self_type: str):
    fg = FeedGenerator()
    if fmt == "rss":
        fg.register_extension("rssitems", _RssNamespaces, None, atom=False, rss=True)
    fg.register_extension("feedsvc", _Channel, None, atom=True, rss=True)
    fg.feedsvc.meta = meta
    _feed_level(fg, meta, fmt, self_type)
    for item in items:
        _add_item(fg, item, meta, fmt)
    return fg
