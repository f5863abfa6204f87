"""The server: the feed fast lane in front of a Starlette app for everything else."""

import asyncio
import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from prometheus_client.core import Metric
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from feedsvc.core import config, logs
from feedsvc.core.config import Settings
from feedsvc.core.envvars import CONFIG_ENV, SCHEDULED_ENV
from feedsvc.core.model import now_utc
from feedsvc.core.text import redacted_url
from feedsvc.publish.local import LocalTarget
from feedsvc.publish.mirror import mirrors_for
from feedsvc.publish.shared import Follower
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.site.rebuild import Rebuilder
from feedsvc.site.schedule import LOCK_RETRY, Schedule
from feedsvc.state.database import State
from feedsvc.state.locks import FileLease
from feedsvc.store import Store
from feedsvc.web import metrics
from feedsvc.web.accesslog import AccessLog
from feedsvc.web.audience import AudienceTally
from feedsvc.web.fastlane import FastLane
from feedsvc.web.health import health, targets
from feedsvc.web.hub import Hub
from feedsvc.web.ingest import Ingest
from feedsvc.web.ratelimit import ClientAddress, RateLimiter
from feedsvc.web.ready import ReadyFiles, Serving
from feedsvc.web.reload import ConfigWatch
from feedsvc.web.takedowns import Takedowns
from feedsvc.websub.clients import hub_clients
from feedsvc.websub.context import WebSubContext
from feedsvc.websub.deliver import Deliverer

FOLLOW_FILE = ".feedsvc-follow.lock"  # the worker that copies builds into the folder
HOUSEKEEPING = 0.25  # seconds: counters and log lines flushed, a new build looked for
AUDIENCE_FLUSH = 5.0  # seconds between a worker's writes of the readers it saw


def create_app(
    settings: Settings,
    state: State,
    *,
    scheduled: bool,
    stores: Sequence[Store] | None = None,
    clock: Callable[[], datetime] = now_utc,
    config_path: Path | None = None,
    follows_master: bool = False,
) -> FastLane:
    """The whole server. `scheduled`: rebuild on the schedule and take the ingest API;
    stores and clock: the pipeline's (feedsvc.api.Site); config_path: the file the
    settings came from, read again when it changes (none: settings given in code);
    follows_master: a worker of several, which uvicorn's master restarts."""
    server = settings.server
    serving = Serving(
        settings.site.base_url,
        tuple(settings.hubs),
        server.max_age,
        server.brotli,
        server.archive_max_age,
        settings.site.robots,
    )
    files = ReadyFiles(settings.public_dir, serving, server.ready_cache * 2**20)
    tally = metrics.RequestTally()
    audience = AudienceTally()
    access_log = AccessLog() if server.access_log else None
    clients = hub_clients(settings)
    websub = WebSubContext(settings, state, clients)
    deliverer = Deliverer(websub)
    mirrors = mirrors_for(settings, state) if scheduled else []
    follower = None
    if state.shared:  # replicas: copy what any replica's build published
        follower = Follower(state.published, LocalTarget(settings.public_dir, brotli=server.brotli))
    rebuilder, schedule, watch = None, None, None
    if scheduled:  # `feedsvc serve` only serves: no store is opened

        def after(report: BuildReport) -> None:
            files.refresh()  # here, before the answer that waits on the build
            deliverer.changed(report.written, state.record_notify)

        rebuilder = Rebuilder(
            Pipeline(settings, state, mirrors=mirrors, stores=stores, clock=clock), after
        )

        def reconcile() -> None:
            for mirror in mirrors:
                mirror.reconcile()

        config_name = str(config_path) if config_path else "a config given in code"
        schedule = Schedule(settings, rebuilder, state, config_name, on_lead=reconcile)
        if config_path is not None:
            watch = ConfigWatch(
                config_path, settings, state, rebuilder, schedule, follows_master=follows_master
            )

    def healthz(_request: Request) -> Response:
        healthy, report = health(state, server.health_max_age, settings.websub.hubs)
        if watch is not None and watch.error:  # served and built as before, but say it
            report["config"] = f"not reloaded: {watch.error}"
        body = redacted_url(json.dumps(report, ensure_ascii=False))  # hubs' URLs among it
        return Response(body, 200 if healthy else 503, media_type="application/json")

    def gauges() -> Iterable[Metric]:
        now = datetime.now(UTC)
        subscribers = state.subscriptions.count(now)
        owing = deliverer.owed.failing(settings.websub.hubs)
        found = metrics.gauges(subscribers, targets(state), owing, files.held_bytes)
        return [*found, *metrics.readers(state.audience, now)]

    async def flush_audience() -> None:
        """What this worker saw of its readers, into the state (every worker's adds up)."""
        if taken := audience.take():
            await asyncio.to_thread(state.audience.record, *taken, datetime.now(UTC).date())

    async def metrics_page(_request: Request) -> Response:
        tally.flush()  # here, on the event loop's thread, where the fast lane counts
        await flush_audience()
        body = await asyncio.to_thread(metrics.exposition, gauges)
        return Response(redacted_url(body.decode()), media_type=metrics.CONTENT_TYPE)

    routes = [Route("/healthz", healthz), Route("/metrics", metrics_page)]
    if settings.websub.builtin:
        hub = Hub(websub)
        routes.append(Route("/websub", hub.endpoint, methods=["POST"]))
    if rebuilder is not None and settings.api.token.get_secret_value():
        ingest = Ingest(settings, state, rebuilder)
        routes += ingest.routes() + Takedowns(state, rebuilder, ingest.token, clock).routes()

    async def housekeeping() -> None:
        flushed = time.monotonic()
        while True:
            await asyncio.sleep(HOUSEKEEPING)
            if watch is not None:
                await watch.poll()
            tally.flush()
            if time.monotonic() - flushed >= AUDIENCE_FLUSH:
                flushed = time.monotonic()
                await flush_audience()
            if access_log is not None:
                access_log.flush()
            files.refresh()  # before a request asks: it would pay for the rereading

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for mirror in mirrors:
            mirror.start()
        tasks = [asyncio.create_task(housekeeping())]
        if threading.current_thread() is threading.main_thread():
            for listener in (watch, schedule):
                if listener is not None:
                    listener.listen()
        stop_following = threading.Event()
        if follower is not None:
            lease = FileLease(settings.public_dir / FOLLOW_FILE)
            tasks.append(asyncio.create_task(follow(follower, lease, stop_following)))
        if schedule is not None:
            tasks.append(asyncio.create_task(schedule.run()))
        try:
            yield
        finally:
            stop_following.set()
            for task in tasks:
                task.cancel()
            if schedule is not None:
                schedule.stop()
            if rebuilder is not None:
                await rebuilder.stop()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(websub.idle(), 5)
            await clients.aclose()
            for mirror in mirrors:
                mirror.stop()
            tally.flush()
            await flush_audience()
            if access_log is not None:
                access_log.flush()

    app = Starlette(routes=routes, lifespan=lifespan)
    limiter = RateLimiter(server.rate_limit, server.rate_window) if server.rate_limit else None
    lane = FastLane(
        files,
        app,
        limiter=limiter,
        clients=ClientAddress(server.trusted_proxies),
        tally=tally,
        access_log=access_log,
        audience=audience,
    )
    lane.config_watch = watch
    return lane


async def follow(follower: Follower, lease: FileLease, stop: threading.Event) -> None:
    """One worker of this machine copies what builds published (the lease passes on
    if it dies); in a thread of its own, as it waits on the database."""
    while not await asyncio.to_thread(lease.try_take):
        await asyncio.sleep(LOCK_RETRY)
    try:
        threading.Thread(target=follower.follow, args=(stop,), daemon=True).start()
        await asyncio.Event().wait()  # until cancelled at shutdown
    finally:
        stop.set()
        lease.release()


def from_environment() -> FastLane:
    """The app of one worker process (`feedsvc run --workers N`): config from the environment."""
    logs.setup()
    path = Path(os.environ[CONFIG_ENV])
    settings = config.load(path)
    app = create_app(
        settings,
        State(settings.state.url),
        scheduled=os.environ[SCHEDULED_ENV] == "1",
        config_path=path,
        follows_master=True,
    )
    if app.config_watch is not None:  # uvicorn's master restarts every worker on SIGHUP
        app.config_watch.restart = lambda: os.kill(os.getppid(), signal.SIGHUP)
    return app
