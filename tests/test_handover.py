"""`feedsvc takedown` beside a running service: the command records the takedown and
the service publishes it (its build, at once), rather than a new process building from
cold; a service that does not answer leaves the command to publish it itself."""

import fcntl
import os
import signal
import sqlite3
import time
from contextlib import closing

import pytest
from conftest import Site, feedsvc, md, wait_until

from feedsvc.api import open_site
from feedsvc.site.pipeline import LOCK_FILE

STORY, OTHER = "Мост закрыт на ремонт", "Ярмарка на площади"


def quiet_schedule(site: Site) -> None:
    """A schedule that never builds while the test runs: only what is asked for builds."""
    site.configure()
    text = site.config.read_text(encoding="utf-8").replace("interval = 1\n", "interval = 3600\n")
    site.config.write_text(text, encoding="utf-8")


def stop_between_builds(site: Site, pid: int) -> None:
    """SIGSTOP the service at a moment it holds neither the build lock nor a write lock
    on the state: stopped in a build or a transaction, it would block the command's own
    build or writes for as long as it stays stopped, which this test is not about."""
    path = site.settings().state.url.removeprefix("sqlite:///")
    for _ in range(100):
        os.kill(pid, signal.SIGSTOP)
        if _build_lock_free(site) and _state_writable(path):
            return
        os.kill(pid, signal.SIGCONT)  # let it finish, and try again
        time.sleep(0.05)
    raise AssertionError("the service held the build lock or the state's for five seconds")


def _build_lock_free(site: Site) -> bool:
    with (site.settings().public_dir / LOCK_FILE).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(handle, fcntl.LOCK_UN)
        return True


def _state_writable(path: str) -> bool:
    with closing(sqlite3.connect(path, timeout=0.05, isolation_level=None)) as conn:
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        conn.execute("ROLLBACK")
        return True


def served(server, path: str = "/feeds/main.rss") -> str:
    response = server.get(path)
    assert response.status_code == 200, path
    return response.text


@pytest.mark.parametrize("workers", [1, 2])
def test_a_takedown_beside_the_service_is_published_by_the_service(
    site: Site, start_server, workers: int
):
    """With several workers, the one that leads publishes it (its process id is not the
    server's, and its command line is Python's, not feedsvc's)."""
    quiet_schedule(site)
    site.write("bridge.md", md(STORY, "Движение перекрыто до пятницы.", categories='["Город"]'))
    site.write("fair.md", md(OTHER, "Сорок лотков с мёдом.", categories='["Город"]'))
    server = start_server("run", "--workers", str(workers))
    wait_until(lambda: STORY in server.get("/feeds/main.rss").text, 20, what="the first build")
    config = ("--config", str(site.config))

    taken = feedsvc(*config, "takedown", "bridge.md", "--reason", "суд")
    assert taken.returncode == 0, taken.stderr
    with open_site(site.config) as opened:
        leader = opened.state.in_force.get()
    assert leader is not None and (leader.pid == server.process.pid) is (workers == 1)
    assert f"published by the service running this site (process {leader.pid})" in taken.stdout
    assert "written:" not in taken.stdout  # the command built nothing itself
    # Out of every feed it was in as soon as the command returns, the others kept.
    for path in ("/feeds/main.rss", "/feeds/category/город.rss", "/feeds/main.json"):
        assert STORY not in served(server, path), path
        assert OTHER in served(server, path), path

    back = feedsvc(*config, "takedown", "bridge.md", "--undo")
    assert back.returncode == 0, back.stderr
    assert "published again" in back.stdout and "published by the service" in back.stdout
    assert STORY in served(server) and STORY in served(server, "/feeds/main.atom")


def test_a_service_that_does_not_answer_leaves_the_command_to_publish(site: Site, start_server):
    """A service stopped by the operator (SIGSTOP, a frozen container) holds the lead but
    builds nothing: the command waits --service-wait, then publishes from its own process."""
    quiet_schedule(site)
    site.write("bridge.md", md(STORY, "Движение перекрыто до пятницы."))
    site.write("fair.md", md(OTHER, "Сорок лотков с мёдом."))
    server = start_server("run")
    wait_until(lambda: STORY in server.get("/feeds/main.rss").text, 20, what="the first build")
    stop_between_builds(site, server.process.pid)
    try:
        taken = feedsvc(
            "--config", str(site.config), "takedown", "bridge.md", "--service-wait", "1"
        )
        assert taken.returncode == 0, taken.stderr
        assert "published by the service" not in taken.stdout
        assert "written: " in taken.stdout and "feeds/main.rss" in taken.stdout
        main = (site.feeds / "main.rss").read_text(encoding="utf-8")
        assert STORY not in main and OTHER in main
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    # Woken, the service serves what the command published (and builds what it was
    # asked: nothing more to do).
    assert STORY not in served(server)
    assert OTHER in served(server)


def test_without_a_service_the_command_publishes_itself(site: Site):
    site.write("bridge.md", md(STORY, "Движение перекрыто до пятницы."))
    assert site.build().ok
    taken = feedsvc("--config", str(site.config), "takedown", "bridge.md")
    assert taken.returncode == 0, taken.stderr
    assert "published by the service" not in taken.stdout
    assert "written: " in taken.stdout and "feeds/main.rss" in taken.stdout
    assert STORY not in (site.feeds / "main.rss").read_text(encoding="utf-8")
