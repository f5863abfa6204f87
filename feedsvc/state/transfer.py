"""`feedsvc state export` / `import`: the whole state as JSON Lines, between databases.

The first line names the format and the schema revision; then one line per row,
table by table in dependency order. Rows are streamed both ways, so a state of
200,000 articles never sits in memory. An import goes into an empty database at
the same revision (a fresh one is migrated when opened), keeps every id, GUID and
subscription as it was, and moves PostgreSQL's id sequences past the imported ids.
"""

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import IO, Any

from sqlalchemy import Connection, Engine, Integer, LargeBinary, func, insert, select, text

from feedsvc.state.migrate import revision
from feedsvc.state.schema import UTCDateTime, metadata

FORMAT = "feedsvc-state"
BATCH = 1000  # rows per INSERT on import


class TransferError(Exception):
    """An export file that cannot go into this database; the message says why."""


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):  # a replica's copy of a published file
        return base64.b64encode(value).decode()
    return value


def export_state(engine: Engine, out: IO[str]) -> dict[str, int]:
    """Write every row; return the number of rows per table."""
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        header = {"format": FORMAT, "version": 1, "revision": revision(conn)}
        out.write(json.dumps(header) + "\n")
        for table in metadata.sorted_tables:
            counts[table.name] = 0
            rows = conn.execution_options(stream_results=True, yield_per=BATCH).execute(
                select(table)
            )
            for row in rows:
                record = {
                    "table": table.name,
                    "row": {k: _encode(v) for k, v in row._mapping.items()},
                }
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                counts[table.name] += 1
    return counts


def _decoders(table_name: str) -> dict[str, Callable[[Any], Any]]:
    table = metadata.tables[table_name]
    found: dict[str, Callable[[Any], Any]] = {}
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            found[column.name] = datetime.fromisoformat
        elif isinstance(column.type, LargeBinary):
            found[column.name] = partial(base64.b64decode, validate=True)
    return found


def _records(lines: IO[str], source: str) -> Iterator[tuple[int, str, dict]]:
    for number, line in enumerate(lines, start=2):
        try:
            record = json.loads(line)
            table, row = record["table"], record["row"]
        except (ValueError, KeyError, TypeError) as exc:
            raise TransferError(f"{source}:{number}: not a row of a state export ({exc})") from exc
        if table not in metadata.tables:
            raise TransferError(f"{source}:{number}: unknown table {table!r}")
        yield number, table, row


def _check_header(conn: Connection, first: str, source: str) -> None:
    try:
        header = json.loads(first)
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TransferError(f"{source}:1: not a feedsvc state export")
    if header.get("revision") != (here := revision(conn)):
        raise TransferError(
            f"{source}: exported at schema revision {header.get('revision')}, this database "
            f"is at {here}: import with the feedsvc release that made the export"
        )
    for table in metadata.sorted_tables:
        if conn.scalar(select(func.count()).select_from(table)):
            raise TransferError(
                f"the state database is not empty (table {table.name} has rows): "
                "import into a new database"
            )


def _move_sequences(conn: Connection) -> None:
    """PostgreSQL hands out ids from sequences the imported rows did not advance."""
    if conn.dialect.name != "postgresql":
        return
    for table in metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        if len(keys) == 1 and isinstance(keys[0].type, Integer) and keys[0].autoincrement:
            name = keys[0].name
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{name}'), "
                    f"COALESCE(MAX({name}), 0) + 1, false) FROM {table.name}"
                )
            )


def import_state(engine: Engine, lines: IO[str], source: str) -> dict[str, int]:
    """Insert every row of an export into an empty database, all or nothing; return the
    number of rows per table."""
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        _check_header(conn, lines.readline(), source)
        batch: list[dict] = []
        current: str | None = None

        def flush() -> None:
            if batch and current is not None:
                conn.execute(insert(metadata.tables[current]), batch)
                batch.clear()

        decoders: dict[str, Callable[[Any], Any]] = {}
        for number, table, row in _records(lines, source):
            if table != current:
                flush()
                current, decoders = table, _decoders(table)
            try:
                batch.append(
                    {k: decoders[k](v) if k in decoders and v else v for k, v in row.items()}
                )
            except ValueError as exc:
                raise TransferError(f"{source}:{number}: {exc}") from exc
            counts[table] = counts.get(table, 0) + 1
            if len(batch) >= BATCH:
                flush()
        flush()
        _move_sequences(conn)
    return counts
