"""The build log: what each build published and held, how long it took, how it went."""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Engine,
    delete,
    insert,
    select,
)
from sqlalchemy.engine import Connection

from feedsvc.core.model import Moment
from feedsvc.state.schema import (
    builds,
    chunks,
    feed_members,
    meta,
    put_meta,
)

KEPT_BUILDS = 500

FEEDS_BUILT = "feeds_built"  # meta: Moment.now of the last build that published feeds

STORES_READ = "stores_read"  # meta: Moment.read of that build

LAST_STAGES = "last_build_stages"  # meta: JSON, seconds per stage of the last build

LAST_BYTES = "last_build_bytes"  # meta: bytes it wrote

REDO_LEFT = "redo_left"  # meta: feeds the last build left to redo (see Pipeline.run's budget)

LAYOUT = "feeds_layout"  # meta: digest of the feeds' settings the publish folder was swept for


@dataclass(frozen=True)
class Held:
    """What a feed's documents held when last published (its items and newest archive
    page), and the digest of their other inputs then (settings, renderer release)."""

    ids: frozenset[int]
    inputs: str = ""


@dataclass(frozen=True)
class BuildRecord:
    started: datetime
    finished: datetime
    ok: bool
    articles: int
    problems: int
    written: int
    error: str


def _moment(marks: dict[str, str]) -> Moment:
    """The Moment a build recorded in the meta table."""
    return Moment(
        datetime.fromisoformat(marks[FEEDS_BUILT]), datetime.fromisoformat(marks[STORES_READ])
    )


def _build_marks(conn: Connection) -> dict[str, str]:
    """The meta values a feeds build records: when it selected, when it read the stores."""
    query = select(meta.c.name, meta.c.value).where(meta.c.name.in_([FEEDS_BUILT, STORES_READ]))
    return dict(conn.execute(query).all())


class BuildLog:
    """The part of State that keeps the builds' record."""

    engine: Engine
    _held: tuple[dict[str, str], dict[str, Held]] | None
    _recorded: dict[str, str] | None

    def built_elsewhere(self) -> bool:
        """Whether the last build was another process's (or this one never built): what
        this process remembers of its own builds no longer describes what is published."""
        with self.engine.connect() as conn:
            return _build_marks(conn) != self._recorded

    def as_of(self) -> datetime | None:
        """When the published feeds were last selected (by any process): no build goes
        back before it, whatever its clock says."""
        with self.engine.connect() as conn:
            value = conn.scalar(select(meta.c.value).where(meta.c.name == FEEDS_BUILT))
        return None if value is None else datetime.fromisoformat(value)

    def last_recorded(self) -> Moment | None:
        """The last build this process recorded (None: it has not)."""
        if self._recorded is None:
            return None
        return _moment(self._recorded)

    def published_read(self) -> datetime | None:
        """The read stamp of the last build, by any process, that published its feeds:
        every change stamped before it is in them."""
        with self.engine.connect() as conn:
            read = _build_marks(conn).get(STORES_READ)
        return None if read is None else datetime.fromisoformat(read)

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

    def record_feeds(
        self, built: Moment, held: dict[str, Held], forget: set[str], left: int = 0
    ) -> None:
        """Remember a published build, and what the feeds it redid held. A feed in
        `forget` (it failed) is redone in full next time; `left`: how many feeds to redo
        it left for the next build."""
        marks = {FEEDS_BUILT: built.now.isoformat(), STORES_READ: built.read.isoformat()}
        with self.engine.begin() as conn:
            put_meta(conn, {REDO_LEFT: str(left)})
            known = self._held if self._held and self._held[0] == _build_marks(conn) else None
            for chunk in chunks(sorted(held.keys() | forget)):
                conn.execute(delete(feed_members).where(feed_members.c.feed.in_(chunk)))
            if held:
                rows = [
                    {"feed": feed, "ids": json.dumps(sorted(done.ids)), "inputs": done.inputs}
                    for feed, done in held.items()
                ]
                conn.execute(insert(feed_members), rows)
            put_meta(conn, marks)
        self._recorded = marks
        if known is None:
            self._held = None
        else:
            kept = {feed: ids for feed, ids in known[1].items() if feed not in forget}
            self._held = marks, {**kept, **held}

    def redo_left(self) -> int:
        """How many feeds a redo in slices still has to make again (0: none)."""
        with self.engine.connect() as conn:
            value = conn.scalar(select(meta.c.value).where(meta.c.name == REDO_LEFT))
        return int(value or 0)

    def layout(self) -> str | None:
        """The digest of the feeds' settings the publish folder last had its strays
        removed for (a feed or format dropped from the config leaves files behind)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == LAYOUT))

    def record_layout(self, value: str) -> None:
        with self.engine.begin() as conn:
            put_meta(conn, {LAYOUT: value})

    def record_stages(self, seconds: dict[str, float], bytes_written: int) -> None:
        """The last build's seconds per stage and bytes written, for `feedsvc stats`."""
        stages = {stage: round(value, 4) for stage, value in seconds.items()}
        with self.engine.begin() as conn:
            put_meta(
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
