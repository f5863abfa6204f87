"""One config at a time: which process may publish, and which puts its config in force.

The state names the config in force (feedsvc.state.inforce). The process that
leads (runs the schedule) puts its own there when it takes the lead, if it may: a
site on SQLite is one machine's, and the process that takes the lead after another
is the one running now; with a PostgreSQL state shared by replicas, only a reload
changes it, so a replica started with another config does not lead. A build on
another config while the process that put it there still leads is refused, and
`feedsvc build` asks that process to reload instead.
"""

import os
import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

from feedsvc.core.config import Settings
from feedsvc.state.builds import BuildRecord
from feedsvc.state.database import State
from feedsvc.state.inforce import InForce

LEAD_FILE = ".feedsvc-scheduler.lock"  # the lead lease among one machine's workers
RELOAD_WAIT = 30.0  # seconds a command waits for the service to take a config and build
POLL = 0.2


class NotTaken(Exception):
    """The running service did not take this config; the message says why."""


def service_leads(state: State, settings: Settings) -> bool:
    """Whether a process holds the lead of this site now (this one included)."""
    lease = state.lead_lease(settings.public_dir, LEAD_FILE)
    if lease.try_take():
        lease.release()
        return False
    return True


def _running_here(record: InForce) -> bool:
    """Whether the process that put a config in force runs on this machine (leading or
    between two lives: it restarts in place on a new config)."""
    if record.host != socket.gethostname():
        return False
    try:
        command = Path(f"/proc/{record.pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"feedsvc" in command


def serving(state: State, settings: Settings, record: InForce) -> bool:
    """Whether the service that put `record` in force still runs this site."""
    return service_leads(state, settings) or _running_here(record)


def refusal(state: State, settings: Settings, record: InForce | None = None) -> str | None:
    """Why a build on these settings must not publish, or None; `record`: the config in
    force, as read already."""
    record = record or state.in_force.get()
    if record is None or record.fingerprint == settings.fingerprint:
        return None
    if not serving(state, settings, record):
        return None  # put there by a service that stopped
    return (
        f"not published: the running service publishes this site with {record.describe()}, "
        "another config than this one (`feedsvc reload` has it read its config again)"
    )


def may_lead(state: State, settings: Settings) -> InForce | None:
    """None if this process may take the lead; else the config in force it lacks."""
    record = state.in_force.get()
    if record is None or record.fingerprint == settings.fingerprint or not state.shared:
        return None
    return record


def put_in_force(state: State, settings: Settings, config: str) -> None:
    """Name these settings the site's config in force, put there by this process."""
    state.in_force.put(
        InForce(settings.fingerprint, os.getpid(), socket.gethostname(), config, datetime.now(UTC))
    )


def ask_to_reload(
    state: State, settings: Settings, config: Path, wait: float = RELOAD_WAIT
) -> BuildRecord:
    """Have the service that leads this site read its config file (`config`, these
    settings) again (SIGHUP), unless they are in force already; wait until they are
    and it has built on them; that build. Raises NotTaken when no service leads here,
    it reads another file, or it did not take them in time (the file does not load:
    its log says)"""
    record = state.in_force.get()
    if record is None or not serving(state, settings, record):
        raise NotTaken("no service is running this site")
    if record.fingerprint != settings.fingerprint:  # else taken already (its file changed)
        if Path(record.config) != config.resolve():
            raise NotTaken(
                f"the running service, {record.describe()}, reads another config file: "
                "edit that one, or stop the service first"
            )
        if record.host != socket.gethostname():
            raise NotTaken(
                f"the service that runs this site is on another machine: {record.describe()}"
            )
        try:
            os.kill(record.pid, signal.SIGHUP)
        except OSError as exc:
            raise NotTaken(f"cannot signal {record.describe()}: {exc.strerror}") from None
    deadline = time.monotonic() + wait
    while True:
        now_in_force = state.in_force.get()
        if now_in_force is not None and now_in_force.fingerprint == settings.fingerprint:
            built = state.last_build()
            if built is not None and state.in_force.built() == now_in_force.since.isoformat():
                return built
        elif time.monotonic() > deadline:
            raise NotTaken(
                f"the running service, {record.describe()}, did not take this config in "
                f"{wait:g} s: it reads its own file (another one?), and keeps the config it "
                "has when that one does not load (its log and /healthz say why)"
            )
        if time.monotonic() > deadline + wait:
            raise NotTaken(f"the running service took the config but has not built in {wait:g} s")
        time.sleep(POLL)


def note_built(state: State, settings: Settings, record: InForce | None) -> None:
    """A build on these settings published, `record` in force when it began: noted if
    that is these settings, for a command waiting for one (`ask_to_reload`)."""
    if (
        record is not None
        and record.fingerprint == settings.fingerprint
        and state.in_force.built() != record.since.isoformat()
    ):
        state.in_force.record_built(record)
