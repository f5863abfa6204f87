"""The itunes: and podcast: elements of a podcast's RSS feed (Apple Podcasts' and the
podcast namespace's), written beside what feedgen writes (its own podcast extension
cannot state a transcript or the podcast: namespace), and checked strictly."""

import re
import uuid

from lxml import etree

from feedsvc.content.media import enclosed, image_type
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.core.podcast import (
    APPLE_ENCLOSURE_TYPES,
    EPISODE_TYPES,
    ITUNES_NS,
    PODCAST_NS,
    SHOW_TYPES,
    Show,
    category_problem,
    feed_guid,
)

NAMESPACES = {"itunes": ITUNES_NS, "podcast": PODCAST_NS}
ARTWORK_TYPES = ("image/jpeg", "image/png")  # what Apple shows


def _add(parent: etree._Element, name: str, content: str | None = None, **attrs: str):
    prefix, _, local = name.partition(":")
    element = etree.SubElement(parent, f"{{{NAMESPACES[prefix]}}}{local}", attrs)
    element.text = content
    return element


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def channel(parent: etree._Element, meta: FeedMeta, show: Show) -> None:
    """The show's elements, in <channel>."""
    _add(parent, "itunes:image", href=show.image)
    category = _add(parent, "itunes:category", text=show.category)
    if show.subcategory:
        _add(category, "itunes:category", text=show.subcategory)
    _add(parent, "itunes:explicit", "true" if show.explicit else "false")
    _add(parent, "itunes:author", show.author or meta.author)
    if show.owner_name or show.owner_email:
        owner = _add(parent, "itunes:owner")
        if show.owner_name:
            _add(owner, "itunes:name", show.owner_name)
        if show.owner_email:
            _add(owner, "itunes:email", show.owner_email)
    _add(parent, "itunes:type", show.type)
    if show.block:
        _add(parent, "itunes:block", "Yes")
    if show.complete:
        _add(parent, "itunes:complete", "Yes")
    # An archive page's is its feed's ("current"), so that apps take it for the same show.
    current = meta.link("current", "rss") or meta.links["self"]["rss"]
    _add(parent, "podcast:guid", show.guid or feed_guid(current))
    locked = _add(parent, "podcast:locked", _yes_no(show.locked))
    if show.owner_email:
        locked.set("owner", show.owner_email)
    if show.block:
        _add(parent, "podcast:block", "yes")


def episode(element: etree._Element, item: FeedItem) -> None:
    """An episode's elements, in its <item>: the duration of the audio enclosed, its lead
    image as episode art (a JPEG or PNG), its number, season and type, whether it is
    explicit, its transcript."""
    audio = enclosed(item.media)
    if audio is not None and audio.duration is not None:
        _add(element, "itunes:duration", str(audio.duration))
    if item.image and image_type(item.image) in ARTWORK_TYPES:
        _add(element, "itunes:image", href=item.image.url)
    details = item.episode
    if details is None:
        return
    if details.number is not None:
        _add(element, "itunes:episode", str(details.number))
    if details.season is not None:
        _add(element, "itunes:season", str(details.season))
    _add(element, "itunes:episodeType", details.type)
    if details.explicit is not None:
        _add(element, "itunes:explicit", "true" if details.explicit else "false")
    if details.transcript:
        _add(element, "podcast:transcript", url=details.transcript, type=details.transcript_type)


def _itunes(name: str) -> str:
    return f"{{{ITUNES_NS}}}{name}"


_DURATION = re.compile(r"^\d+(:[0-5]\d){0,2}$")
_ARTWORK = re.compile(r"\.(jpe?g|png)(\?.*)?$", re.IGNORECASE)


def _check_channel(channel: etree._Element, found: list[str]) -> None:
    for name in ("title", "description", "language"):
        if not (channel.findtext(name) or "").strip():
            found.append(f"podcast: channel has no <{name}> (Apple requires it)")
    image = channel.find(_itunes("image"))
    href = "" if image is None else image.get("href", "")
    if not _ARTWORK.search(href) or not href.startswith(("http://", "https://")):
        found.append(f"podcast: itunes:image {href!r} is not an absolute JPEG or PNG URL")
    categories = channel.findall(_itunes("category"))
    if not categories:
        found.append("podcast: no itunes:category (Apple requires one)")
    for category in categories:
        subs = category.findall(_itunes("category"))
        sub = subs[0].get("text", "") if subs else ""
        if problem := category_problem(category.get("text", ""), sub):
            found.append(f"podcast: itunes:category {problem}")
    if channel.findtext(_itunes("explicit")) not in ("true", "false"):
        found.append("podcast: itunes:explicit must be true or false")
    if channel.findtext(_itunes("type"), "episodic") not in SHOW_TYPES:
        found.append(f"podcast: itunes:type must be one of {', '.join(SHOW_TYPES)}")
    guid = channel.findtext(f"{{{PODCAST_NS}}}guid")
    if guid is not None and not _is_uuid(guid):
        found.append(f"podcast: podcast:guid {guid!r} is not a UUID")


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def _check_episode(item: etree._Element, where: str, found: list[str]) -> None:
    enclosure = item.find("enclosure")
    if enclosure is None:
        found.append(f"{where}: podcast episode without an <enclosure>")
    elif enclosure.get("type") not in APPLE_ENCLOSURE_TYPES:
        found.append(f"{where}: enclosure type {enclosure.get('type')!r} Apple does not play")
    duration = item.findtext(_itunes("duration"))
    if duration is not None and not _DURATION.match(duration):
        found.append(f"{where}: itunes:duration {duration!r} is not seconds or H:MM:SS")
    for name in ("episode", "season"):
        number = item.findtext(_itunes(name))
        if number is not None and not (number.isdigit() and int(number) > 0):
            found.append(f"{where}: itunes:{name} {number!r} is not a positive whole number")
    kind = item.findtext(_itunes("episodeType"))
    if kind is not None and kind not in EPISODE_TYPES:
        found.append(f"{where}: itunes:episodeType {kind!r} is not one of the three")
    for transcript in item.iterfind(f"{{{PODCAST_NS}}}transcript"):
        if not transcript.get("url") or not transcript.get("type"):
            found.append(f"{where}: podcast:transcript without a url and a type")


def check(channel: etree._Element, found: list[str]) -> None:
    """Apple Podcasts' requirements of a feed that speaks itunes: (its published list:
    required tags, artwork, category, enclosure types), and the podcast: namespace's
    forms. A feed without itunes: elements is no podcast, and is left alone."""
    if not any(isinstance(child.tag, str) and child.tag.startswith(f"{{{ITUNES_NS}}}")
               for child in channel):  # fmt: skip
        return
    _check_channel(channel, found)
    for number, item in enumerate(channel.iterfind("item"), start=1):
        _check_episode(item, f"item {number}", found)
