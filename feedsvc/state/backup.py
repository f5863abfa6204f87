"""Copies of a SQLite state database, consistent while builds and the server use it.

SQLite's online backup API copies the pages under a read lock, so a copy is a state
as one moment saw it, never a half-written file; the copy is written beside its
target and renamed into place, whole or not at all.
"""

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import Engine


class BackupError(Exception):
    """The database cannot be copied this way (say why and what to use instead)."""


def database_file(engine: Engine) -> Path:
    """The SQLite file behind the engine."""
    if engine.dialect.name != "sqlite" or not engine.url.database:
        raise BackupError(
            f"a {engine.dialect.name} state is backed up with its own tools (pg_dump), "
            "or moved with `feedsvc state export`"
        )
    return Path(engine.url.database)


def copy_database(source: Path, target: Path) -> None:
    """Write a consistent copy of the SQLite database `source` to `target`."""
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with (
            closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as reading,
            closing(sqlite3.connect(partial)) as writing,
        ):
            reading.backup(writing)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def before_migrating(database: Path, revision: str) -> Path:
    """Keep a copy of the database as it is at `revision`, beside it, before a migration
    changes it: `state.db.at-0004`."""
    kept = database.with_name(f"{database.name}.at-{revision}")
    copy_database(database, kept)
    return kept
