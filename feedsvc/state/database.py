"""The state database opened: tuned for its dialect, migrated, bound to its publish
folder. State's jobs live in their own modules (scans.py: what the stores read;
articles.py: what feeds select; builds.py: the build log), its other parts are
handed out from here, so nothing outside feedsvc/state/ touches the engine.
"""

from collections import OrderedDict
from collections.abc import Iterable
from contextlib import AbstractContextManager
from functools import cached_property
from pathlib import Path
from typing import IO

from sqlalchemy import (
    Engine,
    create_engine,
    event,
)
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.core.model import Article
from feedsvc.state import backup, continuity, ledger, locks, transfer
from feedsvc.state.archive import Archive
from feedsvc.state.articles import ArticleQueries
from feedsvc.state.audience import Audience
from feedsvc.state.builds import BuildLog, Held
from feedsvc.state.history import FeedHistory, Removals
from feedsvc.state.inforce import ConfigInForce
from feedsvc.state.ledger import Ledger
from feedsvc.state.mediafacts import MediaFacts
from feedsvc.state.migrate import migrate, newest_file, revision
from feedsvc.state.owed import OwedAnnouncements, OwedPings
from feedsvc.state.published import PublishedFiles
from feedsvc.state.scans import ScanRecords, explicit_ids_are_unique
from feedsvc.state.subscriptions import Subscriptions
from feedsvc.state.uploads import TargetStatus, UploadRecords, target_statuses
from feedsvc.store import Memory


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers (the server) never block the builder
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _engine(url: str) -> Engine:
    """The state's engine. A server's connections die with a restart: each is tried
    before use (SQLite's are files, nothing to try). PostgreSQL is asked for UTF-8
    whatever the database's own encoding: on a SQL_ASCII database (initdb without a
    UTF-8 locale) it would send text as bytes, and opening the state failed with a
    TypeError."""
    if url.startswith("sqlite"):
        return create_engine(url)
    connect_args = {"client_encoding": "utf8"} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


class StateUnavailable(Exception):
    """The state database cannot be opened; the message says why (the driver's words)."""


class StateNotBuilt(StateUnavailable):
    """A command that only reads met no state to read: empty, missing or not migrated."""


class State(ScanRecords, ArticleQueries, BuildLog):
    """feedsvc's memory: opened (and migrated) once, its parts by job."""

    migrated: tuple[str | None, str]  # its schema revision before opening, and now

    def __init__(self, url: str, published: Path | None = None, *, read_only: bool = False) -> None:
        """Open (and migrate) the state at `url`. With `published`, the publish folder
        made from it: another state than the one it was published from, or an empty
        one, raises StateLost; otherwise the folder is marked as made from this one.
        `read_only`: for a command that only reads, which never makes, migrates or
        marks a state (an empty or missing one, or one of another revision, raises).
        A database that cannot be opened raises StateUnavailable."""
        try:
            if read_only:
                self._open_to_read(url)
            else:
                self._open(url, published)
        except (SQLAlchemyError, ImportError, ValueError, OSError) as exc:
            raise StateUnavailable(str(getattr(exc, "orig", None) or exc)) from exc

    def _open_to_read(self, url: str) -> None:
        self.engine = _engine(url)
        database = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and database and database != ":memory:":
            path = Path(database)
            if not path.is_file() or path.stat().st_size == 0:
                self.engine.dispose()
                raise StateNotBuilt(f"{path} is empty: nothing has been built with it yet")
        with self.engine.connect() as conn:
            found, wanted = revision(conn), newest_file()
        if found != wanted:
            self.engine.dispose()
            if found is None:
                raise StateNotBuilt("it is empty: nothing has been built with it yet")
            raise StateNotBuilt(
                f"it is at revision {found}, this release reads {wanted}: run `feedsvc migrate`"
            )
        self.migrated = (wanted, wanted)
        self._init_caches()

    def _open(self, url: str, published: Path | None) -> None:
        self.engine: Engine = _engine(url)
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
                explicit_ids_are_unique(conn)  # statistics an earlier release left
        self._init_caches()

    def _init_caches(self) -> None:
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
    def in_force(self) -> ConfigInForce:
        return ConfigInForce(self.engine)

    @cached_property
    def history(self) -> FeedHistory:
        return FeedHistory(self.engine)

    @cached_property
    def removals(self) -> Removals:
        return Removals(self.engine)

    @cached_property
    def audience(self) -> Audience:
        return Audience(self.engine)

    @cached_property
    def media_facts(self) -> MediaFacts:
        return MediaFacts(self.engine)

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

    def ledger(self) -> Ledger:
        """The facts of history a build from scratch may take (feedsvc.state.ledger)."""
        return ledger.read(self.engine)

    def seed(self, facts: Ledger, stores: Iterable[str]) -> None:
        """Start this empty state from a ledger, for a build from scratch of `stores`."""
        ledger.write(self.engine, facts, stores)

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

    # Selection: what the feeds are made of.
