"""What hubs and subscribers are still owed after a build, kept in the state.

A build records the feeds it changed before it tells anyone (announcements), and
its announcement clears them once every ping and delivery has ended: a build that
dies first (killed, its replica lost) leaves them to the next build's announcement,
whichever replica makes it. A ping that fails after its retries is owed to its hub
(hub_pings) and sent again with every later announcement until the hub answers
2xx; until then /healthz says so."""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from feedsvc.state.schema import announcements, chunks, hub_pings


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


class OwedAnnouncements:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def owe(self, topics: dict[str, str]) -> None:
        """Feeds (URL: path) a build just published: to be told of."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for chunk in chunks(sorted(topics)):
                conn.execute(delete(announcements).where(announcements.c.topic.in_(chunk)))
                rows = [{"topic": t, "path": topics[t], "since": now} for t in chunk]
                conn.execute(insert(announcements), rows)

    def owed(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(announcements.c.topic, announcements.c.path)).all())

    def told(self, topics: Sequence[str], begun: datetime) -> None:
        """These were told of by an announcement begun at `begun`: a later build's
        record of the same feed (changed again meanwhile) stays for its own."""
        with self.engine.begin() as conn:
            for chunk in chunks(topics):
                conn.execute(delete(announcements).where(
                    announcements.c.topic.in_(chunk), announcements.c.since <= begun
                ))  # fmt: skip
