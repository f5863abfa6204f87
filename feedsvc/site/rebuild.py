"""Builds on demand inside the server: one at a time, and a request never waits for two.

The schedule and the ingest API both ask for a build. A request made while a build
runs is served by the next one (which starts after its change was written), and
all requests made meanwhile share that next build.

A redo of every feed (a site-wide edit, a new release) is done in slices: each build
makes the feeds a changed article reaches first, then others for `schedule.redo_slice`
seconds, and builds follow one another until none is left. A store read again whole (a
new reader, a changed summary length) is read part by part in the same way, until news
waits, before the redo of every feed that follows it. A request cuts the slice
under way short at its next document, and the build that serves it makes only the news
(unless the one before did too: the redo always moves on). News never waits for the
whole redo.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from feedsvc.core.counters import BUILD_SECONDS, BUILDS
from feedsvc.site.pipeline import BuildReport, Pipeline

log = logging.getLogger(__name__)


class Rebuilder:
    def __init__(self, pipeline: Pipeline, after: Callable[[BuildReport], None]) -> None:
        """`after(report)` runs on the event loop after every build (deliveries, reloads)."""
        self.pipeline = pipeline
        self.after = after
        self._asked = 0  # requests made
        self._served = 0  # requests that a finished build started after
        self._report: BuildReport | None = None
        self._error: BaseException | None = None
        self._done = asyncio.Condition()
        self._runner: asyncio.Task | None = None
        self._stopping = False
        self._holding = False  # no more redo slices: the process ends (see idle)
        self._left = 0  # feeds the last build left to redo
        self._sliced = False  # the last build had time for the redo
        self._redo_started = 0.0

    async def build(self) -> BuildReport:
        """A build that starts after this call; its report. Raises what the build raised."""
        self._asked += 1
        mine = self._asked
        self.pipeline.news_waiting.set()
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        async with self._done:
            await self._done.wait_for(lambda: self._served >= mine)
        if self._error is not None:
            raise self._error
        assert self._report is not None
        return self._report

    async def stop(self, wait: float = 30) -> None:
        """The service stops: a build in progress ends at its next document or its
        reading's next part (one line in the log), then the render processes end: none
        outlives the service."""
        self._stopping = True
        self.pipeline.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), wait)
        await asyncio.to_thread(self.pipeline.renderer.shutdown)

    async def idle(self) -> None:
        """Wait until no build runs and none is asked for. A redo goes no further than
        its slice under way: the process is about to end, and the next one takes it
        up where the state says it stopped."""
        self._holding = True
        while self._runner is not None and not self._runner.done():
            await asyncio.wait({self._runner})

    async def _run(self) -> None:
        while self._served < self._asked or (self._left and not (self._stopping or self._holding)):
            covers = self._asked
            self.pipeline.news_waiting.clear()
            started = time.monotonic()
            report, error = None, None
            budget = self.pipeline.settings.schedule.redo_slice
            if self._served < covers and self._sliced:
                budget = 0.0  # requests wait: only their news, this time
            self._sliced = budget > 0
            try:
                report = await asyncio.to_thread(self.pipeline.run, budget=budget)
            except Exception as exc:  # the waiting requests get it; the next build may work
                if self._stopping:
                    log.info("build stopped with the service: %s", type(exc).__name__)
                else:
                    log.exception("build failed")
                error = exc
                self._left = 0  # the redo goes on with the next build asked for
            BUILD_SECONDS.observe(time.monotonic() - started)
            BUILDS.labels("ok" if report is not None and report.ok else "failed").inc()
            if report is not None:
                self._follow_redo(report.remaining, report.to_read)
                try:
                    self.after(report)
                except Exception:
                    log.exception("after the build")
            async with self._done:
                self._report, self._error, self._served = report, error, covers
                self._done.notify_all()

    def _follow_redo(self, feeds: int, files: int) -> None:
        """Keep the redo going while feeds (or files to read again) are left; say when it
        starts and ends."""
        left = feeds + files
        if left and not self._left:
            self._redo_started = time.monotonic()
            log.info(
                "redoing every feed in slices: %d left after the first%s",
                feeds,
                f", once {files} files are read again" if files else "",
            )
        elif self._left and not left:
            took = time.monotonic() - self._redo_started
            log.info("redo done: every feed made again in %.1f s", took)
        self._left = left
