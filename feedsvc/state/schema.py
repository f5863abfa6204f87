"""The state database's tables (SQLAlchemy Core), shared by the modules that use them."""

import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    delete,
    false,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

T = TypeVar("T")

CHUNK = 500  # values per IN (...) query, well under every backend's parameter limit


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """`items` in slices of CHUNK, one IN (...) query each."""
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def new_guid() -> str:
    return f"urn:uuid:{uuid.uuid4()}"


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes on every backend (SQLite stores naive ones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


metadata = MetaData()

# The data of an article a build from scratch knows from its ledger alone, before its
# source is read again (feedsvc.state.ledger).
AWAITING = "{}"

articles = Table(
    "articles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("guid", String(500), nullable=False, unique=True),
    Column("store", String(100), nullable=False),
    Column("source", String(1000), nullable=False),  # the file (or other source) it came from
    Column("key", String(1000), nullable=False),
    Column("explicit_id", String(500), nullable=True, index=True),
    Column("slug", String(200), nullable=False),
    Column("title_key", Text, nullable=False),
    Column("body_hash", String(64), nullable=False, index=True),
    Column("content_hash", String(64), nullable=False),
    Column("published", UTCDateTime, nullable=False),
    Column("updated", UTCDateTime, nullable=False),
    Column("first_seen", UTCDateTime, nullable=False),
    Column("deleted", UTCDateTime, nullable=True),
    Column("draft", Boolean, nullable=False),
    Column("has_latest", Boolean, nullable=False),
    Column("data", Text, nullable=False),
    # When a scan last inserted or updated the row: what archive placement looks at.
    Column("changed", UTCDateTime, nullable=True, index=True),
    # `feedsvc takedown`: out of every document until undone, whatever the store says.
    Column("taken_down", UTCDateTime, nullable=True),
    Column("takedown_reason", Text, nullable=True),
    Index("ix_articles_store_source", "store", "source"),
    Index("ix_articles_store_key", "store", "key"),  # the ingest API's answer
    # The visible articles, newest first: what every feed query walks (and what a build
    # counts, from the index alone).
    Index("ix_articles_visible", "deleted", "draft", "taken_down", "published"),
    # The few pages with a latest-news section, newest first (partial: a has_latest
    # column of one value was no index to the planner, which walked every article).
    Index(
        "ix_articles_latest_pages",
        "first_seen",
        "id",
        sqlite_where=text("has_latest = 1"),
        postgresql_where=text("has_latest"),
    ),
    Index("ix_articles_title_key", "title_key"),
)

# Each article's categories, tags, authors and region, by slug: what feeds filter on.
labels = Table(
    "labels",
    metadata,
    Column("article_id", Integer, primary_key=True),
    Column("kind", String(20), primary_key=True),
    Column("slug", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_labels_kind_slug", "kind", "slug"),
)

# RFC 5005 archive pages: which page of which feed each article was placed on.
# Pages 1..sealed of a feed are full and never change; the next one fills up.
archive_entries = Table(
    "archive_entries",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("article_id", Integer, primary_key=True),
    Column("page", Integer, nullable=False),
    Index("ix_archive_entries_page", "feed", "page"),
    Index("ix_archive_entries_article", "article_id"),  # the pages a changed article is on
)

archive_feeds = Table(
    "archive_feeds",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("sealed", Integer, nullable=False),
    # The Moment of the last placement: articles changed before `read` or visible at
    # `selected` were placed already.
    Column("selected", UTCDateTime, nullable=False),
    Column("read", UTCDateTime, nullable=False),
    # A digest of the filters the feed's articles were placed by (revision 0005): when
    # they change, every article is asked again.
    Column("selects", String(64), nullable=False, server_default=""),
)

# The articles each feed held (its items and newest archive page) when it was last
# published: a later build redoes a feed only when one of these or a newcomer changed.
feed_members = Table(
    "feed_members",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("ids", Text, nullable=False),  # a JSON list of article ids
    # A digest of every other input of its documents (settings, renderer release):
    # a feed whose inputs moved is redone in full, complete archive pages included.
    Column("inputs", String(64), nullable=False, server_default=""),
)

# Every feed a build has published, with when it was last found empty (NULL: it has
# items). A family member empty for site.empty_family_days is gone (410); an empty
# feed's documents are dated by when it emptied, so they do not move by themselves.
feed_history = Table(
    "feed_history",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("value", Text, nullable=True),  # a family member's category, tag, ... as written
    Column("emptied", UTCDateTime, nullable=True),
)

# Articles that left a feed (deleted, a draft again, moved, taken down) and when:
# its Atom documents announce them (RFC 6721) for site.tombstone_days.
removals = Table(
    "removals",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("guid", String(500), primary_key=True),
    Column("removed", UTCDateTime, nullable=False),
)

# Every source seen and not gone, with the signature that tells it is unchanged
# ("" for one to read again every run: it had problems).
sources = Table(
    "sources",
    metadata,
    Column("store", String(100), primary_key=True),
    Column("key", String(1000), primary_key=True),
    Column("signature", String(100), nullable=False),
)

store_notes = Table(
    "store_notes",
    metadata,
    Column("store", String(100), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

headlines = Table(
    "headlines",
    metadata,
    Column("key", Text, primary_key=True),
    Column("guid", String(200), nullable=False, unique=True),
    Column("first_seen", UTCDateTime, nullable=False),
)

builds = Table(
    "builds",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("started", UTCDateTime, nullable=False),
    Column("finished", UTCDateTime, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("articles", Integer, nullable=False),
    Column("problems", Integer, nullable=False),
    Column("written", Integer, nullable=False),
    Column("error", Text, nullable=False),
)

# WebSub subscriptions of the built-in hub, kept across restarts.
subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("topic", String(2000), nullable=False),
    Column("callback", String(2000), nullable=False),
    Column("secret", String(200), nullable=False),  # empty: deliveries are not signed
    Column("expires", UTCDateTime, nullable=False),
    Column("failures", Integer, nullable=False),  # deliveries failed in a row
    # sha256 of the last body it took: a body owed after a build died is not sent twice
    Column("delivered", String(64), nullable=False, server_default=""),
    UniqueConstraint("topic", "callback"),
)

# What each upload target last received: a file is uploaded again only when it differs.
uploads = Table(
    "uploads",
    metadata,
    Column("target", String(100), primary_key=True),
    Column("path", String(1000), primary_key=True),
    Column("digest", String(64), nullable=False),
)

# Each upload target's state, so /healthz in any worker can tell a failing one.
target_status = Table(
    "target_status",
    metadata,
    Column("target", String(100), primary_key=True),
    Column("error", Text, nullable=False),  # empty: the last attempt worked
    Column("since", UTCDateTime, nullable=False),
)

# Publish pings a configured hub did not take (down, or refusing): sent again with
# every later build, whichever replica makes it, until the hub takes them.
hub_pings = Table(
    "hub_pings",
    metadata,
    Column("hub", String(2000), primary_key=True),
    Column("topic", String(2000), primary_key=True),
    Column("since", UTCDateTime, nullable=False),  # the first ping of it that failed
)

# Changed feeds whose subscribers and hubs a build has not finished telling: one that
# dies first (killed, or its replica lost) leaves them to the next build's announcement.
announcements = Table(
    "announcements",
    metadata,
    Column("topic", String(2000), primary_key=True),
    Column("path", String(1000), nullable=False),  # in the publish folder
    Column("since", UTCDateTime, nullable=False),  # when the build published it
)

# With a PostgreSQL state: every file a build wrote, as it wrote it, so replicas on
# other machines serve the same bytes (`feedsvc.publish.shared`). Numbered by build.
published_files = Table(
    "published_files",
    metadata,
    Column("path", String(1000), primary_key=True),
    Column("body", LargeBinary, nullable=False),
    Column("digest", String(64), nullable=False),  # sha256 of the body
    Column("generation", Integer, nullable=False, index=True),
    Column("written", UTCDateTime, nullable=False),
)

# Readers: the latest subscriber count each aggregator stated polling a feed (per feed
# id it gave), and a sketch of the distinct other clients each day (no addresses:
# feedsvc.core.sketch), merged by every worker and replica.
audience_reports = Table(
    "audience_reports",
    metadata,
    Column("feed", String(400), primary_key=True),  # a published path: feeds/main.rss
    Column("aggregator", String(100), primary_key=True),
    Column("feed_id", String(100), primary_key=True),  # empty: it gave none
    Column("subscribers", Integer, nullable=False),
    Column("seen", UTCDateTime, nullable=False),
)
audience_days = Table(
    "audience_days",
    metadata,
    Column("feed", String(400), primary_key=True),
    Column("day", String(10), primary_key=True),  # UTC, YYYY-MM-DD
    Column("clients", Integer, nullable=False),  # the sketch's count, kept to list fast
    Column("sketch", Text, nullable=False),
)

# What a range request learned of an audio file an article's body plays (its length
# and how long it plays, for podcast apps), or when it last failed to.
media_facts = Table(
    "media_facts",
    metadata,
    Column("url", String(2000), primary_key=True),
    Column("length", BigInteger),  # bytes; NULL: not learned (yet)
    Column("duration", Integer),  # seconds; NULL: the head did not say
    Column("tried", UTCDateTime, nullable=False),
    Column("tries", Integer, nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)


def visible(now: datetime) -> ColumnElement[bool]:
    """Articles a reader may see at `now`: not deleted, not drafts, published by then,
    not taken down."""
    # draft = false (not IS false), so the index on (deleted, draft, taken_down,
    # published) serves it: a count reads the index alone
    return (
        articles.c.deleted.is_(None)
        & (articles.c.draft == false())
        & (articles.c.published <= now)
        & articles.c.taken_down.is_(None)
    )


def replace_row(
    conn: Connection, table: Table, key: Mapping[str, object], **values: object
) -> None:
    """Put one row, replacing the one with the same key (no dialect's own upsert needed)."""
    conn.execute(delete(table).where(and_(*(table.c[k] == v for k, v in key.items()))))
    conn.execute(insert(table).values(**key, **values))


def put_meta(conn: Connection, values: dict[str, str]) -> None:
    """Set these names in the meta table, replacing what they held."""
    conn.execute(delete(meta).where(meta.c.name.in_(sorted(values))))
    conn.execute(insert(meta), [{"name": name, "value": v} for name, v in values.items()])


def any_article(engine: Engine, ids: set[int], condition: ColumnElement[bool]) -> bool:
    """Whether any of these articles meets `condition` (one small query per CHUNK)."""
    with engine.connect() as conn:
        for chunk in chunks(sorted(ids)):
            query = select(articles.c.id).where(articles.c.id.in_(chunk) & condition).limit(1)
            if conn.scalar(query) is not None:
                return True
    return False
