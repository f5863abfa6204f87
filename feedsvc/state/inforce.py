"""The config in force: which config the site is published with, one at a time.

Two processes publishing a site with two configs publish each other's files over
and over (an edited title reverted within a second by a service still running on
the old one). The state names one config fingerprint as in force, with who put it
there; a build on another config does not publish (`Pipeline` refuses, saying
which), and a process puts its config in force only when it has the right to: a
reload, the start of the process that leads, a build with no service running.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from feedsvc.state.schema import meta, put_meta

IN_FORCE = "config_in_force"  # meta: JSON of InForce
BUILT = "config_in_force_built"  # meta: the `since` of the InForce a build last published on


@dataclass(frozen=True)
class InForce:
    fingerprint: str
    pid: int
    host: str
    config: str  # the config file's path, as that process read it
    since: datetime

    def describe(self) -> str:
        since = f"{self.since:%Y-%m-%d %H:%M:%S}"
        return f"{self.config} (process {self.pid} on {self.host}, since {since})"


class ConfigInForce:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self) -> InForce | None:
        with self.engine.connect() as conn:
            value = conn.scalar(select(meta.c.value).where(meta.c.name == IN_FORCE))
        if value is None:
            return None
        data = json.loads(value)
        return InForce(**{**data, "since": datetime.fromisoformat(data["since"])})

    def put(self, record: InForce) -> None:
        value = json.dumps({**vars(record), "since": record.since.isoformat()})
        with self.engine.begin() as conn:
            put_meta(conn, {IN_FORCE: value})

    def built(self) -> str | None:
        """The `since` (ISO 8601) of the config in force a build last published on."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == BUILT))

    def record_built(self, record: InForce) -> None:
        """A build published on the config in force `record`."""
        with self.engine.begin() as conn:
            put_meta(conn, {BUILT: record.since.isoformat()})
