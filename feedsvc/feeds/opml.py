"""/feeds.opml: every feed, for a reader to import in one step (OPML 2.0)."""

from collections.abc import Sequence

from lxml import etree

from feedsvc.core.config import SiteSettings
from feedsvc.feeds.formats import FORMATS
from feedsvc.feeds.specs import FeedSpec, feed_path, preview_path, public_url


def opml(site: SiteSettings, specs: Sequence[FeedSpec]) -> bytes:
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{site.title}: feeds"
    body = etree.SubElement(root, "body")
    groups: dict[str, etree._Element] = {}
    for spec in specs:
        parent = body
        if spec.value is not None:
            name = spec.feed.name
            if name not in groups:
                groups[name] = etree.SubElement(body, "outline", text=name, title=name)
            parent = groups[name]
        # The format a reader subscribes to when a feed offers several: the first.
        fmt = next(f for f in FORMATS if f in spec.formats)
        etree.SubElement(
            parent,
            "outline",
            type="rss",
            text=spec.title,
            title=spec.title,
            description=spec.description,
            xmlUrl=public_url(site.base_url, feed_path(spec.key, fmt)),
            htmlUrl=public_url(site.base_url, preview_path(spec.key)),
        )
    return etree.tostring(root, pretty_print=True, xml_declaration=True, encoding="UTF-8")
