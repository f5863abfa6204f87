"""[schedule] and [server]: when the service builds, and how it serves."""

import ipaddress
import math
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import Field, field_validator

from feedsvc.core.config.base import Section

CRON_REFERENCE = datetime(2026, 1, 1, tzinfo=UTC)


class ScheduleSettings(Section):
    interval: Annotated[float, Field(gt=0)] = 60
    """Seconds between builds in `feedsvc run`; also every feed's `ttl` and
    `sy:updatePeriod` (in minutes, at least 1)."""
    cron: str = ""
    """A crontab expression (`*/5 * * * *`) used instead of the interval when set."""
    redo_slice: Annotated[float, Field(gt=0, le=60)] = 0.25
    """Seconds each build of `feedsvc run` spends on a redo of every feed (a site-wide
    edit, a new release), after the news; the redo goes on build after build. Feeds
    never made (the first build, a new family) are not held to it: news alone cuts them
    short."""

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        if value:
            from apscheduler.triggers.cron import CronTrigger  # only for a cron (35 ms)

            try:
                CronTrigger.from_crontab(value)
            except ValueError as exc:
                raise ValueError(f"not a crontab expression ({exc})") from None
        return value

    def minutes(self, timezone: str) -> int:
        """The shortest time between rebuilds, in whole minutes (at least 1): readers'
        polling hint. Worked out from a fixed date, so feeds stay byte-identical."""
        if not self.cron:
            return max(1, math.ceil(self.interval / 60))
        from apscheduler.triggers.cron import CronTrigger

        trigger = CronTrigger.from_crontab(self.cron, timezone=zoneinfo.ZoneInfo(timezone))
        fire = trigger.get_next_fire_time(None, CRON_REFERENCE)
        gaps = []
        for _ in range(20):
            after = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
            if fire is None or after is None:
                break
            gaps.append((after - fire).total_seconds())
            fire = after
        return max(1, math.ceil(min(gaps, default=60) / 60))


class ServerSettings(Section):
    host: str = "127.0.0.1"
    """Where `feedsvc serve` and `feedsvc run` listen."""
    port: Annotated[int, Field(ge=0, le=65535)] = 8080
    """The port they listen on."""
    max_age: Annotated[int, Field(ge=0)] = 60
    """`Cache-Control: max-age` of feed responses (seconds)."""
    archive_max_age: Annotated[int, Field(ge=0)] = 86400
    """`max-age` (with `immutable`) of complete archive pages: they change only when an
    old article is edited or taken down."""
    health_max_age: Annotated[float, Field(gt=0)] = 600
    """`/healthz` turns 503 when the last good build is older than this (seconds)."""
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    """Processes serving requests (`--workers` overrides); one of them runs the
    schedule."""
    ready_cache: Annotated[int, Field(ge=1)] = 64
    """MiB of ready feed bodies (with compressed copies) each worker keeps; the least
    recently served beyond it are read from the publish folder again."""
    brotli: bool = False
    """Also keep and publish a brotli copy (`.br`), for clients that accept `br`."""
    rate_limit: Annotated[int, Field(ge=0)] = 60
    """Fetches of one file by one client per `rate_window`, a 304 costing a tenth of a
    full one; then 429 with `Retry-After`. 0 turns it off."""
    rate_window: Annotated[float, Field(gt=0)] = 60
    """The rate limit's window (seconds)."""
    trusted_proxies: list[str] = []
    """Addresses or networks whose `X-Forwarded-For` is believed
    (`["127.0.0.1", "10.0.0.0/8"]`)."""
    access_log: bool = True
    """One JSON line a request on standard error."""
    header_bytes: Annotated[int, Field(ge=1024, le=1_048_576)] = 16_384
    """Bytes of a request line and headers; past it 431 and the connection closed."""
    header_timeout: Annotated[float, Field(gt=0, le=3600)] = 10
    """Seconds a client has to send a whole request head; past it 408."""
    body_timeout: Annotated[float, Field(gt=0, le=3600)] = 60
    """Seconds a client has to send a whole body (at 1 KB/s at least); past it 408."""
    keep_alive: Annotated[float, Field(gt=0, le=3600)] = 5
    """Seconds an idle kept-alive connection stays open."""
    max_connections: Annotated[int, Field(ge=1, le=1_000_000)] = 1000
    """Open connections a worker keeps; past it the longest idle is closed, and with none
    idle the slowest request gets 503."""

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise ValueError(f"{value!r} is not an IP address or network") from None
        return values
