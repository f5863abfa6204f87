"""Which stored article a freshly read one is, and what its GUID and dates become.

An explicit id wins, within its own store. Otherwise an article is the row at its
key; failing that, a row that vanished in this scan or was deleted earlier, with
the same body, then the same headline (a moved, renamed or re-exported file). Two
sources claiming one id is a conflict: the one that holds it keeps it, a newcomer
is not taken until it is resolved.

A GUID is earned once, by the first (store, id) or (store, key) that had it, and
kept for life: an id stated later, or changed, does not change it, and an id that
is already another article's GUID (in any store) is refused, never resolved to it.
Everything is loaded in a few chunked queries and written in batches, so a
first scan of 100,000 files costs a few queries per 500 articles.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, Connection, Row, bindparam, insert, select, update

from feedsvc.core.model import Problem, SourceArticle
from feedsvc.core.text import headline_key, slugify
from feedsvc.state.labels import relabel
from feedsvc.state.schema import AWAITING, articles, chunks, headlines, new_guid


def select_in(
    conn: Connection, column: Column, values: Iterable[str], condition: Any = True
) -> list[Row]:
    rows: list[Row] = []
    for chunk in chunks(sorted(set(values))):
        rows += conn.execute(select(articles).where(column.in_(chunk) & condition)).all()
    return rows


def owner(row: Row) -> str:
    """Who holds a row, for a message: its source within its store."""
    gone = " (deleted)" if row.deleted is not None else ""
    return f"{row.source} in store {row.store!r}{gone}"


def conflicts(
    conn: Connection, fresh: Sequence[SourceArticle], touched: Sequence[Row]
) -> tuple[set[tuple[str, str]], list[Problem]]:
    """Ids claimed by more than one record (of other files, or of one file): ((store, key)
    of each fresh article refused, a problem for each refused claimant). The claimant
    whose row holds the id (earned it first) keeps it, read again or not; when none
    does, neither is published (as a build from scratch has it: what they said before
    is not kept)."""
    claims: dict[str, dict[tuple[str, str], str]] = {}  # id: {(store, key): origin}
    for article in fresh:
        if article.explicit_id:
            claims.setdefault(article.explicit_id, {})[(article.store, article.key)] = (
                article.origin
            )
    touched_ids = {row.id for row in touched}
    holders: dict[str, tuple[str, str]] = {}
    for row in sorted(
        select_in(conn, articles.c.explicit_id, claims), key=lambda r: r.deleted is None
    ):
        if row.deleted is None and row.id not in touched_ids:
            # Its source is unchanged and still claims the id.
            origin = (
                owner(row) if row.data == AWAITING else SourceArticle.from_json(row.data).origin
            )
            claims[row.explicit_id].setdefault((row.store, row.key), origin)
        if (row.store, row.key) in claims[row.explicit_id]:
            holders[row.explicit_id] = (row.store, row.key)  # a live one last: it wins
    found = {id_ for id_, claimants in claims.items() if len(claimants) > 1}
    fresh_keys = {(a.store, a.key) for a in fresh}
    refused: set[tuple[str, str]] = set()
    problems = []
    for id_ in sorted(found):
        holder = holders.get(id_)
        for claimant, origin in sorted(claims[id_].items()):
            if claimant == holder:
                continue
            others = sorted({other for key, other in claims[id_].items() if key != claimant})
            if origin in others:
                others.remove(origin)
                others.insert(0, "another record of the same file")
            if claimant in fresh_keys:
                refused.add(claimant)
            outcome = (
                "neither is published until one of them changes it"
                if holder is None
                else f"it stays with {claims[id_][holder]}, and this one is not published"
            )
            said = Problem(origin, f"id {id_!r} is also claimed by {', '.join(others)}; {outcome}")
            if said not in problems:  # two records of one file: said once
                problems.append(said)
    return refused, problems


def taken(conn: Connection, new: Sequence[SourceArticle]) -> tuple[set[str], list[Problem]]:
    """Explicit ids of new articles that are already another article's GUID: such an
    article is refused (a problem naming the owner), never published as that one."""
    owners = {
        row.guid: row
        for row in select_in(conn, articles.c.guid, (a.explicit_id for a in new if a.explicit_id))
    }
    refused, problems = set(), []
    for article in new:
        if (row := owners.get(article.explicit_id or "")) is not None:
            refused.add(article.key)
            problems.append(
                Problem(
                    article.origin,
                    f"id {article.explicit_id!r} is the GUID of {owner(row)}; an article "
                    "cannot take another's GUID: give it an id of its own",
                )
            )
    return refused, problems


class Reconciler:
    """Settles one scan's fresh articles against the rows they may already be."""

    def __init__(self, conn: Connection, store: str, touched: Sequence[Row]) -> None:
        self.conn = conn
        self.store = store
        self.touched = touched
        self.by_key = {row.key: row for row in touched}
        self.claimed: set[int] = set()

    def _claim(self, row: Row | None) -> Row | None:
        if row is None or row.id in self.claimed:
            return None
        self.claimed.add(row.id)
        return row

    def match(self, fresh: Sequence[SourceArticle]) -> list[Row | None]:
        # An explicit id names a row of this store only, deleted or not (a live one first).
        ids = [a.explicit_id for a in fresh if a.explicit_id]
        here = articles.c.store == self.store
        by_id = {
            row.explicit_id: row
            for row in sorted(
                select_in(self.conn, articles.c.explicit_id, ids, here),
                key=lambda r: (r.deleted is None, r.deleted or r.first_seen),
            )
        }
        found = [
            self._claim(
                (by_id.get(a.explicit_id) if a.explicit_id else None) or self.by_key.get(a.key)
            )
            for a in fresh
        ]
        lost = [a for a, row in zip(fresh, found, strict=True) if row is None]
        if not lost:
            return found
        # Moved, renamed or re-exported: a row that vanished now, or was deleted before.
        deleted = articles.c.deleted.is_not(None) & (articles.c.store == self.store)
        candidates = [
            *(r for r in self.touched if r.id not in self.claimed),
            *sorted(
                {
                    r.id: r
                    for r in (
                        *select_in(
                            self.conn, articles.c.body_hash, (a.body_hash for a in lost), deleted
                        ),
                        *select_in(
                            self.conn,
                            articles.c.title_key,
                            (headline_key(a.title) for a in lost),
                            deleted,
                        ),
                    )
                }.values(),
                key=lambda r: r.deleted,
                reverse=True,
            ),
        ]
        for index, (article, row) in enumerate(zip(fresh, found, strict=True)):
            if row is None:
                found[index] = self._similar(article, candidates)
        return found

    def _similar(self, article: SourceArticle, candidates: Sequence[Row]) -> Row | None:
        """The first candidate with its body, else its headline: of equals, one that was
        at its key (two stories of one body deleted together, one file back: it is that
        one, not the other, which a build from its ledger would not take it for)."""
        candidates = sorted(candidates, key=lambda row: row.key != article.key)  # (stable)
        for attribute, value in (
            ("body_hash", article.body_hash),
            ("title_key", headline_key(article.title)),
        ):
            for row in candidates:
                if (
                    getattr(row, attribute) == value
                    and row.id not in self.claimed
                    and not (row.explicit_id and article.explicit_id)
                ):
                    return self._claim(row)
        return None


def carry_takedowns(
    conn: Connection,
    store: str,
    fresh: Sequence[SourceArticle],
    rows: Sequence[Row | None],
    at_key: dict[str, Row],
) -> None:
    """A file whose row was taken down and that now names another row (an explicit id
    that row holds) takes the takedown with it: the words are what was taken down, and
    they must not come back under the other row's GUID. `at_key`: the live rows at the
    keys read, by key, as they were before this scan; at a key with none, the last row
    taken down there counts (a file refused for a while, its id claimed by another,
    whose row was let go meanwhile)."""
    moving = [(a, row) for a, row in zip(fresh, rows, strict=True) if row and not row.taken_down]
    let_go = (
        (articles.c.store == store)
        & articles.c.deleted.is_not(None)
        & articles.c.taken_down.is_not(None)
    )
    missing = [article.key for article, _row in moving if article.key not in at_key]
    last_down = {  # the last let go at each key
        row.key: row
        for row in sorted(select_in(conn, articles.c.key, missing, let_go), key=lambda r: r.deleted)
    }
    for article, row in moving:
        held = at_key.get(article.key) or last_down.get(article.key)
        if held is None or not held.taken_down:
            continue
        conn.execute(
            update(articles)
            .where(articles.c.id == row.id)
            .values(taken_down=held.taken_down, takedown_reason=held.takedown_reason)
        )


def _stated_updated(
    updated: datetime | None, published: datetime, now: datetime
) -> datetime | None:
    """The source's own `updated`, kept out of the future (readers distrust such feeds,
    and our check refuses them): at most now, or the publication if that is later."""
    if updated is None:
        return None
    return max(min(updated, now), published)


WRITE_BATCH = 1000  # rows made before they are written (all in the same transaction)


@dataclass(frozen=True)
class FileDated:
    """A new article dated by its file (it states no date): when the file was written,
    the `updated` it states, and the date it was given."""

    key: str
    file_time: datetime
    updated: datetime | None
    given: datetime | None = None


def settle(
    conn: Connection,
    fresh: Sequence[tuple[str, SourceArticle]],
    rows: Sequence[Row | None],
    now: datetime,
    changed: datetime | None,
) -> list[FileDated]:
    """Insert the new articles and update the known ones, WRITE_BATCH rows at a time;
    `changed`: the transaction's stamp (feedsvc.state.stamps), or None to keep each
    row's (articles read again: a redo's, not news). Returns the new articles dated by
    their files, with the dates they were given."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    by_guid: dict[str, SourceArticle] = {}
    new = [a for (_k, a), row in zip(fresh, rows, strict=True) if row is None]
    adopted = _headline_guids(conn, new)
    written = [
        FileDated(a.key, a.file_time, a.updated)
        for a in new
        if a.published is None and a.file_time is not None
    ]
    undated = file_dates(written, now)  # a record with no file is dated now, first seen
    for (source_key, article), row in zip(fresh, rows, strict=True):
        if len(inserts) + len(updates) >= WRITE_BATCH:
            _write(conn, inserts, updates)
        values = {
            "store": article.store,
            "source": source_key,
            "key": article.key,
            "explicit_id": article.explicit_id,
            "title_key": headline_key(article.title),
            "body_hash": article.body_hash,
            "content_hash": article.content_hash,
            "deleted": None,
            "draft": article.draft,
            "has_latest": bool(article.latest),
            "data": (data := article.record),
            "changed": changed,
        }
        if row is None:
            published = article.published or undated.get(article.key, now)
            guid = (
                article.explicit_id or adopted.pop(headline_key(article.title), None) or new_guid()
            )
            by_guid[guid] = article
            inserts.append(
                {
                    "guid": guid,
                    "slug": article.slug or slugify(article.title),
                    "published": published,
                    "updated": _stated_updated(article.updated, published, now) or published,
                    "first_seen": now,
                    **values,
                }
            )
            continue
        # A draft made public without a stated date is published now, not when first seen.
        published = article.published or (now if row.draft and not article.draft else row.published)
        if stated := _stated_updated(article.updated, published, now):
            updated = stated
        elif row.content_hash != article.content_hash:
            updated = max(now, published)
        else:
            # Kept, but never after now once the article is out: a draft dated 2999 and
            # then made public undated is published now, and its 2999 must not stay.
            updated = max(min(row.updated, now), published)
        guid = row.guid  # earned once: an id stated or changed later does not move it
        by_guid[guid] = article
        slug = article.slug or row.slug
        # Read again with nothing a reader sees changed (a file saved again, touched,
        # moved): no change for the feeds to look at, which they did, feed by feed.
        quiet = (
            row.deleted is None
            and row.content_hash == article.content_hash  # (before parsing the record)
            and (row.published, row.updated, row.slug) == (published, updated, slug)
            and _as_read(row.data) == _as_read(data)
        )
        updates.append(
            {
                "row_id": row.id,
                "guid": guid,
                "slug": slug,
                "published": published,
                "updated": updated,
                **values,
                "changed": row.changed if quiet or changed is None else changed,
            }
        )
    _write(conn, inserts, updates)
    relabel(conn, by_guid)
    return [replace(found, given=undated[found.key]) for found in written]


def _as_read(data: str | None) -> dict[str, Any] | None:
    """An article's stored record without its file's time (a save of the same words)."""
    if data is None:
        return None
    found: dict[str, Any] = json.loads(data)
    found.pop("file_time", None)
    return found


def file_dates(written: Iterable[FileDated], now: datetime) -> dict[str, datetime]:
    """key -> the date of each new article dated by its file: when the file was written
    (never later than now), whole seconds as feeds show them, and each its own: of
    pages written in one second, the last (by key) keeps it and the others take the
    seconds before, so readers see them apart and in order."""
    dates: dict[str, datetime] = {}
    taken: set[datetime] = set()
    for found in sorted(written, key=lambda f: (f.file_time, f.key), reverse=True):
        when = min(found.file_time, now).replace(microsecond=0)
        while when in taken:
            when -= timedelta(seconds=1)
        taken.add(when)
        dates[found.key] = when
    return dates


def redate(conn: Connection, store: str, written: Sequence[FileDated], now: datetime) -> None:
    """Date again the new articles of a scan taken in parts by their files, all of them
    together: each part dated its own, and pages of one second in two parts must still
    take seconds apart, as when the scan is taken whole."""
    dates = file_dates(written, now)
    moved = [
        {
            "at_key": found.key,
            "new_published": dates[found.key],
            "new_updated": _stated_updated(found.updated, dates[found.key], now)
            or dates[found.key],
        }
        for found in written
        if dates[found.key] != found.given
    ]
    if moved:
        statement = (
            update(articles)
            .where(
                (articles.c.store == store)
                & (articles.c.key == bindparam("at_key"))
                & articles.c.deleted.is_(None)
            )
            .values(published=bindparam("new_published"), updated=bindparam("new_updated"))
        )
        conn.execute(statement, moved)


def _headline_guids(conn: Connection, new: Sequence[SourceArticle]) -> dict[str, str]:
    """headline key -> the GUID a latest-news headline got before its article was in the
    store, for new articles without an explicit id: the headline's item and the
    article are one item for readers, under one GUID for life."""
    keys = {headline_key(a.title) for a in new if not a.explicit_id}
    found: dict[str, str] = {}
    for chunk in chunks(sorted(keys)):
        query = select(headlines.c.key, headlines.c.guid).where(headlines.c.key.in_(chunk))
        found.update(conn.execute(query).all())
    taken: set[str] = set()
    for chunk in chunks(sorted(set(found.values()))):
        taken.update(conn.scalars(select(articles.c.guid).where(articles.c.guid.in_(chunk))))
    return {key: guid for key, guid in found.items() if guid not in taken}


def _write(conn: Connection, inserts: list[dict], updates: list[dict]) -> None:
    """Write the rows made so far and forget them: a first scan of 200,000 articles
    held as rows at once took gigabytes."""
    if inserts:
        conn.execute(insert(articles), inserts)
    if updates:
        # Bound names may not be column names in an executemany UPDATE: prefix them.
        names = [name for name in updates[0] if name != "row_id"]
        statement = (
            update(articles)
            .where(articles.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in names})
        )
        rows = [{f"new_{k}" if k != "row_id" else k: v for k, v in u.items()} for u in updates]
        conn.execute(statement, rows)
    inserts.clear()
    updates.clear()
