"""A state database made by an earlier release keeps working after an upgrade."""

import sqlite3
from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from conftest import Site, feedsvc, md
from sqlalchemy import create_engine, inspect

from feedsvc.state.database import State
from feedsvc.state.migrate import head, newest_file

# What the revisions after the baseline (0001) added, undone: a new revision adds here.
SINCE_BASELINE = (
    # 0010 (undone first: the old visible index names no taken_down, dropped below)
    "DROP INDEX ix_articles_visible",
    "CREATE INDEX ix_articles_visible ON articles (deleted, draft, published)",
    "DROP INDEX ix_articles_latest_pages",
    "CREATE INDEX ix_articles_latest_pages ON articles (has_latest, first_seen)",
    "DROP TABLE published_files",
    "DROP TABLE hub_pings",
    "DROP TABLE announcements",
    "ALTER TABLE subscriptions DROP COLUMN delivered",
    "DROP INDEX ix_archive_entries_article",
    "DROP TABLE feed_history",
    "DROP TABLE removals",
    "ALTER TABLE feed_members DROP COLUMN inputs",
    "ALTER TABLE articles DROP COLUMN taken_down",
    "ALTER TABLE articles DROP COLUMN takedown_reason",
    "DELETE FROM labels WHERE kind IN ('language', 'medium')",
    "DELETE FROM meta WHERE name = 'site_language'",
    "DROP TABLE audience_reports",
    "DROP TABLE audience_days",
    "DROP TABLE media_facts",
)


def as_before_migrations(site: Site, *statements: str) -> None:
    """Make the site's state what a release before versioned migrations left, and more."""
    with sqlite3.connect(site.root / "state.db") as db:
        for statement in ("DROP TABLE alembic_version", *SINCE_BASELINE, *statements):
            db.execute(statement)


def test_a_state_from_before_migrations_keeps_its_guids_and_subscriptions(site: Site):
    """...and gets what later releases added: labels for its families, a version."""
    site.configure(extra='[[feeds]]\nname = "main"\n')
    site.write("a.md", md("Bank Rate Held", categories="['Economy']"))
    assert site.build().ok
    guid = feedparser.parse((site.feeds / "main.atom").read_bytes()).entries[0].id
    state = State(site.settings().state.url)
    expires = datetime.now(UTC) + timedelta(days=2)
    state.subscriptions.subscribe(f"{site.url}feeds/main.rss", "http://127.0.0.1:9/", "", expires)
    state.close()
    as_before_migrations(  # no changed column, no labels either
        site,
        "DROP INDEX ix_articles_changed",
        "ALTER TABLE articles DROP COLUMN changed",
        "DROP TABLE labels",
        "DELETE FROM meta WHERE name = 'labels_filled'",
    )
    site.configure(
        extra='[[feeds]]\nname = "main"\n[[feeds]]\nname = "section"\nper = "category"\n'
    )
    assert site.build().ok
    assert "Bank Rate Held" in (site.feeds / "section" / "economy.rss").read_text()
    with sqlite3.connect(site.root / "state.db") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
        assert "changed" in columns
        # (and the language every article is in, as a first build of 0006 labels it)
        assert sorted(db.execute("SELECT kind, slug FROM labels")) == [
            ("category", "economy"),
            ("language", "en"),
        ]
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(head(),)]
        assert db.execute("SELECT callback FROM subscriptions").fetchall() == [
            ("http://127.0.0.1:9/",)
        ]
    assert feedparser.parse((site.feeds / "main.atom").read_bytes()).entries[0].id == guid


def test_after_an_upgrade_a_new_database_is_made_as_usual(site: Site):
    """Upgrading one database must not change the tables this process makes next (it
    once added a second copy of an index to them: "index already exists")."""
    site.write("a.md", md("Bank Rate Held"))
    assert site.build().ok
    as_before_migrations(
        site, "DROP INDEX ix_articles_changed", "ALTER TABLE articles DROP COLUMN changed"
    )
    State(f"sqlite:///{site.root / 'state.db'}").close()
    State("sqlite://").close()
    State(f"sqlite:///{site.root / 'new.db'}").close()


def test_an_index_a_later_release_declares_is_added(site: Site):
    site.write("a.md", md("Bank Rate Held"))
    assert site.build().ok
    as_before_migrations(site, "DROP INDEX ix_articles_store_key")
    State(f"sqlite:///{site.root / 'state.db'}").close()
    with sqlite3.connect(site.root / "state.db") as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM articles WHERE store = 'files' AND key = 'a.md'"
        ).fetchall()
    assert "ix_articles_store_key" in str(plan)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_database_at_an_earlier_revision_gets_the_revisions_since(
    site: Site, backend: str, request
):
    url = request.getfixturevalue("pg_database") if backend == "postgresql" else None
    # A podcast feed: without the labels revisions since gave its article, it would lose it.
    podcast = (
        '[[feeds]]\nname = "radio"\nkind = "podcast"\n[feeds.podcast]\n'
        'image = "https://example.org/radio.png"\nimage_size = 1400\ncategory = "News"\n'
    )
    site.configure(extra=(f'[state]\nurl = "{url}"\n' if url else "") + podcast)
    site.write(
        "a.md",
        md("Bank Rate Held", media='[{ url = "https://cdn.example.org/r.mp3", length = 1 }]'),
    )
    assert site.build().ok
    url = site.settings().state.url
    engine = create_engine(url)
    with engine.begin() as conn:  # what the baseline release made
        for statement in (*SINCE_BASELINE, "UPDATE alembic_version SET version_num = '0001'"):
            conn.exec_driver_sql(statement)
    out = feedsvc("--config", str(site.config), "migrate")
    assert out.returncode == 0, out.stderr
    assert f"was at revision 0001, now at {head()}" in out.stdout
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert {"published_files", "hub_pings", "announcements", "feed_history"} <= tables
        columns = {column["name"] for column in inspect(conn).get_columns("subscriptions")}
        assert "delivered" in columns
    engine.dispose()
    assert site.build().written == []
    assert b"r.mp3" in (site.feeds / "radio.rss").read_bytes()


def test_the_newest_revision_file_is_alembics_head():
    """Opening a state at the newest revision does not import Alembic: it reads the
    head from the revision files' numbers, which must agree with Alembic's."""
    assert newest_file() == head()
