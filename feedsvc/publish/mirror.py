"""Keeping an upload target a copy of the local publish folder, from a thread of its own.

Files a build wrote are queued; a failed upload keeps them queued and is tried
again after 1, 2, 4 ... 60 s, so a target that is down never holds up the build,
the other targets or the server. What each target last received is kept in the
state database, so a file is uploaded only when it changed, and after a restart
`reconcile` finds what a target missed.
"""

import logging
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.core.config import PublishSettings, Settings
from feedsvc.core.counters import PUBLISH_FAILURES
from feedsvc.core.layout import content_type, published_files
from feedsvc.core.model import body_digest
from feedsvc.publish.local import cache_control
from feedsvc.state.uploads import UploadRecords

if TYPE_CHECKING:
    from feedsvc.publish.remote import Upload
    from feedsvc.state.database import State

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0
COPIES = {".gz": "gzip", ".br": "br"}


class Mirror:
    def __init__(
        self,
        settings: PublishSettings,
        root: Path,
        records: UploadRecords,
        upload: "Upload",
        max_ages: tuple[int, int],
    ) -> None:
        """max_ages: of feeds and pages, and of complete archive pages (Cache-Control)."""
        self.label = settings.label
        self.max_ages = max_ages
        self.root = root
        self.records = records
        self.upload = upload
        self.error = ""
        self._recorded: str | None = None  # the status last written to the state database
        self._pending: set[str] = set()
        self._changed = threading.Condition()
        self._busy = False
        self._stopped = False
        self._backoff = 0.0
        self._thread = threading.Thread(target=self._run, name=f"upload-{self.label}", daemon=True)
        self._reconciling = False
        self._sent = records.sent()

    def start(self) -> None:
        self._status("")  # a failure recorded by an earlier process is not this one's
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        if self._thread.is_alive():
            self._thread.join(10)

    def push(self, paths: Iterable[str]) -> None:
        """Queue these published files (paths below the publish folder)."""
        with self._changed:
            self._pending.update(path for path in paths if content_type(path))
            self._changed.notify_all()

    def reconcile(self) -> None:
        """Have the thread queue every published file this target lacks as it is now."""
        with self._changed:
            self._reconciling = True
            self._changed.notify_all()

    def _missed(self) -> list[str]:
        """Files this target lacks as they are now, and files it has that are gone here."""
        here = dict(published_files(self.root))
        changed = [
            relative
            for relative, path in here.items()
            if self._sent.get(relative) != body_digest(path.read_bytes())
        ]
        return changed + [relative for relative in self._sent if relative not in here]

    def drain(self, timeout: float) -> str:
        """Wait until the queue is empty or an attempt failed; the error, or ""."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while (self._pending or self._busy or self._reconciling) and not self.error:
                if not self._changed.wait(deadline - time.monotonic()):
                    return self.error or f"{self.label}: uploads still running after {timeout:g} s"
            return self.error

    def _run(self) -> None:
        while True:
            with self._changed:
                while not (
                    self._stopped or self._reconciling or (self._pending and not self._backoff)
                ):
                    if self._backoff:  # after a failure: wait, then try the queue again
                        self._changed.wait(self._backoff)
                        break
                    self._changed.wait()
                if self._stopped:
                    return
                reconciling, self._reconciling = self._reconciling, False
                self._busy = True
            try:
                if reconciling:
                    self.push(self._missed())
                with self._changed:
                    batch = sorted(self._pending)
                for path in batch:
                    self._send(path)
                    with self._changed:
                        self._pending.discard(path)
                self._status("")
                self._backoff = 0
            except Exception as exc:  # any failure of the target: keep the files, try later
                PUBLISH_FAILURES.labels(self.label).inc()
                self._status(f"{type(exc).__name__}: {exc}")
                self._backoff = min(MAX_BACKOFF, max(1.0, self._backoff * 2))
                log.error(
                    "upload to %s failed (next try in %g s): %s",
                    self.label,
                    self._backoff,
                    self.error,
                )
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()

    def _send(self, relative: str) -> None:
        """Upload the file as it is now; one gone from the folder is deleted there."""
        path = self.root / relative
        try:
            body = path.read_bytes()
        except FileNotFoundError:
            self._delete(relative)
            return
        digest = body_digest(body)
        if self._sent.get(relative) == digest:
            return
        kind = content_type(relative) or "application/octet-stream"
        caching = cache_control(self.root, relative, *self.max_ages)
        # Compressed copies first, as on the local target: never newer than the feed.
        for suffix, encoding in COPIES.items():
            copy = path.with_name(path.name + suffix)
            if copy.is_file():
                data = copy.read_bytes()
                self.upload.put(relative + suffix, data, kind, encoding, digest, caching)
        self.upload.put(relative, body, kind, "", digest, caching)
        self.records.record(relative, digest)
        self._sent[relative] = digest
        log.info("uploaded %s to %s", relative, self.label)

    def _delete(self, relative: str) -> None:
        if relative not in self._sent:
            return
        for suffix in COPIES:
            self.upload.delete(relative + suffix)
        self.upload.delete(relative)
        self.records.forget(relative)
        del self._sent[relative]
        log.info("deleted %s from %s", relative, self.label)

    def _status(self, error: str) -> None:
        self.error = error
        if error == self._recorded:
            return
        self._recorded = error
        self.records.record_status(error)


def mirrors_for(settings: Settings, state: "State") -> list[Mirror]:
    """A mirror for each upload target in the config (not started)."""
    # Here: a site without upload targets never imports their clients (httpx, boto3).
    from feedsvc.publish.remote import upload_for

    return [
        Mirror(
            target,
            settings.public_dir,
            state.uploads(target.label),
            upload_for(target),
            (settings.server.max_age, settings.server.archive_max_age),
        )
        for target in settings.upload_targets
    ]
