"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1): written by hand (feedgen has
none), read back strictly.

Like the XML feeds, the bytes depend on the data only: keys in a fixed order,
dates from the items, so an unchanged feed keeps its ETag.
"""

import html
import json
from collections.abc import Sequence
from typing import Any

from feedsvc.content.media import image_type
from feedsvc.core.layout import FEED_MEDIA_TYPES
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.feeds.formats.base import Format, Read, absolute, rfc3339

VERSION = "https://jsonfeed.org/version/1.1"
SOURCE_ABOUT = "https://github.com/feedsvc/feedsvc#wire-copy-keeps-its-origin"


def _item(item: FeedItem, meta: FeedMeta) -> dict[str, Any]:
    data: dict[str, Any] = {"id": item.guid, "url": item.link, "title": item.title}
    # content_html or content_text must be there: a headline-only item says its headline.
    if item.body_html:
        data["content_html"] = item.body_html
    elif item.summary_html:
        data["content_html"] = item.summary_html
    else:
        data["content_text"] = item.title
    if item.summary_html:
        data["summary"] = html.unescape(item.summary_html)
    if item.image:
        data["image"] = item.image.url
    data["date_published"] = item.published.isoformat()
    data["date_modified"] = item.updated.isoformat()
    if item.authors:
        data["authors"] = [{"name": name} for name in item.authors]
    if item.categories:
        data["tags"] = list(item.categories)
    if language := meta.language_of(item):
        data["language"] = language
    attachments = [_attachment(m.url, m.type, m.title, m.length, m.duration) for m in item.media]
    if image := item.image:
        attachments.append(_attachment(image.url, image_type(image), image.alt, image.length))
    if attachments:
        data["attachments"] = attachments
    if origin := item.source_feed:
        # An extension (JSON Feed 1.1: keys starting with "_"), as RSS's <source>.
        data["_source"] = {"about": SOURCE_ABOUT, "title": origin.title, "feed_url": origin.url}
    return data


def _attachment(
    url: str, mime: str, title: str, length: int | None, duration: int | None = None
) -> dict[str, Any]:
    attachment: dict[str, Any] = {"url": url, "mime_type": mime}
    if title:
        attachment["title"] = title
    if length:
        attachment["size_in_bytes"] = length
    if duration is not None:
        attachment["duration_in_seconds"] = duration
    return attachment


def render(meta: FeedMeta, items: Sequence[FeedItem]) -> bytes:
    feed: dict[str, Any] = {
        "version": VERSION,
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": meta.links["self"]["json"],
        "description": meta.description,
    }
    # JSON Feed pages backwards through next_url: the current feed to the newest
    # archive page, each archive page to the one before it.
    if older := meta.link("prev-archive", "json"):
        feed["next_url"] = older
    if meta.image:
        feed["icon"] = meta.image
    if meta.icon:
        feed["favicon"] = meta.icon
    if meta.author:
        feed["authors"] = [{"name": meta.author, "url": meta.site_url}]
    feed["language"] = meta.language
    if meta.hubs:
        feed["hubs"] = [{"type": "WebSub", "url": hub} for hub in meta.hubs]
    feed["items"] = [_item(item, meta) for item in items]
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    return (text + "\n").encode("utf-8")


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def read(body: bytes, found: list[str]) -> list[Read]:
    try:
        feed = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        found.append(f"not valid JSON: {exc}")
        return []
    if not isinstance(feed, dict) or feed.get("version") != VERSION:
        found.append("not a JSON Feed 1.1 document")
        return []
    if not isinstance(feed.get("title"), str):
        found.append("feed has no title")
    for key in ("home_page_url", "feed_url", "next_url", "icon", "favicon"):
        if key in feed:
            absolute(key, feed[key], found)
    if not isinstance(feed.get("items"), list):
        found.append("feed has no items list")
        return []
    items_read = []
    for number, item in enumerate(feed["items"], start=1):
        where = f"item {number}"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            found.append(f"{where}: no id")
            continue
        if not any(isinstance(item.get(k), str) for k in ("content_html", "content_text")):
            found.append(f"{where}: neither content_html nor content_text")
        for key in ("url", "image"):
            if key in item:
                absolute(f"{where}: {key}", item[key], found)
        for attachment in item.get("attachments", []):
            if not attachment.get("mime_type"):
                found.append(f"{where}: attachment without mime_type")
            absolute(f"{where}: attachment", attachment.get("url"), found)
        published = rfc3339(_str(item.get("date_published")), f"{where}: date_published", found)
        modified = rfc3339(_str(item.get("date_modified")), f"{where}: date_modified", found)
        if published and modified:
            title, link = item.get("title", ""), item.get("url", "")
            items_read.append(Read(item["id"], title, link, published, modified))
    return items_read


FORMAT = Format(
    "json", "JSON Feed 1.1", FEED_MEDIA_TYPES["json"], render, read, feedparser_reads=False
)
