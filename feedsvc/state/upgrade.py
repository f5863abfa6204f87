"""Bring a state database made by an earlier feedsvc up to the current tables.

Until migrations are versioned, each step here checks for itself whether it is
needed, so running it again does nothing.
"""

from sqlalchemy import Connection, insert, inspect, select

from feedsvc.core.model import SourceArticle
from feedsvc.state.labels import rows_of, site_language
from feedsvc.state.schema import articles, labels, meta, metadata

LABELS_DONE = "labels_filled"


def _add_changed_column(conn: Connection) -> None:
    """`articles.changed` (archive placement) arrived after the first releases."""
    if "changed" in {column["name"] for column in inspect(conn).get_columns("articles")}:
        return
    column = articles.c.changed
    type_sql = column.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(f"ALTER TABLE articles ADD COLUMN changed {type_sql}")
    conn.execute(articles.update().values(changed=articles.c.first_seen))


def _fill_labels(conn: Connection) -> None:
    """Labels of articles stored before the labels table existed."""
    if conn.scalar(select(meta.c.value).where(meta.c.name == LABELS_DONE)):
        return
    known = set(conn.scalars(select(labels.c.article_id).distinct()))
    rows = []
    language = site_language(conn)
    for article_id, data in conn.execute(select(articles.c.id, articles.c.data)):
        if article_id not in known:
            rows += rows_of(article_id, SourceArticle.from_json(data), language)
    if rows:
        conn.execute(insert(labels), rows)
    conn.execute(insert(meta).values(name=LABELS_DONE, value="1"))


def _add_missing_indexes(conn: Connection) -> None:
    """Indexes a later release declared on tables an earlier one made (create_all makes
    an index only with its table). The tables' own Index objects: a new Index(...) would
    join its table for good, and every later create_all in this process make it twice."""
    present = set(inspect(conn).get_table_names())
    for table in metadata.sorted_tables:
        for index in table.indexes if table.name in present else ():
            index.create(conn, checkfirst=True)


def upgrade(conn: Connection) -> None:
    _add_changed_column(conn)
    _add_missing_indexes(conn)
    _fill_labels(conn)
