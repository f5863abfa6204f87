"""An article's labels (category, tag, author, region, language, and the kinds of its
media) as feeds filter on them.

A label is compared by its slug, so "Economy", "economy " and "ECONOMY" are one
section, and a family of feeds gets one feed for them, named by the slug.

An article that states no language has the site's (kept in the meta table, so
every process labels alike): when the site's language changes, those articles
are labelled again (`relanguage`).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, delete, exists, false, insert, select, true, update
from sqlalchemy.sql.elements import ColumnElement

from feedsvc.core.config import LabelKind
from feedsvc.core.model import Media, SourceArticle
from feedsvc.core.podcast import APPLE_AUDIO_TYPES, EPISODE_MEDIUM
from feedsvc.core.text import slugify
from feedsvc.state.schema import AWAITING, articles, chunks, labels, meta, put_meta

SITE_LANGUAGE = "site_language"  # meta: the language of articles that state none


def labels_of(source: SourceArticle, site_language: str) -> dict[tuple[LabelKind, str], str]:
    """(kind, slug) -> the value as first written."""
    found: dict[tuple[LabelKind, str], str] = {}
    region: list[tuple[LabelKind, str]] = [("region", source.region)] if source.region else []
    language = source.language or site_language
    spoken: list[tuple[LabelKind, str]] = [("language", language)] if language else []
    values: list[tuple[LabelKind, str]] = [
        *(("category", v) for v in source.categories),
        *(("tag", v) for v in source.tags),
        *(("author", v) for v in source.authors),
        *region,
        *spoken,
        *(("medium", medium) for medium in mediums(source.media)),
    ]
    for kind, value in values:
        if value.strip():
            found.setdefault((kind, slugify(value)), value.strip())
    return found


def mediums(media: Iterable[Media]) -> list[str]:
    """The "medium" labels of an article with these media: each kind, and EPISODE_MEDIUM
    when one is audio podcast apps play, of a known length (they need it)."""
    found = list(dict.fromkeys(item.kind for item in media))
    if any(item.type in APPLE_AUDIO_TYPES and item.length is not None for item in media):
        found.append(EPISODE_MEDIUM)
    return found


def site_language(conn: Connection) -> str:
    return conn.scalar(select(meta.c.value).where(meta.c.name == SITE_LANGUAGE)) or ""


def rows_of(article_id: int, source: SourceArticle, language: str) -> list[dict]:
    """The article's rows for the labels table; `language`: the site's."""
    return [
        {"article_id": article_id, "kind": kind, "slug": slug, "value": value}
        for (kind, slug), value in labels_of(source, language).items()
    ]


def relanguage(conn: Connection, language: str, when: datetime) -> int:
    """Label the articles that state no language with the site's `language`, if it is not
    the one they have; marked changed at `when` (their language feeds change). Returns
    how many were labelled again."""
    if site_language(conn) == language:
        return 0
    unstated: list[int] = []
    # Live ones as read: a deleted article, or one awaiting its source (a build from a
    # ledger), is labelled anew when its source is read.
    live = select(articles.c.id, articles.c.data).where(
        articles.c.deleted.is_(None) & (articles.c.data != AWAITING)
    )
    for article_id, data in conn.execute(live):
        if SourceArticle.from_json(data).language is None:
            unstated.append(article_id)
    for chunk in chunks(unstated):
        conn.execute(
            delete(labels).where(labels.c.article_id.in_(chunk) & (labels.c.kind == "language"))
        )
        conn.execute(update(articles).where(articles.c.id.in_(chunk)).values(changed=when))
    if language and unstated:
        value, slug = language, slugify(language)
        rows = [
            {"article_id": i, "kind": "language", "slug": slug, "value": value} for i in unstated
        ]
        conn.execute(insert(labels), rows)
    put_meta(conn, {SITE_LANGUAGE: language})
    return len(unstated)


def relabel(conn: Connection, by_guid: Mapping[str, SourceArticle]) -> None:
    """Replace the labels of the articles with these GUIDs by those of their sources."""
    ids: dict[str, int] = {}
    for chunk in chunks(sorted(by_guid)):
        query = select(articles.c.guid, articles.c.id).where(articles.c.guid.in_(chunk))
        ids.update((guid, id_) for guid, id_ in conn.execute(query))
    for id_chunk in chunks(sorted(ids.values())):
        conn.execute(delete(labels).where(labels.c.article_id.in_(id_chunk)))
    language = site_language(conn)
    rows = [
        row
        for guid, source in by_guid.items()
        if guid in ids
        for row in rows_of(ids[guid], source, language)
    ]
    if rows:
        conn.execute(insert(labels), rows)


def _having(kind: LabelKind, slugs: Iterable[str], *, few: bool) -> ColumnElement[bool]:
    if few:  # each article's own labels looked up (by the labels table's key)
        return exists().where(
            (labels.c.article_id == articles.c.id)
            & (labels.c.kind == kind)
            & labels.c.slug.in_(sorted(slugs))
        )
    return articles.c.id.in_(
        select(labels.c.article_id).where(
            (labels.c.kind == kind) & labels.c.slug.in_(sorted(slugs))
        )
    )


def _slugs(
    values: Mapping[LabelKind, Sequence[str]],
) -> tuple[tuple[LabelKind, tuple[str, ...]], ...]:
    return tuple(
        (kind, tuple(sorted({slugify(v) for v in found}))) for kind, found in values.items()
    )


@dataclass(frozen=True)
class Where:
    """Which articles a feed takes: label filters, and for a family's feed its value."""

    filters: tuple[tuple[LabelKind, tuple[str, ...]], ...] = ()  # kind, slugs
    match: str = "all"  # every filter must hold, or "any" one of them
    family: tuple[LabelKind, str] | None = None  # (kind, slug), always required
    excluded: tuple[tuple[LabelKind, tuple[str, ...]], ...] = ()  # never, whatever the rest
    needs: tuple[tuple[LabelKind, str], ...] = ()  # always, whatever the rest (a podcast's audio)
    nothing: bool = False  # no article at all (a removed family's members, served empty)

    @classmethod
    def of(
        cls,
        filters: Mapping[LabelKind, Sequence[str]],
        match: str,
        excluded: Mapping[LabelKind, Sequence[str]] | None = None,
    ) -> "Where":
        return cls(_slugs(filters), match, excluded=_slugs(excluded or {}))

    def within(self, kind: LabelKind, slug: str) -> "Where":
        return replace(self, family=(kind, slug))

    def clause(self, *, few: bool = False) -> ColumnElement[bool]:
        """The condition on `articles`. few: it is asked of a few articles named by id;
        else of many, and the label's articles are listed once (a thousand for a
        big category: 10 ms, against a look-up per named article)."""
        if self.nothing:
            return false()
        parts = [_having(kind, slugs, few=few) for kind, slugs in self.filters]
        combined = parts[0] if parts else true()
        for part in parts[1:]:
            combined = (combined & part) if self.match == "all" else (combined | part)
        required = ((self.family,) if self.family else ()) + self.needs
        for kind, slug in required:
            combined = combined & _having(kind, [slug], few=few)
        for kind, slugs in self.excluded:
            combined = combined & ~_having(kind, slugs, few=few)
        return combined


EVERY = Where()
