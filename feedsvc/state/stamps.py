"""Change stamps that only go forward, whatever the clocks of the processes that take
them say.

What changed since a build is what was stamped after that build's read stamp
(`State.changed_since`, archive placement). Taken from each process's wall clock,
a build on a machine whose clock is behind stamped its changes before the last
build's read, and no later build ever looked at them. A stamp is taken from the
state instead: the wall clock, but always after the last stamp any process took
(a hybrid logical clock). The stamp row is locked by the transaction that takes it
until that commits, so a build's read stamp comes after every change committed
before it and before every change committed after it.
"""

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from feedsvc.state.schema import meta

STAMP = "last_stamp"  # meta: the last stamp taken, ISO 8601 to the microsecond
TICK = timedelta(microseconds=1)


def stamp(conn: Connection) -> datetime:
    """A stamp later than any taken before, held (locked) until `conn` commits."""
    locked = _lock(conn)
    now = datetime.now(UTC)
    if not locked:  # the first stamp this state takes
        try:
            with conn.begin_nested():
                conn.execute(insert(meta).values(name=STAMP, value=now.isoformat()))
            return now
        except IntegrityError:  # another process took the first one meanwhile
            _lock(conn)
    last = datetime.fromisoformat(
        conn.execute(select(meta.c.value).where(meta.c.name == STAMP)).scalar_one()
    )
    taken = max(now, last + TICK)
    conn.execute(update(meta).where(meta.c.name == STAMP).values(value=taken.isoformat()))
    return taken


def stamped_after(conn: Connection, moment: datetime) -> bool:
    """Whether a stamp was taken after `moment`: a change recorded since (in a build,
    after its read stamp: another process's, a takedown)."""
    last = newest(conn)
    return last is not None and last > moment


def newest(conn: Connection) -> datetime | None:
    """The last stamp any process took (None: none yet)."""
    last = conn.scalar(select(meta.c.value).where(meta.c.name == STAMP))
    return None if last is None else datetime.fromisoformat(last)


def last_stamp(conn: Connection) -> datetime | None:
    """The last stamp any process took, held (locked) until `conn` commits: no other
    can be taken meanwhile."""
    _lock(conn)
    return newest(conn)


def _lock(conn: Connection) -> int:
    """Lock the stamp (SQLite's write lock, PostgreSQL's row lock) until `conn` commits,
    before reading it; whether there is one yet (1) or not (0)."""
    return conn.execute(
        update(meta).where(meta.c.name == STAMP).values(value=meta.c.value)
    ).rowcount
