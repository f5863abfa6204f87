"""Scheduled rebuilds inside the server's event loop (APScheduler 3), in one process only.

With several worker processes, the one holding an exclusive lock on a file in
the publish folder runs the schedule; the others try for the lock every few
seconds, so if that worker dies another takes over (the OS frees its lock).
"""

import asyncio
import fcntl
import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedsvc.config import Settings
from feedsvc.rebuild import Rebuilder

log = logging.getLogger(__name__)

LOCK_FILE = ".feedsvc-scheduler.lock"
LOCK_RETRY = 2.0  # seconds between attempts by the workers that don't hold it


def trigger(settings: Settings) -> BaseTrigger:
    zone = ZoneInfo(settings.site.timezone)
    if settings.schedule.cron:
        return CronTrigger.from_crontab(settings.schedule.cron, timezone=zone)
    return IntervalTrigger(seconds=settings.schedule.interval, timezone=zone)


async def build_once(rebuilder: Rebuilder) -> None:
    """One scheduled build; a failure is logged and the next tick tries again."""
    try:
        report = await rebuilder.build()
    except Exception:
        return  # the rebuilder logged it
    if not report.ok:
        log.error(
            "build failed; the next scheduled run will try again: %s", "; ".join(report.failures)
        )
    log.info(
        "build done: %d articles, %d problems, %d files written",
        report.articles,
        len(report.problems),
        len(report.written),
    )


class Schedule:
    """Waits for the scheduler lock, then builds at once and on the schedule."""

    def __init__(self, settings: Settings, rebuilder: Rebuilder, on_lead=None) -> None:
        self.settings = settings
        self.rebuilder = rebuilder
        self.on_lead = on_lead  # called once this process holds the lock
        self._lock_file = None
        self._scheduler: AsyncIOScheduler | None = None

    def _try_lock(self) -> bool:
        folder = self.settings.public_dir
        folder.mkdir(parents=True, exist_ok=True)
        handle = (folder / LOCK_FILE).open("a")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._lock_file = handle
        return True

    async def run(self) -> None:
        while not self._try_lock():
            await asyncio.sleep(LOCK_RETRY)
        log.info("process %d runs the schedule", os.getpid())
        if self.on_lead is not None:
            self.on_lead()
        zone = ZoneInfo(self.settings.site.timezone)
        self._scheduler = AsyncIOScheduler(timezone=zone)
        self._scheduler.add_job(
            build_once,
            trigger(self.settings),
            args=[self.rebuilder],
            id="build",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(zone),
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        if self._lock_file is not None:
            self._lock_file.close()
