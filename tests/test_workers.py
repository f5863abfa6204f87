"""`feedsvc run --workers N`: one scheduler by a lock, every worker serving the newest build."""

import json
import os
import re
import signal
import time

import httpx
from conftest import Site, md, wait_until


def fresh(site: Site, path: str) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to either worker."""
    with httpx.Client(timeout=10) as client:
        return client.get(site.url + path.lstrip("/"))


def access_lines(server) -> list[dict]:
    return [json.loads(line) for line in server.output().splitlines() if line.startswith("{")]


def scheduler_pids(server) -> list[int]:
    return [int(pid) for pid in re.findall(r"process (\d+) runs the schedule", server.output())]


def test_two_workers_one_scheduler_same_bytes_after_each_build(site: Site, start_server):
    site.write("a.md", md("Bridge repairs begin"))
    server = start_server("run", "--workers", "2")
    wait_until(lambda: fresh(site, "/feeds/main.rss").status_code == 200, 20, what="a build")
    time.sleep(3)  # the second worker has tried for the lock at least once
    assert len(scheduler_pids(server)) == 1, server.output()

    old = fresh(site, "/feeds/main.rss").headers["etag"]
    site.write("b.md", md("Мост открыт для пешеходов", "Ремонт закончен раньше срока."))
    wait_until(lambda: fresh(site, "/feeds/main.rss").headers["etag"] != old, 10, 0.05)
    time.sleep(1.0)  # every worker has had its second
    seen_before = len(access_lines(server))
    answers = [fresh(site, "/feeds/main.rss") for _ in range(40)]
    assert {r.headers["etag"] for r in answers} != {old}
    assert len({r.headers["etag"] for r in answers}) == 1, "every worker serves the same ETag"
    assert len({r.content for r in answers}) == 1
    assert "Мост открыт для пешеходов" in answers[0].text
    served_by = wait_until(
        lambda: {e["worker"] for e in access_lines(server)[seen_before:]}, 3, what="log lines"
    )
    assert len(served_by) == 2, "both workers answered (else this test proves nothing)"


def test_when_the_scheduling_worker_dies_another_takes_over(site: Site, start_server):
    site.write("a.md", md("Night buses return"))
    server = start_server("run", "--workers", "2")
    wait_until(lambda: scheduler_pids(server), 20, what="a worker to take the schedule")
    first = scheduler_pids(server)[0]
    os.kill(first, signal.SIGKILL)
    wait_until(lambda: len(scheduler_pids(server)) == 2, 15, what="another worker to take over")
    assert scheduler_pids(server)[1] != first
    site.write("b.md", md("Новая линия трамвая"))
    wait_until(
        lambda: "Новая линия трамвая" in fresh(site, "/feeds/main.rss").text,
        15,
        what="a build by the new scheduler",
    )
