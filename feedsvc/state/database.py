"""feedsvc's own memory (SQLAlchemy Core): identities, dates, article content, builds.

An article's GUID is its source's explicit id, or else one assigned the first
time it is seen that survives renaming, moving, retitling and re-exporting.
`published` stays unless the source states a new one; `updated` moves only when
the content hash does. The articles themselves are kept here too, so a run
reads again only the sources that changed and selects feeds with queries.
"""

import json
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import IO

from sqlalchemy import (
    Engine,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.core.config import LabelKind
from feedsvc.core.model import Article, Moment, Problem, SourceArticle
from feedsvc.core.text import article_link, headline_key
from feedsvc.state import backup, continuity, identity, locks, transfer
from feedsvc.state.archive import Archive
from feedsvc.state.history import FeedHistory, Removals
from feedsvc.state.labels import EVERY, Where
from feedsvc.state.migrate import migrate
from feedsvc.state.owed import OwedAnnouncements, OwedPings
from feedsvc.state.published import PublishedFiles
from feedsvc.state.schema import (
    articles,
    builds,
    chunks,
    feed_members,
    headlines,
    labels,
    meta,
    new_guid,
    sources,
    store_notes,
    visible,
)
from feedsvc.state.subscriptions import Subscriptions
from feedsvc.state.uploads import TargetStatus, UploadRecords, target_statuses
from feedsvc.store import Memory, Scan

KEPT_BUILDS = 500
FEEDS_BUILT = "feeds_built"  # meta: Moment.now of the last build that published feeds
STORES_READ = "stores_read"  # meta: Moment.read of that build
LAST_STAGES = "last_build_stages"  # meta: JSON, seconds per stage of the last build
LAST_BYTES = "last_build_bytes"  # meta: bytes it wrote
READING = "read_with:"  # meta, + a store's name: the settings its articles were read with
LAYOUT = "feeds_layout"  # meta: digest of the feeds' settings the publish folder was swept for


@dataclass(frozen=True)
class Held:
    """What a feed's documents held when last published (its items and newest archive
    page), and the digest of their other inputs then (settings, renderer release)."""

    ids: frozenset[int]
    inputs: str = ""


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


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the server) never block the builder
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _moment(marks: dict[str, str]) -> Moment:
    """The Moment a build recorded in the meta table."""
    return Moment(
        datetime.fromisoformat(marks[FEEDS_BUILT]), datetime.fromisoformat(marks[STORES_READ])
    )


def _put_meta(conn: Connection, values: dict[str, str]) -> None:
    """Set these names in the meta table, replacing what they held."""
    conn.execute(delete(meta).where(meta.c.name.in_(sorted(values))))
    conn.execute(insert(meta), [{"name": name, "value": v} for name, v in values.items()])


def _explicit_ids_are_unique(conn: Connection) -> None:
    """Most articles have no explicit id: to ANALYZE's statistics each id then matches
    every article, and SQLite looked ids up by walking the table (0.3 s a scan at
    200,000 articles). An explicit id is one article: say so, and have SQLite reload."""
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return
    mended = conn.exec_driver_sql(
        "UPDATE sqlite_stat1 SET stat = (SELECT count(*) FROM articles) || ' 1' "
        "WHERE idx = 'ix_articles_explicit_id' AND stat NOT LIKE '% 1'"
    )
    if mended.rowcount:  # else nothing to reload: opening the state stays read-only
        conn.exec_driver_sql("ANALYZE sqlite_master")


def _build_marks(conn: Connection) -> dict[str, str]:
    """The meta values a feeds build records: when it selected, when it read the stores."""
    query = select(meta.c.name, meta.c.value).where(meta.c.name.in_([FEEDS_BUILT, STORES_READ]))
    return dict(conn.execute(query).all())


# A scan that changed this many sources (a first one, an import) refreshes the planner's
# statistics: ~0.1 s at 20,000 articles.
ANALYZE_AFTER = 1000
PARSED = 8192  # articles kept parsed between builds (a few KB each)


class StateUnavailable(Exception):
    """The state database cannot be opened; the message says why (the driver's words)."""


class State:
    def __init__(self, url: str, published: Path | None = None) -> None:
        """Open (and migrate) the state at `url`. With `published`, the publish folder
        made from it: another state than the one it was published from, or an empty
        one, raises StateLost; otherwise the folder is marked as made from this one.
        A database that cannot be opened raises StateUnavailable."""
        try:
            self._open(url, published)
        except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
            raise StateUnavailable(str(getattr(exc, "orig", None) or exc)) from exc

    def _open(self, url: str, published: Path | None) -> None:
        # A server's connections die with a restart: each is tried before use (SQLite's
        # are files, nothing to try).
        self.engine: Engine = create_engine(url, pool_pre_ping=not url.startswith("sqlite"))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
            if database := self.engine.url.database:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
        try:
            if published is not None:
                continuity.refuse_if_empty(self.engine, published)
            self.migrated = migrate(self.engine)  # (revision before, revision now)
            if published is not None:
                continuity.bind(self.engine, published)
        except BaseException:
            self.engine.dispose()
            raise
        if self.engine.dialect.name == "sqlite":
            with self.engine.begin() as conn:
                _explicit_ids_are_unique(conn)  # statistics an earlier release left
        self._memories: dict[str, tuple[str, Memory]] = {}
        # What the feeds held after the last build this process recorded, and the meta
        # values it recorded then: reread only when another process has built since.
        self._held: tuple[dict[str, str], dict[str, Held]] | None = None
        self._recorded: dict[str, str] | None = None  # the marks this process last recorded
        # Articles parsed for feeds, newest use last: a one-article build reads a few
        # hundred, mostly the same as the build before.
        self._parsed: OrderedDict[int, tuple[str, Article]] = OrderedDict()  # id: (url, it)

    def close(self) -> None:
        self.engine.dispose()

    # The state's other parts, each over this database: nothing outside this package
    # touches the engine.
    @cached_property
    def archive(self) -> Archive:
        return Archive(self.engine)

    @cached_property
    def history(self) -> FeedHistory:
        return FeedHistory(self.engine)

    @cached_property
    def removals(self) -> Removals:
        return Removals(self.engine)

    @cached_property
    def subscriptions(self) -> Subscriptions:
        return Subscriptions(self.engine)

    @cached_property
    def owed_pings(self) -> OwedPings:
        return OwedPings(self.engine)

    @cached_property
    def announcements(self) -> OwedAnnouncements:
        return OwedAnnouncements(self.engine)

    @property
    def shared(self) -> bool:
        """Whether builds keep their files here for replicas: a PostgreSQL state."""
        return self.engine.dialect.name == "postgresql"

    @cached_property
    def published(self) -> PublishedFiles:
        return PublishedFiles(self.engine)

    def uploads(self, target: str) -> UploadRecords:
        return UploadRecords(self.engine, target)

    def target_statuses(self) -> dict[str, TargetStatus]:
        return target_statuses(self.engine)

    def building(self, folder: Path, name: str) -> AbstractContextManager[None]:
        """Held while a build runs: builds of one site take turns, on any machine."""
        return locks.building(self.engine, folder, name)

    def lead_lease(self, folder: Path, name: str) -> locks.Lease:
        """The lease of the replica that runs the schedule."""
        return locks.lead_lease(self.engine, folder, name)

    def export_to(self, out: IO[str]) -> dict[str, int]:
        return transfer.export_state(self.engine, out)

    def import_from(self, lines: IO[str], source: str) -> dict[str, int]:
        """Load an export into this (empty) database: all of it, or, raising
        TransferError, none of it."""
        try:
            return transfer.import_state(self.engine, lines, source)
        except SQLAlchemyError as exc:
            raise transfer.TransferError(
                f"{source}: the database refused a row: {getattr(exc, 'orig', None) or exc}"
            ) from exc

    def backup_to(self, file: Path) -> None:
        backup.copy_database(backup.database_file(self.engine), file)

    def changed_since(self, since: Moment, now: datetime) -> set[int]:
        """Articles a scan inserted, updated or deleted after the last feeds build read the
        stores, and those that became visible with time alone since it selected them."""
        changed = select(articles.c.id).where(articles.c.changed > since.read)
        due = select(articles.c.id).where(visible(now) & (articles.c.published > since.now))
        with self.engine.connect() as conn:
            return set(conn.scalars(changed)) | set(conn.scalars(due))

    def label_keys(self, ids: set[int]) -> set[tuple[str, str]]:
        """(kind, slug) of every label these articles have."""
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(labels.c.kind, labels.c.slug).where(labels.c.article_id.in_(chunk))
                found.update((kind, slug) for kind, slug in conn.execute(query))
        return found

    def any_match(self, ids: set[int], where: Where) -> bool:
        """Whether any of these articles (visible or not) is one `where` selects."""
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(articles.c.id).where(
                    articles.c.id.in_(chunk) & where.clause(few=True)
                )
                if conn.scalar(query.limit(1)) is not None:
                    return True
        return False

    def _generation(self, conn: Connection) -> str:
        """Changes whenever any process records a scan that changed something."""
        value = conn.scalar(select(meta.c.value).where(meta.c.name == "generation"))
        return value or ""

    def memory(self, store: str) -> Memory:
        """The signature of every source seen, and the store's notes.

        Kept in this process between runs while no other process changed the
        state: loading 100,000 signatures costs more than scanning the files.
        """
        with self.engine.connect() as conn:
            generation = self._generation(conn)
            cached = self._memories.get(store)
            if cached and cached[0] == generation:
                return cached[1]
            query = select(sources.c.key, sources.c.signature).where(sources.c.store == store)
            notes = select(store_notes.c.name, store_notes.c.value).where(
                store_notes.c.store == store
            )
            memory = Memory(dict(conn.execute(query).all()), dict(conn.execute(notes).all()))
        self._memories[store] = (generation, memory)
        return memory

    def _keep_notes(self, conn: Connection, scan: Scan) -> None:
        conn.execute(delete(store_notes).where(store_notes.c.store == scan.store))
        if scan.notes:
            rows = [{"store": scan.store, "name": k, "value": v} for k, v in scan.notes.items()]
            conn.execute(insert(store_notes), rows)

    def apply_scan(self, scan: Scan, memory: Memory, now: datetime) -> list[Problem]:
        """Record what a store scan made against `memory` found; return the id conflicts."""
        gone = scan.gone(memory)
        touched_keys = {source.key for source in scan.changed} | gone
        if not touched_keys and scan.notes == memory.notes:
            return []  # the common case: nothing changed, nothing to write
        problems: list[Problem] = []
        unsettled: set[str] = set()
        with self.engine.begin() as conn:
            self._keep_notes(conn, scan)
            if touched_keys:
                problems, unsettled = self._settle(conn, scan, touched_keys, gone, now)
            generation = uuid.uuid4().hex
            _put_meta(conn, {"generation": generation})
        if len(touched_keys) >= ANALYZE_AFTER:
            self.analyze()
        for key in gone:
            memory.signatures.pop(key, None)
        for source in scan.changed:
            memory.signatures[source.key] = (
                "" if source.key in unsettled else source.signature or ""
            )
        memory.notes = dict(scan.notes)
        self._memories[scan.store] = (generation, memory)
        return problems

    def analyze(self) -> None:
        """Give SQLite's planner the tables' statistics (PostgreSQL's autovacuum keeps its
        own). Without them it reads a family feed's newest articles by walking every
        visible article in date order, testing each for the label: a cost that grows with
        the store; with them it starts from the label's index."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            _explicit_ids_are_unique(conn)

    def _settle(
        self, conn: Connection, scan: Scan, touched_keys: set[str], gone: set[str], now: datetime
    ) -> tuple[list[Problem], set[str]]:
        """(id conflicts, sources to read again) after settling the changed sources."""
        live_here = articles.c.deleted.is_(None) & (articles.c.store == scan.store)
        touched = identity.select_in(conn, articles.c.source, touched_keys, live_here)
        fresh = [(s.key, a) for s in scan.changed for a in s.articles]
        conflicts, problems = identity.conflicts(conn, [a for _k, a in fresh], touched)
        reconciler = identity.Reconciler(conn, scan.store, touched)
        # A conflicted article stays as it was, and its sources are read again every
        # run, until the conflict is resolved.
        reconciler.claimed |= {row.id for row in touched if row.explicit_id in conflicts}
        unsettled = {key for key, a in fresh if a.explicit_id in conflicts}
        fresh = [(key, a) for key, a in fresh if a.explicit_id not in conflicts]
        rows = reconciler.match([a for _k, a in fresh])
        identity.settle(conn, fresh, rows, now)
        vanished = sorted(row.id for row in touched if row.id not in reconciler.claimed)
        for chunk in chunks(vanished):
            conn.execute(
                update(articles)
                .where(articles.c.id.in_(chunk))
                .values(deleted=now, changed=datetime.now(UTC))
            )
        self._remember_sources(conn, scan, gone, unsettled)
        return problems, unsettled

    @staticmethod
    def _remember_sources(
        conn: Connection, scan: Scan, gone: set[str], unsettled: set[str]
    ) -> None:
        forget = sorted(gone | {s.key for s in scan.changed})
        for chunk in chunks(forget):
            conn.execute(
                delete(sources).where((sources.c.store == scan.store) & sources.c.key.in_(chunk))
            )
        seen = [
            {
                "store": scan.store,
                "key": s.key,
                "signature": "" if s.key in unsettled else s.signature or "",
            }
            for s in scan.changed
        ]
        if seen:
            conn.execute(insert(sources), seen)

    # Selection: what the feeds are made of.

    def _articles(self, query, article_url: str) -> list[Article]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._article(row, article_url) for row in rows]

    @staticmethod
    def _article(row: Row, article_url: str) -> Article:
        source = SourceArticle.from_json(row.data)
        return Article(
            id=row.id,
            source=source,
            guid=row.guid,
            link=source.url or article_link(article_url, row.slug),
            published=row.published,
            updated=row.updated,
        )

    def newest(
        self, limit: int, now: datetime, article_url: str, where: Where = EVERY
    ) -> list[Article]:
        # Ids first, then those rows: sorting a category's thousand matches with their
        # whole stored text took twice as long as sorting their ids.
        order = (
            select(articles.c.id)
            .where(visible(now) & where.clause())
            # Ties (a first import shares one time) go to the later row: the index's order.
            .order_by(articles.c.published.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            ids = list(conn.scalars(order))
            found = self._parsed_articles(conn, ids, article_url, now)
        return [found[article_id] for article_id in ids]

    def _parsed_articles(
        self, conn: Connection, ids: Sequence[int], article_url: str, now: datetime
    ) -> dict[int, Article]:
        """These articles, those visible at `now`, by id: parsed ones from memory, the
        others read. What a build changed was forgotten (`forget_parsed`) before it."""
        found: dict[int, Article] = {}
        missing = []
        for article_id in ids:
            url, known = self._parsed.get(article_id, ("", None))
            if known is None or url != article_url:
                missing.append(article_id)
            elif known.published <= now:
                found[article_id] = known
                self._parsed.move_to_end(article_id)
        for chunk in chunks(sorted(missing)):
            query = select(articles).where(articles.c.id.in_(chunk) & visible(now))
            for row in conn.execute(query):
                found[row.id] = article = self._article(row, article_url)
                self._parsed[row.id] = article_url, article
        while len(self._parsed) > PARSED:
            self._parsed.popitem(last=False)
        return found

    def forget_parsed(self, ids: Iterable[int] | None) -> None:
        """These articles changed (None: any may have): parse them again when asked."""
        if ids is None:
            self._parsed.clear()
            return
        for article_id in ids:
            self._parsed.pop(article_id, None)

    def by_key(self, store: str, key: str, article_url: str) -> Article | None:
        """The article a store holds at `key` (a file path), as the last scan left it."""
        query = select(articles).where(
            (articles.c.store == store) & (articles.c.key == key) & articles.c.deleted.is_(None)
        )
        found = self._articles(query, article_url)
        return found[0] if found else None

    def among(self, ids: Sequence[int], where: Where) -> list[int]:
        """Those of these articles (visible or not) that `where` selects."""
        if where == EVERY:
            return list(ids)
        found: list[int] = []
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(articles.c.id).where(
                    articles.c.id.in_(chunk) & where.clause(few=True)
                )
                found += conn.scalars(query)
        return found

    def by_ids(self, ids: Iterable[int], now: datetime, article_url: str) -> list[Article]:
        """Those of these articles still visible, newest first."""
        with self.engine.connect() as conn:
            found = self._parsed_articles(conn, list(set(ids)), article_url, now)
        return sorted(found.values(), key=lambda a: (a.published, a.guid), reverse=True)

    def label_values(
        self, kind: LabelKind, where: Where, now: datetime, slugs: Iterable[str] | None = None
    ) -> list[tuple[str, str]]:
        """(slug, value) of every `kind` label the visible articles `where` selects have
        (of those with these slugs, if given)."""
        query = (
            select(labels.c.slug, func.min(labels.c.value))
            .join(articles, articles.c.id == labels.c.article_id)
            .where((labels.c.kind == kind) & visible(now) & where.clause())
            .group_by(labels.c.slug)
            .order_by(labels.c.slug)
        )
        with self.engine.connect() as conn:
            if slugs is None:
                return [(slug, value) for slug, value in conn.execute(query)]
            found: list[Row] = []
            for chunk in chunks(sorted(slugs)):
                found += conn.execute(query.where(labels.c.slug.in_(chunk))).all()
            return [(slug, value) for slug, value in found]

    def by_headline(
        self, keys: Iterable[str], now: datetime, article_url: str
    ) -> dict[str, Article]:
        """The newest visible article for each headline key."""
        found: dict[str, Article] = {}
        for chunk in chunks(sorted(set(keys))):
            query = (
                select(articles)
                .where(visible(now) & articles.c.title_key.in_(chunk))
                .order_by(articles.c.published, articles.c.id)
            )
            for article in self._articles(query, article_url):
                found[headline_key(article.source.title)] = article
        return found

    def newest_page_with_latest(self, now: datetime, article_url: str) -> Article | None:
        query = (
            select(articles)
            .where(visible(now) & articles.c.has_latest.is_(True))
            .order_by(articles.c.first_seen.desc(), articles.c.id.desc())
            .limit(1)
        )
        found = self._articles(query, article_url)
        return found[0] if found else None

    def count_by_store(self) -> dict[str, tuple[int, int]]:
        """store -> (articles kept, of which deleted)."""
        deleted = func.count(articles.c.deleted)
        query = select(articles.c.store, func.count(), deleted).group_by(articles.c.store)
        with self.engine.connect() as conn:
            return {store: (total, gone) for store, total, gone in conn.execute(query)}

    def count_visible(self, now: datetime) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).where(visible(now))) or 0

    def resolve_headlines(
        self, found: Iterable[str], now: datetime
    ) -> dict[str, HeadlineIdentity | None]:
        """A lasting GUID and date for each latest-news headline without a visible
        article (by key); None for one whose article was taken down (it is withheld).

        A headline keeps its GUID for life: that of its article when it has or had one
        (deleted, a draft), else one given the first time it was listed, which an
        article later written with that headline takes as its own."""
        keys = {headline_key(h) for h in found}
        with self.engine.begin() as conn:
            listed = {
                r.key: HeadlineIdentity(r.guid, r.first_seen)
                for r in conn.execute(select(headlines).where(headlines.c.key.in_(keys)))
            }
            newest: dict[str, Row] = {}
            query = (
                select(
                    articles.c.title_key,
                    articles.c.guid,
                    articles.c.published,
                    articles.c.first_seen,
                    articles.c.taken_down,
                )
                .where(articles.c.title_key.in_(keys))
                .order_by(articles.c.published, articles.c.id)
            )
            for row in conn.execute(query):
                newest[row.title_key] = row
            known: dict[str, HeadlineIdentity | None] = {}
            for key in sorted(keys):
                seen = newest.get(key)
                if seen is not None and seen.taken_down is not None:
                    known[key] = None
                elif key in listed:
                    known[key] = listed[key]
                elif seen is not None:  # deleted, a draft or not yet due: never a future date
                    known[key] = HeadlineIdentity(seen.guid, min(seen.published, seen.first_seen))
                else:
                    made = known[key] = HeadlineIdentity(new_guid(), now)
                    conn.execute(insert(headlines).values(key=key, guid=made.guid, first_seen=now))
        return known

    def takedown(
        self, ref: str, reason: str, now: datetime, *, undo: bool = False
    ) -> Sequence[Row]:
        """Take down (or, `undo`, restore) the article whose GUID, id or store key is `ref`:
        out of every document until undone, whatever its store says later (a re-export
        keeps its row, so the takedown holds). Returns the articles it applies to."""
        match = (articles.c.guid == ref) | (articles.c.explicit_id == ref) | (articles.c.key == ref)
        with self.engine.begin() as conn:
            found = conn.execute(select(articles).where(match)).all()
            if found:
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_([row.id for row in found]))
                    .values(
                        taken_down=None if undo else now,
                        takedown_reason=None if undo else reason,
                        changed=datetime.now(UTC),  # what the next build looks at
                    )
                )
        self.forget_parsed(row.id for row in found)
        return found

    def taken_down(self) -> Sequence[Row]:
        """Every article taken down, newest takedown first."""
        query = select(articles).where(articles.c.taken_down.is_not(None))
        with self.engine.connect() as conn:
            return conn.execute(query.order_by(articles.c.taken_down.desc())).all()

    def built_elsewhere(self) -> bool:
        """Whether the last build was another process's (or this one never built): what
        this process remembers of its own builds no longer describes what is published."""
        with self.engine.connect() as conn:
            return _build_marks(conn) != self._recorded

    def last_recorded(self) -> Moment | None:
        """The last build this process recorded (None: it has not)."""
        if self._recorded is None:
            return None
        return _moment(self._recorded)

    def feeds_built(self) -> tuple[Moment | None, dict[str, Held]]:
        """The last build that published its feeds, and what each feed then held."""
        with self.engine.connect() as conn:
            when = _build_marks(conn)
            if self._held is not None and self._held[0] == when:
                held = self._held[1]
            else:
                query = select(feed_members.c.feed, feed_members.c.ids, feed_members.c.inputs)
                held = {
                    feed: Held(frozenset(json.loads(ids)), inputs)
                    for feed, ids, inputs in conn.execute(query)
                }
                self._held = when, held
        if len(when) < 2:
            return None, held
        return _moment(when), held

    def record_feeds(self, built: Moment, held: dict[str, Held], forget: set[str]) -> None:
        """Remember a published build, and what the feeds it redid held. A feed in
        `forget` (it failed) is redone in full next time."""
        marks = {FEEDS_BUILT: built.now.isoformat(), STORES_READ: built.read.isoformat()}
        with self.engine.begin() as conn:
            known = self._held if self._held and self._held[0] == _build_marks(conn) else None
            for chunk in chunks(sorted(held.keys() | forget)):
                conn.execute(delete(feed_members).where(feed_members.c.feed.in_(chunk)))
            if held:
                rows = [
                    {"feed": feed, "ids": json.dumps(sorted(done.ids)), "inputs": done.inputs}
                    for feed, done in held.items()
                ]
                conn.execute(insert(feed_members), rows)
            _put_meta(conn, marks)
        self._recorded = marks
        if known is None:
            self._held = None
        else:
            kept = {feed: ids for feed, ids in known[1].items() if feed not in forget}
            self._held = marks, {**kept, **held}

    def reading(self, store: str) -> str | None:
        """The digest of the settings the store's articles were last read with."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == f"{READING}{store}"))

    def record_reading(self, store: str, value: str) -> None:
        with self.engine.begin() as conn:
            _put_meta(conn, {f"{READING}{store}": value})

    def layout(self) -> str | None:
        """The digest of the feeds' settings the publish folder last had its strays
        removed for (a feed or format dropped from the config leaves files behind)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == LAYOUT))

    def record_layout(self, value: str) -> None:
        with self.engine.begin() as conn:
            _put_meta(conn, {LAYOUT: value})

    def record_stages(self, seconds: dict[str, float], bytes_written: int) -> None:
        """The last build's seconds per stage and bytes written, for `feedsvc stats`."""
        stages = {stage: round(value, 4) for stage, value in seconds.items()}
        with self.engine.begin() as conn:
            _put_meta(
                conn,
                {LAST_STAGES: json.dumps(stages), LAST_BYTES: str(bytes_written)},
            )

    def record_notify(self, seconds: float) -> None:
        """Add the time telling hubs and subscribers took, which ends after the build."""
        stages, written = self.last_stages()
        stages["notify"] = round(seconds, 4)
        self.record_stages(stages, written)

    def last_stages(self) -> tuple[dict[str, float], int]:
        wanted = meta.c.name.in_([LAST_STAGES, LAST_BYTES])
        with self.engine.connect() as conn:
            found = dict(conn.execute(select(meta.c.name, meta.c.value).where(wanted)).all())
        return json.loads(found.get(LAST_STAGES, "{}")), int(found.get(LAST_BYTES, 0))

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
