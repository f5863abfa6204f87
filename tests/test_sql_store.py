"""The sql store against real databases: SQLite, and PostgreSQL on 127.0.0.1."""

from datetime import datetime

import feedparser
import pytest
import sqlalchemy as sa
from conftest import Site, page

SCHEMA = """
CREATE TABLE {table} (
    article_id INTEGER PRIMARY KEY,
    headline TEXT,
    text_html TEXT,
    written_by TEXT,
    section TEXT,
    created_at TIMESTAMP,
    hidden BOOLEAN NOT NULL DEFAULT FALSE
)
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path) -> str:
    """A SQLAlchemy URL to an empty database of each kind, with a `stories` table."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'cms.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    table = f"stories_{abs(hash(request.node.name)) % 10**8}"
    with engine.begin() as conn:
        conn.execute(sa.text(SCHEMA.format(table=table)))
    engine.dispose()
    request.node.table = table
    return url


def insert(url: str, table: str, *rows: dict) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for row in rows:
            names = ", ".join(row)
            values = ", ".join(f":{n}" for n in row)
            conn.execute(sa.text(f"INSERT INTO {table} ({names}) VALUES ({values})"), row)
    engine.dispose()


def execute(url: str, statement: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def configure(site: Site, url: str, source: str) -> None:
    site.configure(
        extra=f"""
[[store]]
kind = "files"
path = "articles"

[[store]]
kind = "sql"
name = "cms"
url = "{url}"
{source}
columns = {{ id = "article_id", title = "headline", body_html = "text_html", author = "written_by", categories = "section", published = "created_at" }}
"""
    )


def entries(site: Site) -> dict[str, dict]:
    return {e.title: e for e in feedparser.parse((site.feeds / "main.rss").read_bytes()).entries}


def test_rows_become_articles_next_to_files(site: Site, database: str, request):
    table = request.node.table
    configure(site, database, f'table = "{table}"')
    insert(
        database,
        table,
        {"article_id": 1, "headline": "Ferry Returns", "text_html": "<p>Boats.</p><script>x()</script>",
         "written_by": "Tomas Brightwater", "section": "Transport", "created_at": datetime(2026, 11, 20, 9, 30)},
        {"article_id": 2, "headline": "Мост закрыт", "text_html": "<p>Ремонт.</p>", "written_by": None,
         "section": None, "created_at": datetime(2026, 11, 21, 6, 0)},
    )  # fmt: skip
    site.write("local.txt", page("Local Story", "From a file."))
    report = site.build()
    assert report.ok and report.problems == [] and report.articles == 3
    found = entries(site)
    assert found["Ferry Returns"].id == "1"
    assert found["Ferry Returns"].published == "Fri, 20 Nov 2026 09:30:00 +0000"
    assert found["Ferry Returns"].author == "Tomas Brightwater"
    assert [t.term for t in found["Ferry Returns"].tags] == ["Transport"]
    assert "script" not in found["Ferry Returns"].content[0].value
    assert found["Мост закрыт"].id == "2"
    assert "Local Story" in found


def test_edited_and_deleted_rows_follow_the_database(site: Site, database: str, request):
    table = request.node.table
    configure(site, database, f'table = "{table}"')
    insert(
        database,
        table,
        {
            "article_id": 1,
            "headline": "One",
            "text_html": "<p>1</p>",
            "created_at": datetime(2026, 11, 1),
        },
        {
            "article_id": 2,
            "headline": "Two",
            "text_html": "<p>2</p>",
            "created_at": datetime(2026, 11, 2),
        },
    )
    site.build()
    execute(database, f"UPDATE {table} SET headline = 'One, corrected' WHERE article_id = 1")
    execute(database, f"DELETE FROM {table} WHERE article_id = 2")
    site.build()
    found = entries(site)
    assert set(found) == {"One, corrected"}
    assert found["One, corrected"].id == "1"


def test_a_query_selects_and_a_bad_row_is_reported_and_skipped(site: Site, database: str, request):
    table = request.node.table
    configure(site, database, f'query = "SELECT * FROM {table} WHERE NOT hidden"')
    insert(
        database,
        table,
        {"article_id": 1, "headline": "Visible", "text_html": "<p>1</p>"},
        {"article_id": 2, "headline": "Hidden", "text_html": "<p>2</p>", "hidden": True},
        {"article_id": 3, "headline": None, "text_html": "<p>3</p>"},
    )
    report = site.build()
    assert set(entries(site)) == {"Visible"}
    assert [str(p) for p in report.problems] == [
        f"{sa.make_url(database).render_as_string(hide_password=True)} row id=3: title: required, and missing or empty"
    ]


def test_an_unreachable_database_fails_the_build_and_keeps_its_articles(
    site: Site, database: str, request
):
    table = request.node.table
    configure(site, database, f'table = "{table}"')
    insert(database, table, {"article_id": 1, "headline": "Kept", "text_html": "<p>1</p>"})
    site.build()
    configure(site, database, 'table = "no_such_table"')
    report = site.build()
    assert not report.ok
    assert report.failures[0].startswith("store 'cms' not read: ")
    assert "query failed" in report.failures[0]
    assert set(entries(site)) == {"Kept"}
