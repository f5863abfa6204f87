"""feedsvc's own memory (SQLAlchemy Core): identities, dates, article content, builds.

An article's GUID is its source's explicit id, or else one assigned the first
time it is seen that survives renaming, moving, retitling and re-exporting.
`published` stays unless the source states a new one; `updated` moves only when
the content hash does. The articles themselves are kept here too, so a run
reads again only the sources that changed and selects feeds with queries.
"""

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Dialect, Row
from sqlalchemy.types import TypeDecorator

from feedsvc.model import Article, Problem, SourceArticle
from feedsvc.store import Memory, Scan
from feedsvc.text import article_link, headline_key, slugify

KEPT_BUILDS = 500
CHUNK = 500  # keys per IN (...) query, well under every backend's parameter limit


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
    Column("guid", String(500), nullable=False, unique=True),
    Column("store", String(100), nullable=False),
    Column("source", String(1000), nullable=False),  # the file (or other source) it came from
    Column("key", String(1000), nullable=False),
    Column("explicit_id", String(500), nullable=True, index=True),
    Column("slug", String(200), nullable=False),
    Column("title_key", Text, nullable=False),
    Column("body_hash", String(64), nullable=False, index=True),
    Column("content_hash", String(64), nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("deleted", UTCDateTime, nullable=True),
    Column("draft", Boolean, nullable=False),
    Column("has_latest", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    Index("ix_articles_store_source", "store", "source"),
    Index("ix_articles_published", "published"),
    Index("ix_articles_title_key", "title_key"),
)

sources = Table(
    "sources",
    metadata,
    Column("store", String(100), primary_key=True),
    Column("key", String(1000), primary_key=True),
    Column("signature", String(100), nullable=False),
)

store_notes = Table(
    "store_notes",
    metadata,
    Column("store", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
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


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the server) never block the builder
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _visible(now: datetime):
    return (
        articles.c.deleted.is_(None) & articles.c.draft.is_(False) & (articles.c.published <= now)
    )


class _Matcher:
    """Finds the existing row a freshly read article is, by id, key, body, then headline."""

    def __init__(self, conn: Connection, store: str, touched: list[Row]) -> None:
        self.conn = conn
        self.store = store
        self.by_key = {r.key: r for r in touched}
        self.claimed: set[int] = set()

    def first_pass(self, article: SourceArticle) -> Row | None:
        row = None
        if article.explicit_id:
            row = self.conn.execute(
                select(articles).where(
                    (articles.c.explicit_id == article.explicit_id)
                    | (articles.c.guid == article.explicit_id)
                )
            ).first()
        if row is None:
            row = self.by_key.get(article.key)
        return self._claim(row)

    def second_pass(self, article: SourceArticle) -> Row | None:
        """A moved or re-exported article: an unclaimed row that vanished or was deleted."""
        for column, value in (
            (articles.c.body_hash, article.body_hash),
            (articles.c.title_key, headline_key(article.title)),
        ):
            candidates = [r for r in self.by_key.values() if getattr(r, column.name) == value]
            candidates += self.conn.execute(
                select(articles)
                .where((articles.c.store == self.store) & articles.c.deleted.is_not(None))
                .where(column == value)
                .order_by(articles.c.deleted.desc())
            ).all()
            for row in candidates:
                if row.id not in self.claimed and not (row.explicit_id and article.explicit_id):
                    return self._claim(row)
        return None

    def _claim(self, row: Row | None) -> Row | None:
        if row is None or row.id in self.claimed:
            return None
        self.claimed.add(row.id)
        return row


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

    def memory(self, store: str) -> Memory:
        """The signatures of every source read cleanly last time, and the store's notes."""
        with self.engine.connect() as conn:
            query = select(sources.c.key, sources.c.signature).where(sources.c.store == store)
            notes = select(store_notes.c.name, store_notes.c.value).where(
                store_notes.c.store == store
            )
            return Memory(dict(conn.execute(query).all()), dict(conn.execute(notes).all()))

    def _keep_notes(self, conn: Connection, scan: Scan) -> None:
        conn.execute(delete(store_notes).where(store_notes.c.store == scan.store))
        if scan.notes:
            rows = [{"store": scan.store, "name": k, "value": v} for k, v in scan.notes.items()]
            conn.execute(insert(store_notes), rows)

    def apply_scan(self, scan: Scan, now: datetime) -> list[Problem]:
        """Record what a store scan found; return the id conflicts it found."""
        with self.engine.begin() as conn:
            self._keep_notes(conn, scan)
            live_sources = set(
                conn.scalars(
                    select(articles.c.source)
                    .where((articles.c.store == scan.store) & articles.c.deleted.is_(None))
                    .distinct()
                )
            )
            known = set(conn.scalars(select(sources.c.key).where(sources.c.store == scan.store)))
            gone = (live_sources | known) - scan.present
            changed = {source.key for source in scan.changed}
            touched_keys = sorted(changed | gone)
            if not touched_keys:
                return []
            touched: list[Row] = []
            for chunk in _chunks(touched_keys):
                touched += conn.execute(
                    select(articles).where(
                        (articles.c.store == scan.store)
                        & articles.c.deleted.is_(None)
                        & articles.c.source.in_(chunk)
                    )
                ).all()
            fresh = [(s.key, a) for s in scan.changed for a in s.articles]
            conflicts, problems = self._conflicts(conn, fresh, touched)
            matcher = _Matcher(conn, scan.store, touched)
            for row in touched:  # a conflicted article stays as it was until the conflict ends
                if row.explicit_id in conflicts:
                    matcher.claimed.add(row.id)
            # Sources in a conflict are read again every run, until it is resolved.
            unsettled = {key for key, a in fresh if a.explicit_id in conflicts}
            fresh = [(key, a) for key, a in fresh if a.explicit_id not in conflicts]
            first = [(key, a, matcher.first_pass(a)) for key, a in fresh]
            for source_key, article, row in first:
                row = row or matcher.second_pass(article)
                self._settle(conn, source_key, article, row, now)
            vanished = [r.id for r in touched if r.id not in matcher.claimed]
            for chunk in _chunks(vanished):
                conn.execute(update(articles).where(articles.c.id.in_(chunk)).values(deleted=now))
            self._remember_sources(conn, scan, gone, unsettled)
        return problems

    @staticmethod
    def _conflicts(
        conn: Connection, fresh: list[tuple[str, SourceArticle]], touched: list[Row]
    ) -> tuple[set[str], list[Problem]]:
        """Ids claimed by more than one source: none of the claimants wins."""
        claims: dict[str, dict[str, str]] = {}
        for _key, article in fresh:
            if article.explicit_id:
                claims.setdefault(article.explicit_id, {})[article.origin] = article.key
        touched_ids = {r.id for r in touched}
        for chunk in _chunks(sorted(claims)):
            for row in conn.execute(
                select(articles).where(
                    articles.c.explicit_id.in_(chunk) & articles.c.deleted.is_(None)
                )
            ):
                if row.id not in touched_ids:  # its source is unchanged and still claims it
                    origin = SourceArticle.from_json(row.data).origin
                    claims[row.explicit_id].setdefault(origin, row.key)
        conflicts = {id_ for id_, claimants in claims.items() if len(claimants) > 1}
        problems = [
            Problem(
                origin,
                f"id {id_!r} is also claimed by "
                f"{', '.join(other for other in claims[id_] if other != origin)}; "
                "neither is published until one of them changes it",
            )
            for id_ in sorted(conflicts)
            for origin in claims[id_]
        ]
        return conflicts, problems

    @staticmethod
    def _settle(
        conn: Connection, source_key: str, article: SourceArticle, row: Row | None, now: datetime
    ) -> None:
        values = {
            "store": article.store,
            "source": source_key,
            "key": article.key,
            "explicit_id": article.explicit_id,
            "title_key": headline_key(article.title),
            "body_hash": article.body_hash,
            "content_hash": article.content_hash,
            "deleted": None,
            "draft": article.draft,
            "has_latest": bool(article.latest),
            "data": article.to_json(),
        }
        if row is None:
            published = article.published or now
            conn.execute(
                insert(articles).values(
                    guid=article.explicit_id or new_guid(),
                    slug=article.slug or slugify(article.title),
                    published=published,
                    updated=article.updated or published,
                    first_seen=now,
                    **values,
                )
            )
            return
        published = article.published or (now if row.draft and not article.draft else row.published)
        if article.updated:
            updated = article.updated
        elif row.content_hash != article.content_hash:
            updated = max(now, published)
        else:
            updated = row.updated
        conn.execute(
            update(articles)
            .where(articles.c.id == row.id)
            .values(
                guid=article.explicit_id or row.guid,
                slug=article.slug or row.slug,
                published=published,
                updated=updated,
                **values,
            )
        )

    @staticmethod
    def _remember_sources(
        conn: Connection, scan: Scan, gone: set[str], unsettled: set[str]
    ) -> None:
        forget = sorted(gone | {s.key for s in scan.changed})
        for chunk in _chunks(forget):
            conn.execute(
                delete(sources).where((sources.c.store == scan.store) & sources.c.key.in_(chunk))
            )
        clean = [
            {"store": scan.store, "key": s.key, "signature": s.signature}
            for s in scan.changed
            if s.signature is not None and s.key not in unsettled
        ]
        if clean:
            conn.execute(insert(sources), clean)

    # Selection: what the feeds are made of.

    def _articles(self, query, article_url: str) -> list[Article]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._article(row, article_url) for row in rows]

    @staticmethod
    def _article(row: Row, article_url: str) -> Article:
        source = SourceArticle.from_json(row.data)
        return Article(
            source=source,
            guid=row.guid,
            link=source.url or article_link(article_url, row.slug),
            published=row.published,
            updated=row.updated,
        )

    def newest(self, limit: int, now: datetime, article_url: str) -> list[Article]:
        query = (
            select(articles)
            .where(_visible(now))
            .order_by(articles.c.published.desc(), articles.c.updated.desc(), articles.c.id.desc())
            .limit(limit)
        )
        return self._articles(query, article_url)

    def by_headline(
        self, keys: Iterable[str], now: datetime, article_url: str
    ) -> dict[str, Article]:
        """The newest visible article for each headline key."""
        found: dict[str, Article] = {}
        for chunk in _chunks(sorted(set(keys))):
            query = (
                select(articles)
                .where(_visible(now) & articles.c.title_key.in_(chunk))
                .order_by(articles.c.published, articles.c.id)
            )
            for article in self._articles(query, article_url):
                found[headline_key(article.source.title)] = article
        return found

    def newest_page_with_latest(self, now: datetime, article_url: str) -> Article | None:
        query = (
            select(articles)
            .where(_visible(now) & articles.c.has_latest.is_(True))
            .order_by(articles.c.first_seen.desc(), articles.c.id.desc())
            .limit(1)
        )
        found = self._articles(query, article_url)
        return found[0] if found else None

    def counts(self, now: datetime) -> tuple[int, datetime | None]:
        """(visible articles, their newest update)."""
        with self.engine.connect() as conn:
            query = select(func.count(), func.max(articles.c.updated)).where(_visible(now))
            count, newest = conn.execute(query).one()
        return count, newest

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
