"""Who does what when several processes share a site: locks the OS or PostgreSQL frees
when their holder dies, so a killed process never leaves one taken.

A file lock in the publish folder covers the processes of one machine; a PostgreSQL
advisory lock (on a connection of its own, held as long as it lives) covers replicas
on several machines sharing a PostgreSQL state.
"""

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# Advisory lock keys: any numbers no other lock on the database uses ("feed" + a digit).
BUILD_KEY = 0x6665656401  # a build runs
LEAD_KEY = 0x6665656402  # a replica runs the schedule


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
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
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
    `feedsvc run`) and, with a PostgreSQL state, across every replica."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            if engine.dialect.name != "postgresql":
                yield
                return
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": BUILD_KEY})
                try:
                    yield
                finally:
                    try:
                        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": BUILD_KEY})
                    except SQLAlchemyError:  # the connection went, and its lock with it
                        conn.invalidate()
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
