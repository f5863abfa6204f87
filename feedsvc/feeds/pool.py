"""Rendering, checking and compressing documents: here, or in worker processes.

A first build of a big site renders tens of thousands of documents; rendering and
checking them is pure CPU work, independent from one document to the next, so it
is spread over a process pool while this process goes on selecting and publishing.
A pool costs about a second to start, so it starts only once a build has rendered
POOL_AFTER documents here, and stops at the end of that build: a small site never
pays for one. A site with POOL_FEEDS feeds or more keeps its pool between builds,
so that even a build of the few feeds one new article changed renders them on
both cores while this process selects the next.

A redo's slice that news cuts short drops those of its documents the pool has not
given back, its first included (their feeds keep what they held: a later slice makes
them), and until the pool has finished them, news is rendered here: news waits for
neither. What the pool goes on making is kept (KEPT), by the document's fingerprint:
the slice that asks for that document again takes it instead of making it again, so
the redo moves on however often news comes. While a redo is under way the pool's
processes give way for the cores (REDO_NICENESS).
"""

import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime

from feedsvc.core.stages import Stages
from feedsvc.core.workers import process_pool, renice
from feedsvc.feeds import documents
from feedsvc.feeds.documents import Document, Made

POOL_AFTER = 64
POOL_FEEDS = 1000
PER_WORKER = 2  # documents in flight per process: kept busy, and a slice cut for news waits for few
# A redo's render processes run at this niceness: the service planning news and serving
# readers, and a command beside it (`feedsvc takedown`: 1.2 s of imports on a slow
# machine), have the cores first. Only then: news rendered in a pool at this niceness
# gets a tenth of a core beside any busy process.
REDO_NICENESS = 10
# Seconds between two questions, while a slice waits for its documents, whether news has
# come (a slice's documents took 1-1.5 s of niced pool time on a slow machine, and news
# that came meanwhile waited for all of them).
DROP_POLL = 0.02
# Documents dropped while the pool made them, kept for the slice that asks for them again:
# a few slices' worth (PER_WORKER a process in flight when news comes).
KEPT = 16

Done = Callable[[Made], None]
Dropped = Callable[[], None]


@dataclass
class Rendered:
    made: Made
    seconds: dict[str, float]


# A document the pool is making: the work, done, dropped, the document's fingerprint.
InFlight = tuple[Future[Rendered], Done, Dropped | None, bytes | None]


def render_elsewhere(document: Document, now: datetime, full_check: bool, brotli: bool) -> Rendered:
    """In a pool process: render and check, and make the compressed copies while here."""
    stages = Stages()
    made = documents.render(document, now, stages, full_check=full_check)
    with stages.timing("publish"):
        made.outputs = [output.with_copies(brotli=brotli) for output in made.outputs]
    return Rendered(made, stages.seconds)


def ready() -> None:
    """Nothing: run once in each new pool process, which imports this module for it."""


class BuildStopped(Exception):
    """The service stops: a build in progress ends without publishing the rest."""


class Renderer:
    """Renders documents; `done` is always called in this process, in order of
    submission but for those rendered here (see submit)."""

    def __init__(self, *, full_check: bool, brotli: bool, workers: int | None = None) -> None:
        self.full_check = full_check
        self.brotli = brotli
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._keep = False  # the pool between builds: a site with POOL_FEEDS feeds
        self._stopped = False  # shut down for good (the service stops)
        self._submitted = 0
        self._flight: deque[InFlight] = deque()
        self._dropped: list[Future[Rendered]] = []  # still being made by the pool
        self._kept: dict[bytes, Future[Rendered]] = {}  # dropped, by fingerprint (see KEPT)
        self._niceness = 0  # of the pool's processes (see yield_cores)

    def submit(
        self,
        document: Document,
        now: datetime,
        stages: Stages,
        done: Done,
        dropped: Dropped | None = None,
        *,
        fingerprint: bytes | None = None,
    ) -> None:
        """Render `document`, then call `done` with it. `dropped`: the document may be
        dropped unmade instead (see drain), which it is then told; it goes to the pool
        even while the pool makes what was dropped, where news is made here.
        `fingerprint`: the document's (Document.fingerprint, which decides its bytes),
        under which a dropped one the pool went on making is kept and taken again."""
        if self._stopped:
            raise BuildStopped("the service is stopping")
        self._submitted += 1
        if self._submitted > POOL_AFTER:
            self._start()
        work = self._take_kept(fingerprint, wait=dropped is not None)
        if work is None:
            if self._pool is None or (dropped is None and self._behind_dropped()):
                done(documents.render(document, now, stages, full_check=self.full_check))
                return
            try:
                work = self._pool.submit(
                    render_elsewhere, document, now, self.full_check, self.brotli
                )
            except BrokenProcessPool:
                self._discard()
                raise
        self._flight.append((work, done, dropped, fingerprint))
        while len(self._flight) > self.workers * PER_WORKER:
            self._finish_oldest(stages)

    def keep_pool(self, keep: bool) -> None:
        """Keep a pool between builds (started now, and its processes made ready) or not."""
        self._keep = keep
        if keep:
            self._start()

    def yield_cores(self, redoing: bool) -> None:
        """Between builds: whether a redo is under way, whose render processes run at
        REDO_NICENESS. The pool's processes are reniced; where they cannot be (going back
        needs privileges), the pool is replaced, the new one started at once if kept (so
        its start is not the next news build's)."""
        niceness = REDO_NICENESS if redoing else 0
        if niceness == self._niceness:
            return
        self._niceness = niceness
        if self._pool is not None and not renice(self._pool, niceness):
            self._discard()
            if self._keep:
                self._start()

    def _start(self) -> None:
        if self._pool is not None or self.workers < 2 or self._stopped:
            return
        self._pool = process_pool(self.workers, self._niceness)
        for _ in range(self.workers):  # start the processes and their imports now
            self._pool.submit(ready)

    def drain(self, stages: Stages, *, drop: Callable[[], bool]) -> None:
        """Wait for every document in flight; once `drop()` is true (news waits: asked
        again while waiting, every DROP_POLL seconds), drop instead those that may be
        dropped and are not made yet."""
        dropping = False
        while self._flight:
            work, _done, dropped, fingerprint = self._flight[0]
            if dropped is None or work.done():
                self._finish_oldest(stages)
                continue
            dropping = dropping or drop()
            if dropping:
                self._flight.popleft()
                if not work.cancel():  # the pool is making it: kept for the next slice
                    self._dropped.append(work)
                    if fingerprint is not None:
                        self._kept[fingerprint] = work
                        while len(self._kept) > KEPT:
                            del self._kept[next(iter(self._kept))]
                dropped()
            else:
                with stages.timing(None):  # waiting (see _finish_oldest)
                    wait([work], timeout=DROP_POLL)

    def _take_kept(self, fingerprint: bytes | None, *, wait: bool) -> Future[Rendered] | None:
        """The pool's making of this document, dropped before: when it is done, or when
        whoever asks may wait for it (a redo's document, which news may drop again)."""
        if fingerprint is None or (work := self._kept.get(fingerprint)) is None:
            return None
        if not (wait or work.done()):
            return None
        del self._kept[fingerprint]
        return work

    def _behind_dropped(self) -> bool:
        """Whether the pool is still making documents dropped unmade."""
        self._dropped = [work for work in self._dropped if not work.done()]
        return bool(self._dropped)

    def close(self) -> None:
        """End of a build: drop what is in flight (a build that failed), and stop the pool
        unless it is kept (an idle one holds memory)."""
        self._submitted = 0
        for work, *_rest in self._flight:
            work.cancel()
        self._flight.clear()
        if self._pool is not None and not self._keep:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
            self._kept.clear()

    def stop(self) -> None:
        """From any thread: the build rendering now ends at its next document (raising
        BuildStopped in its own thread, which closes the pool), and no build starts
        rendering again."""
        self._stopped = True

    def shutdown(self) -> None:
        """Stop the pool, kept or not (from the thread that builds, or when none does)."""
        self._keep = False
        self.close()

    def _discard(self) -> None:
        """Let the pool go without waiting for it: a process died (killed, out of memory),
        and this build fails, the next one starting a new pool; or one of the other
        niceness is wanted (the dropped work it is making ends with it)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        self._flight.clear()
        self._dropped.clear()
        self._kept.clear()

    def _finish_oldest(self, stages: Stages) -> None:
        work, done, *_rest = self._flight.popleft()
        try:
            with stages.timing(None):  # waiting: the pool's own time is added instead
                rendered = work.result()
        except BrokenProcessPool:
            self._discard()
            raise
        stages.add(rendered.seconds)
        done(rendered.made)
