"""The running service reads its config again: on SIGHUP (`feedsvc reload` sends it),
and when the file changes.

A config that does not load is reported, naming the file and key, and the service
goes on with the one it has (`/healthz` says so until a good one comes). One that
loads and differs is put in force (feedsvc.site.inforce), and the service restarts
on it once the running build has finished: in one process the listening socket is
handed to the new one, so no reader is refused meanwhile; with several workers,
uvicorn's master restarts them all, when the worker that leads asks. Only the
process that leads puts a config in force, but for an operator's SIGHUP to a
replica standing by for its config while no replica leads.
"""

import asyncio
import logging
import signal
from collections.abc import Callable
from pathlib import Path

from feedsvc.core import config
from feedsvc.core.config import Settings
from feedsvc.site.inforce import put_in_force, service_leads
from feedsvc.site.rebuild import Rebuilder
from feedsvc.site.schedule import Schedule
from feedsvc.state.database import State

log = logging.getLogger(__name__)

Stamp = tuple[int, int, int] | None  # the file's mtime, size and inode


class ConfigWatch:
    def __init__(
        self,
        path: Path,
        settings: Settings,
        state: State,
        rebuilder: Rebuilder,
        schedule: Schedule,
        *,
        follows_master: bool = False,
    ) -> None:
        """follows_master: one of uvicorn's workers, which its master restarts."""
        self.path = path
        self.follows_master = follows_master
        self.fingerprint = settings.fingerprint
        self.state = state
        self.rebuilder = rebuilder
        self.schedule = schedule
        self.error = ""  # why the last config read failed ("" if it did not)
        # Set by whoever runs the server: stop it, to start again on the new config.
        self.restart: Callable[[], None] | None = None
        self.restarting = False
        self._seen = self._stamp()

    def _stamp(self) -> Stamp:
        try:
            found = self.path.stat()
        except OSError:
            return None
        return found.st_mtime_ns, found.st_size, found.st_ino

    def listen(self) -> None:
        """Reload on SIGHUP (on the event loop, in the main thread)."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(
            signal.SIGHUP, lambda: loop.create_task(self.reload("SIGHUP received", asked=True))
        )

    async def poll(self) -> None:
        """Reload if the file changed since it was last read."""
        stamp = self._stamp()
        if stamp != self._seen:
            self._seen = stamp
            await self.reload(f"{self.path} changed")

    async def reload(self, why: str, *, asked: bool = False) -> None:
        """Read the config again; `asked`: by an operator (SIGHUP), not a file change."""
        leading = self.schedule.leading
        if self.restarting or (self.follows_master and not leading):
            return  # once; and of a master's workers, the lead acts for all
        try:
            fresh = await asyncio.to_thread(config.load, self.path)
        except config.ConfigError as exc:
            self.error = str(exc)
            log.error("config not reloaded (%s); going on with the one read before: %s", why, exc)
            return
        self.error = ""
        if fresh.fingerprint == self.fingerprint:
            if asked and not leading and await asyncio.to_thread(self._unled):
                # A replica standing by for its config: the operator puts it in force.
                await asyncio.to_thread(put_in_force, self.state, fresh, str(self.path))
                log.warning("config put in force (%s): this process may now lead", why)
            else:
                log.info("config read again (%s): nothing changed", why)
            return
        self.restarting = True
        log.warning("config changed (%s): restarting on it after the running build", why)
        if leading:
            await self.rebuilder.idle()
            await asyncio.to_thread(put_in_force, self.state, fresh, str(self.path))
        if self.restart is not None:
            self.restart()

    def _unled(self) -> bool:
        return not service_leads(self.state, self.schedule.settings)
