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
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from feedsvc.core.config import Settings
from feedsvc.site.handover import PUBLISH_SIGNAL
from feedsvc.site.inforce import LEAD_FILE, may_lead, put_in_force
from feedsvc.site.rebuild import Rebuilder
from feedsvc.state.database import State

log = logging.getLogger(__name__)

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
    except asyncio.CancelledError:  # the service stops (its scheduler with it)
        log.info("scheduled build left to finish or stop with the service")
        return
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
        self,
        settings: Settings,
        rebuilder: Rebuilder,
        state: State,
        config: str,
        on_lead: Callable[[], None] | None = None,
    ) -> None:
        """config: the config file's path, as the config in force names it."""
        self.settings = settings
        self.rebuilder = rebuilder
        self.state = state
        self.config = config
        self.lease = state.lead_lease(settings.public_dir, LEAD_FILE)
        self.on_lead = on_lead  # called each time this process takes the lead
        self._scheduler: AsyncIOScheduler | None = None
        self._asked: set[asyncio.Task] = set()  # builds a command asked for, under way

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    async def _take_lead(self) -> None:
        """Until this process leads: its config in force (or free to be), and the lease."""
        said = ""
        while True:
            lacking = await asyncio.to_thread(may_lead, self.state, self.settings)
            if lacking is not None:
                if said != lacking.fingerprint:
                    said = lacking.fingerprint
                    log.warning(
                        "standby: the config in force is %s, another than this one "
                        "(`feedsvc reload` here puts this one in force)",
                        lacking.describe(),
                    )
            elif await asyncio.to_thread(self.lease.try_take):
                await asyncio.to_thread(put_in_force, self.state, self.settings, self.config)
                return
            elif not said:
                said = "led"
                log.info("standby: another process runs this site's schedule")
            await asyncio.sleep(LOCK_RETRY)

    def listen(self) -> None:
        """Build at once when a command that recorded a change asks (feedsvc.site.handover;
        on the event loop, in the main thread)."""
        loop = asyncio.get_running_loop()

        def asked() -> None:
            task = loop.create_task(build_once(self.rebuilder))
            self._asked.add(task)
            task.add_done_callback(self._asked.discard)

        loop.add_signal_handler(PUBLISH_SIGNAL, asked)

    async def run(self) -> None:
        while True:
            await self._take_lead()
            log.info("process %d runs the schedule", os.getpid())
            self._start()
            while await asyncio.to_thread(self._leads):
                await asyncio.sleep(LOCK_RETRY)
            log.warning(
                "process %d lost the lead; it stops scheduling and tries again", os.getpid()
            )
            self._stop_scheduler()
            self.lease.release()

    def _leads(self) -> bool:
        """Still the lead: the lease held, and its config still the one in force (a
        replica's reload may have put another there)."""
        return self.lease.held() and may_lead(self.state, self.settings) is None

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
