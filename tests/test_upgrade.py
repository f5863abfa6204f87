"""A state database made before labels and archives keeps working after an upgrade."""

import sqlite3

from conftest import Site, md

from feedsvc.state import State


def test_a_state_from_before_labels_gets_them_and_its_families(site: Site):
    site.configure(extra='[[feeds]]\nname = "main"\n')
    site.write("a.md", md("Bank Rate Held", categories="['Economy']"))
    assert site.build().ok
    # Make it what the previous release left: no changed column, no labels.
    with sqlite3.connect(site.root / "state.db") as db:
        db.execute("DROP INDEX ix_articles_changed")
        db.execute("ALTER TABLE articles DROP COLUMN changed")
        db.execute("DROP TABLE labels")
        db.execute("DELETE FROM meta WHERE name = 'labels_filled'")
    site.configure(
        extra='[[feeds]]\nname = "main"\n[[feeds]]\nname = "section"\nper = "category"\n'
    )
    assert site.build().ok
    assert "Bank Rate Held" in (site.feeds / "section" / "economy.rss").read_text()
    with sqlite3.connect(site.root / "state.db") as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(articles)")}
        assert "changed" in columns
        assert db.execute("SELECT kind, slug FROM labels").fetchall() == [("category", "economy")]


def test_after_an_upgrade_a_new_database_is_made_as_usual(site: Site):
    """Upgrading one database must not change the tables this process makes next (it
    once added a second copy of an index to them: "index already exists")."""
    site.write("a.md", md("Bank Rate Held"))
    assert site.build().ok
    with sqlite3.connect(site.root / "state.db") as db:
        db.execute("DROP INDEX ix_articles_changed")
        db.execute("ALTER TABLE articles DROP COLUMN changed")
    State(f"sqlite:///{site.root / 'state.db'}").close()
    State("sqlite://").close()
    State(f"sqlite:///{site.root / 'new.db'}").close()


def test_an_index_a_later_release_declares_is_added(site: Site):
    site.write("a.md", md("Bank Rate Held"))
    assert site.build().ok
    with sqlite3.connect(site.root / "state.db") as db:
        db.execute("DROP INDEX ix_articles_store_key")
    State(f"sqlite:///{site.root / 'state.db'}").close()
    with sqlite3.connect(site.root / "state.db") as db:
        plan = db.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM articles WHERE store = 'files' AND key = 'a.md'"
        ).fetchall()
    assert "ix_articles_store_key" in str(plan)
