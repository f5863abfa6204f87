"""After a build: ping the configured hubs, and push each changed feed to its subscribers."""

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx

from feedsvc.core.config import Settings
from feedsvc.core.counters import HUB_FAILURES
from feedsvc.core.layout import CONTENT_TYPES, link_header
from feedsvc.feeds import specs
from feedsvc.state.database import State
from feedsvc.state.subscriptions import Subscription
from feedsvc.websub.callbacks import callback_host
from feedsvc.websub.clients import hub_clients
from feedsvc.websub.context import WebSubContext, WebSubPart
from feedsvc.websub.retry import with_retries

log = logging.getLogger(__name__)

# Deliveries in flight to one callback host (and port): a subscriber that hangs or fails
# holds its own host's places, never another's; a later body for the same subscription
# takes the place of one still waiting (the latest content is what it needs).
PER_CALLBACK = 2
RECORD_EVERY = 0.05  # seconds between writes of the deliveries made


class Body:
    """A feed's published bytes, and their digest (once, however many subscribers)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.digest = hashlib.sha256(data).hexdigest()


class _Lanes:
    """Deliveries in flight to each callback host (and port), PER_CALLBACK at most; a
    host's lane is kept while a delivery to it waits, tries or waits to try again."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[asyncio.Semaphore, int]] = {}  # host: (lane, users)

    @contextlib.contextmanager
    def of(self, callback: str) -> Iterator[asyncio.Semaphore]:
        host = callback_host(callback)
        lane, users = self._held.get(host, (asyncio.Semaphore(PER_CALLBACK), 0))
        self._held[host] = lane, users + 1
        try:
            yield lane
        finally:
            lane, users = self._held[host]
            if users == 1:
                del self._held[host]
            else:
                self._held[host] = lane, users - 1


class Deliverer(WebSubPart):
    def __init__(self, context: WebSubContext) -> None:
        super().__init__(context)
        self._lanes = _Lanes()
        self._newest: dict[int, str] = {}  # subscription id -> the body it is owed now
        self.owed = context.state.owed_pings
        self.announcements = context.state.announcements
        self._telling: Counter[str] = Counter()  # topics this process's announcements hold
        self._taken: dict[int, str] = {}  # deliveries made, not yet recorded (id: digest)
        self._recording: asyncio.Task | None = None
        self._all_made = asyncio.Event()  # an announcement's deliveries are done: write now

    def changed(self, written: list[str], done: Callable[[float], None] | None = None) -> None:
        """Start telling everyone about these published files, and about what earlier
        builds left untold; returns at once. `done(seconds)` is called (in a thread)
        once every ping and delivery has ended."""
        self.context.start(self._announce(specs.topics(self.settings.site.base_url, written), done))

    async def _announce(self, fresh: dict[str, str], done: Callable[[float], None] | None) -> None:
        started, begun = time.monotonic(), datetime.now(UTC)
        owed = await asyncio.to_thread(self.announcements.owed)
        # What another announcement of this process is telling of is left to it (taken
        # with no await between the look and the claim).
        topics = {t: path for t, path in owed.items() if t not in self._telling} | fresh
        self._telling.update(topics.keys())
        try:
            await self._tell(topics, begun)
        finally:
            self._telling.subtract(topics.keys())
            self._telling = +self._telling  # drop the zeros
        if done is not None and fresh:
            await asyncio.to_thread(done, time.monotonic() - started)

    async def _tell(self, topics: dict[str, str], begun: datetime) -> None:
        """Ping the hubs (with what they are owed) and deliver to the subscribers."""
        hubs = self.settings.websub.hubs
        pings = await asyncio.to_thread(self.owed.owed, hubs) if hubs else {}
        work = [self._ping(hub, set(topics), pings[hub]) for hub in hubs if topics or pings[hub]]
        subscribed = (
            await asyncio.to_thread(self.subscriptions.active, topics, begun) if topics else []
        )
        bodies: dict[str, Body | None] = {}  # read once per topic, whatever its subscribers
        for subscription in subscribed:
            relative = topics[subscription.topic]
            if relative not in bodies:
                bodies[relative] = self._body(relative)
            if (body := bodies[relative]) is not None:
                work.append(self._deliver(subscription, relative, body))
        await asyncio.gather(*work)
        if self._recording is not None:
            self._all_made.set()
            await self._recording  # what was delivered is on record before the record of
        if topics:  # what was owed goes
            await asyncio.to_thread(self.announcements.told, sorted(topics), begun)

    async def _ping(self, hub: str, changed: set[str], owed: set[str]) -> None:
        """Tell `hub` of each changed topic and what it was owed; what it does not take
        is owed to it."""
        websub = self.settings.websub

        async def tell(topic: str) -> bool:
            form = {"hub.mode": "publish", "hub.topic": topic, "hub.url": topic}
            answer = await with_retries(
                lambda: self.clients.pings.post(hub, data=form),
                websub.retries,
                websub.retry_delay,
                f"websub: telling {hub} of {topic}",
            )
            if answer is None or not answer.is_success:
                HUB_FAILURES.labels("ping").inc()
                return False
            return True

        ordered = sorted(changed | owed)
        took = await asyncio.gather(*(tell(topic) for topic in ordered))
        paid = [topic for topic, ok in zip(ordered, took, strict=True) if ok and topic in owed]
        missed = [topic for topic, ok in zip(ordered, took, strict=True) if not ok]
        if paid or missed:
            await asyncio.to_thread(self.owed.settle, hub, paid, missed)

    def _record(self, subscription_id: int, digest: str) -> None:
        """Note a delivery in the state: at once when none is being written, else with
        the next batch, one every RECORD_EVERY seconds at most (a write a delivery held
        the event loop's thread 1 ms each: 100 subscribers were told 0.15 s later). A
        builder killed between a delivery and its record sends that body again."""
        self._taken[subscription_id] = digest
        if self._recording is None:
            self._recording = asyncio.create_task(self._write_records())

    async def _write_records(self) -> None:
        try:
            while self._taken:
                batch, self._taken = self._taken, {}
                await asyncio.to_thread(self.subscriptions.delivered, batch)
                if self._taken and not self._all_made.is_set():
                    with contextlib.suppress(TimeoutError):  # the next batch gathers
                        await asyncio.wait_for(self._all_made.wait(), RECORD_EVERY)
        finally:
            self._recording = None
            self._all_made.clear()

    def _body(self, relative: str) -> Body | None:
        try:
            return Body((self.settings.public_dir / relative).read_bytes())
        except OSError as exc:
            log.error("websub: cannot read %s to deliver it: %s", relative, exc)
            return None

    async def _deliver(self, subscription: Subscription, relative: str, feed: Body) -> None:
        """Content distribution (WebSub 7): the feed's new body, signed when a secret was
        given; not again to a subscriber that took this very body (before a build died)."""
        body, digest = feed.data, feed.digest
        if subscription.delivered == digest:
            return
        websub = self.settings.websub
        headers = {
            "Content-Type": CONTENT_TYPES[relative.rpartition(".")[2]],
            "Link": link_header(self.settings.hubs, subscription.topic),
        }
        if subscription.secret:
            mac = hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Hub-Signature"] = f"sha256={mac}"

        busy = False  # our own connections were all taken: not the subscriber's fault
        superseded = False  # a later body for this subscription came: this one is moot
        self._newest[subscription.id] = digest

        async def post(lane: asyncio.Semaphore) -> httpx.Response:
            nonlocal busy, superseded
            async with lane:
                if self._newest.get(subscription.id) != digest:
                    superseded = True
                    return httpx.Response(204)  # nothing sent: ends the tries
                try:
                    return await self.clients.deliveries.post(
                        subscription.callback, content=body, headers=headers
                    )
                except httpx.PoolTimeout:
                    busy = True
                    raise

        try:
            with self._lanes.of(subscription.callback) as lane:
                answer = await with_retries(
                    functools.partial(post, lane),
                    websub.retries,
                    websub.retry_delay,
                    f"websub: delivery to {subscription.callback}",
                )
        finally:
            if self._newest.get(subscription.id) == digest:
                del self._newest[subscription.id]
        if superseded:
            return
        if answer is not None and answer.status_code == 410:  # the subscriber says it is gone
            await asyncio.to_thread(self.subscriptions.remove, subscription.id)
        elif answer is not None:
            self._record(subscription.id, digest)
        elif busy:
            log.warning(
                "websub: delivery to %s waited for a connection: not counted against it",
                subscription.callback,
            )
        else:
            HUB_FAILURES.labels("subscriber").inc()
            dropped = await asyncio.to_thread(
                self.subscriptions.failed, subscription.id, websub.max_failures
            )
            if dropped:
                log.warning(
                    "websub: dropped %s (%s) after %d failed deliveries",
                    subscription.callback,
                    subscription.topic,
                    websub.max_failures,
                )


async def announce(
    settings: Settings,
    state: State,
    written: list[str],
    done: Callable[[float], None] | None = None,
) -> None:
    """Everything a build outside the server (`feedsvc build`) owes hubs and subscribers."""
    async with hub_clients(settings) as clients:
        context = WebSubContext(settings, state, clients)
        Deliverer(context).changed(written, done)
        await context.idle()
