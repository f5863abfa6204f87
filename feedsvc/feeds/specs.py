"""The feeds a site offers: each [[feeds]] table, and one feed per value for a family."""

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import quote

from pydantic import ValidationError

from feedsvc.core.config import FORMATS, FeedFormat, FeedSettings, LabelKind, SiteSettings
from feedsvc.core.podcast import EPISODE_MEDIUM, Show
from feedsvc.state.labels import Where


@dataclass(frozen=True)
class FeedDefinition:
    """What one [[feeds]] table says, as the feeds are made from it: plain frozen data,
    made once from the settings."""

    name: str
    title: str  # templates: {value} is a family member's value
    description: str
    select: str
    content: str
    limit: int
    formats: tuple[FeedFormat, ...]
    per: LabelKind | None
    archived: bool
    archive_size: int
    image: str
    language: str
    where: Where  # its filters (a family's, before the member's own label)
    settings: Mapping[str, object]  # the whole table, as JSON: what its documents depend on
    show: Show | None = None  # a podcast's: only articles with audio apps play go in

    @classmethod
    def of(cls, feed: FeedSettings) -> "FeedDefinition":
        where = Where.of(feed.filters(), feed.match, feed.exclusions())
        show = feed.podcast.show() if feed.podcast else None
        return cls(
            name=feed.name,
            title=feed.title,
            description=feed.description,
            select=feed.select,
            content=feed.content,
            limit=feed.limit,
            formats=tuple(feed.formats),
            per=feed.per or None,
            archived=feed.archived,
            archive_size=feed.archive_size,
            image=feed.image,
            language=feed.own_language,
            where=replace(where, needs=(("medium", EPISODE_MEDIUM),)) if show else where,
            settings=feed.model_dump(mode="json"),
            show=show,
        )


def retired_family(settings: Mapping[str, object]) -> FeedDefinition | None:
    """The family a removed [[feeds]] table made, from the settings it was last built
    with (None if this release no longer reads them)."""
    try:
        feed = FeedSettings.model_validate(settings)
    except ValidationError:
        return None
    made = FeedDefinition.of(feed)
    # Its members are served empty, as an emptied member is, until they are gone (410):
    # they select nothing and archive nothing, and are made again once for that.
    return replace(
        made,
        archived=False,
        where=replace(made.where, nothing=True),
        settings={**made.settings, "retired": True},
    )


@dataclass(frozen=True)
class FeedSpec:
    """One concrete feed: where it lives and what it selects."""

    key: str  # its path below feeds/, without a format: "main", "category/экономика"
    feed: FeedDefinition
    title: str
    description: str
    where: Where
    value: str | None = None  # a family member's category, tag, author or region
    # A family member whose last article went: served empty until it is gone (410).
    emptied: datetime | None = None
    # A language family's other members: (language, key), linked with hreflang.
    translations: tuple[tuple[str, str], ...] = ()

    @property
    def formats(self) -> tuple[FeedFormat, ...]:
        return self.feed.formats

    @property
    def archived(self) -> bool:
        return self.feed.archived


def feed_path(key: str, fmt: str) -> str:
    return f"feeds/{key}.{fmt}"


def archive_path(key: str, page: int, fmt: str) -> str:
    return f"feeds/{key}/archive/{page}.{fmt}"


def preview_path(key: str) -> str:
    return f"feeds/{key}.html"


def public_url(base_url: str, path: str) -> str:
    """The address of a published file; Unicode names percent-encoded."""
    return base_url + quote(path, safe="/-._~")


# (label kind, which articles) -> (slug, value) of every label of that kind they have
LabelValues = Callable[[LabelKind, Where], list[tuple[str, str]]]


def expand(
    feeds: Sequence[FeedDefinition], site: SiteSettings, values: LabelValues
) -> list[FeedSpec]:
    specs = []
    for feed in feeds:
        description = _site_words(feed.description or site.description, site)
        if feed.per is None:
            title = _site_words(feed.title or site.title, site)
            specs.append(FeedSpec(feed.name, feed, title, description, feed.where))
            continue
        found = values(feed.per, feed.where)
        members = [member(feed, site, slug, value) for slug, value in found]
        if feed.per == "language":
            members = _translated(members)
        specs += members
    return specs


def _site_words(text: str, site: SiteSettings) -> str:
    """A feed's title or description with `{site.title}` said."""
    return text.replace("{site.title}", site.title)


def _translated(members: list[FeedSpec]) -> list[FeedSpec]:
    """Each member of a language family with the others as its translations."""
    every = tuple((spec.value or "", spec.key) for spec in members)
    return [
        replace(spec, translations=tuple(t for t in every if t[1] != spec.key)) for spec in members
    ]


def member(
    feed: FeedDefinition,
    site: SiteSettings,
    slug: str,
    value: str,
    emptied: datetime | None = None,
) -> FeedSpec:
    """One member of a family: the feed of one category, tag, author or region."""
    assert feed.per is not None
    title = _site_words(feed.title or "{site.title}: {value}", site)
    description = _site_words(feed.description or site.description, site)
    return FeedSpec(
        key=f"{feed.name}/{slug}",
        feed=feed,
        title=title.replace("{value}", value),
        description=description.replace("{value}", value),
        where=feed.where.within(feed.per, slug),
        value=value,
        emptied=emptied,
    )


_ARCHIVE_PAGE = re.compile(r"^feeds/(.+)/archive/(\d+)\.([a-z]+)$")


def feed_key(path: str) -> str | None:
    """The feed a published file below feeds/ belongs to ("category/economy" for its
    documents, preview and archive pages), or None."""
    if not path.startswith("feeds/"):
        return None
    if page := _ARCHIVE_PAGE.match(path):
        return page.group(1)
    return path.removeprefix("feeds/").rpartition(".")[0] or None


def next_page(path: str) -> str | None:
    """The archive page after this one, if this is an archive page: a page that has one
    is complete (RFC 5005), and never changes but for an edit or a takedown."""
    if page := _ARCHIVE_PAGE.match(path):
        key, number, fmt = page.groups()
        return archive_path(key, int(number) + 1, fmt)
    return None


def is_feed(path: str) -> bool:
    """A published file in one of the feed formats (not a page or the OPML)."""
    return path.rpartition(".")[2] in FORMATS


def is_topic(path: str) -> bool:
    """A feed a reader subscribes to and that changes: not an archive page, which never does."""
    return path.startswith("feeds/") and is_feed(path) and not _ARCHIVE_PAGE.match(path)


def topics(base_url: str, paths: Iterable[str]) -> dict[str, str]:
    """The WebSub topics among these published files: public URL -> path."""
    return {public_url(base_url, path): path for path in paths if is_topic(path)}
