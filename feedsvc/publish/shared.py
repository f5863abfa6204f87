"""Replicas on several machines serve the same feeds from a PostgreSQL state.

The build keeps every file it writes in the state too (`published_files`, each
build's files under a new generation number) and tells the replicas with NOTIFY in
the same transaction. A file it removes is kept as removed (no body, no digest), and
the list of feeds gone for good as the body of GONE_FILE, so replicas delete and
answer 410 as the builder's folder does. Each replica copies what it lacks into its
own publish folder, with the build's time as the files' time, so every replica
answers with the same bytes, ETag and Last-Modified. A notice missed while
reconnecting is made up by polling: a replica is never more than POLL seconds behind.
"""

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.publish import OutputFile
from feedsvc.publish.local import GENERATION_FILE, GONE_FILE, LocalTarget, atomic_write
from feedsvc.state.schema import chunks, published_files

log = logging.getLogger(__name__)

CHANNEL = "feedsvc_published"
POLL = 5.0  # seconds between looks when no notice comes
RETRY = 2.0  # seconds before reconnecting after the database went away
MARK_FILE = ".feedsvc-shared-generation"  # the newest generation this folder holds
BATCH = 200  # files per query and per write when catching up


def shared(engine: Engine) -> bool:
    """Whether builds keep their files in the state: with PostgreSQL, the replicas' state."""
    return engine.dialect.name == "postgresql"


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


REMOVED = ""  # the digest of a file a build removed


def keep(
    engine: Engine, files: Sequence[OutputFile], at: datetime, *, removed: bool = False
) -> int | None:
    """Store those of a build's files that differ from the kept ones as one new
    generation (`removed`: as removed), and tell the replicas; return the generation
    (None: nothing differed)."""
    with engine.begin() as conn:
        kept: dict[str, str] = {}
        for chunk in chunks([file.path for file in files]):
            query = select(published_files.c.path, published_files.c.digest)
            kept.update(conn.execute(query.where(published_files.c.path.in_(chunk))).all())
        digests = {file.path: REMOVED if removed else _digest(file.body) for file in files}
        changed = [file for file in files if kept.get(file.path) != digests[file.path]]
        if not changed:
            return None
        # Builds take turns (the build lock), so the next number is no one else's.
        generation = (conn.scalar(select(func.max(published_files.c.generation))) or 0) + 1
        for chunk in chunks([file.path for file in changed if file.path in kept]):
            conn.execute(delete(published_files).where(published_files.c.path.in_(chunk)))
        rows = [
            {
                "path": file.path,
                "body": file.body,
                "digest": digests[file.path],
                "generation": generation,
                "written": at,
            }
            for file in changed
        ]
        for batch in chunks(rows):
            conn.execute(insert(published_files), list(batch))
        conn.execute(text("SELECT pg_notify(:channel, :generation)"), {
            "channel": CHANNEL, "generation": str(generation)
        })  # fmt: skip
    return generation


class Follower:
    """Copies the files builds kept in the state into this machine's publish folder."""

    def __init__(self, engine: Engine, target: LocalTarget) -> None:
        self.engine = engine
        self.target = target

    @property
    def _mark(self) -> Path:
        return self.target.root / MARK_FILE

    def holds(self) -> int:
        """The newest generation this folder holds (0: none yet)."""
        try:
            return int(self._mark.read_text())
        except (OSError, ValueError):
            return 0

    def catch_up(self) -> list[str]:
        """Write every file of a newer generation that differs here; return their paths."""
        held = newest = self.holds()
        written: list[str] = []
        query = (
            select(published_files)
            .where(published_files.c.generation > held)
            .order_by(published_files.c.generation)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
            for rows in result.partitions():
                written += self._write(rows)
                newest = max(newest, *(row.generation for row in rows))
        if newest > held:
            atomic_write(self._mark, f"{newest}\n".encode())
            # After the files' times were set: the servers reload what they hold now.
            atomic_write(self.target.root / GENERATION_FILE, f"{len(written)}\n".encode())
        return written

    def _write(self, rows: Sequence) -> list[str]:
        self.target.look_again()
        gone = [row for row in rows if row.path == GONE_FILE]
        for row in gone:
            self.target.set_gone(row.body.decode().split())
        self.target.remove([row.path for row in rows if row.digest == REMOVED])
        rows = [row for row in rows if row.digest != REMOVED and row.path != GONE_FILE]
        written = self.target.publish([OutputFile(row.path, row.body) for row in rows])
        for row in rows:  # the build's time on every copy: the same Last-Modified everywhere
            stamp = row.written.timestamp()
            path = self.target.root / row.path
            for suffix in ("", ".gz", ".br"):
                with contextlib.suppress(FileNotFoundError):
                    os.utime(path.with_name(path.name + suffix), (stamp, stamp))
        return written

    def follow(self, stop: threading.Event) -> None:
        """Catch up now and whenever a build says so (or POLL passes), until `stop`."""
        import psycopg  # here: only a replica on PostgreSQL needs it (0.12 s to import)

        while not stop.is_set():
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    conn.execute(text(f"LISTEN {CHANNEL}"))
                    listener = conn.connection.driver_connection
                    assert listener is not None, "a live connection has its driver's"
                    while not stop.is_set():
                        self.catch_up()
                        for _ in listener.notifies(timeout=POLL, stop_after=1):
                            pass
            except (SQLAlchemyError, psycopg.Error, OSError) as exc:
                log.warning("replica: cannot follow the builds in the state database: %s", exc)
                stop.wait(RETRY)
