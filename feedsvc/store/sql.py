"""The sql store: rows of a table or query in an existing database (SQLAlchemy).

Every row is read each run (a query cannot tell what changed), but a row whose
values hash the same as last time is not parsed or cleaned again.
"""

from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import Engine, RowMapping, TextClause, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from feedsvc.core.model import Problem, digest
from feedsvc.store import Memory, Progress, RecordError, Scan, StoreError, no_progress
from feedsvc.store.record import BODY_FIELDS, FIELDS, SiteContext, build


class SqlStore:
    def __init__(
        self,
        name: str,
        url: str,
        site: SiteContext,
        *,
        table: str = "",
        query: str = "",
        columns: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.site = site
        self.columns = dict(columns or {})
        if unknown := sorted(set(self.columns) - FIELDS - BODY_FIELDS):
            raise StoreError(f"columns: {unknown[0]!r} is not an article field")
        try:
            self.engine: Engine = create_engine(url)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(f"cannot use database URL: {exc}") from None
        self.label = self.engine.url.render_as_string(hide_password=True)
        self.query = text(query) if query else None
        self.table = table

    def _statement(self) -> TextClause:
        if self.query is not None:
            return self.query
        quoted = self.engine.dialect.identifier_preparer.quote_schema
        return text(f"SELECT * FROM {'.'.join(map(quoted, self.table.split('.')))}")

    def _fields(self, row: RowMapping, number: int) -> dict[str, Any]:
        fields = {}
        for field in FIELDS | BODY_FIELDS:
            column = self.columns.get(field, field)
            if column in row:
                fields[field] = row[column]
            elif field in self.columns:
                raise StoreError(
                    f"columns: {field} = {column!r}, but the result has no such column"
                )
        if fields.get("id") is None:
            raise RecordError(f"row {number} has no id (map one with columns = {{ id = ... }})")
        return fields

    def scan(self, memory: Memory, progress: Progress = no_progress) -> Scan:
        scan = Scan(self.name)
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(self._statement()).mappings().all()
        except SQLAlchemyError as exc:
            reason = getattr(exc, "orig", None) or exc
            raise StoreError(
                f"{self.label}: query failed: {exc.__class__.__name__}: {reason}"
            ) from None
        for number, row in enumerate(rows, start=1):
            progress(number - 1, len(rows))
            try:
                fields = self._fields(row, number)
            except RecordError as exc:
                scan.warnings.append(Problem(self.label, exc.reason))
                continue
            key = str(fields["id"])
            origin = f"{self.label} row id={key}"
            scan.add_record(
                memory,
                key,
                digest(sorted((k, str(v)) for k, v in fields.items())),
                origin,
                partial(
                    build,
                    fields,
                    store=self.name,
                    key=key,
                    origin=origin,
                    site=self.site,
                    allow_body_fields=True,
                ),
            )
        progress(len(rows), len(rows))
        return scan
