"""`feedsvc run`: serving while the scheduler rebuilds, one build at a time, surviving failures."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from conftest import Site, feedsvc, md, page, wait_until

from feedsvc.core.workers import descendants
from feedsvc.site.pipeline import Pipeline
from feedsvc.site.schedule import trigger
from feedsvc.state.database import State


def titles(server, feed: str = "main.rss") -> list[str]:
    response = server.get(f"/feeds/{feed}")
    if response.status_code != 200:
        return []
    return [entry.title for entry in feedparser.parse(response.content).entries]


def test_a_new_article_shows_up_within_an_interval(site: Site, start_server):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    server = start_server("run")
    wait_until(lambda: titles(server) == ["Harbour Opens"], 10, what="the first build")
    site.write("b.txt", page("Новый мост открыт", "Движение запущено."))
    started = time.monotonic()
    wait_until(lambda: "Новый мост открыт" in titles(server), 10, what="the new article")
    assert time.monotonic() - started < 3  # the interval is 1 s; allow for a slow machine


def test_when_nothing_changes_nothing_is_rewritten_and_the_etag_stays(site: Site, start_server):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    server = start_server("run")
    wait_until(lambda: titles(server), 10, what="the first build")
    first = server.get("/feeds/main.atom")
    mtime = (site.feeds / "main.atom").stat().st_mtime_ns
    state = State(site.settings().state.url)
    try:
        runs_before = state.last_build()
        wait_until(lambda: state.last_build().started > runs_before.started, 10, what="more runs")
        wait_until(lambda: state.last_build().started > runs_before.started, 10, what="more runs")
    finally:
        state.close()
    again = server.get("/feeds/main.atom")
    assert again.headers["etag"] == first.headers["etag"]
    assert again.content == first.content
    assert (site.feeds / "main.atom").stat().st_mtime_ns == mtime


def test_a_failed_run_is_logged_the_server_keeps_serving_and_the_next_tick_recovers(
    site: Site, start_server
):
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    server = start_server("run")
    wait_until(lambda: server.get("/healthz").status_code == 200, 10, what="a good build")
    moved = site.root / "articles-away"
    shutil.move(site.articles, moved)
    report = wait_until(
        lambda: server.get("/healthz").status_code == 503 and server.get("/healthz").json(),
        10,
        what="the failed build to show",
    )
    assert report["status"] == "last build failed"
    assert "article folder does not exist" in report["last_build"]["error"]
    assert report["last_success"] is not None
    assert titles(server) == ["Harbour Opens"], "the last good feed is still served"
    assert "build failed; the next scheduled run will try again" in server.output()
    shutil.move(moved, site.articles)
    wait_until(lambda: server.get("/healthz").status_code == 200, 10, what="recovery")
    assert server.process.poll() is None


def test_builds_never_overlap(site: Site, monkeypatch):
    """Two triggers at once (a tick and `feedsvc build`, say) run one after the other."""
    site.write("a.txt", page("Harbour Opens", "Boats came in."))
    settings = site.settings()
    state = State(settings.state.url)
    pipeline = Pipeline(settings, state)
    running, most = 0, 0
    real_scan = pipeline.stores[0].scan

    def slow_scan(*args):  # a store slow enough for two runs to meet, were they allowed to
        nonlocal running, most
        running += 1
        most = max(most, running)
        time.sleep(0.3)
        running -= 1
        return real_scan(*args)

    monkeypatch.setattr(pipeline.stores[0], "scan", slow_scan)
    other = Pipeline(settings, state)  # a second pipeline, as another process would have
    monkeypatch.setattr(other.stores[0], "scan", slow_scan)
    threads = [threading.Thread(target=p.run) for p in (pipeline, pipeline, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    state.close()
    assert most == 1


def test_a_cron_schedule_fires_on_its_minutes(site: Site):
    site.config.write_text(
        site.config.read_text().replace("interval = 1", 'interval = 1\ncron = "*/15 * * * *"')
    )
    fire = trigger(site.settings()).get_next_fire_time(
        None, datetime(2026, 11, 28, 7, 1, tzinfo=UTC)
    )
    assert fire == datetime(2026, 11, 28, 7, 15, tzinfo=UTC)


def test_a_big_build_publishes_as_it_goes_with_the_same_result(site, monkeypatch):
    """Past SPILL_BYTES held, documents are published during the build (a first build of a
    big site must not hold them all in memory); the files are the same either way."""
    from conftest import md

    from feedsvc.publish.local import LocalTarget
    from feedsvc.site import pipeline
    from feedsvc.site.pipeline import Pipeline
    from feedsvc.state.database import State

    for number in range(12):
        site.write(f"{number}.md", md(f"Story {number}", categories=f"['Section {number % 4}']"))
    calls = []
    publish = LocalTarget.publish
    monkeypatch.setattr(
        LocalTarget, "publish", lambda self, files: calls.append(len(files)) or publish(self, files)
    )
    monkeypatch.setattr(pipeline, "SPILL_BYTES", 2_000)
    settings = site.settings()
    state = State(settings.state.url)
    try:
        spilled = Pipeline(settings, state).run()
        assert spilled.ok and len(calls) > 3, calls
        on_disk = sum((settings.public_dir / path).stat().st_size for path in spilled.written)
        assert spilled.bytes_written == on_disk
        monkeypatch.setattr(pipeline, "SPILL_BYTES", 2**40)
        again = Pipeline(settings, state, full=True).run()
        assert again.ok and again.written == [], "held to the end, the same bytes"
    finally:
        state.close()


def test_ctrl_c_during_a_build_leaves_no_process_and_no_word(site: Site):
    """Ctrl-C (SIGINT to the terminal's process group) while `feedsvc build` reads its
    files in a pool of processes: it leaves with 130, and the pool's processes with it.
    They outlived it before (a pool worker turns the interrupt into a result and waits
    for more work), and the resource tracker then warned of leaked semaphores."""
    for number in range(1500):  # a pool reads 1,000 files or more
        site.write(f"{number}.md", md(f"Заметка {number}", "Текст заметки."))
    command = [sys.executable, "-m", "feedsvc", "--config", str(site.config), "build"]
    building = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    pool = wait_until(lambda: descendants(building.pid), 60, what="the reading pool")
    os.killpg(building.pid, signal.SIGINT)
    _out, err = building.communicate(timeout=60)
    assert building.returncode == 130, err
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pool), 20,
               what="the pool's processes to end")  # fmt: skip
    assert "Traceback" not in err and "Warning" not in err, err


def test_stopping_run_during_a_build_leaves_no_process_and_no_traceback(site: Site, start_server):
    """SIGTERM while a build renders in its process pool: the pool's processes (the
    forkserver, its workers, the resource tracker) outlived the service, and the log
    ended with a CancelledError traceback."""
    site.configure(extra='[[feeds]]\nname = "main"\n[[feeds]]\nname = "tag"\nper = "tag"\n')
    for number in range(400):
        site.write(f"{number}.md", md(f"Story {number}", tags=f"['tag {number % 200}']"))
    server = start_server("run")
    pool = wait_until(lambda: descendants(server.process.pid), 60, what="the render pool")
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(60) in (0, -signal.SIGTERM)  # (uvicorn ends by the signal)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pool), 20,
               what="the pool's processes to end")  # fmt: skip
    assert "Traceback" not in server.output()
    assert "build stopped with the service" in server.output() or "build done" in server.output()


def test_stopping_run_while_it_reads_the_store_ends_the_reading(site: Site, start_server):
    """SIGTERM while the service's first build reads the store in its pool: the reading
    ends at its next part, not once every file is read (minutes at 200,000 articles: a
    service killed for taking that long left the pool's processes behind). Nothing of
    it is kept; the next start reads the store again."""
    for number in range(5000):  # a few seconds of reading on two cores
        site.write(f"{number}.md", md(f"Заметка {number}", "Текст заметки."))
    server = start_server("run")
    pool = wait_until(lambda: descendants(server.process.pid), 60, what="the reading pool")
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(60) in (0, -signal.SIGTERM)
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in pool), 20,
               what="the pool's processes to end")  # fmt: skip
    assert "Traceback" not in server.output()
    assert "build stopped with the service" in server.output()
    stats = feedsvc("--config", str(site.config), "stats")
    assert "visible now: 0 articles" in stats.stdout, "the reading went on to its end"
    assert not (site.feeds / "main.rss").exists()
