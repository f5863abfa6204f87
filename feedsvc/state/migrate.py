"""The state database's schema, versioned: Alembic migrations, run whenever it is opened.

Three kinds of database come here. A new one is made from the current tables and
stamped with the newest revision (Alembic's advice for building from scratch). One
made by a release before migrations has no version: `feedsvc.state.upgrade`'s checks bring
it to the baseline revision, and the revisions after it run. One with a version gets
the revisions it lacks. Replicas opening a PostgreSQL state at once take turns.
"""

import logging
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from feedsvc.state.backup import before_migrating
from feedsvc.state.schema import metadata
from feedsvc.state.upgrade import upgrade as mend_unversioned

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

BASELINE = "0001"  # the schema of the last release without versions
# Its tables: a database from before versions lacking one gets it as the current
# tables declare it (later revisions must not change these from their baseline shape).
BASELINE_TABLES = (
    "articles", "labels", "archive_entries", "archive_feeds", "feed_members", "sources",
    "store_notes", "headlines", "builds", "subscriptions", "uploads", "target_status", "meta",
)  # fmt: skip
SCRIPTS = Path(__file__).parent / "migrations"
# pg_advisory_xact_lock's key for "migrating": any number no other lock of ours uses.
MIGRATION_LOCK = 0x66656564  # "feed"


def _config(conn: Connection | None) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = conn
    return config


@cache
def head() -> str:
    """The newest revision this release knows."""
    from alembic.script import ScriptDirectory

    newest = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert newest is not None
    return newest


def revision(conn: Connection) -> str | None:
    """The revision the database is at; None for a new one or one older than versions."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.scalar(text("SELECT version_num FROM alembic_version"))


@cache
def newest_file() -> str:
    """The newest revision by its file's number (0004_removals.py: "0004"): the revisions
    run in a line, so that is the head, known without importing Alembic (0.13 s)."""
    return max(path.name.partition("_")[0] for path in (SCRIPTS / "versions").glob("0*.py"))


def migrate(engine: Engine) -> tuple[str | None, str]:
    """Bring the database to the newest revision; return its revision before, and now."""
    with engine.connect() as conn:
        if (current := revision(conn)) == newest_file():
            return current, current  # the common case: nothing to do, Alembic not needed
        existing = inspect(conn).has_table("articles")
    if existing and engine.dialect.name == "sqlite" and engine.url.database:
        kept = before_migrating(Path(engine.url.database), current or "unversioned")
        log.info("state database: kept a copy as %s before migrating it", kept)
    from alembic import command

    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        before = revision(conn)
        config = _config(conn)
        if before is None and not inspect(conn).has_table("articles"):
            metadata.create_all(conn)
            command.stamp(config, "head")
        elif before is None:
            # Made before versions: mended to the baseline, then the revisions since.
            metadata.create_all(conn, tables=[metadata.tables[n] for n in BASELINE_TABLES])
            mend_unversioned(conn)
            command.stamp(config, BASELINE)
            command.upgrade(config, "head")
        elif before != head():
            command.upgrade(config, "head")
    if before != head():
        log.info("state database: schema revision %s, now %s", before or "none", head())
    return before, head()
