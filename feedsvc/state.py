"""feedsvc's own memory (SQLAlchemy Core): identities, dates, builds.

An article's GUID and published time are fixed the first time it is seen and
survive touching, moving and retitling the file; `updated` moves only when the
content hash does.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.types import TypeDecorator

from feedsvc.model import Article, SourceArticle
from feedsvc.text import article_link, headline_key, slugify

KEPT_BUILDS = 500


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores naive ones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guid", String(200), nullable=False, unique=True),
    Column("store", String(100), nullable=False, index=True),
    Column("source_key", String(1000), nullable=False),
    Column("slug", String(200), nullable=False),
    Column("title_key", Text, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("deleted", UTCDateTime, nullable=True),
)

headlines = Table(
    "headlines",
    metadata,
    Column("key", Text, primary_key=True),
    Column("guid", String(200), nullable=False, unique=True),
    Column("first_seen", UTCDateTime, nullable=False),
)

builds = Table(
    "builds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("articles", Integer, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("written", Integer, nullable=False),
    Column("error", Text, nullable=False),
)


@dataclass(frozen=True)
class HeadlineIdentity:
    guid: str
    first_seen: datetime


@dataclass(frozen=True)
class BuildRecord:
    started: datetime
    finished: datetime
    ok: bool
    articles: int
    problems: int
    written: int
    error: str


def new_guid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the server) never block the builder
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class State:
    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if database := self.engine.url.database:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def resolve_articles(
        self, store: str, found: Sequence[SourceArticle], article_url: str, now: datetime
    ) -> list[Article]:
        """Give every article its lasting identity; remember the ones that went away.

        A file not known by its path is matched against articles that vanished
        (moved or deleted earlier) by body, then by headline, before it counts as new.
        """
        with self.engine.begin() as conn:
            rows = conn.execute(select(articles).where(articles.c.store == store)).all()
            present = {a.key for a in found}
            live = {r.source_key: r for r in rows if r.deleted is None}
            gone = [r for r in rows if r.deleted is not None or r.source_key not in present]
            gone.sort(key=lambda r: r.updated)  # the newest wins a tie below
            by_body = {r.body_hash: r for r in gone}
            by_title = {r.title_key: r for r in gone}
            claimed: set[int] = set()
            result = []
            for source in found:
                row = live.get(source.key)
                if row is None:
                    row = next(
                        (
                            r
                            for r in (
                                by_body.get(source.body_hash),
                                by_title.get(headline_key(source.title)),
                            )
                            if r is not None and r.id not in claimed
                        ),
                        None,
                    )
                result.append(self._settle(conn, source, row, article_url, now))
                if row is not None:
                    claimed.add(row.id)
            vanished = [r.id for r in rows if r.deleted is None and r.id not in claimed]
            if vanished:
                conn.execute(
                    update(articles).where(articles.c.id.in_(vanished)).values(deleted=now)
                )
        return result

    @staticmethod
    def _settle(
        conn: Connection, source: SourceArticle, row: Row | None, article_url: str, now: datetime
    ) -> Article:
        values = {
            "source_key": source.key,
            "title_key": headline_key(source.title),
            "body_hash": source.body_hash,
            "content_hash": source.content_hash,
            "deleted": None,
        }
        if row is None:
            guid, slug, published, updated = new_guid(), slugify(source.title), now, now
            conn.execute(
                insert(articles).values(
                    guid=guid, store=source.store, slug=slug, published=now, updated=now, **values
                )
            )
        else:
            guid, slug, published = row.guid, row.slug, row.published
            updated = now if row.content_hash != source.content_hash else row.updated
            current = (row.source_key, row.title_key, row.body_hash, row.content_hash, row.deleted)
            if current != tuple(values.values()):
                conn.execute(
                    update(articles)
                    .where(articles.c.id == row.id)
                    .values(updated=updated, **values)
                )
        link = article_link(article_url, slug)
        return Article(source=source, guid=guid, link=link, published=published, updated=updated)

    def resolve_headlines(self, found: Iterable[str], now: datetime) -> dict[str, HeadlineIdentity]:
        """A lasting GUID and first-seen time for each latest-news headline (by key)."""
        keys = {headline_key(h) for h in found}
        with self.engine.begin() as conn:
            known = {
                r.key: HeadlineIdentity(r.guid, r.first_seen)
                for r in conn.execute(select(headlines).where(headlines.c.key.in_(keys)))
            }
            for key in sorted(keys - known.keys()):
                known[key] = HeadlineIdentity(new_guid(), now)
                conn.execute(
                    insert(headlines).values(key=key, guid=known[key].guid, first_seen=now)
                )
        return known

    def record_build(self, record: BuildRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(builds).values(**record.__dict__))
            oldest_kept = (
                select(builds.c.id).order_by(builds.c.id.desc()).offset(KEPT_BUILDS).limit(1)
            ).scalar_subquery()
            conn.execute(builds.delete().where(builds.c.id <= oldest_kept))

    def last_build(self, *, ok: bool | None = None) -> BuildRecord | None:
        query = select(builds).order_by(builds.c.id.desc()).limit(1)
        if ok is not None:
            query = query.where(builds.c.ok == ok)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return BuildRecord(
            **{name: row._mapping[name] for name in BuildRecord.__dataclass_fields__}
        )
