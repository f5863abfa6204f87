"""Readers as one worker sees them, between flushes to the state.

Each answered poll of a feed either states an aggregator's subscriber count in its
User-Agent (kept, the latest per aggregator and feed id) or is a direct client,
added to the day's sketch by a hash of its address and User-Agent: the address
itself is never kept. `take` hands over what was seen and starts afresh.
"""

from datetime import UTC, date, datetime

from feedsvc.core.audience import Reported, reported
from feedsvc.core.sketch import Sketch
from feedsvc.feeds.specs import is_topic
from feedsvc.state.audience import Days, Reports

AGENTS_REMEMBERED = 4096  # User-Agents whose reading is kept (pollers repeat theirs)
REPORTS_HELD = 1000  # aggregator reports held between flushes; more wait for the next
PATHS_REMEMBERED = 65_536  # paths known to be feeds or not
# Direct clients remembered between takes, so that a client polling again (a browser
# reader, a load test) is not hashed again: a set, cleared when it grows past this.
RECENT_HELD = 65_536
# User-Agents counted as readers from one address, of one feed a day: a NAT holds a few
# readers, and one client that makes up a User-Agent a poll is not 200,000 of them.
AGENTS_PER_ADDRESS = 8
EPOCH_DAY = date(1970, 1, 1).toordinal()


class AudienceTally:
    def __init__(self) -> None:
        self.reports: dict[tuple[str, str, str], tuple[int, datetime]] = {}
        self.days: dict[tuple[str, date], Sketch] = {}
        self._read: dict[bytes, Reported | None] = {}
        self._topics: dict[str, bool] = {}
        self._day, self._day_ends = date.min, 0.0  # the UTC day, and when it ends
        self._recent: set[tuple[str, str, bytes]] = set()  # direct clients since the take
        self._agents: dict[tuple[str, str], set[bytes]] = {}  # (feed, address): today's

    def _reading(self, agent: bytes) -> Reported | None:
        if agent in self._read:
            return self._read[agent]
        found = reported(agent.decode("latin-1"))
        if len(self._read) < AGENTS_REMEMBERED:
            self._read[agent] = found
        return found

    def _is_topic(self, path: str) -> bool:
        found = self._topics.get(path)
        if found is None:
            found = is_topic(path)
            if len(self._topics) < PATHS_REMEMBERED:
                self._topics[path] = found
        return found

    def saw(self, path: str, agent: bytes, client: str, at: float) -> None:
        """A poll of a published file answered 200 or 304 at `at` (time.time()): counted
        when the file is a feed readers subscribe to."""
        if not self._is_topic(path):
            return
        found = self._reading(agent)
        if found is not None:
            key = (path, found.aggregator, found.feed_id)
            if key in self.reports or len(self.reports) < REPORTS_HELD:
                self.reports[key] = (found.subscribers, datetime.fromtimestamp(at, UTC))
            return
        if at >= self._day_ends:
            self._day = datetime.fromtimestamp(at, UTC).date()
            self._day_ends = (self._day.toordinal() - EPOCH_DAY + 1) * 86400.0
            self._agents.clear()
        pair = (path, client, agent)
        if pair in self._recent:  # polled again since the last take: already added
            return
        if len(self._agents) >= RECENT_HELD:
            self._agents.clear()
        agents = self._agents.setdefault((path, client), set())
        if agent not in agents:
            if len(agents) >= AGENTS_PER_ADDRESS:
                return
            agents.add(agent)
        if len(self._recent) >= RECENT_HELD:
            self._recent.clear()
        self._recent.add(pair)
        sketch = self.days.get((path, self._day))
        if sketch is None:
            sketch = self.days[path, self._day] = Sketch()
        sketch.add(client.encode() + b"\0" + agent)

    def take(self) -> tuple[Reports, Days] | None:
        """(reports, days) seen since the last take, or None when nothing was."""
        if not self.reports and not self.days:
            return None
        taken = self.reports, self.days
        self.reports, self.days = {}, {}
        self._recent.clear()
        return taken
