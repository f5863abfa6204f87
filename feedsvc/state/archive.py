"""RFC 5005 archive pages: every article a feed ever carried, in pages of fixed size.

Articles are placed on pages in the order they arrive (published date order at
the first placement). The newest page fills up; once it holds `size` articles it
is sealed (complete): no article joins it again, and it changes only when one of
its articles is edited or leaves the feed (deleted, taken down), which it then
shows. Articles that leave the feed leave the open page for good, making room.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, delete, exists, insert, select, update
from sqlalchemy.engine import Connection

from feedsvc.core.model import Moment, digest
from feedsvc.state.labels import Where
from feedsvc.state.schema import (
    any_article,
    archive_entries,
    archive_feeds,
    articles,
    chunks,
    visible,
)


@dataclass
class Placement:
    """Where a feed's archive stands after a placement pass."""

    sealed: int  # pages 1..sealed are full and final
    newly_sealed: list[int] = field(default_factory=list)

    @property
    def open_page(self) -> int:
        return self.sealed + 1

    def seal(self) -> None:
        """The open page is full: it is final, and the next one opens."""
        self.newly_sealed.append(self.open_page)
        self.sealed += 1


def _members(conn: Connection, feed: str, page: int) -> list[int]:
    query = select(archive_entries.c.article_id).where(
        (archive_entries.c.feed == feed) & (archive_entries.c.page == page)
    )
    return list(conn.scalars(query))


def _prune_open_page(
    conn: Connection, feed: str, page: int, where: Where, now: datetime, since: datetime | None
) -> int:
    """Drop members of the open page that left the feed; return how many stay. Only an
    article changed `since` the last pass (deleted, a draft again, relabelled) can have
    left: the others are not asked again."""
    members = set(_members(conn, feed, page))
    suspects = set(members)
    if since is not None:
        suspects = set()
        for chunk in chunks(sorted(members)):
            changed = articles.c.id.in_(chunk) & (articles.c.changed > since)
            suspects |= set(conn.scalars(select(articles.c.id).where(changed)))
    staying = members - suspects
    for chunk in chunks(sorted(suspects)):
        staying |= set(
            conn.scalars(
                select(articles.c.id).where(
                    articles.c.id.in_(chunk) & visible(now) & where.clause(few=True)
                )
            )
        )
    if gone := sorted(members - staying):
        for chunk in chunks(gone):
            conn.execute(
                delete(archive_entries).where(
                    (archive_entries.c.feed == feed) & archive_entries.c.article_id.in_(chunk)
                )
            )
    return len(staying)


class Archive:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def place(self, feed: str, where: Where, size: int, moment: Moment) -> Placement:
        """Put every article that joined the feed since the last pass on a page. After
        the feed's filters changed, every article is asked again: any may have left the
        open page, and any may have joined."""
        now = moment.now
        # (Exclusions and needs only when there are some: the digest of every feed from
        # before them stays as it was.)
        later = [part for part in (where.excluded, where.needs) if part]
        selects = digest(where.filters, where.match, where.family, *later)
        with self.engine.begin() as conn:
            row = conn.execute(select(archive_feeds).where(archive_feeds.c.feed == feed)).first()
            placement = Placement(sealed=row.sealed if row else 0)
            # Placed by these filters before: only what changed since then is asked.
            known = row is not None and row.selects == selects
            since = row.read if row is not None and known else None
            count = _prune_open_page(conn, feed, placement.open_page, where, now, since)
            placed = exists().where(
                (archive_entries.c.feed == feed) & (archive_entries.c.article_id == articles.c.id)
            )
            query = select(articles.c.id, articles.c.published).where(visible(now) & ~placed)
            if row is not None and known:
                # Only what changed or fell due since: a full walk costs too much per run.
                # Those ids by their own indexes first (given the whole condition, SQLite
                # walks the visible index, or every article of a label, instead).
                changed = select(articles.c.id).where(articles.c.changed > row.read)
                due = select(articles.c.id).where(
                    visible(now) & (articles.c.published > row.selected)
                )
                suspects = set(conn.scalars(changed)) | set(conn.scalars(due))
                found = set()
                for chunk in chunks(sorted(suspects)):
                    among = articles.c.id.in_(chunk) & where.clause(few=True)
                    found |= set(conn.execute(query.where(among)))
            else:
                found = set(conn.execute(query.where(where.clause())))
            newcomers = [article_id for article_id, _ in sorted(found, key=lambda r: (r[1], r[0]))]
            rows = []
            # A page is sealed as soon as it is full (at once if archive_size was lowered).
            if count >= size:
                placement.seal()
                count = 0
            for article_id in newcomers:
                rows.append({"feed": feed, "article_id": article_id, "page": placement.open_page})
                count += 1
                if count >= size:
                    placement.seal()
                    count = 0
            if rows:
                conn.execute(insert(archive_entries), rows)
            values = {
                "sealed": placement.sealed,
                "selected": now,
                "read": moment.read,
                "selects": selects,
            }
            if row:
                conn.execute(
                    update(archive_feeds).where(archive_feeds.c.feed == feed).values(values)
                )
            else:
                conn.execute(insert(archive_feeds).values(feed=feed, **values))
        return placement

    def sealed_counts(self) -> dict[str, int]:
        """feed -> how many of its pages are complete."""
        with self.engine.connect() as conn:
            query = select(archive_feeds.c.feed, archive_feeds.c.sealed)
            return dict(conn.execute(query).all())

    def any_unplaced(self, feed: str, ids: set[int], where: Where) -> bool:
        """Whether any of these articles (visible or not) is one `where` selects that is
        on none of the feed's pages: its next placement would put it on the open page."""
        placed = exists().where(
            (archive_entries.c.feed == feed) & (archive_entries.c.article_id == articles.c.id)
        )
        return any_article(self.engine, ids, where.clause(few=True) & ~placed)

    def pages_holding(self, ids: set[int]) -> dict[str, set[int]]:
        """feed -> the pages these articles are on: a change to one (an edit, a
        deletion, a takedown) reaches its complete pages too."""
        found: dict[str, set[int]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(archive_entries.c.feed, archive_entries.c.page).where(
                    archive_entries.c.article_id.in_(chunk)
                )
                for feed, page in conn.execute(query):
                    found.setdefault(feed, set()).add(page)
        return found

    def members(self, feed: str, page: int) -> list[int]:
        with self.engine.connect() as conn:
            return _members(conn, feed, page)
