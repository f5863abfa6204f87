"""WebSub, both sides, against real subscriber and hub servers on 127.0.0.1."""

import hashlib
import hmac
import signal
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from conftest import Site, feedsvc, free_port, md, wait_until
from sqlalchemy import update
from subscribers import Subscribers, serve
from test_serving import metric

from feedsvc.state.database import State
from feedsvc.state.schema import subscriptions
from feedsvc.web.hub import PENDING_PER_HOST, PER_TOPIC_HOST

QUICK = "retries = 1\nretry_delay = 0.2\nmax_failures = 2\n"


@pytest.fixture
def subscribers():
    made = Subscribers(slow_seconds=3.0)
    server = serve(made)
    yield made
    server.shutdown()


def configure(site: Site, websub: str = "") -> None:
    site.configure(extra=f"[websub]\nallow_private_callbacks = true\n{QUICK}{websub}")


@pytest.fixture
def hub(site: Site, start_server):
    configure(site)
    site.write("a.md", md("Harbour cranes replaced"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    return server


def subscribe(site: Site, callback: str, topic: str = "feeds/main.rss", **extra) -> httpx.Response:
    form = {"hub.mode": "subscribe", "hub.callback": callback, "hub.topic": site.url + topic}
    form.update({f"hub.{k}": str(v) for k, v in extra.items()})
    return httpx.post(site.url + "websub", data=form, timeout=10)


def subscriber_count(server) -> float:
    return metric(server.get("/metrics").text, "feedsvc_websub_subscribers")


def test_a_subscriber_is_verified_then_sent_each_new_body_signed(hub, site, subscribers):
    callback = subscribers.url("ok", "signed")
    response = subscribe(site, callback, secret="s3cr3t-ключ")
    assert response.status_code == 202
    check = wait_until(lambda: subscribers.verified("/ok/signed"), 5, what="verification")[0]
    assert check["hub.mode"] == "subscribe"
    assert check["hub.topic"] == site.url + "feeds/main.rss"
    assert check["hub.lease_seconds"] == "864000" and len(check["hub.challenge"]) >= 16
    wait_until(lambda: subscriber_count(hub) == 1, 5, what="the subscription to be kept")

    site.write("b.md", md("Ферма ветряков достроена", "Сорок турбин дают ток."))

    def with_the_story() -> list:
        # The start-up build's own announcement may reach a subscriber verified just
        # before it was made (the feed as it was): the new story's delivery comes next.
        found = subscribers.received("/ok/signed")
        return [d for d in found if "Ферма ветряков достроена" in d.body.decode()]

    delivery = wait_until(with_the_story, 10, what="a delivery of the new story")[0]
    published = (site.root / "public" / "feeds" / "main.rss").read_bytes()
    assert delivery.body == published
    assert delivery.headers["Content-Type"] == "application/rss+xml; charset=utf-8"
    assert f'<{site.url}websub>; rel="hub"' in delivery.headers["Link"]
    assert f'<{site.url}feeds/main.rss>; rel="self"' in delivery.headers["Link"]
    mac = hmac.new("s3cr3t-ключ".encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["X-Hub-Signature"] == f"sha256={mac}"


def test_unsubscribed_callbacks_get_nothing_more(hub, site, subscribers):
    for name in ("stays", "leaves"):
        assert subscribe(site, subscribers.url("ok", name)).status_code == 202
    wait_until(lambda: subscriber_count(hub) == 2, 5, what="two subscriptions")
    form = {
        "hub.mode": "unsubscribe",
        "hub.callback": subscribers.url("ok", "leaves"),
        "hub.topic": site.url + "feeds/main.rss",
    }
    assert httpx.post(site.url + "websub", data=form).status_code == 202
    wait_until(lambda: subscriber_count(hub) == 1, 5, what="the unsubscription")
    assert subscribers.verified("/ok/leaves")[-1]["hub.mode"] == "unsubscribe"
    site.write("b.md", md("Library hours extended"))
    wait_until(lambda: subscribers.received("/ok/stays"), 10, what="a delivery")
    time.sleep(0.5)
    assert subscribers.received("/ok/leaves") == []
    assert not subscribers.deliveries[0].headers.get("X-Hub-Signature"), "no secret, no signature"


@pytest.mark.parametrize(
    ("form", "named"),
    [
        ({"hub.topic": "https://elsewhere.example/feed.rss"}, "hub.topic"),
        ({"hub.topic": "{base}feeds/main/archive/1.rss"}, "hub.topic"),
        ({"hub.topic": "{base}feeds/nothing.rss"}, "hub.topic"),
        ({"hub.mode": "publish"}, "hub.mode"),
        ({"hub.callback": ""}, "hub.callback"),
        ({"hub.callback": "ftp://127.0.0.1/x"}, "hub.callback"),
        ({"hub.secret": "x" * 200}, "hub.secret"),
        ({"hub.lease_seconds": "soon"}, "hub.lease_seconds"),
    ],
)
def test_bad_requests_are_refused_naming_the_parameter(hub, site, subscribers, form, named):
    sent = {
        "hub.mode": "subscribe",
        "hub.callback": subscribers.url("ok", "refused"),
        "hub.topic": site.url + "feeds/main.rss",
    }
    sent.update({k: v.replace("{base}", site.url) for k, v in form.items()})
    response = httpx.post(site.url + "websub", data=sent)
    assert response.status_code == 400
    assert response.text.startswith(named)
    time.sleep(0.3)
    assert subscribers.verifications == []


def test_private_callbacks_are_refused_unless_allowed(site: Site, start_server, subscribers):
    site.configure()  # allow_private_callbacks = false, the default
    site.write("a.md", md("Ferry fares frozen"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    for callback in (subscribers.url("ok"), "http://10.1.2.3/cb", "http://[::1]:9/cb"):
        response = subscribe(site, callback)
        assert response.status_code == 400
        assert "private address" in response.text
    assert subscribers.verifications == []


def test_a_callback_that_does_not_confirm_is_not_subscribed(hub, site, subscribers):
    assert subscribe(site, subscribers.url("deny")).status_code == 202
    wait_until(lambda: subscribers.verified("/deny/"), 5, what="the verification attempt")
    time.sleep(0.3)
    assert subscriber_count(hub) == 0


def test_slow_and_failing_subscribers_hold_up_no_one(hub, site, subscribers):
    down = f"http://127.0.0.1:{free_port()}/nobody-listens"
    for callback in (subscribers.url("ok", "fast"), subscribers.url("slow"), down):
        assert subscribe(site, callback).status_code == 202
    assert subscribe(site, subscribers.url("failing")).status_code == 202
    wait_until(lambda: subscriber_count(hub) == 3, 5, what="three verified subscriptions")

    site.write("b.md", md("Snow closes the pass"))
    fast = wait_until(lambda: subscribers.received("/ok/fast"), 10, what="the fast delivery")[0]
    assert subscribers.received("/slow/") == [], "the fast one did not wait for the slow one"
    slow = wait_until(lambda: subscribers.received("/slow/"), 10, what="the slow delivery")[0]
    assert slow.at - fast.at > 2

    # The one that is down fails every try; after max_failures = 2 deliveries it is dropped.
    site.write("c.md", md("The pass reopens"))
    wait_until(lambda: subscriber_count(hub) == 2, 15, what="the dead subscriber to be dropped")
    failures = metric(
        hub.get("/metrics").text, "feedsvc_hub_delivery_failures_total", kind="subscriber"
    )
    assert failures >= 2


def test_subscriptions_survive_a_restart(site: Site, start_server, subscribers):
    configure(site)
    site.write("a.md", md("Old mill restored"))
    first = start_server("run")
    wait_until(lambda: first.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    assert subscribe(site, subscribers.url("ok", "kept")).status_code == 202
    wait_until(lambda: subscriber_count(first) == 1, 5, what="the subscription")
    first.process.send_signal(signal.SIGINT)
    first.process.wait(10)

    second = start_server("run")
    site.write("b.md", md("Mill opens to visitors"))
    wait_until(lambda: subscribers.received("/ok/kept"), 15, what="a delivery after the restart")
    assert subscriber_count(second) == 1


def test_a_renewed_lease_replaces_the_old_and_an_expired_one_gets_nothing(hub, site, subscribers):
    callback = subscribers.url("ok", "lease")
    subscribe(site, callback, lease_seconds=100)
    wait_until(lambda: subscriber_count(hub) == 1, 5, what="the subscription")
    subscribe(site, callback, lease_seconds=5_000_000)  # over the maximum: clamped
    wait_until(lambda: len(subscribers.verified("/ok/lease")) == 2, 5, what="the renewal")
    assert subscribers.verified("/ok/lease")[1]["hub.lease_seconds"] == "2592000"
    time.sleep(0.3)
    assert subscriber_count(hub) == 1, "renewed, not added twice"

    state = State(site.settings().state.url)
    try:
        with state.engine.begin() as conn:
            past = datetime.now(UTC) - timedelta(seconds=1)
            conn.execute(update(subscriptions).values(expires=past))
    finally:
        state.close()
    site.write("b.md", md("Lease test article"))
    wait_until(lambda: "Lease test article" in hub.get("/feeds/main.rss").text, 10)
    time.sleep(0.5)
    # (The start-up build's announcement may have reached it while it was valid.)
    bodies = [d.body.decode() for d in subscribers.received("/ok/lease")]
    assert not [body for body in bodies if "Lease test article" in body]
    assert subscriber_count(hub) == 0


def test_configured_hubs_are_pinged_and_advertised_instead(site, start_server, subscribers):
    good, bad = subscribers.url("ok", "hub"), subscribers.url("failing", "hub")
    configure(site, f"hubs = ['{good}', '{bad}']\n")
    site.write("a.md", md("Market square repaved"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    links = server.get("/feeds/main.atom").headers["link"]
    assert f'<{good}>; rel="hub"' in links and "/websub" not in links

    def topics_told() -> set[str]:
        pings = subscribers.received("/ok/hub")
        return {parse_qs(p.body.decode())["hub.topic"][0] for p in pings}

    main_feed = site.url + "feeds/main.rss"
    wait_until(lambda: main_feed in topics_told(), 10, what="a publish ping of the main feed")
    pings = subscribers.received("/ok/hub")
    topics = topics_told()
    assert {parse_qs(p.body.decode())["hub.mode"][0] for p in pings} == {"publish"}
    assert all("/archive/" not in topic for topic in topics)
    wait_until(
        lambda: metric(
            server.get("/metrics").text, "feedsvc_hub_delivery_failures_total", kind="ping"
        ),
        10,
        what="the failing hub to be counted after its retry",
    )

    def main_feed_tries() -> list | None:
        topic = f"{site.url}feeds/main.rss"
        tries = subscribers.received("/failing/hub")
        found = [p for p in tries if parse_qs(p.body.decode())["hub.topic"] == [topic]]
        return found if len(found) >= 2 else None

    first, retry = wait_until(main_feed_tries, 10, what="a try and a retry")[:2]
    assert retry.at - first.at >= 0.2  # retry_delay
    assert server.get("/healthz").json()["status"] == f"degraded: pings to {bad} not taken"


def test_a_hub_that_was_down_is_reported_and_gets_what_it_missed_once_back(site, start_server):
    """Its URL carries a password and a token: /healthz and /metrics name it without."""
    port = free_port()
    configure(site, f"hubs = ['http://relay:PASS@127.0.0.1:{port}/ok/hub?token=s3cr3t']\n")
    hub_url = f"http://***@127.0.0.1:{port}/ok/hub?token=***"  # as it is shown
    site.write("a.md", md("Market square repaved"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")

    # Nothing listens at the hub's address: its pings fail after their retry.
    def status() -> str:
        return server.get("/healthz").json()["status"]

    wait_until(lambda: status().startswith("degraded"), 15, what="/healthz to name the hub")
    health = server.get("/healthz")
    assert health.status_code == 200  # every feed is still served
    assert status() == f"degraded: pings to {hub_url} not taken"
    owed = health.json()["hubs"][hub_url]["topics"]
    assert owed >= 3  # the main feed's RSS, Atom and JSON at least
    assert metric(server.get("/metrics").text, "feedsvc_hub_pings_owed", hub=hub_url) == owed
    for shown in (health.text, server.get("/metrics").text, server.output()):
        assert "PASS" not in shown and "s3cr3t" not in shown
    assert server.get("/feeds/main.rss").status_code == 200

    # It comes back. No article changes, yet the next scheduled build pays what it owed.
    back = Subscribers(port=port)
    listening = serve(back)
    try:
        wait_until(lambda: status() == "ok", 20, what="the hub to be paid")
        topics = {parse_qs(p.body.decode())["hub.topic"][0] for p in back.received("/ok/hub")}
        assert {f"{site.url}feeds/main.rss", f"{site.url}feeds/main.atom"} <= topics
        assert len(topics) == owed
        assert metric(server.get("/metrics").text, "feedsvc_hub_pings_owed", hub=hub_url) == 0
    finally:
        listening.shutdown()


def test_a_delivery_a_killed_builder_owed_is_made_by_the_next_once(site, start_server):
    """The subscriber is away when a change is published and the builder is killed
    while it retries: started again, with no article changed, it delivers what it
    owed, once. A record of a delivery already made (a builder killed after the
    subscriber took the body, before it cleared the record) sends nothing again."""
    site.configure(extra="[websub]\nallow_private_callbacks = true\nretries = 5\nretry_delay = 1\n")
    site.write("a.md", md("Market square repaved"))
    port = free_port()
    away = Subscribers(port=port)
    listening = serve(away)
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    assert subscribe(site, away.url("ok", "reader")).status_code == 202
    wait_until(lambda: away.verified("/ok/reader"), 10, what="verification")
    listening.shutdown()
    listening.server_close()  # nothing listens at the callback now

    site.write("b.md", md("Ночной рынок открылся"))
    wait_until(lambda: "Ночной рынок" in server.get("/feeds/main.rss").text, 20, what="b")
    server.process.send_signal(signal.SIGKILL)  # amid its retries (1 + 2 + 4 ... s)
    server.process.wait()

    back = Subscribers(port=port)
    listening = serve(back)
    try:
        server = start_server("run")
        got = wait_until(lambda: back.received("/ok/reader"), 20, what="the owed delivery")
        assert "Ночной рынок открылся" in got[0].body.decode()
        time.sleep(2.5)  # two more scheduled builds: nothing more is owed
        assert len(back.received("/ok/reader")) == 1

        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        state = State(site.settings().state.url)
        state.announcements.owe({site.url + "feeds/main.rss": "feeds/main.rss"})
        state.close()
        start_server("run")
        wait_until(lambda: not owed_topics(site), 20, what="the record to be cleared")
        assert len(back.received("/ok/reader")) == 1, "the same body was sent twice"
    finally:
        listening.shutdown()


def owed_topics(site: Site) -> dict[str, str]:
    state = State(site.settings().state.url)
    try:
        return state.announcements.owed()
    finally:
        state.close()


def test_feedsvc_build_beside_serve_pushes_to_the_hubs_subscribers(site, start_server, subscribers):
    """The cron way: `feedsvc serve` keeps the hub, a scheduled `feedsvc build` delivers."""
    configure(site)
    site.write("a.md", md("Night market opens"))
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    server = start_server("serve")
    assert subscribe(site, subscribers.url("ok", "cron")).status_code == 202
    wait_until(lambda: subscriber_count(server) == 1, 5, what="the subscription")
    site.write("b.md", md("Ночной рынок продлевает часы"))
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0, result.stderr
    delivery = subscribers.received("/ok/cron")  # delivered before the command returned
    assert delivery and "Ночной рынок продлевает часы" in delivery[0].body.decode()


def test_a_topic_spelt_with_escapes_is_delivered_as_the_feed_it_names(hub, site, subscribers):
    assert (
        subscribe(site, subscribers.url("ok", "escaped"), topic="feeds/%6Dain.rss").status_code
        == 202
    )
    check = wait_until(lambda: subscribers.verified("/ok/escaped"), 5, what="verification")[0]
    assert check["hub.topic"] == site.url + "feeds/main.rss"
    wait_until(lambda: subscriber_count(hub) == 1, 5, what="the subscription to be kept")
    site.write("c.md", md("Новый причал принял первое судно"))

    def delivered() -> list:
        found = subscribers.received("/ok/escaped")
        return [d for d in found if "Новый причал" in d.body.decode()]

    wait_until(delivered, 10, what="a delivery to the escaped topic's subscriber")


def test_a_flood_of_subscriptions_to_hanging_callback_delays_no_delivery(
    hub, site, subscribers, hanging_callback
):
    """Past PENDING_PER_HOST verifications waiting on one host, more are refused at once
    (429); deliveries have connections of their own, and a subscriber already verified
    gets the next story as soon as the build publishes it."""
    assert subscribe(site, subscribers.url("ok", "kept")).status_code == 202
    wait_until(lambda: subscriber_count(hub) == 1, 5, what="the verified subscriber")

    answers = Counter()
    with httpx.Client(timeout=10) as client:
        for number in range(400):
            form = {
                "hub.mode": "subscribe",
                "hub.callback": f"{hanging_callback}/{number}",
                "hub.topic": site.url + "feeds/main.rss",
            }
            answer = client.post(site.url + "websub", data=form)
            answers[answer.status_code] += 1
            if answer.status_code == 429:
                assert answer.headers["Retry-After"] == "60"
    assert answers == {202: PENDING_PER_HOST, 429: 400 - PENDING_PER_HOST}

    written = time.monotonic()
    site.write("b.md", md("Паром ходит по расписанию"))
    delivered = wait_until(
        lambda: [d for d in subscribers.received("/ok/kept") if "Паром" in d.body.decode()],
        10,
        what="the delivery while verifications hang",
    )[0]
    assert delivered.at - written < 3, "the build's interval and one delivery, no queue"
    assert subscriber_count(hub) == 1


def test_a_topic_takes_so_many_subscriptions_from_one_callback_host(hub, site, subscribers):
    """100 subscriptions to main.rss from one host (however its address is spelt): the
    next is refused with 429 and Retry-After, a renewal of one of them is not, and
    another host still subscribes."""
    port = subscribers.url("ok").split(":")[2].split("/")[0]
    state = State(site.settings().state.url)
    later = datetime.now(UTC) + timedelta(days=1)
    topic = site.url + "feeds/main.rss"
    try:
        for number in range(PER_TOPIC_HOST):
            spelling = ("127.0.0.1", "0x7f000001", "127.1")[number % 3]
            callback = f"http://{spelling}:{port}/ok/{number}"
            state.subscriptions.subscribe(topic, callback, "", later)
    finally:
        state.close()
    refused = subscribe(site, f"http://2130706433:{port}/ok/one-more")
    assert refused.status_code == 429 and refused.headers["retry-after"]
    assert f"{PER_TOPIC_HOST} subscriptions" in refused.text
    assert subscribe(site, f"http://127.1:{port}/ok/8").status_code == 202, "a renewal"
    other_host = subscribe(site, subscribers.url("ok", "other").replace("127.0.0.1", "localhost"))
    assert other_host.status_code == 202
