"""Plain data passed between the layers: no I/O here."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime


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


def _digest(*parts: str | None) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class SourceArticle:
    """An article as a store read it, before it has an identity."""

    store: str
    key: str  # where it lives in its store, e.g. a path relative to the folder
    origin: str  # where to point a person at it in messages, e.g. the file's path
    title: str
    body_html: str
    summary: str
    author: str | None
    mtime: float
    latest: tuple[str, ...] = ()  # the page's own `Latest news` headlines, if any

    @property
    def content_hash(self) -> str:
        """Changes exactly when what a reader sees changes."""
        return _digest(self.title, self.body_html, self.summary, self.author)

    @property
    def body_hash(self) -> str:
        """Recognises a moved file whose headline is unchanged or not."""
        return _digest(self.body_html)


@dataclass(frozen=True)
class Article:
    """A source article with the identity and dates the state database gave it."""

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
    summary: str | None = None
    body_html: str | None = None
    author: str | None = None

    @classmethod
    def from_article(cls, article: Article) -> "FeedItem":
        src = article.source
        return cls(
            guid=article.guid,
            title=src.title,
            link=article.link,
            published=article.published,
            updated=article.updated,
            summary=src.summary,
            body_html=src.body_html,
            author=src.author,
        )


@dataclass(frozen=True)
class FeedMeta:
    """What a feed says about itself, apart from its items."""

    name: str
    title: str
    description: str
    site_url: str
    feed_id: str
    language: str
    updated: datetime
    self_urls: dict[str, str] = field(default_factory=dict)  # format -> URL
