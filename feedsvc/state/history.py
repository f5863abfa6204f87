"""What the feeds went through: which were published, since when each is empty, and
which articles left which feed (RFC 6721 tombstones).

This is memory, not a cache: a build from scratch needs it to say the same as
the builds before it. A family member whose last article went is still a feed
(its subscribers must see the removal), dated by when it emptied so that its
bytes do not move by themselves, and is gone (410) after `empty_family_days`.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select

from feedsvc.core.model import EPOCH, Tombstone
from feedsvc.state.labels import Where
from feedsvc.state.schema import (
    articles,
    chunks,
    feed_history,
    meta,
    put_meta,
    removals,
    replace_row,
    visible,
)

COMPLETE = "feed_history_complete"  # meta: every build since this release recorded its feeds
FAMILY = "family:"  # meta, + a family's name: the [[feeds]] table it was last built with


@dataclass(frozen=True)
class Past:
    """A feed published before: a family member's value, and since when it is empty."""

    value: str | None
    emptied: datetime | None  # None: it had items when last built


class FeedHistory:
    """Every feed published, kept in this process between builds while no other
    process built."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known: dict[str, Past] | None = None
        self._families: dict[str, dict] | None = None
        self._complete = False  # whether this process recorded COMPLETE

    def forget(self) -> None:
        """Another process built: read again when asked."""
        self._known = None
        self._families = None

    def known(self) -> dict[str, Past]:
        if self._known is None:
            query = select(feed_history.c.feed, feed_history.c.value, feed_history.c.emptied)
            with self.engine.connect() as conn:
                self._known = {key: Past(value, when) for key, value, when in conn.execute(query)}
        return self._known

    def families(self) -> dict[str, dict]:
        """name -> the [[feeds]] table of every family ever built, as last built: a
        family whose table was removed is served empty from it until it is gone."""
        if self._families is None:
            query = select(meta.c.name, meta.c.value).where(meta.c.name.startswith(FAMILY))
            with self.engine.connect() as conn:
                self._families = {
                    name.removeprefix(FAMILY): json.loads(value)
                    for name, value in conn.execute(query)
                }
        return self._families

    def keep_families(self, tables: Mapping[str, Mapping[str, object]]) -> None:
        """Remember the tables the configured families are built with."""
        known = self.families()
        changed = {name: dict(table) for name, table in tables.items() if known.get(name) != table}
        if changed:
            with self.engine.begin() as conn:
                put_meta(conn, {FAMILY + name: json.dumps(t) for name, t in changed.items()})
            known.update(changed)

    def complete(self) -> bool:
        """Whether every feed published since this release is here (a state from before
        it has none): then the family members the last build published can be read here."""
        with self.engine.connect() as conn:
            return bool(conn.scalar(select(meta.c.value).where(meta.c.name == COMPLETE)))

    def emptied(self, key: str, now: datetime) -> datetime:
        """Since when a feed found empty now is empty: now if it had items when last
        built; the epoch if it never was built (nothing in it, ever)."""
        past = self.known().get(key)
        if past is None:
            return EPOCH
        return past.emptied or now

    def record(self, found: Mapping[str, tuple[str | None, bool]], now: datetime) -> None:
        """Every feed of a build (its value, whether it is empty now): after it, the
        history holds every feed published."""
        known = self.known()
        fresh = {
            key: Past(value, self.emptied(key, now) if empty else None)
            for key, (value, empty) in found.items()
        }
        changed = {key: past for key, past in fresh.items() if known.get(key) != past}
        if not changed and self._complete:
            return
        with self.engine.begin() as conn:
            if not self._complete:
                replace_row(conn, meta, {"name": COMPLETE}, value="1")
                self._complete = True
            for chunk in chunks(sorted(changed)):
                conn.execute(delete(feed_history).where(feed_history.c.feed.in_(chunk)))
            rows = [
                {"feed": key, "value": past.value, "emptied": past.emptied}
                for key, past in changed.items()
            ]
            if rows:
                conn.execute(insert(feed_history), rows)
        known.update(changed)


class Removals:
    """Articles that left a feed, for its tombstones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._listing: set[str] | None = None  # feeds with removals recorded

    def forget(self) -> None:
        """Another process built: read again when asked."""
        self._listing = None

    def _feeds(self) -> set[str]:
        if self._listing is None:
            with self.engine.connect() as conn:
                self._listing = set(conn.scalars(select(removals.c.feed).distinct()))
        return self._listing

    def settle(
        self,
        feed: str,
        where: Where,
        before: Iterable[int],
        now_held: set[int],
        present: set[str],
        now: datetime,
    ) -> None:
        """Record the articles the feed held `before` (its items and open archive page)
        that left it, not just fell out of its newest items; forget the removals of
        articles back in it (`present`: the GUIDs its items show)."""
        gone = sorted(set(before) - now_held)
        if not gone and feed not in self._feeds():
            return  # the common case: nothing left, nothing listed
        in_feed = visible(now) & where.clause(few=True)
        with self.engine.begin() as conn:
            left: list[str] = []
            for chunk in chunks(gone):
                candidates = dict(
                    conn.execute(
                        select(articles.c.id, articles.c.guid).where(articles.c.id.in_(chunk))
                    ).all()
                )
                staying = set(
                    conn.scalars(select(articles.c.id).where(articles.c.id.in_(chunk) & in_feed))
                )
                left += [guid for id_, guid in candidates.items() if id_ not in staying]
            listed = set(conn.scalars(select(removals.c.guid).where(removals.c.feed == feed)))
            back = {guid for guid in listed if guid in present}
            for guids in chunks(sorted(listed - back)):
                query = select(articles.c.guid).where(articles.c.guid.in_(guids) & in_feed)
                back |= set(conn.scalars(query))
            left = [guid for guid in left if guid not in present]
            # A removal is recorded once, at its latest; one back in the feed is forgotten.
            for guids in chunks(sorted(back | set(left))):
                conn.execute(
                    delete(removals).where((removals.c.feed == feed) & removals.c.guid.in_(guids))
                )
            if left:
                conn.execute(
                    insert(removals), [{"feed": feed, "guid": g, "removed": now} for g in left]
                )
                self._feeds().add(feed)

    def naming(self, ids: Iterable[int]) -> set[str]:
        """The feeds whose removals name one of these articles by its GUID: one come back
        (its GUID taken back) takes its tombstone out of the feed's document."""
        if not self._feeds():
            return set()
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                guids = select(articles.c.guid).where(articles.c.id.in_(chunk))
                query = select(removals.c.feed).where(removals.c.guid.in_(guids)).distinct()
                found.update(conn.scalars(query))
        return found

    def of(self, feed: str, now: datetime, days: int) -> list[Tombstone]:
        """The feed's removals of the last `days`, newest first."""
        if feed not in self._feeds():
            return []
        query = (
            select(removals.c.guid, removals.c.removed)
            .where((removals.c.feed == feed) & (removals.c.removed > now - timedelta(days=days)))
            .order_by(removals.c.removed.desc(), removals.c.guid)
        )
        with self.engine.connect() as conn:
            return [Tombstone(guid, when) for guid, when in conn.execute(query)]

    def expire(self, now: datetime, days: int) -> set[str]:
        """Forget removals older than `days`; the feeds whose documents listed them."""
        old = removals.c.removed <= now - timedelta(days=days)
        with self.engine.begin() as conn:
            feeds = set(conn.scalars(select(removals.c.feed).where(old).distinct()))
            if feeds:
                conn.execute(delete(removals).where(old))
        if feeds:
            self._listing = None
        return feeds
