"""Replicas sharing a real PostgreSQL state: one builds, all serve the same feeds.

Each replica is a `feedsvc run` with a publish folder of its own, as on machines of
their own; they share the article folder and the database. The builder is killed
with SIGKILL in the middle of a stream of changes.
"""

import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import feedparser
import httpx
import pytest
from conftest import Site, free_port, md, wait_until
from subscribers import Subscribers, serve

TOKEN = "replica-token"


@dataclass
class Replica:
    number: int
    port: int
    config: Path
    log: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "feedsvc", "--config", str(self.config), "run"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def answering() -> bool:
            assert self.process.poll() is None, self.log.read_text()
            try:
                return httpx.get(self.url + "healthz", timeout=5).status_code in (200, 503)
            except httpx.TransportError:
                return False

        wait_until(answering, 30, what=f"replica {self.number} to answer")

    def leads(self) -> bool:
        return f"process {self.process.pid} runs the schedule" in self.log.read_text()

    def feed(self, path: str = "feeds/main.rss") -> httpx.Response:
        return httpx.get(self.url + path, timeout=10)

    def stop(self, sig: int = signal.SIGINT) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def replicas(site: Site, pg_database: str):
    made = []
    for number in range(1, 4):
        config = site.root / f"replica{number}.toml"
        port = free_port()
        config.write_text(
            f'[site]\nbase_url = "{site.url}"\n'  # one site: the same links from every replica
            "[schedule]\ninterval = 2\n"
            f"[server]\nport = {port}\nrate_limit = 0\n"
            f'[api]\ntoken = "{TOKEN}"\n'
            "[websub]\nallow_private_callbacks = true\nretries = 1\nretry_delay = 0.2\n"
            f'[state]\nurl = "{pg_database}"\n'
            f'[[store]]\npath = "{site.articles}"\n'
            f'[[publish]]\npath = "{site.root / f"public{number}"}"\n',
            encoding="utf-8",
        )
        made.append(Replica(number, port, config, site.root / f"replica{number}.log"))
    yield made
    for replica in made:
        replica.stop()


@pytest.fixture
def subscribers():
    made = Subscribers()
    server = serve(made)
    yield made
    server.shutdown()


def titles(body: bytes) -> set[str]:
    return {entry.title for entry in feedparser.parse(body).entries}


def post(replica: Replica, article_id: str, title: str) -> httpx.Response:
    article = {"id": article_id, "title": title, "body_html": f"<p>{title}.</p>"}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.post(replica.url + "api/articles", json=article, headers=headers, timeout=60)


def test_replicas_build_once_serve_alike_and_survive_the_builder_killed(
    site: Site, replicas: list[Replica], subscribers: Subscribers
):
    site.write("first.md", md("Harbour Cranes Replaced"))
    for replica in replicas:
        replica.start()
    wait_until(lambda: all(r.feed().status_code == 200 for r in replicas), 30, what="every replica")
    assert sum(replica.leads() for replica in replicas) == 1

    # A subscriber, through a replica that does not build: the hub is the database's.
    follower = next(r for r in replicas if not r.leads())
    form = {
        "hub.mode": "subscribe",
        "hub.callback": subscribers.url("ok", "main"),
        "hub.topic": site.url + "feeds/main.rss",
    }
    assert httpx.post(follower.url + "websub", data=form, timeout=10).status_code == 202
    wait_until(lambda: subscribers.verified("/ok/main"), 10, what="verification")

    expected = {"Harbour Cranes Replaced"}
    killed = None
    for step in range(9):
        title = f"Ferry Story {step}"
        if step % 3 == 0:  # a file in the shared store; the schedule picks it up
            site.write(f"story{step}.md", md(title, "Сегодня паром пришёл вовремя."))
        else:  # the ingest API of whichever replica is alive
            alive = [r for r in replicas if r is not killed]
            reply = post(alive[step % len(alive)], f"story-{step}", title)
            assert reply.status_code == 201, reply.text
            assert reply.json()["build"]["ok"]
        expected.add(title)
        if step == 3:
            (site.articles / "first.md").unlink()
            expected.discard("Harbour Cranes Replaced")
        if step == 4:  # mid-stream, the builder dies without a word
            killed = next(r for r in replicas if r.leads())
            killed.stop(signal.SIGKILL)
        time.sleep(0.3)

    alive = [r for r in replicas if r is not killed]
    wait_until(lambda: any(r.leads() for r in alive), 15, what="another replica to lead")

    def converged() -> bool:
        answers = [r.feed() for r in alive]
        tags = {a.headers.get("etag") for a in answers}
        return len(tags) == 1 and all(titles(a.content) == expected for a in answers)

    wait_until(converged, 30, what="the replicas to serve the same, complete feed")
    answers = [r.feed() for r in alive]
    assert len({a.content for a in answers}) == 1
    assert len({a.headers["last-modified"] for a in answers}) == 1
    assert all(a.headers.get("etag") == answers[0].headers["etag"] for a in answers)

    # The killed one comes back and catches up from the database.
    killed.start()
    wait_until(lambda: killed.feed().content == answers[0].content, 30, what="catching up")

    # One delivery per change, whichever replica built it: no body twice.
    wait_until(
        lambda: any(titles(d.body) == expected for d in subscribers.received("/ok/main")),
        15,
        what="the subscriber to get the final feed",
    )
    bodies = [d.body for d in subscribers.received("/ok/main")]
    assert len(bodies) == len(set(bodies)), "a body was delivered twice"
    builders = {r.number for r in replicas if "build done" in r.log.read_text()}
    assert len(builders) >= 2  # the killed builder's successor built too


def test_replicas_serve_through_a_database_restart_and_then_build_again(
    site: Site, replicas: list[Replica], postgres
):
    site.write("first.md", md("Harbour Cranes Replaced"))
    pair = replicas[:2]
    for replica in pair:
        replica.start()
    wait_until(lambda: all(r.feed().status_code == 200 for r in pair), 30, what="both serving")
    before = [r.feed().content for r in pair]

    # Readers keep polling both replicas while the database goes down and comes back.
    statuses: list[int] = []
    polling = threading.Event()

    def poll() -> None:
        with httpx.Client(timeout=10) as client:
            for _ in range(5000):  # bounded, and stopped once the restart is over
                if polling.is_set():
                    return
                for replica in pair:
                    statuses.append(client.get(replica.url + "feeds/main.rss").status_code)

    readers = threading.Thread(target=poll)
    readers.start()
    try:
        postgres.restart()  # every connection of every replica is cut
        site.write("second.md", md("Ночной трамвай вернулся"))
        assert [r.feed().content for r in pair] == before  # still serving the last feeds
    finally:
        polling.set()
        readers.join(30)
    assert statuses and set(statuses) == {200}, "a reader was refused while it was down"

    def both_have_it() -> bool:
        return all("Ночной трамвай вернулся" in titles(r.feed().content) for r in pair)

    wait_until(both_have_it, 30, what="a build after the restart, on both replicas")
    assert all(r.process.poll() is None for r in pair)


def test_a_replica_on_another_config_does_not_lead_until_it_is_put_in_force(
    site: Site, replicas: list[Replica]
):
    """Two configs never publish in turn: the leader's config is in force; a replica
    started with another title stands by, also when the leader dies, until an operator
    puts its config in force (SIGHUP, as `systemctl reload` sends)."""
    site.write("first.md", md("Harbour Cranes Replaced"))
    first, other = replicas[0], replicas[1]
    first.start()
    wait_until(lambda: first.feed().status_code == 200, 30, what="the first replica's build")
    text = other.config.read_text(encoding="utf-8")
    other.config.write_text(text.replace("[site]\n", '[site]\ntitle = "Другая редакция"\n'))
    other.start()
    wait_until(lambda: "standby: the config in force is" in other.log.read_text(), 20, what="it")
    first.stop(signal.SIGKILL)
    time.sleep(6)  # three lease attempts: the lead is free, and not taken
    assert not other.leads()
    other.process.send_signal(signal.SIGHUP)
    wait_until(other.leads, 20, what="the replica put in force to lead")
    wait_until(
        lambda: "Другая редакция" in other.feed().text, 30, what="its build on its own config"
    )
