"""Replicas on several machines serve the same feeds from a PostgreSQL state.

The build keeps every file it writes in the state too (`published_files`, each
build's files under a new generation number) and tells the replicas with NOTIFY in
the same transaction. A file it removes is kept as removed (no body, no digest), and
the list of feeds gone for good as the body of GONE_FILE, so replicas delete and
answer 410 as the builder's folder does. Each replica copies what it lacks into its
own publish folder, with the build's time as the files' time, so every replica
answers with the same bytes, ETag and Last-Modified. A notice missed while
reconnecting is made up by polling: a replica is never more than POLL seconds behind.
"""

import contextlib
import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from feedsvc.core.layout import OutputFile
from feedsvc.publish.local import GONE_FILE, LocalTarget, atomic_write, mark_published
from feedsvc.state.published import REMOVED, PublishedFiles

log = logging.getLogger(__name__)

POLL = 5.0  # seconds between looks when no notice comes
RETRY = 2.0  # seconds before reconnecting after the database went away
MARK_FILE = ".feedsvc-shared-generation"  # the newest generation this folder holds


def keep(
    files: PublishedFiles, built: Sequence[OutputFile], at: datetime, *, removed: bool = False
) -> int | None:
    """Keep those of a build's files that differ from the kept ones as one new
    generation (`removed`: as removed); return it (None: nothing differed)."""
    return files.keep({file.path: None if removed else file.body for file in built}, at)


class Follower:
    """Copies the files builds kept in the state into this machine's publish folder."""

    def __init__(self, files: PublishedFiles, target: LocalTarget) -> None:
        self.files = files
        self.target = target

    @property
    def _mark(self) -> Path:
        return self.target.root / MARK_FILE

    def holds(self) -> int:
        """The newest generation this folder holds (0: none yet)."""
        try:
            return int(self._mark.read_text())
        except (OSError, ValueError):
            return 0

    def catch_up(self) -> list[str]:
        """Write every file of a newer generation that differs here; return their paths."""
        held = newest = self.holds()
        written: list[str] = []
        for rows in self.files.newer_than(held):
            written += self._write(rows)
            newest = max(newest, *(row.generation for row in rows))
        if newest > held:
            atomic_write(self._mark, f"{newest}\n".encode())
            # After the files' times were set: the servers reload what they hold now.
            mark_published(self.target.root, str(len(written)))
        return written

    def _write(self, rows: Sequence) -> list[str]:
        self.target.look_again()
        gone = [row for row in rows if row.path == GONE_FILE]
        for row in gone:
            self.target.set_gone(row.body.decode().split())
        self.target.remove([row.path for row in rows if row.digest == REMOVED])
        rows = [row for row in rows if row.digest != REMOVED and row.path != GONE_FILE]
        written = self.target.publish([OutputFile(row.path, row.body) for row in rows])
        for row in rows:  # the build's time on every copy: the same Last-Modified everywhere
            stamp = row.written.timestamp()
            path = self.target.root / row.path
            for suffix in ("", ".gz", ".br"):
                with contextlib.suppress(FileNotFoundError):
                    os.utime(path.with_name(path.name + suffix), (stamp, stamp))
        return written

    def follow(self, stop: threading.Event) -> None:
        """Catch up now and whenever a build says so (or POLL passes), until `stop`."""
        self.files.on_notice(stop, self.catch_up, POLL, RETRY)
