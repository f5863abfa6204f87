"""Publish pings a hub has not taken yet, kept in the state.

A ping that fails after its retries is not lost: every later announcement (the
next build, scheduled or not, of whichever replica) sends it again with its own,
until the hub answers 2xx. Until then /healthz says so."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from feedsvc.schema import chunks, hub_pings


class OwedPings:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def owed(self, hubs: Sequence[str]) -> dict[str, set[str]]:
        """The topics each of these hubs has yet to take."""
        found: dict[str, set[str]] = {hub: set() for hub in hubs}
        with self.engine.connect() as conn:
            rows = conn.execute(select(hub_pings.c.hub, hub_pings.c.topic).where(
                hub_pings.c.hub.in_(hubs)
            )).all()  # fmt: skip
        for hub, topic in rows:
            found[hub].add(topic)
        return found

    def settle(self, hub: str, paid: Sequence[str], missed: Sequence[str]) -> None:
        """After pinging `hub`: forget what it took, keep what it did not (first miss kept)."""
        try:
            self._settle(hub, paid, missed)
        except IntegrityError:  # another announcement recorded the same miss meanwhile
            self._settle(hub, paid, missed)

    def _settle(self, hub: str, paid: Sequence[str], missed: Sequence[str]) -> None:
        owes = hub_pings.c.hub == hub
        with self.engine.begin() as conn:
            for chunk in chunks(paid):
                conn.execute(delete(hub_pings).where(owes, hub_pings.c.topic.in_(chunk)))
            now = datetime.now(UTC)
            for chunk in chunks(missed):
                known = set(conn.scalars(
                    select(hub_pings.c.topic).where(owes, hub_pings.c.topic.in_(chunk))
                ))  # fmt: skip
                rows = [{"hub": hub, "topic": t, "since": now} for t in chunk if t not in known]
                if rows:
                    conn.execute(insert(hub_pings), rows)

    def failing(self, hubs: Sequence[str]) -> dict[str, dict]:
        """For /healthz and /metrics: each configured hub that owes, how many and since when."""
        query = (
            select(hub_pings.c.hub, func.count(), func.min(hub_pings.c.since))
            .where(hub_pings.c.hub.in_(hubs))
            .group_by(hub_pings.c.hub)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {hub: {"topics": count, "since": since.isoformat()} for hub, count, since in rows}
