"""The ledger: the facts of history a build from scratch may take, and nothing more.

What the feeds say is a function of the stores, the config and these facts alone:
the GUID each (store, key) or (store, id) earned and the headline and body digests it
is recognised by (a moved file, a latest-news headline), with what readers were told
of it (published, updated and the content that date is for, first seen, the slug
its link was made from, a takedown), the GUIDs latest-news headlines earned, archive
placement, removals (tombstones), since when each published feed is empty, the
[[feeds]] table each family was last built with (a removed family is served empty
from it until it is gone), and when the feeds were last selected (no build goes back
before it).
Every other column and table is a cache or a record of work done, and never
crosses: no parsed data, no flags, no signatures, no record of what a build read or
wrote. `feedsvc check` and the oracle's scratch build start from a ledger alone.

Written into an empty state, each article of a configured store is a row of that
store awaiting its source (read again, like a source that had problems): a source
that is there makes it anew, one that is not leaves it deleted. An article of a
store no longer configured stays deleted.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select

from feedsvc.core.model import EPOCH
from feedsvc.state.builds import FEEDS_BUILT
from feedsvc.state.history import FeedHistory
from feedsvc.state.schema import (
    AWAITING,
    archive_entries,
    archive_feeds,
    articles,
    feed_history,
    headlines,
    meta,
    put_meta,
    removals,
    sources,
)

# The columns of each table that are history; their rows are plain JSON-able dicts.
ARTICLE = (
    "guid",
    "store",
    "source",
    "key",
    "explicit_id",
    "title_key",
    "body_hash",
    "slug",
    "published",
    "updated",
    "content_hash",
    "first_seen",
    "taken_down",
    "takedown_reason",
)
HEADLINE = ("key", "guid", "first_seen")
HISTORY = ("feed", "value", "emptied")
REMOVAL = ("feed", "guid", "removed")

Facts = list[dict[str, Any]]
DATES = {"published", "updated", "first_seen", "taken_down", "emptied", "removed"}


@dataclass
class Ledger:
    articles: Facts = field(default_factory=list)
    headlines: Facts = field(default_factory=list)
    placements: Facts = field(default_factory=list)  # feed, guid, page
    sealed: dict[str, int] = field(default_factory=dict)  # feed -> complete archive pages
    history: Facts = field(default_factory=list)
    removals: Facts = field(default_factory=list)
    as_of: str | None = None  # when the feeds were last selected: no build goes back
    # name -> the [[feeds]] table each family was last built with (a removed one's
    # members are served empty from it until they are gone)
    families: dict[str, dict] = field(default_factory=dict)

    def to_json(self) -> str:
        """The ledger as a JSON document: plain data, nothing of the engine's."""
        return json.dumps(vars(self), default=lambda value: value.isoformat(), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        data = json.loads(text)

        def dated(rows: Facts) -> Facts:
            return [
                {k: datetime.fromisoformat(v) if k in DATES and v else v for k, v in row.items()}
                for row in rows
            ]

        return cls(
            articles=dated(data["articles"]),
            headlines=dated(data["headlines"]),
            placements=data["placements"],
            sealed=data["sealed"],
            history=dated(data["history"]),
            removals=dated(data["removals"]),
            as_of=data["as_of"],
            families=data["families"],
        )


def _rows(engine: Engine, columns: Iterable, *order: Any) -> Facts:
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(*columns).order_by(*order))]


def read(engine: Engine) -> Ledger:
    """The ledger of a state."""
    placed = select(archive_entries.c.feed, articles.c.guid, archive_entries.c.page).join(
        articles, articles.c.id == archive_entries.c.article_id
    )
    with engine.connect() as conn:
        placements = [dict(row._mapping) for row in conn.execute(placed)]
        sealed = dict(conn.execute(select(archive_feeds.c.feed, archive_feeds.c.sealed)).all())
        as_of = conn.scalar(select(meta.c.value).where(meta.c.name == FEEDS_BUILT))
    return Ledger(
        # Of several GUIDs one key earned (a story that took an id another let go, then
        # none), the one the key holds now last, where a build from scratch finds it; the
        # rest in the order they were first seen.
        articles=_rows(
            engine,
            (articles.c[name] for name in ARTICLE),
            articles.c.deleted.is_(None),
            articles.c.id,
        ),
        headlines=_rows(engine, (headlines.c[name] for name in HEADLINE), headlines.c.key),
        placements=placements,
        sealed=sealed,
        history=_rows(engine, (feed_history.c[name] for name in HISTORY), feed_history.c.feed),
        removals=_rows(
            engine, (removals.c[name] for name in REMOVAL), removals.c.feed, removals.c.guid
        ),
        as_of=as_of,
        families=FeedHistory(engine).families(),
    )


def write(engine: Engine, ledger: Ledger, stores: Iterable[str]) -> None:
    """Seed an empty state with a ledger, for a build from scratch of `stores`."""
    configured = set(stores)
    rows = [
        {
            **fact,
            "draft": False,
            "has_latest": False,
            "data": AWAITING,
            # Awaiting its source; a store no longer configured will not bring it back.
            "deleted": None if fact["store"] in configured else fact["first_seen"],
        }
        for fact in ledger.articles
    ]
    awaited = {(r["store"], r["source"]) for r in rows if r["deleted"] is None}
    with engine.begin() as conn:
        if rows:
            conn.execute(insert(articles), rows)
        if awaited:
            conn.execute(
                insert(sources), [{"store": s, "key": k, "signature": ""} for s, k in awaited]
            )
        ids = dict(conn.execute(select(articles.c.guid, articles.c.id)).all())
        if placements := [
            {"feed": p["feed"], "article_id": ids[p["guid"]], "page": p["page"]}
            for p in ledger.placements
        ]:
            conn.execute(insert(archive_entries), placements)
        if ledger.sealed:
            # Placed by no known filters as of the epoch: every article is asked again.
            conn.execute(
                insert(archive_feeds),
                [
                    {"feed": feed, "sealed": count, "selected": EPOCH, "read": EPOCH, "selects": ""}
                    for feed, count in ledger.sealed.items()
                ],
            )
        if ledger.as_of is not None:
            put_meta(conn, {FEEDS_BUILT: ledger.as_of})
        for table, facts in (
            (headlines, ledger.headlines),
            (feed_history, ledger.history),
            (removals, ledger.removals),
        ):
            if facts:
                conn.execute(insert(table), facts)
    FeedHistory(engine).keep_families(ledger.families)
