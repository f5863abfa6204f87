"""Writes are atomic: a reader sees the old feed or the new one, never part of one."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import wait_until

from feedsvc.core.layout import OutputFile
from feedsvc.publish.local import TEMP_PREFIX, LocalTarget, atomic_write

WRITER = """
import sys
from pathlib import Path
from feedsvc.publish.local import atomic_write
atomic_write(Path(sys.argv[1]), b"<new>" * 60_000_000)  # ~300 MB: slow enough to kill mid-way
"""


def test_a_process_killed_mid_write_leaves_the_old_file_whole(tmp_path: Path):
    target = tmp_path / "feeds" / "main.rss"
    atomic_write(target, b"<old feed/>")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)])
    try:

        def temp_growing() -> bool:
            temps = list(target.parent.glob(TEMP_PREFIX + "*"))
            return bool(temps) and temps[0].stat().st_size > 1_000_000

        wait_until(temp_growing, 30, interval=0.01, what="the writer to be mid-write")
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        writer.wait(30)
    assert writer.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"<old feed/>"

    # The next publish clears what the killed writer left and completes the work.
    LocalTarget(tmp_path).publish([OutputFile("feeds/main.rss", b"<new feed/>")])
    assert target.read_bytes() == b"<new feed/>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["main.rss", "main.rss.gz"]


def test_publishing_identical_bytes_rewrites_nothing(tmp_path: Path):
    local = LocalTarget(tmp_path)
    assert local.publish([OutputFile("feeds/a.rss", b"<a/>")]) == ["feeds/a.rss"]
    before = (tmp_path / "feeds" / "a.rss").stat()
    assert local.publish([OutputFile("feeds/a.rss", b"<a/>")]) == []
    after = (tmp_path / "feeds" / "a.rss").stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_missing_gzip_twin_is_written_again(tmp_path: Path):
    local = LocalTarget(tmp_path)
    local.publish([OutputFile("feeds/a.rss", b"<a/>")])
    (tmp_path / "feeds" / "a.rss.gz").unlink()
    assert local.publish([OutputFile("feeds/a.rss", b"<a/>")]) == ["feeds/a.rss"]
    assert (tmp_path / "feeds" / "a.rss.gz").exists()


def test_a_large_publish_writes_every_file_with_one_sync_and_leaves_no_temps(tmp_path: Path):
    from feedsvc.publish.local import BATCH, atomic_write_all

    writes = [
        (tmp_path / f"feeds/{n % 7}/{n}.rss", f"<feed {n}/>".encode()) for n in range(BATCH * 3)
    ]
    atomic_write(writes[0][0], b"<old/>")
    atomic_write_all(writes)
    for path, data in writes:
        assert path.read_bytes() == data
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))


def test_a_large_publish_that_fails_while_staging_replaces_nothing(tmp_path: Path):
    from feedsvc.publish.local import BATCH, atomic_write_all

    first = tmp_path / "feeds" / "main.rss"
    atomic_write(first, b"<old/>")
    (tmp_path / "blocked").write_text("a file where a folder should be")
    writes = [(first, b"<new/>")]
    writes += [(tmp_path / f"feeds/{n}.atom", b"<x/>") for n in range(BATCH)]
    writes.append((tmp_path / "blocked" / "feed.rss", b"<never/>"))
    with pytest.raises(OSError):
        atomic_write_all(writes)
    assert first.read_bytes() == b"<old/>", "nothing is renamed until everything is staged"
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))
