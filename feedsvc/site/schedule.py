"""Scheduled rebuilds inside the server's event loop (APScheduler 3), in one process only.

The process holding the lead lease runs the schedule: a file lock in the publish
folder among one machine's workers, a PostgreSQL advisory lock among replicas
sharing a PostgreSQL state. The others try for it every few seconds, so if the
holder dies another takes over (the OS or the database frees its lock); a holder
that loses its lease (the database restarted) stops and tries again like the others.
"""

import asyncio
import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedsvc.core.config import Settings
from feedsvc.site.rebuild import Rebuilder
from feedsvc.state.locks import Lease

log = logging.getLogger(__name__)

LEAD_FILE = ".feedsvc-scheduler.lock"  # the lead lease among one machine's workers
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
    """Waits for the lead lease, then builds at once and on the schedule."""

    def __init__(
        self, settings: Settings, rebuilder: Rebuilder, lease: Lease, on_lead=None
    ) -> None:
        self.settings = settings
        self.rebuilder = rebuilder
        self.lease = lease
        self.on_lead = on_lead  # called each time this process takes the lead
        self._scheduler: AsyncIOScheduler | None = None

    async def run(self) -> None:
        while True:
            while not await asyncio.to_thread(self.lease.try_take):
                await asyncio.sleep(LOCK_RETRY)
            log.info("process %d runs the schedule", os.getpid())
            self._start()
            while await asyncio.to_thread(self.lease.held):
                await asyncio.sleep(LOCK_RETRY)
            log.warning(
                "process %d lost the lead; it stops scheduling and tries again", os.getpid()
            )
            self._stop_scheduler()

    def _start(self) -> None:
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

    def _stop_scheduler(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    def stop(self) -> None:
        self._stop_scheduler()
        self.lease.release()
