"""Scheduled rebuilds inside the server's event loop (APScheduler 3)."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from starlette.applications import Starlette

from feedsvc.config import Settings
from feedsvc.pipeline import Pipeline

log = logging.getLogger(__name__)


def trigger(settings: Settings) -> BaseTrigger:
    zone = ZoneInfo(settings.site.timezone)
    if settings.schedule.cron:
        return CronTrigger.from_crontab(settings.schedule.cron, timezone=zone)
    return IntervalTrigger(seconds=settings.schedule.interval, timezone=zone)


async def build_once(pipeline: Pipeline) -> None:
    """One scheduled build; a failure is logged and the next tick tries again."""
    try:
        report = await asyncio.to_thread(pipeline.run)
    except Exception:
        log.exception("build failed; the next scheduled run will try again")
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


def scheduled_builds(settings: Settings, pipeline: Pipeline):
    """A Starlette lifespan that builds at once, then on the schedule, never twice at once."""

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        zone = ZoneInfo(settings.site.timezone)
        scheduler = AsyncIOScheduler(timezone=zone)
        scheduler.add_job(
            build_once,
            trigger(settings),
            args=[pipeline],
            id="build",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=datetime.now(zone),
        )
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)

    return lifespan
