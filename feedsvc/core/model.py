"""Plain data passed between the layers: no I/O here."""

import hashlib
import json
import pickle
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from feedsvc.core.podcast import Episode, Show

# The date of a document with nothing in it, ever: a constant, so it never moves.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input, reported as `path:line: reason`."""

    path: str
    reason: str
    line: int | None = None
    warning: bool = False  # worth knowing, but nothing was skipped

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'warning: ' if self.warning else ''}{self.reason}"


def digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()


def body_digest(body: bytes) -> str:
    """A published file's digest, as upload records and replicas keep it."""
    return hashlib.sha256(body).hexdigest()


def now_utc() -> datetime:
    """Whole seconds: feeds carry no finer dates, and read-back compares them exactly."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass(frozen=True)
class Moment:
    """When a build selected articles (whole seconds, as feeds carry dates) and when it
    had read the stores (to the microsecond: every later change to an article is dated
    after it). What changed since a build is what changed after `read` or fell due after
    `now`."""

    now: datetime
    read: datetime


@dataclass(frozen=True)
class TakenDown:
    """An article a takedown (or its undo) applied to."""

    guid: str
    key: str  # where the article lives in its store
    was_down: bool = False  # taken down before this call

    def outcome(self, undo: bool) -> str:
        """What the takedown did to it, as the command and the API say it."""
        if undo:
            return "published again" if self.was_down else "was not taken down"
        return "still taken down" if self.was_down else "taken down"


@dataclass(frozen=True)
class Image:
    url: str
    alt: str = ""
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True)
class Media:
    """Audio or video of an article: an enclosure, media:content, a JSON Feed attachment."""

    url: str
    type: str  # a media type: audio/mpeg, video/mp4
    length: int | None = None  # bytes
    duration: int | None = None  # seconds
    title: str = ""

    @property
    def kind(self) -> str:
        """ "audio", "video" or another top-level type, as MRSS's medium names them."""
        return self.type.partition("/")[0]


@dataclass(frozen=True)
class FeedSource:
    """The feed an item was taken from (wire copy), as RSS and Atom <source> name it."""

    title: str
    url: str


@dataclass(frozen=True)
class SourceArticle:
    """An article as a store read it, before it has an identity.

    Text is already clean: NFC, no characters XML forbids, sanitised HTML with
    absolute links. `summary_html` is empty only when the body is.
    """

    store: str
    key: str  # where it lives in its store: a path, path#record, or a row id
    origin: str  # where to point a person at it in messages, e.g. path:line
    title: str
    body_html: str
    summary_html: str
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    region: str | None = None
    language: str | None = None
    explicit_id: str | None = None  # an id the source gives; wins over ours
    slug: str | None = None
    url: str | None = None
    image: Image | None = None
    media: tuple[Media, ...] = ()
    source_feed: FeedSource | None = None  # wire copy from a feed store
    episode: Episode | None = None  # its podcast details, when it states some
    published: datetime | None = None  # as the source states them
    updated: datetime | None = None
    draft: bool = False
    latest: tuple[str, ...] = ()  # a text page's own `Latest news` headlines
    # When the file was last written, for an article that states no date: its
    # published date when first seen (so undated pages keep their own order).
    file_time: datetime | None = None
    # Worth telling about the article as read, though it went in: "body cut at 1 MB".
    warnings: tuple[str, ...] = ()

    @cached_property
    def content_hash(self) -> str:
        """Changes exactly when what makes an item "updated" for a reader changes. (Fields
        added since the first release count only when set: an article without them keeps
        the hash it had, and is not taken for updated.)"""
        later = [part for part in (self.media, self.source_feed, self.episode) if part]
        return digest(
            self.title,
            self.body_html,
            self.summary_html,
            self.authors,
            self.categories,
            self.tags,
            self.region,
            self.language,
            self.image,
            *later,
        )

    @cached_property
    def body_hash(self) -> str:
        """Recognises a moved file whatever its headline."""
        return hashlib.sha256(self.body_html.encode()).hexdigest()

    @cached_property
    def record(self) -> str:
        """The article as the state keeps it (JSON): made where it is read, in a reading
        process when many files are, as its hashes are."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["image"] = None if self.image is None else self.image.__dict__
        data["media"] = [media.__dict__ for media in self.media]
        data["source_feed"] = self.source_feed and self.source_feed.__dict__
        data["episode"] = self.episode and self.episode.__dict__
        return json.dumps(data, ensure_ascii=False, default=datetime.isoformat)

    @classmethod
    def from_json(cls, text: str) -> "SourceArticle":
        data: dict[str, Any] = json.loads(text)
        for name in ("published", "updated", "file_time"):
            if data.get(name) is not None:
                data[name] = datetime.fromisoformat(data[name])
        for f in fields(cls):
            if isinstance(data.get(f.name), list):
                data[f.name] = tuple(data[f.name])
        if data["image"] is not None:
            data["image"] = Image(**data["image"])
        data["media"] = tuple(Media(**media) for media in data.get("media", ()))
        if found := data.get("source_feed"):
            data["source_feed"] = FeedSource(**found)
        if found := data.get("episode"):
            data["episode"] = Episode(**found)
        return cls(**data)


@dataclass(frozen=True)
class Article:
    """A source article with the identity and dates the state database gave it."""

    id: int  # its row in the state database
    source: SourceArticle
    guid: str
    link: str
    published: datetime
    updated: datetime


@dataclass(frozen=True)
class FeedItem:
    """One item of a feed, whatever format it is written in."""

    guid: str
    title: str
    link: str
    published: datetime
    updated: datetime
    summary_html: str | None = None
    body_html: str | None = None  # None in a summary-only feed
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # the article's categories, then its tags
    image: Image | None = None
    media: tuple[Media, ...] = ()
    language: str | None = None
    source_feed: FeedSource | None = None
    episode: Episode | None = None

    @cached_property
    def fingerprint(self) -> bytes:
        """A digest of everything the item says, made once however many feeds show it
        (a summary is in the main feed, its category, tags and author): pickled, which
        is equal for equal items within a process."""
        return hashlib.sha256(pickle.dumps(self, protocol=5)).digest()

    @classmethod
    def from_article(cls, article: Article, *, full: bool = True) -> "FeedItem":
        src = article.source
        return cls(
            guid=article.guid,
            title=src.title,
            link=article.link,
            published=article.published,
            updated=article.updated,
            summary_html=src.summary_html,
            body_html=src.body_html if full else None,
            authors=src.authors,
            categories=tuple(dict.fromkeys((*src.categories, *src.tags))),
            image=src.image,
            media=src.media,
            language=src.language,
            source_feed=src.source_feed,
            episode=src.episode,
        )


@dataclass(frozen=True)
class Schedule:
    """How often the feeds may change, for readers' polling hints (ttl, sy:*)."""

    minutes: int  # between rebuilds, at least 1

    @property
    def update_period(self) -> tuple[str, int]:
        """(sy:updatePeriod, sy:updateFrequency): hourly N times, or daily N times."""
        if self.minutes <= 60:
            return "hourly", max(1, 60 // self.minutes)
        return "daily", max(1, 1440 // self.minutes)


@dataclass(frozen=True)
class Tombstone:
    """An article that left a feed: its GUID and when."""

    guid: str
    removed: datetime


@dataclass(frozen=True)
class Webfeeds:
    """Feedly's webfeeds: elements (http://webfeeds.org/rss/1.0)."""

    icon: str = ""
    logo: str = ""
    cover: str = ""
    accent_color: str = ""
    related: str = ""  # "card": the related-stories layout


@dataclass(frozen=True)
class FeedMeta:
    """What a feed document says about itself, apart from its items."""

    key: str  # its path below feeds/, without the format: "main", "category/economy"
    title: str
    description: str
    site_url: str
    feed_id: str
    language: str
    updated: datetime
    # rel -> format -> URL: "self", and RFC 5005's "current", "prev-archive", "next-archive"
    links: dict[str, dict[str, str]] = field(default_factory=dict)
    # The same feed in other languages: (language, format -> URL), for hreflang links.
    translations: tuple[tuple[str, dict[str, str]], ...] = ()
    archive: bool = False  # an RFC 5005 archive page
    complete: bool = False  # ... that is full and final: an archive document (fh:archive)
    image: str = ""
    icon: str = ""
    webfeeds: "Webfeeds | None" = None
    author: str = ""  # the publisher's name, for Atom entries that name no author
    schedule: Schedule | None = None
    item_language: str = ""  # that of items that state none: the site's
    hubs: tuple[str, ...] = ()  # WebSub hubs told when the feed changes
    podcast: Show | None = None  # a podcast feed's show details
    # Articles that left the feed lately: RFC 6721 at:deleted-entry in Atom.
    tombstones: tuple[Tombstone, ...] = ()

    def language_of(self, item: FeedItem) -> str | None:
        """An item's xml:lang where it differs from the feed's, else None."""
        language = item.language or self.item_language or self.language
        return None if language == self.language else language

    def link(self, rel: str, fmt: str) -> str | None:
        return self.links.get(rel, {}).get(fmt)
