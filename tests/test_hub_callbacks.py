"""The hub connects to the address it checked: a callback's name is resolved once per
call, vetted, and the connection made to that address with the name kept as Host.

A name that answers a public address to the check and a private one a moment later
(DNS rebinding) needs a DNS server that lies on cue, which is out of reach here: the
resolver is the one part replaced (a function giving each lookup's answer, in order);
the HTTP server called is real, on 127.0.0.1.
"""

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from subscribers import Subscribers, serve

from feedsvc.core.config import Settings
from feedsvc.state.database import State
from feedsvc.websub.callbacks import PinnedTransport, refusal
from feedsvc.websub.clients import hub_clients
from feedsvc.websub.context import WebSubContext
from feedsvc.websub.deliver import Body, Deliverer


class Callback(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        Callback.seen.append({"path": self.path, "host": self.headers["Host"]})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def callback_port():
    Callback.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Callback)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def lookups(*answers: list[str]):
    """A resolver giving these answers, one a lookup, in order; it records each host."""
    asked: list[str] = []
    left = list(answers)

    async def resolve(host: str, _port: int) -> list[str]:
        asked.append(host)
        return left.pop(0)

    return resolve, asked


def test_a_call_connects_to_the_address_it_checked_keeping_the_name(callback_port: int):
    resolve, asked = lookups(["127.0.0.1"])

    async def call() -> httpx.Response:
        transport = PinnedTransport(allow_private=True, resolve=resolve)
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(f"http://callback.test:{callback_port}/push?x=1")

    answer = asyncio.run(call())
    assert answer.status_code == 200 and answer.text == "ok"
    # "callback.test" exists nowhere: the connection went to the address looked up once.
    assert asked == ["callback.test"]
    assert Callback.seen == [{"path": "/push?x=1", "host": f"callback.test:{callback_port}"}]


def test_a_name_rebound_to_a_private_address_after_the_check_is_not_called(callback_port: int):
    resolve, asked = lookups(["93.184.216.34"], ["127.0.0.1"])
    callback = f"http://rebinding.test:{callback_port}/cb"

    async def subscribe_then_deliver() -> tuple[str | None, Exception]:
        checked = await refusal(callback, allow_private=False, resolve=resolve)
        transport = PinnedTransport(allow_private=False, resolve=resolve)
        async with httpx.AsyncClient(transport=transport) as client:
            with pytest.raises(httpx.ConnectError) as refused:
                await client.post(callback, content=b"<rss/>")
        return checked, refused.value

    checked, refused = asyncio.run(subscribe_then_deliver())
    assert checked is None, "the name looked public when it subscribed"
    assert "loopback or private address" in str(refused)
    assert asked == ["rebinding.test", "rebinding.test"]
    assert Callback.seen == [], "nothing reached the private address"


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.7", "169.254.169.254", "::1", "fd00::1",
        # IPv4 inside IPv6, as NAT64, 6to4, IPv4-compatible and Teredo carry it
        "64:ff9b::a9fe:a9fe", "64:ff9b:1::a00:1", "2002:a00:5::1", "::7f00:1",
        "2001:0:4136:e378:8000:63bf:80ff:fffe",
    ],
)  # fmt: skip
def test_every_call_to_a_callback_is_vetted(address: str, callback_port: int):
    resolve, _ = lookups([address])
    settings = Settings.model_validate({})

    async def deliver() -> None:
        async with hub_clients(settings, resolve) as clients:
            await clients.deliveries.post(f"http://inside.test:{callback_port}/", content=b"")

    with pytest.raises(httpx.ConnectError, match="private address"):
        asyncio.run(deliver())


def test_a_delivery_that_only_waited_for_a_connection_is_not_held_against_its_subscriber(
    tmp_path, hanging_callback: str
):
    """One connection in the delivery pool, taken by a subscriber that hangs: the other
    subscriber's delivery times out waiting for the pool (our fault, not theirs), and only
    the hanging one has a failure counted."""
    settings = Settings.model_validate(
        {"websub": {"allow_private_callbacks": True, "retries": 0, "timeout": 1.5}}
    )
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    subscriptions = state.subscriptions
    later = datetime.now(UTC) + timedelta(days=1)
    topic = settings.site.base_url + "feeds/main.rss"
    for name in ("hangs", "waits"):
        subscriptions.subscribe(topic, f"{hanging_callback}/{name}", "", later)

    async def deliver_both() -> None:
        clients = hub_clients(settings)
        await clients.deliveries.aclose()
        pinned = PinnedTransport(True, limits=httpx.Limits(max_connections=1))
        clients.deliveries = httpx.AsyncClient(
            transport=pinned, timeout=httpx.Timeout(1.5, pool=0.3)
        )
        async with clients:
            deliverer = Deliverer(WebSubContext(settings, state, clients))
            hangs, waits = sorted(subscriptions.active([topic], datetime.now(UTC)), key=str)
            first = asyncio.create_task(deliverer._deliver(hangs, "feeds/main.rss", Body(b"x")))
            await asyncio.sleep(0.2)  # it holds the one connection
            await deliverer._deliver(waits, "feeds/main.rss", Body(b"x"))
            await first

    try:
        asyncio.run(deliver_both())
        failures = {
            s.callback.rpartition("/")[2]: s.failures
            for s in subscriptions.active([topic], datetime.now(UTC))
        }
    finally:
        state.close()
    assert failures == {"hangs": 1, "waits": 0}


SPELLINGS = ("127.0.0.1", "0x7f000001", "2130706433", "127.1", "0177.0.0.1")


def test_subscribers_that_hang_cost_only_themselves(tmp_path, hanging_callback: str):
    """200 subscriptions whose callbacks (spelled five ways, one address) hang on the
    delivery: a real subscriber, added last, is told at once, and again when a later
    body comes while the hung ones still wait (its push took 30 s, then 55 s, when 64
    delivery places were shared by all)."""
    settings = Settings.model_validate(
        {"websub": {"allow_private_callbacks": True, "retries": 1, "retry_delay": 0.5,
                    "timeout": 4}}
    )  # fmt: skip
    state = State(f"sqlite:///{tmp_path / 'state.db'}")
    later = datetime.now(UTC) + timedelta(days=1)
    topic = settings.site.base_url + "feeds/main.rss"
    port = hanging_callback.split(":")[2].split("/")[0]
    for number in range(200):
        spelling = SPELLINGS[number % len(SPELLINGS)]
        state.subscriptions.subscribe(topic, f"http://{spelling}:{port}/hang/{number}", "", later)
    told = Subscribers()
    server = serve(told)
    state.subscriptions.subscribe(topic, told.url("ok", "real"), "", later)
    waits: list[float] = []

    async def two_bodies() -> None:
        async with hub_clients(settings) as clients:
            deliverer = Deliverer(WebSubContext(settings, state, clients))
            subscribed = state.subscriptions.active([topic], datetime.now(UTC))
            work = []
            for body in (b"first", b"second"):
                started = asyncio.get_running_loop().time()
                work += [
                    asyncio.create_task(deliverer._deliver(s, "feeds/main.rss", Body(body)))
                    for s in subscribed
                ]
                while not [d for d in told.received("/ok/real") if d.body == body]:
                    await asyncio.sleep(0.01)
                waits.append(asyncio.get_running_loop().time() - started)
            for task in work:
                task.cancel()
            await asyncio.gather(*work, return_exceptions=True)

    try:
        asyncio.run(asyncio.wait_for(two_bodies(), 30))
    finally:
        server.shutdown()
        state.close()
    assert max(waits) < 1.0, waits
