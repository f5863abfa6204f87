"""The files builds published, kept in a PostgreSQL state for replicas to copy.

Each build's changed files go in under a new generation number, and the replicas
are told with NOTIFY in the same transaction. A removed file is kept with no body
and no digest."""

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Engine, Row, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.core.model import body_digest
from feedsvc.state.schema import chunks, published_files

log = logging.getLogger(__name__)

CHANNEL = "feedsvc_published"
REMOVED = ""  # the digest of a file a build removed
BATCH = 200  # files per query and per write when catching up


class PublishedFiles:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def keep(self, bodies: Mapping[str, bytes | None], at: datetime) -> int | None:
        """Store those of a build's files (path -> body, None: removed) that differ from
        the kept ones as one new generation, and tell the replicas; return the
        generation (None: nothing differed)."""
        with self.engine.begin() as conn:
            kept: dict[str, str] = {}
            for chunk in chunks(list(bodies)):
                query = select(published_files.c.path, published_files.c.digest)
                kept.update(conn.execute(query.where(published_files.c.path.in_(chunk))).all())
            digests = {
                path: REMOVED if body is None else body_digest(body)
                for path, body in bodies.items()
            }
            changed = [path for path in bodies if kept.get(path) != digests[path]]
            if not changed:
                return None
            # Builds take turns (the build lock), so the next number is no one else's.
            generation = (conn.scalar(select(func.max(published_files.c.generation))) or 0) + 1
            for chunk in chunks([path for path in changed if path in kept]):
                conn.execute(delete(published_files).where(published_files.c.path.in_(chunk)))
            rows = [
                {
                    "path": path,
                    "body": bodies[path] or b"",
                    "digest": digests[path],
                    "generation": generation,
                    "written": at,
                }
                for path in changed
            ]
            for batch in chunks(rows):
                conn.execute(insert(published_files), list(batch))
            conn.execute(text("SELECT pg_notify(:channel, :generation)"), {
                "channel": CHANNEL, "generation": str(generation)
            })  # fmt: skip
        return generation

    def newer_than(self, generation: int) -> Iterator[Sequence[Row]]:
        """The files of later generations, oldest first, BATCH at a time (path, body,
        digest, generation, written)."""
        query = (
            select(published_files)
            .where(published_files.c.generation > generation)
            .order_by(published_files.c.generation)
        )
        with self.engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=BATCH).execute(query)
            yield from result.partitions()

    def on_notice(
        self, stop: threading.Event, catch_up: Callable[[], object], poll: float, retry: float
    ) -> None:
        """Call `catch_up` now, at every notice of a new generation and every `poll`
        seconds, until `stop`; after the database went away, reconnect after `retry`."""
        import psycopg  # here: only a replica on PostgreSQL needs it (0.12 s to import)

        while not stop.is_set():
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(isolation_level="AUTOCOMMIT")
                    conn.execute(text(f"LISTEN {CHANNEL}"))
                    listener = conn.connection.driver_connection
                    assert listener is not None, "a live connection has its driver's"
                    while not stop.is_set():
                        catch_up()
                        for _ in listener.notifies(timeout=poll, stop_after=1):
                            pass
            except (SQLAlchemyError, psycopg.Error, OSError) as exc:
                log.warning("replica: cannot follow the builds in the state database: %s", exc)
                stop.wait(retry)
