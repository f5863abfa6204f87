"""Rendering, checking and compressing documents: here, or in worker processes.

A first build of a big site renders tens of thousands of documents; rendering and
checking them is pure CPU work, independent from one document to the next, so it
is spread over a process pool while this process goes on selecting and publishing.
A pool costs about a second to start, so it starts only once a build has rendered
POOL_AFTER documents here: a small site, and the usual build of a few changed
feeds, never pays for one.
"""

import multiprocessing
import os
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from feedsvc.build import documents
from feedsvc.build.documents import Document
from feedsvc.publish import OutputFile
from feedsvc.stages import Stages

POOL_AFTER = 64
PER_WORKER = 8  # documents in flight per process: enough to keep it busy, few to hold

Done = Callable[[list[OutputFile], list[str]], None]  # (files, failures) of one document


@dataclass
class Rendered:
    outputs: list[OutputFile]
    failures: list[str]
    seconds: dict[str, float]


def render_elsewhere(document: Document, now: datetime, full_check: bool, brotli: bool) -> Rendered:
    """In a pool process: render and check, and make the compressed copies while here."""
    stages = Stages()
    outputs, failures = documents.render(document, now, stages, full_check=full_check)
    with stages.timing("publish"):
        outputs = [output.with_copies(brotli=brotli) for output in outputs]
    return Rendered(outputs, failures, stages.seconds)


class Renderer:
    """Renders documents in order of submission; `done` is always called in this process."""

    def __init__(self, *, full_check: bool, brotli: bool, workers: int | None = None) -> None:
        self.full_check = full_check
        self.brotli = brotli
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        self._pool: ProcessPoolExecutor | None = None
        self._submitted = 0
        self._flight: deque[tuple[Future[Rendered], Done]] = deque()

    def submit(self, document: Document, now: datetime, stages: Stages, done: Done) -> None:
        self._submitted += 1
        if self._pool is None and self.workers > 1 and self._submitted > POOL_AFTER:
            # forkserver, not fork: the serving process has threads (uploads, the web server).
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        if self._pool is None:
            done(*documents.render(document, now, stages, full_check=self.full_check))
            return
        work = self._pool.submit(render_elsewhere, document, now, self.full_check, self.brotli)
        self._flight.append((work, done))
        while len(self._flight) > self.workers * PER_WORKER:
            self._finish_oldest(stages)

    def drain(self, stages: Stages) -> None:
        """Wait for every document in flight."""
        while self._flight:
            self._finish_oldest(stages)

    def close(self) -> None:
        """End of a build: stop the pool if one started (an idle one would hold memory)."""
        self._submitted = 0
        self._flight.clear()
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _finish_oldest(self, stages: Stages) -> None:
        work, done = self._flight.popleft()
        with stages.timing(None):  # waiting: the pool's own time is added instead
            rendered = work.result()
        stages.add(rendered.seconds)
        done(rendered.outputs, rendered.failures)
