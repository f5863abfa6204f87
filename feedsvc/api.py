"""feedsvc from Python: a site opened from its config, built, checked, taken down, served.

    from feedsvc import open_site

    site = open_site("config.toml")
    report = site.build()

`feedsvc`'s commands and its server go through the same Site. The build pipeline is
imported when a build is asked for: a command that only records (a takedown the
running service publishes) starts without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feedsvc.core import config
from feedsvc.core.config import Settings
from feedsvc.core.model import Problem, TakenDown, now_utc
from feedsvc.state.database import State
from feedsvc.store import Progress, Store

if TYPE_CHECKING:
    from feedsvc.site.pipeline import BuildReport, Pipeline
    from feedsvc.web.fastlane import FastLane

UPLOAD_WAIT = 300  # seconds a build waits for its uploads
Clock = Callable[[], datetime]


class Site:
    """One site: its settings, its state, and the stores its articles come from."""

    def __init__(
        self,
        settings: Settings,
        state: State,
        *,
        stores: Sequence[Store] | None = None,
        clock: Clock = now_utc,
    ) -> None:
        """stores: read these instead of the config's (their articles are held to the
        same rules as the files'); clock: what time it is, for builds and takedowns."""
        self.settings = settings
        self.state = state
        self.stores = stores
        self.clock = clock

    def close(self) -> None:
        self.state.close()

    def __enter__(self) -> Site:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def pipeline(self, *, full: bool = False, long_lived: bool = False, **options) -> Pipeline:
        """The build pipeline over this site's stores, state and clock."""
        from feedsvc.site.pipeline import Pipeline

        return Pipeline(
            self.settings,
            self.state,
            full=full,
            long_lived=long_lived,
            stores=self.stores,
            clock=self.clock,
            **options,
        )

    def build(
        self, *, full: bool = False, scan: bool = True, budget: float | None = None
    ) -> BuildReport:
        """One build: changed documents published, uploads waited for, hubs and
        subscribers told. full: render everything again, sealed archive pages too;
        scan=False: from the state as it is, the stores unread; budget: seconds for a
        redo's feeds after the news (see Pipeline.run), None: the whole redo."""
        mirrors = []
        if self.settings.upload_targets:  # else their module is not even imported
            from feedsvc.publish.mirror import mirrors_for

            mirrors = mirrors_for(self.settings, self.state)
        pipeline = None
        try:
            for mirror in mirrors:
                mirror.start()
                mirror.reconcile()  # files an earlier run could not upload
            pipeline = self.pipeline(full=full, mirrors=mirrors)
            report = pipeline.run(scan=scan, budget=budget)
            if self._owes_anyone(report.written):
                self._announce(report.written)
            for mirror in mirrors:
                if error := mirror.drain(UPLOAD_WAIT):
                    report.failures.append(f"upload to {mirror.label} failed: {error}")
        finally:
            for mirror in mirrors:
                mirror.stop()
            if pipeline is not None:
                pipeline.close()
        return report

    def _owes_anyone(self, written: Sequence[str]) -> bool:
        """Whether announcing would tell anyone anything: what this build wrote, or what
        an earlier one left untold (asked of the state; the HTTP clients cost 0.1 s)."""
        hubs = self.settings.websub.hubs
        if written or self.state.announcements.owed():
            return True
        return bool(hubs) and any(self.state.owed_pings.owed(hubs).values())

    def _announce(self, written: list[str]) -> None:
        """Ping the hubs and deliver to the built-in hub's subscribers; wait for them."""
        import asyncio

        from feedsvc.websub.deliver import announce

        notify = self.state.record_notify
        asyncio.run(announce(self.settings, self.state, written, notify))

    def check(self, progress: Callable[[str], Progress] | None = None) -> list[Problem]:
        """Every problem a build would meet, found without writing anything."""
        from feedsvc.site.pipeline import inspect

        problems = inspect(self.settings, progress, stores=self.stores, history=self.state.ledger())
        return problems + self.emptied()

    def emptied(self) -> list[Problem]:
        """Family members whose last article went: served empty, then gone (410)."""
        from feedsvc.site.pipeline import emptied_members

        return emptied_members(self.settings, self.state.history.known(), self.clock())

    def stats(self) -> list[str]:
        """The store's size, the feeds, what is published, the last build's stages."""
        from feedsvc.site.stats import report

        return report(self.settings, self.state)

    def audience(self, since: date) -> list[str]:
        """Each feed's readers: aggregators' latest counts, direct clients a day."""
        from feedsvc.site.audience import table

        return table(self.state, since, self.clock())

    def takedown(
        self, ref: str, reason: str = "", *, undo: bool = False
    ) -> tuple[list[TakenDown], BuildReport | None]:
        """Take the article whose GUID, id or store key is `ref` out of every document
        and upload target now (undo: publish it again), and keep it out whatever its
        store says. Returns what it applied to and the build that published it
        (None: no article has that reference): the feeds the article is in, and no
        others (a redo under way in `feedsvc run` goes on there)."""
        said = self.take_down(ref, reason, undo=undo)
        return said, self.build(scan=False, budget=0) if said else None

    def take_down(self, ref: str, reason: str = "", *, undo: bool = False) -> list[TakenDown]:
        """Record the takedown (or its undo) of the article whose GUID, id or store key is
        `ref`, and publish nothing yet: what it applied to (none: no such article). The
        next build, of any process, publishes it (`feedsvc takedown` asks the running
        service's, feedsvc.site.handover)."""
        return self.state.takedown(ref, reason, self.clock(), undo=undo)

    def app(self, *, scheduled: bool = True, config_path: Path | None = None) -> FastLane:
        """The ASGI app `feedsvc run` serves (scheduled: it builds on the schedule and
        takes the ingest API; else it only serves, as `feedsvc serve`). config_path:
        the file the settings came from, read again when it changes or on SIGHUP."""
        from feedsvc.web.app import create_app

        return create_app(
            self.settings,
            self.state,
            scheduled=scheduled,
            stores=self.stores,
            clock=self.clock,
            config_path=config_path,
        )


def open_site(
    config_or_path: Settings | str | Path,
    *,
    stores: Sequence[Store] | None = None,
    clock: Clock = now_utc,
) -> Site:
    """The site of this config (a path to its TOML, or Settings). Raises ConfigError for
    a bad config, StateLost or StateUnavailable for a state that cannot be used."""
    if isinstance(config_or_path, Settings):
        settings = config_or_path
    else:
        settings = config.load(Path(config_or_path))
    state = State(settings.state.url, settings.public_dir)
    return Site(settings, state, stores=stores, clock=clock)
