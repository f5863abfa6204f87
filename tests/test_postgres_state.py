"""The state on a real PostgreSQL: builds, migrations, and moving a state from SQLite."""

import uuid
from datetime import UTC, datetime, timedelta

import feedparser
from conftest import Site, feedsvc, md, new_database
from sqlalchemy import create_engine, select
from test_upgrade import SINCE_BASELINE

from feedsvc.state.database import State
from feedsvc.state.migrate import head
from feedsvc.state.schema import articles, published_files

SECTIONS = '[[feeds]]\nname = "main"\n[[feeds]]\nname = "section"\nper = "category"\n'


def on(site: Site, url: str) -> None:
    site.configure(extra=f'[state]\nurl = "{url}"\n{SECTIONS}')


def entries(site: Site, path: str) -> dict[str, feedparser.FeedParserDict]:
    file = site.feeds / path
    if not file.exists():
        return {}
    return {entry.title: entry for entry in feedparser.parse(file.read_bytes()).entries}


def pairs(url: str, key, value) -> dict:
    """Two columns of a table in the database at `url`, as a dict."""
    engine = create_engine(url)
    with engine.connect() as conn:
        found = dict(conn.execute(select(key, value)).all())
    engine.dispose()
    return found


def guids(url: str) -> dict[str, str]:
    return pairs(url, articles.c.key, articles.c.guid)


def test_a_site_is_built_and_kept_up_to_date_on_postgresql(site: Site, pg_database: str):
    on(site, pg_database)
    site.write(
        "a.md", md("Ferry Timetable Changes", "Two sailings a day.", categories="['Transport']")
    )
    site.write("b.md", md("Новый мост открыт", "Мост открыли утром.", categories="['Город']"))
    assert site.build().ok
    main = entries(site, "main.atom")
    assert set(main) == {"Ferry Timetable Changes", "Новый мост открыт"}
    assert set(entries(site, "section/transport.rss")) == {"Ferry Timetable Changes"}
    first_guid = main["Ferry Timetable Changes"].id

    site.write(
        "a.md",
        md("Ferry Timetable Changes", "Three sailings a day now.", categories="['Transport']"),
    )
    (site.articles / "b.md").unlink()
    report = site.build()
    assert report.ok
    main = entries(site, "main.atom")
    assert set(main) == {"Ferry Timetable Changes"}
    assert main["Ferry Timetable Changes"].id == first_guid
    assert "Three sailings" in main["Ferry Timetable Changes"].content[0].value
    assert "Новый мост открыт" not in entries(site, "section/gorod.rss")

    assert site.build().written == []


def test_migrate_brings_a_new_postgresql_database_to_the_newest_revision(
    site: Site, pg_database: str
):
    on(site, pg_database)
    first = feedsvc("--config", str(site.config), "migrate")
    assert first.returncode == 0, first.stderr
    assert "was at revision none, now at" in first.stdout
    again = feedsvc("--config", str(site.config), "migrate")
    assert "the newest: nothing to do" in again.stdout
    backup = feedsvc("--config", str(site.config), "state", "backup", str(site.root / "x.db"))
    assert backup.returncode == 2 and "pg_dump" in backup.stderr


def test_a_sqlite_state_moves_to_postgresql_with_nothing_lost(
    site: Site, pg_database: str, tmp_path
):
    site.configure(extra=SECTIONS)
    site.write("a.md", md("Harbour Crane Returns", categories="['Port']"))
    site.write("b.md", md("Трамвай пойдёт ночью", categories="['Город']"))
    assert site.build().ok
    sqlite_url = site.settings().state.url
    state = State(sqlite_url)
    expires = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    state.subscriptions.subscribe(
        f"{site.url}feeds/main.rss", "http://127.0.0.1:9/cb", "s3cr3t", expires
    )
    state.close()
    before = {path: path.read_bytes() for path in site.feeds.rglob("*") if path.is_file()}

    export = tmp_path / "state.jsonl"
    out = feedsvc("--config", str(site.config), "state", "export", str(export))
    assert out.returncode == 0, out.stderr
    into = feedsvc(
        "--config", str(site.config), "state", "import", str(export), "--url", pg_database
    )
    assert into.returncode == 0, into.stderr
    assert "subscriptions 1" in into.stdout

    assert guids(pg_database) == guids(sqlite_url)
    on(site, pg_database)
    assert site.build().written == []  # same GUIDs, archives and held feeds: same bytes
    assert before == {path: path.read_bytes() for path in site.feeds.rglob("*") if path.is_file()}
    state = State(pg_database)
    (subscription,) = state.subscriptions.active([f"{site.url}feeds/main.rss"], datetime.now(UTC))
    state.close()
    assert (subscription.callback, subscription.secret, subscription.expires) == (
        "http://127.0.0.1:9/cb", "s3cr3t", expires,
    )  # fmt: skip

    # New rows get new ids after the imported ones (PostgreSQL's sequences were moved).
    site.write("c.md", md("Library Opens Late", categories="['Port']"))
    assert site.build().ok
    assert "Library Opens Late" in entries(site, "section/port.rss")

    again = feedsvc("--config", str(site.config), "state", "import", str(export))
    assert again.returncode == 2
    assert "not empty" in again.stderr and "nothing imported" in again.stderr


def test_a_damaged_export_is_refused_naming_the_line_and_nothing_goes_in(
    site: Site, pg_database: str, tmp_path
):
    site.write("a.md", md("Harbour Crane Returns"))
    assert site.build().ok
    export = tmp_path / "state.jsonl"
    assert feedsvc("--config", str(site.config), "state", "export", str(export)).returncode == 0
    lines = export.read_text().splitlines()
    lines.insert(3, '{"table": "articles", "row": ')
    export.write_text("\n".join(lines) + "\n")
    into = feedsvc(
        "--config", str(site.config), "state", "import", str(export), "--url", pg_database
    )
    assert into.returncode == 2
    assert f"{export}:4: not a row of a state export" in into.stderr
    assert guids(pg_database) == {}


def test_a_postgresql_state_from_before_migrations_keeps_its_guids_and_subscriptions(
    site: Site, pg_database: str
):
    on(site, pg_database)
    site.write("a.md", md("Harbour Crane Returns", categories="['Port']"))
    assert site.build().ok
    state = State(pg_database)
    expires = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    state.subscriptions.subscribe(f"{site.url}feeds/main.rss", "http://127.0.0.1:9/", "", expires)
    state.close()
    before = guids(pg_database)
    engine = create_engine(pg_database)
    with engine.begin() as conn:  # what a release before versioned migrations left
        for statement in (
            "DROP TABLE alembic_version",
            *SINCE_BASELINE,
            "DROP TABLE labels",
            "DELETE FROM meta WHERE name = 'labels_filled'",
        ):
            conn.exec_driver_sql(statement)
    engine.dispose()

    assert site.build().ok
    assert guids(pg_database) == before
    engine = create_engine(pg_database)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head()
        assert sorted(conn.exec_driver_sql("SELECT kind, slug FROM labels")) == [
            ("category", "port"),
            ("language", "en"),
        ]
        assert conn.exec_driver_sql("SELECT callback FROM subscriptions").all() == [
            ("http://127.0.0.1:9/",)
        ]
    engine.dispose()


def test_a_replica_deletes_what_the_builder_removed_and_answers_410_alike(
    site: Site, pg_database: str, tmp_path
):
    """A family member gone (410) on the builder's machine is gone on every replica's:
    the builder keeps its removals in the shared state, the replica follows them."""
    from feedsvc.publish.local import GONE_FILE, LocalTarget
    from feedsvc.publish.shared import Follower

    site.configure(
        extra=f'[state]\nurl = "{pg_database}"\n[[feeds]]\nname = "section"\nper = "category"\n'
    )
    text = site.config.read_text().replace("[site]\n", "[site]\nempty_family_days = 0\n")
    site.config.write_text(text)
    site.write("a.md", md("Ferry Back", "Ferry body.", categories="['Transport']"))
    site.write("b.md", md("Rates Held", "Rates body.", categories="['Economy']"))
    assert site.build().ok
    state = State(pg_database)
    replica = Follower(state.published, LocalTarget(tmp_path / "replica"))
    try:
        replica.catch_up()
        transport = tmp_path / "replica" / "feeds" / "section" / "transport.rss"
        assert transport.exists()
        (site.articles / "a.md").unlink()
        report = site.build()
        assert "feeds/section/transport.rss" in report.removed
        replica.catch_up()
        assert not transport.exists() and not transport.with_name("transport.rss.gz").exists()
        assert not (tmp_path / "replica" / "feeds" / "section" / "transport").exists()
        assert (tmp_path / "replica" / GONE_FILE).read_text() == "section/transport\n"
        assert (tmp_path / "replica" / "feeds" / "section" / "economy.rss").exists()
    finally:
        state.close()


def test_a_replicas_state_with_its_published_files_moves_to_another_database(
    site: Site, tmp_path, pg_database: str, postgres_url: str
):
    """A PostgreSQL state holds every published file's bytes for the replicas: they go
    through an export and an import whole."""
    on(site, pg_database)
    site.write("a.md", md("Трамвай пойдёт ночью", categories="['Город']"))
    assert site.build().ok
    export = tmp_path / "state.jsonl"
    out = feedsvc("--config", str(site.config), "state", "export", str(export))
    assert out.returncode == 0, out.stderr
    second = new_database(postgres_url)
    into = feedsvc("--config", str(site.config), "state", "import", str(export), "--url", second)
    assert into.returncode == 0, into.stderr
    files = published_files.c.path, published_files.c.body
    copied = pairs(second, *files)
    assert copied == pairs(pg_database, *files) and "feeds/main.rss" in copied


def test_a_database_made_without_a_utf8_locale_holds_the_state(site: Site, postgres_url: str):
    """initdb with no UTF-8 locale (a minimal container) makes SQL_ASCII databases:
    opening the state on one failed with a TypeError (text came back as bytes)."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE \"{name}\" ENCODING 'SQL_ASCII' TEMPLATE template0")
    admin.dispose()
    on(site, postgres_url.rpartition("/")[0] + "/" + name)
    site.write("b.md", md("Новый мост открыт", "Мост открыли утром.", categories="['Город']"))
    assert site.build().ok
    assert set(entries(site, "main.atom")) == {"Новый мост открыт"}
    assert site.build().written == []
