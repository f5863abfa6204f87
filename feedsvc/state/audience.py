"""Readers of the feeds, in the state database: what every worker and replica saw, merged.

An aggregator's count is its latest report (two replicas polled by Feedly hold the
same figure: the later one stands, they don't add). Direct clients are a sketch per
feed and day (feedsvc.core.sketch): merging two is their union, so a reader who
polled two replicas counts once.
"""

import logging
import time as clock
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, Engine, and_, delete, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError, OperationalError

from feedsvc.core.sketch import Sketch
from feedsvc.state.schema import audience_days, audience_reports

log = logging.getLogger(__name__)

# Reports kept per feed (one per aggregator and feed id it gave): a User-Agent can claim
# any name and id, so the table, and /metrics, stay within this per published document;
# reports older than FRESH are deleted, which frees their places.
AGGREGATORS_PER_FEED = 20
DAYS_KEPT = 400  # of direct-client sketches
# An aggregator's count stands this long after its last poll (they poll hourly or so);
# one that stopped polling drops out of /metrics and `feedsvc stats`.
FRESH = timedelta(days=7)
TRIES = 5  # a flush that meets another's write (SQLite's lock, a racing insert) tries again


@dataclass(frozen=True)
class Readers:
    """One aggregator's count for one feed: the largest of its latest reports per feed id
    (never their sum: ids are the reporter's own words, so a sum could be grown)."""

    feed: str
    aggregator: str
    subscribers: int
    seen: datetime


# (feed, aggregator, feed id) -> (subscribers, when reported)
Reports = Mapping[tuple[str, str, str], tuple[int, datetime]]
# (feed, UTC day) -> its clients
Days = Mapping[tuple[str, date], Sketch]


class Audience:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, reports: Reports, days: Days, today: date) -> bool:
        """Merge what a worker saw since its last flush into what the state holds. False
        (and a warning) when the state would not take it: readers are counted again
        as they poll again, and serving goes on."""
        for attempt in range(TRIES):
            try:
                with self.engine.begin() as conn:
                    stale = datetime.combine(today, time.min, UTC) - FRESH
                    conn.execute(delete(audience_reports).where(audience_reports.c.seen < stale))
                    self._reports(conn, reports)
                    self._days(conn, days)
                    cutoff = date.fromordinal(today.toordinal() - DAYS_KEPT).isoformat()
                    conn.execute(delete(audience_days).where(audience_days.c.day < cutoff))
                return True
            except (IntegrityError, OperationalError) as exc:
                if attempt == TRIES - 1:
                    log.warning("readers seen lately not recorded: %s", getattr(exc, "orig", exc))
                    return False
                clock.sleep(0.05 * (attempt + 1))
        return False

    @staticmethod
    def _reports(conn: Connection, reports: Reports) -> None:
        table = audience_reports.c
        keys = list(reports)
        held: set[tuple[str, str, str]] = set()
        per_feed: dict[str, int] = {}
        if keys:
            query = select(table.feed, table.aggregator, table.feed_id).where(
                tuple_(table.feed, table.aggregator, table.feed_id).in_(keys)
            )
            held = {(f, a, i) for f, a, i in conn.execute(query)}
            feeds = sorted({feed for feed, _, _ in keys})
            counted = select(table.feed, func.count()).where(table.feed.in_(feeds))
            per_feed = dict(conn.execute(counted.group_by(table.feed)).all())
        for key, (subscribers, seen) in reports.items():
            feed, aggregator, feed_id = key
            if key in held:
                match = and_(
                    table.feed == feed, table.aggregator == aggregator, table.feed_id == feed_id
                )
                conn.execute(
                    update(audience_reports)
                    .where(match & (table.seen <= seen))
                    .values(subscribers=subscribers, seen=seen)
                )
            elif per_feed.get(feed, 0) < AGGREGATORS_PER_FEED:
                per_feed[feed] = per_feed.get(feed, 0) + 1
                conn.execute(
                    insert(audience_reports).values(
                        feed=feed,
                        aggregator=aggregator,
                        feed_id=feed_id,
                        subscribers=subscribers,
                        seen=seen,
                    )
                )

    @staticmethod
    def _days(conn: Connection, days: Days) -> None:
        table = audience_days.c
        for (feed, day), seen in days.items():
            match = (table.feed == feed) & (table.day == day.isoformat())
            found = conn.execute(select(table.sketch).where(match).with_for_update()).scalar()
            merged = Sketch(dict(seen.ranks))
            if found is not None:
                merged.merge(Sketch.from_text(found))
            values = {"clients": merged.count(), "sketch": merged.to_text()}
            if found is None:
                conn.execute(insert(audience_days).values(feed=feed, day=day.isoformat(), **values))
            else:
                conn.execute(update(audience_days).where(match).values(values))

    def readers(self, since: datetime | None = None) -> list[Readers]:
        """Each aggregator's latest count per feed, reported `since` then (else ever)."""
        table = audience_reports.c
        query = select(
            table.feed, table.aggregator, func.max(table.subscribers), func.max(table.seen)
        )
        if since is not None:
            query = query.where(table.seen >= since)
        query = query.group_by(table.feed, table.aggregator).order_by(table.feed, table.aggregator)
        with self.engine.connect() as conn:
            return [Readers(*row) for row in conn.execute(query)]

    def site_direct(self, since: date, until: date) -> dict[date, int]:
        """Distinct direct clients of the whole site per UTC day: the union of every
        feed's sketch (a reader of three feeds is one reader of the site)."""
        table = audience_days.c
        where = (table.day >= since.isoformat()) & (table.day <= until.isoformat())
        merged: dict[str, Sketch] = {}
        with self.engine.connect() as conn:
            for day, text in conn.execute(select(table.day, table.sketch).where(where)):
                merged.setdefault(day, Sketch()).merge(Sketch.from_text(text))
        return {date.fromisoformat(day): sketch.count() for day, sketch in merged.items()}

    def direct(self, since: date, until: date | None = None) -> dict[tuple[str, date], int]:
        """Distinct direct clients (address and User-Agent) per feed and UTC day."""
        table = audience_days.c
        where = table.day >= since.isoformat()
        if until is not None:
            where = where & (table.day <= until.isoformat())
        query = select(table.feed, table.day, table.clients).where(where)
        with self.engine.connect() as conn:
            return {
                (feed, date.fromisoformat(day)): clients
                for feed, day, clients in conn.execute(query.order_by(table.feed, table.day))
            }
