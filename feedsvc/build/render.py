"""RSS 2.0 and Atom 1.0 bytes with feedgen, around its known faults.

Output is a pure function of the data: every date is set from the items (never
"now"), so an unchanged site renders byte-identical feeds and ETags stay put.
"""

import re
import threading
from collections.abc import Callable, Sequence
from urllib.parse import quote

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator

from feedsvc.model import FeedItem, FeedMeta

# feedgen's RFC 822 date formatter sets the process-wide locale (pitfall 11).
_FEEDGEN_LOCK = threading.Lock()

ATOM_TYPE = "application/atom+xml"
RSS_TYPE = "application/rss+xml"


class _Entry(FeedEntry):
    """feedgen 1.0 drops rel/type/hreflang/title/length of Atom entry links (pitfall 1)."""

    def atom_entry(self, extensions: bool = True):
        entry = super().atom_entry(extensions)
        written = entry.findall("link")
        for element, link in zip(written, self.link() or [], strict=True):
            for attr in ("rel", "type", "hreflang", "title", "length"):
                if link.get(attr):
                    element.set(attr, str(link[attr]))
        return entry

    def identify(self, guid: str) -> None:
        """The RSS guid as it is, the Atom id as an IRI: feedgen ties the two together."""
        self.guid(guid, permalink=False)
        self._FeedEntry__atom_id = atom_id(guid)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def atom_id(guid: str) -> str:
    """An Atom id must be an absolute IRI: a bare GUID ("1042") becomes a tag: URI for it."""
    return guid if _SCHEME.match(guid) else f"tag:feedsvc,2026:guid/{quote(guid, safe='')}"


def _generator(meta: FeedMeta, items: Sequence[FeedItem], self_url: str, self_type: str):
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)  # RSS authors without e-mail (pitfall 8)
    fg.id(meta.feed_id)
    fg.title(meta.title)
    fg.subtitle(meta.description)
    fg.language(meta.language)
    fg.generator("feedsvc", uri="https://github.com/feedsvc/feedsvc")
    # RSS <link> is the href of the last link() call: self first (pitfall 2).
    fg.link(href=self_url, rel="self", type=self_type)
    fg.link(href=meta.site_url, rel="alternate", type="text/html")
    fg.updated(meta.updated)  # also lastBuildDate; never build time (pitfall 4)
    for item in items:
        fe = fg.add_entry(_Entry(), order="append")  # (pitfall 6)
        fe.identify(item.guid)
        fe.title(item.title)
        fe.link(href=item.link, rel="alternate", type="text/html")
        fe.published(item.published)
        fe.updated(item.updated)
        if item.body_html:
            fe.content(item.body_html, type="html")
        if item.summary_html:
            # summary() after content(): description() would overwrite it (pitfall 5).
            fe.summary(item.summary_html, type="html")
        for author in item.authors:
            fe.author(name=author)
            fe.dc.dc_creator(author)
        for category in item.categories:
            fe.category(term=category)
    return fg


def _render(meta: FeedMeta, items: Sequence[FeedItem], fmt: str, content_type: str) -> bytes:
    fg = _generator(meta, items, meta.self_urls[fmt], content_type)
    with _FEEDGEN_LOCK:
        return fg.rss_str(pretty=True) if fmt == "rss" else fg.atom_str(pretty=True)


def render_rss(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    return _render(meta, items, "rss", RSS_TYPE)


def render_atom(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    return _render(meta, items, "atom", ATOM_TYPE)


RENDERERS: dict[str, Callable[[FeedMeta, Sequence[FeedItem]], bytes]] = {
    "rss": render_rss,
    "atom": render_atom,
}
