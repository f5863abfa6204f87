"""A change a command recorded is published by the service running the site, not by
the command's own new process.

`feedsvc takedown` beside `feedsvc run`: a new process imports the pipeline and builds
from cold (the index and OPML of every feed, what each feed held, the publish folder's
listing), and competes with the service for the build lock and the cores. The service
has all of it at hand, and cuts a redo's slice short for a build it is asked for. So
the command records its change, signals the process that leads the site on this
machine, and waits for a build of its to publish what was recorded (told by the state's
stamps, not by clocks). The process is the one the config in force names (with
several workers, the worker that leads). SIGURG is ignored by default: a process not
yet listening, between two lives, or one that took an ended service's process id,
loses it rather than dying of it, and the command, having waited, publishes from its
own process as it does when no service runs here.
"""

import os
import signal
import socket
import time

from feedsvc.core.config import Settings
from feedsvc.site.inforce import service_leads
from feedsvc.state.database import State

PUBLISH_SIGNAL = signal.SIGURG  # to the leading process: build now, the news first
WAIT = 10.0  # seconds a command waits for the service before publishing itself
POLL = 0.02


def ask_to_publish(state: State, settings: Settings, wait: float = WAIT) -> int | None:
    """Have the service leading this site on this machine publish every change recorded
    so far; wait until a build of its has. Returns the service's process id, or None:
    no such service runs here, it did not publish within `wait` seconds, or the site
    uploads (a command publishing itself waits for its uploads, and says how they went)."""
    if wait <= 0 or settings.upload_targets:
        return None
    record = state.in_force.get()
    if record is None or record.host != socket.gethostname():
        return None
    if not service_leads(state, settings):
        return None  # (a process that ended, or not yet leading: no build would come)
    change = state.last_change()
    try:
        os.kill(record.pid, PUBLISH_SIGNAL)
    except OSError:
        return None
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        published = state.published_read()
        if change is None or (published is not None and published > change):
            return record.pid
        time.sleep(POLL)
    return None
