"""What stops a command that publishes before it starts, in one line with what to do: an
empty or another state where feeds were published (backups and exports restore it), an
unreadable state, a read-only publish folder."""

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Site, feedsvc, free_port, md


def _guids(site: Site) -> set[str]:
    text = (site.feeds / "main.rss").read_text(encoding="utf-8")
    return {line.strip() for line in text.splitlines() if "<guid" in line}


def _published(site: Site) -> set[str]:
    """Three articles without explicit ids (their GUIDs live only in the state), built."""
    site.configure()
    for name in ("a", "b", "c"):
        site.write(f"{name}.md", md(f"Паводок {name}: мост закрыт"))
    done = feedsvc("--config", str(site.config), "build", cwd=site.root)
    assert done.returncode == 0, done.stderr
    return _guids(site)


def _empty_the_state(site: Site) -> Path:
    database = site.root / "state.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.write_bytes(b"")
    return database


def test_a_zero_byte_state_stops_the_build_and_a_backup_restores_it(site: Site):
    guids = _published(site)
    copy = site.root / "kept.db"
    backed = feedsvc("--config", str(site.config), "state", "backup", str(copy), cwd=site.root)
    assert backed.returncode == 0, backed.stderr
    database = _empty_the_state(site)
    before = (site.feeds / "main.rss").read_bytes()

    for command in (["build"], ["build", "--full"], ["migrate"]):
        refused = feedsvc("--config", str(site.config), *command, cwd=site.root)
        assert refused.returncode == 2, command
        assert "state.url" in refused.stderr and "is empty" in refused.stderr
        assert "feedsvc state import" in refused.stderr and "Traceback" not in refused.stderr
    # Commands that only read never make a fresh state of it (after which the build's
    # refusal said "not the one" instead of "empty").
    size = database.stat().st_size  # (a refused build opened it: SQLite's header)
    for command in (
        ["stats"], ["audience"], ["state", "export", "x.json"], ["state", "backup", "y.db"],
    ):  # fmt: skip
        refused = feedsvc("--config", str(site.config), *command, cwd=site.root)
        assert refused.returncode == 1, (command, refused.stderr)
        assert "state.url" in refused.stderr and "is empty" in refused.stderr, command
        assert database.stat().st_size == size, command
    refused = feedsvc("--config", str(site.config), "build", cwd=site.root)
    assert "is empty" in refused.stderr
    assert (site.feeds / "main.rss").read_bytes() == before, "nothing published"

    database.write_bytes(copy.read_bytes())
    again = feedsvc("--config", str(site.config), "build", "--full", cwd=site.root)
    assert again.returncode == 0, again.stderr
    assert _guids(site) == guids


def test_another_state_is_refused_and_its_export_imported_is_taken(site: Site):
    guids = _published(site)
    export = site.root / "state.jsonl"
    cli = ("--config", str(site.config))
    assert feedsvc(*cli, "state", "export", str(export), cwd=site.root).returncode == 0
    # Another site's state put in its place is not taken for the one the feeds came from.
    other = Site(site.root.parent / "other", free_port())
    other.articles.mkdir(parents=True)
    other.configure()
    other.write("x.md", md("Другая новость"))
    assert feedsvc("--config", str(other.config), "build", cwd=other.root).returncode == 0
    _empty_the_state(site).write_bytes((other.root / "state.db").read_bytes())
    refused = feedsvc(*cli, "build", cwd=site.root)
    assert refused.returncode == 2 and "is not the one" in refused.stderr

    _empty_the_state(site)
    imported = feedsvc(*cli, "state", "import", str(export), cwd=site.root)
    assert imported.returncode == 0, imported.stderr
    built = feedsvc(*cli, "build", "--full", cwd=site.root)
    assert built.returncode == 0, built.stderr
    assert _guids(site) == guids


def test_a_new_site_starts_empty_and_deleting_the_marker_starts_afresh(site: Site):
    _published(site)
    marker = site.root / "public" / ".feedsvc-state"
    assert "state: " in marker.read_text()
    _empty_the_state(site)
    marker.unlink()
    # Feeds in the folder are evidence enough (a folder published before the marker).
    refused = feedsvc("--config", str(site.config), "build", cwd=site.root)
    assert refused.returncode == 2 and "public/feeds says" in refused.stderr
    for feed in (site.root / "public" / "feeds").iterdir():
        if feed.is_file():
            feed.unlink()
    fresh = feedsvc("--config", str(site.config), "build", cwd=site.root)
    assert fresh.returncode == 0, fresh.stderr


def test_an_unreadable_state_is_one_line_naming_the_key(site: Site):
    _published(site)
    (site.root / "state.db").write_bytes(b"not a database, a note someone saved here " * 100)
    refused = feedsvc("--config", str(site.config), "build", cwd=site.root)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert refused.stderr.count("\n") == 1
    assert "state.url: cannot open the state database: file is not a database" in refused.stderr


def test_a_migration_keeps_a_copy_of_the_database_as_it_was(site: Site):
    _published(site)
    database = site.root / "state.db"
    with sqlite3.connect(database) as db:
        db.execute("UPDATE alembic_version SET version_num = '0003'")
        db.execute("DROP TABLE feed_history")  # what revision 0004 made
        db.execute("DROP TABLE removals")
        db.execute("DROP TABLE audience_reports")  # ... and 0008
        db.execute("DROP TABLE audience_days")
        db.execute("DROP TABLE media_facts")  # ... and 0009
    migrated = feedsvc("--config", str(site.config), "migrate", cwd=site.root)
    assert migrated.returncode == 0, migrated.stderr
    kept = site.root / "state.db.at-0003"
    with sqlite3.connect(kept) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone() == ("0003",)
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (3,)


def test_a_state_url_password_is_never_shown(site: Site):
    site.configure()
    refused = feedsvc(
        "--config", str(site.config), "state", "backup", str(site.root / "x.db"),
        "--url", "postgresql+psycopg://feed:secret@127.0.0.1:1/none",
    )  # fmt: skip
    assert refused.returncode == 2 and "secret" not in refused.stderr
    assert "cannot open the state database" in refused.stderr


def _build_with_read_only(site: Site, folder: Path) -> subprocess.CompletedProcess:
    """A build after a new story, with `folder` mounted read-only (a bind mount in a
    mount namespace of its own); skips where that cannot be made."""
    if shutil.which("unshare") is None:
        pytest.skip("util-linux's unshare is not installed")
    _published(site)
    site.write("d.md", md("Late story"))
    command = (
        f"mount --bind {folder} {folder} && mount -o remount,bind,ro {folder} && "
        f"{sys.executable} -m feedsvc --config {site.config} build"
    )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", command],
        capture_output=True, text=True, timeout=60, cwd=site.root,
    )  # fmt: skip
    if "mount:" in done.stderr:
        pytest.skip(f"no mount namespace here: {done.stderr.strip()}")
    return done


def test_a_read_only_publish_folder_is_one_line_and_exit_1(site: Site):
    public = site.root / "public"
    done = _build_with_read_only(site, public)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().endswith(
        f"publish.path: cannot write in {public}: Read-only file system"
    )
    assert "Traceback" not in done.stderr


def test_a_read_only_feeds_folder_is_one_line_and_exit_1(site: Site):
    """The publish folder writable, its feeds/ subfolder not: the build that must write
    there says so in one line and exits 1 (it was a traceback)."""
    done = _build_with_read_only(site, site.root / "public" / "feeds")
    assert done.returncode == 1, done.stderr
    assert "build failed: cannot write feeds/" in done.stderr
    assert "Read-only file system" in done.stderr and "Traceback" not in done.stderr
