"""Keeping an upload target a copy of the local publish folder, from a thread of its own.

Files a build wrote are queued; a failed upload keeps them queued and is tried
again after 1, 2, 4 ... 60 s, so a target that is down never holds up the build,
the other targets or the server. What each target last received is kept in the
state database, so a file is uploaded only when it changed, and after a restart
`reconcile` finds what a target missed.
"""

import contextlib
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
# How a file was sent, after its digest in the upload records: with which copies. A
# change of server.brotli sends every file again, and one sent with a .br before
# loses it there when brotli is off.
SENT_AS = {False: ":gz", True: ":br"}
READS = 5  # tries at reading a file and its copies as one build left them


class Mirror:
    def __init__(
        self,
        settings: PublishSettings,
        root: Path,
        records: UploadRecords,
        upload: "Upload",
        max_ages: tuple[int, int],
        *,
        brotli: bool = False,
    ) -> None:
        """max_ages: of feeds and pages, and of complete archive pages (Cache-Control);
        brotli: whether files have a .br copy to send."""
        self.label = settings.label
        self.brotli = brotli
        self.copies = {suffix: COPIES[suffix] for suffix in (".gz", ".br")[: 1 + brotli]}
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
        sent = self.records.sent()  # by any process
        here = dict(published_files(self.root))
        changed = [
            relative
            for relative, path in here.items()
            if sent.get(relative) != self._sent_as(path.read_bytes())
        ]
        return changed + [relative for relative in sent if relative not in here]

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
            batch: list[str] = []
            done = 0
            try:
                if reconciling:
                    self.push(self._missed())
                # Taken out of the queue while sent: a file pushed again meanwhile (a
                # build rewrote it) is sent again, not dropped with the batch.
                with self._changed:
                    batch = sorted(self._pending)
                    self._pending.clear()
                for path in batch:
                    self._send(path)
                    done += 1
                self._status("")
                self._backoff = 0
            except Exception as exc:  # any failure of the target: keep the files, try later
                with self._changed:
                    self._pending.update(batch[done:])
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
            body, copies = self._read(path)
        except FileNotFoundError:
            self._delete(relative)
            return
        # As sent: a copy not made yet (a build writing it meanwhile) is sent with the
        # build's own push, which must not find the file sent already.
        digest, sent_as = body_digest(body), self._sent_as(body, ".br" in copies)
        # What the records say, read now: another process (a `feedsvc build` beside
        # this one) may have sent other bytes since this one last did.
        before = self.records.of(relative)
        if before == sent_as:
            return
        kind = content_type(relative) or "application/octet-stream"
        caching = cache_control(self.root, relative, *self.max_ages)
        # Compressed copies first, as on the local target: never newer than the feed.
        for suffix, data in copies.items():
            self.upload.put(relative + suffix, data, kind, self.copies[suffix], digest, caching)
        if before is not None and not self.brotli and not before.endswith(SENT_AS[False]):
            self.upload.delete(relative + ".br")  # sent with brotli on (or by a release before)
        self.upload.put(relative, body, kind, "", digest, caching)
        self.records.record(relative, sent_as)
        log.info("uploaded %s to %s", relative, self.label)

    def _read(self, path: Path) -> tuple[bytes, dict[str, bytes]]:
        """A file and its copies as one build left them: read again while a build
        replaces them meanwhile (a reconcile runs beside the build)."""
        for _attempt in range(READS):
            made = path.stat()
            body = path.read_bytes()
            copies = {}
            for suffix in self.copies:
                with contextlib.suppress(FileNotFoundError):
                    copies[suffix] = path.with_name(path.name + suffix).read_bytes()
            now = path.stat()
            if (now.st_ino, now.st_mtime_ns) == (made.st_ino, made.st_mtime_ns):
                break
        return body, copies  # (replaced every time: the build pushes it again)

    def _sent_as(self, body: bytes, brotli: bool | None = None) -> str:
        """What the records keep: the body's digest, shortened to fit their column with
        the mark of the copies sent (by default, those this target sends)."""
        return body_digest(body)[:61] + SENT_AS[self.brotli if brotli is None else brotli]

    def _delete(self, relative: str) -> None:
        if self.records.of(relative) is None:
            return  # never sent there, by this process or another
        for suffix in COPIES:
            self.upload.delete(relative + suffix)
        self.upload.delete(relative)
        self.records.forget(relative)
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
            brotli=settings.server.brotli,
        )
        for target in settings.upload_targets
    ]
