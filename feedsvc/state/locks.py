"""Who does what when several processes share a site: locks the OS or PostgreSQL frees
when their holder dies, so a killed process never leaves one taken.

A file lock in the publish folder covers the processes of one machine; a PostgreSQL
advisory lock (on a connection of its own, held as long as it lives) covers replicas
on several machines sharing a PostgreSQL state.
"""

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Advisory lock keys: any numbers no other lock on the database uses ("feed" + a digit).
BUILD_KEY = 0x6665656401  # a build runs
LEAD_KEY = 0x6665656402  # a replica runs the schedule
POLL = 0.02  # seconds between tries of a build lock another holds
NOTICE_AFTER = 1.0  # seconds waited for a build lock before saying who holds it
NOTICE_EVERY = 30.0


class Lease(Protocol):
    def try_take(self) -> bool: ...
    def held(self) -> bool: ...
    def release(self) -> None: ...


class FileLease:
    """An exclusive flock on a file: one process of this machine at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def try_take(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a")
        if not _try_flock(handle):
            handle.close()
            return False
        self._handle = handle
        return True

    def held(self) -> bool:
        return self._handle is not None  # the kernel does not take a flock back

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class DatabaseLease:
    """A PostgreSQL session advisory lock: one replica of all sharing the database. It
    is lost with its connection (the server restarted, the network failed), which
    `held` finds out."""

    def __init__(self, engine: Engine, key: int) -> None:
        self.engine = engine
        self.key = key
        self._conn: Connection | None = None

    def try_take(self) -> bool:
        self.release()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            if conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}):
                self._conn = conn
                return True
            conn.close()
        except SQLAlchemyError as exc:
            log.warning("cannot reach the state database for a lock: %s", exc)
        return False

    def held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._conn is not None:
            # Not back to the pool, where the session (and its lock) would live on: ended.
            self._conn.invalidate()
            self._conn.close()
            self._conn = None


def lead_lease(engine: Engine, folder: Path, name: str) -> Lease:
    """The lease of a role all processes of a site share (running the schedule)."""
    if engine.dialect.name == "postgresql":
        return DatabaseLease(engine, LEAD_KEY)
    return FileLease(folder / name)


@contextmanager
def building(engine: Engine, folder: Path, name: str) -> Iterator[None]:
    """One build at a time: across this machine's processes (`feedsvc build` beside
    `feedsvc run`) and, with a PostgreSQL state, across every replica. A wait for it
    says who holds it (see _take)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    with path.open("a") as handle:
        _take(lambda: _try_flock(handle), lambda: _holding_process(path))
        try:
            handle.truncate(0)  # who holds it, for those waiting
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            if engine.dialect.name != "postgresql":
                yield
                return
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                key = {"key": BUILD_KEY}
                lock = text("SELECT pg_try_advisory_lock(:key)")
                _take(lambda: bool(conn.scalar(lock, key)), lambda: _holding_session(conn))
                try:
                    yield
                finally:
                    try:
                        conn.execute(text("SELECT pg_advisory_unlock(:key)"), key)
                    except SQLAlchemyError:  # the connection went, and its lock with it
                        conn.invalidate()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _take(take: Callable[[], bool], holder: Callable[[], str]) -> None:
    """Take a lock, trying every POLL seconds: a wait longer than NOTICE_AFTER is told,
    naming the holder, and again every NOTICE_EVERY (a build may take many minutes, and a
    process stopped in one holds the lock until it is resumed or ended)."""
    started = time.monotonic()
    notice = NOTICE_AFTER
    while not take():
        waited = time.monotonic() - started
        if waited >= notice:
            log.warning(
                "waited %.0f s for the build of %s; this one starts when it ends", waited, holder()
            )
            notice = waited + NOTICE_EVERY
        time.sleep(POLL)


def _try_flock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holding_process(path: Path) -> str:
    """The process holding the build's file lock, by the id it wrote there: its command
    line, and whether it is stopped."""
    try:
        pid = int(path.read_text(encoding="utf-8"))
        proc = Path("/proc") / str(pid)
        arguments = (proc / "cmdline").read_bytes().decode(errors="replace").replace("\0", " ")
        command = " ".join(arguments.split())  # on one line, whatever its arguments hold
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, ValueError, IndexError):
        return "another process"
    if state in ("T", "t"):
        return f"process {pid} ({command}), which is stopped: `kill -CONT {pid}` resumes it"
    return f"process {pid} ({command})"


def _holding_session(conn: Connection) -> str:
    """The PostgreSQL session holding the build's advisory lock, and where it connects from."""
    holder = conn.execute(
        text(
            "SELECT a.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
            " AND l.classid = :high AND l.objid = :low"
        ),
        {"high": BUILD_KEY >> 32, "low": BUILD_KEY & 0xFFFFFFFF},
    ).first()
    if holder is None:
        return "another replica"
    source = holder.client_addr or "a local socket"
    return f"another replica (PostgreSQL session {holder.pid}, from {source})"
