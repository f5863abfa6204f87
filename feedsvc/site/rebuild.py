"""Builds on demand inside the server: one at a time, and a request never waits for two.

The schedule and the ingest API both ask for a build. A request made while a build
runs is served by the next one (which starts after its change was written), and
all requests made meanwhile share that next build.
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

    async def build(self) -> BuildReport:
        """A build that starts after this call; its report. Raises what the build raised."""
        self._asked += 1
        mine = self._asked
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        async with self._done:
            await self._done.wait_for(lambda: self._served >= mine)
        if self._error is not None:
            raise self._error
        assert self._report is not None
        return self._report

    async def stop(self, wait: float = 30) -> None:
        """The service stops: a build in progress ends at its next document (one line
        in the log), then the render processes end: none outlives the service."""
        self._stopping = True
        self.pipeline.renderer.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.idle(), wait)
        await asyncio.to_thread(self.pipeline.renderer.shutdown)

    async def idle(self) -> None:
        """Wait until no build runs (and none is asked for)."""
        while self._runner is not None and not self._runner.done():
            await asyncio.wait({self._runner})

    async def _run(self) -> None:
        while self._served < self._asked:
            covers = self._asked
            started = time.monotonic()
            report, error = None, None
            try:
                report = await asyncio.to_thread(self.pipeline.run)
            except Exception as exc:  # the waiting requests get it; the next build may work
                if self._stopping:
                    log.info("build stopped with the service: %s", type(exc).__name__)
                else:
                    log.exception("build failed")
                error = exc
            BUILD_SECONDS.observe(time.monotonic() - started)
            BUILDS.labels("ok" if report is not None and report.ok else "failed").inc()
            if report is not None:
                try:
                    self.after(report)
                except Exception:
                    log.exception("after the build")
            async with self._done:
                self._report, self._error, self._served = report, error, covers
                self._done.notify_all()
