"""Big builds render in a process pool: the same files, copies and failures as here."""

import functools
import gzip
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import brotli
import pytest
from conftest import Site, md

from feedsvc.core.config import Settings
from feedsvc.core.stages import Stages
from feedsvc.feeds import pool
from feedsvc.feeds.formats import FORMATS
from feedsvc.feeds.pool import ready
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.state.database import State

SECTIONS = '[[feeds]]\nname = "section"\nper = "category"\n'
FAMILIES = """
[[feeds]]
name = "main"
archive_size = 4
[[feeds]]
name = "section"
per = "category"
archive_size = 4
"""


def build(site: Site, **options) -> BuildReport:
    settings = site.settings()
    state = State(settings.state.url)
    try:
        return Pipeline(settings, state, **options).run()
    finally:
        state.close()


@pytest.fixture
def pools(monkeypatch) -> list[int]:
    """Every pool started from now on, by its number of processes; and a pool at once."""
    started = []
    process_pool = pool.process_pool

    def recorded(workers: int, niceness: int = 0) -> pool.ProcessPoolExecutor:
        started.append(workers)
        return process_pool(workers, niceness)

    monkeypatch.setattr(pool, "process_pool", recorded)
    monkeypatch.setattr(pool, "POOL_AFTER", 0)
    return started


def test_a_pool_writes_the_files_and_copies_this_process_would(site: Site, pools, monkeypatch):
    site.configure(server="brotli = true", extra=FAMILIES)
    for number in range(24):
        site.write(f"{number}.md", md(f"Историја {number}", categories=f"['Section {number % 3}']"))
    pooled = build(site)
    assert pools == [2] and pooled.ok, pooled.failures
    assert {"feeds/section/section-1/archive/1.atom", "feeds/main/archive/5.json"} <= set(
        pooled.written
    )
    public = site.settings().public_dir
    for path in pooled.written:
        body = (public / path).read_bytes()
        assert gzip.decompress((public / f"{path}.gz").read_bytes()) == body, path
        assert brotli.decompress((public / f"{path}.br").read_bytes()) == body, path

    monkeypatch.setattr(pool, "POOL_AFTER", 10**9)
    again = build(site, full=True)
    assert pools == [2], "a full rebuild here, without a pool"
    assert again.ok and again.written == [], "rendered here, every file has the same bytes"


def render_cut_short(document, now, full_check: bool, brotli: bool) -> pool.Rendered:
    """In a pool process: the main feed's Atom renderer cutting its output short. A fault
    no real input makes feedgen show (a document over the size limit was one, and now
    gives way until it fits), so it is put in the pool process itself."""
    real = FORMATS["atom"]
    if document.meta.key == "main":
        FORMATS["atom"] = replace(real, render=lambda meta, items: real.render(meta, items)[:-40])
    try:
        return pool.render_elsewhere(document, now, full_check, brotli)
    finally:
        FORMATS["atom"] = real


def test_a_document_failing_its_checks_in_the_pool_is_not_published(site: Site, pools, monkeypatch):
    """The failure is named, the document's other formats and the other feeds are
    published, and the next build (the fault gone) publishes it."""
    site.configure(extra='[[feeds]]\nname = "main"\n' + SECTIONS)
    for number in range(5):
        site.write(f"{number}.md", md(f"Story {number}", categories="['Harbour']"))
    monkeypatch.setattr(pool, "render_elsewhere", render_cut_short)
    report = build(site)
    assert pools, "rendered in a pool"
    failed = sorted(failure.split(":")[0] for failure in report.failures)
    assert failed == ["feeds/main.atom", "feeds/main/archive/1.atom"]
    assert all("not published: not well-formed" in failure for failure in report.failures)
    assert not (site.feeds / "main.atom").exists()
    assert (site.feeds / "main.rss").exists() and (site.feeds / "section" / "harbour.atom").exists()
    monkeypatch.undo()
    fixed = build(site)
    assert fixed.ok and "feeds/main.atom" in fixed.written


def test_a_site_with_many_feeds_keeps_its_pool_for_the_next_builds(site: Site, pools, monkeypatch):
    """Past POOL_FEEDS feeds the pool outlives a build: the next one, of one new story,
    renders in the same pool (no start-up), and publishes it everywhere it belongs."""
    monkeypatch.setattr(pool, "POOL_AFTER", 10**9)
    monkeypatch.setattr(pool, "POOL_FEEDS", 3)  # main and three sections
    site.configure(extra=FAMILIES)
    for number in range(9):
        site.write(f"{number}.md", md(f"Story {number}", categories=f"['Section {number % 3}']"))
    settings = site.settings()
    state = State(settings.state.url)
    pipeline = Pipeline(settings, state)
    try:
        assert pipeline.run().ok and pools == [2]
        site.write("new.md", md("Ферри отменён", categories="['Section 1']"))
        report = pipeline.run()
        assert report.ok and pools == [2], "the same pool"
        assert {"feeds/main.rss", "feeds/section/section-1.atom"} <= set(report.written)
        assert "Ферри отменён" in (site.feeds / "section" / "section-1.json").read_text()
    finally:
        pipeline.close()
        state.close()


def test_a_pool_process_killed_fails_that_build_and_the_next_one_starts_afresh(
    site: Site, pools, monkeypatch
):
    """A render process killed (the kernel's OOM killer, an operator) fails the build it
    was working for; the next build starts a new pool and publishes."""
    monkeypatch.setattr(pool, "POOL_FEEDS", 1)
    site.configure(extra=FAMILIES)
    site.write("a.md", md("First", categories="['Section 0']"))
    settings = site.settings()
    state = State(settings.state.url)
    pipeline = Pipeline(settings, state)
    try:
        assert pipeline.run().ok and pools == [2]
        for process in pipeline.renderer._pool._processes.values():
            os.kill(process.pid, signal.SIGKILL)
        site.write("b.md", md("Second", categories="['Section 0']"))
        with pytest.raises(pool.BrokenProcessPool):
            pipeline.run()
        report = pipeline.run()
        assert report.ok and pools == [2, 2]
        assert "Second" in (site.feeds / "main.rss").read_text()
    finally:
        pipeline.close()
        state.close()


def families_retitled(site: Site, monkeypatch) -> Settings:
    """Nine stories in three sections, built with a kept pool (as at 3,801 feeds), then
    the site retitled: every feed to make again, in slices."""
    monkeypatch.setattr(pool, "POOL_FEEDS", 1)
    site.configure(extra=FAMILIES)
    for number in range(9):
        site.write(f"{number}.md", md(f"Story {number}", categories=f"['Section {number % 3}']"))
    assert build(site).ok
    site.config.write_text(site.config.read_text().replace("[site]\n", '[site]\ntitle = "Вести"\n'))
    return site.settings()


def test_a_redo_renders_at_a_lower_priority_than_the_news_after_it(site: Site, pools, monkeypatch):
    """While a redo is under way the kept pool's processes give the cores to the service
    (planning news, serving readers) and to a command run beside it (`feedsvc takedown`);
    once it is done, the news renders in a pool at the service's own priority again."""
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    settings = families_retitled(site, monkeypatch)
    state = State(settings.state.url)
    pipeline = Pipeline(settings, state)

    def niceness() -> int:
        assert pipeline.renderer._pool is not None
        return one_niceness(pipeline.renderer._pool)

    try:
        assert pipeline.run(budget=1e-6).remaining > 0  # a slice: one document at least
        assert niceness() == min(mine + pool.REDO_NICENESS, 19)
        workers = processes(pipeline.renderer._pool)
        while pipeline.run(budget=1e-6).remaining:
            assert niceness() == min(mine + pool.REDO_NICENESS, 19)
        assert niceness() == mine
        site.write("new.md", md("Паром отменён", categories="['Section 1']"))
        assert pipeline.run(budget=0.0).ok and niceness() == mine
        # Reniced, not restarted: news never waited for a new pool's imports.
        assert processes(pipeline.renderer._pool) == workers
        assert "Паром отменён" in (site.feeds / "section" / "section-1.rss").read_text()
    finally:
        pipeline.close()
        state.close()


def processes(pool: ProcessPoolExecutor | None) -> set[int]:
    assert pool is not None
    return set(pool._processes)


def one_niceness(pool: ProcessPoolExecutor) -> int:
    """The niceness of the pool's processes, which must all have the same."""
    pool.submit(ready).result()  # the processes are running
    (niceness,) = {os.getpriority(os.PRIO_PROCESS, pid) for pid in processes(pool)}
    return niceness


UNPRIVILEGED_REDO = """
import json, sys
sys.path.insert(0, sys.argv[1])
from test_pool import one_niceness, processes
from feedsvc.feeds.pool import Renderer
renderer = Renderer(full_check=False, brotli=False, workers=2)
renderer.keep_pool(True)
seen = []
for redoing in (False, True, False):
    renderer.yield_cores(redoing)
    seen.append((sorted(processes(renderer._pool)), one_niceness(renderer._pool)))
renderer.shutdown()
print(json.dumps(seen))
"""


def test_a_service_without_privileges_renders_news_at_its_own_priority_after_a_redo():
    """Making a process less nice needs CAP_SYS_NICE, which a service run as an ordinary
    user lacks: after a redo its pool is replaced by one at the service's priority."""
    command = [sys.executable, "-c", UNPRIVILEGED_REDO, str(Path(__file__).parent)]
    if os.geteuid() == 0:  # as root: without the capability
        command = ["setpriv", "--bounding-set=-sys_nice", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    (before, mine), (during, redoing), (after, back) = json.loads(done.stdout)
    assert during == before and redoing == min(mine + pool.REDO_NICENESS, 19)
    assert back == mine and not set(after) & set(before)


def nap(seconds: float, now, full_check: bool, brotli: bool) -> pool.Rendered:
    """In a pool process: a document that takes `seconds` to make (a full-text archive
    page beside a busy service took a second of a niced process)."""
    time.sleep(seconds)
    return pool.Rendered(made=seconds, seconds={})  # type: ignore[arg-type]


def test_news_that_comes_while_a_slice_waits_for_the_pool_drops_what_is_not_made(monkeypatch):
    """A slice spends most of its time waiting for its last documents: news that comes
    then does not wait for them. Those that may be dropped are; the others are made."""
    monkeypatch.setattr(pool, "POOL_AFTER", 0)
    monkeypatch.setattr(pool, "render_elsewhere", nap)
    renderer = pool.Renderer(full_check=False, brotli=False, workers=2)
    made: list[float] = []
    dropped: list[float] = []
    asked = 0

    def news_waits() -> bool:  # news comes once the slice has waited a while
        nonlocal asked
        asked += 1
        return asked > 5

    stages = Stages()
    try:
        renderer.submit(0.3, datetime.now(UTC), stages, made.append)  # not droppable
        for seconds in (2.0, 2.5):
            later = functools.partial(dropped.append, seconds)
            renderer.submit(seconds, datetime.now(UTC), stages, made.append, later)
        renderer.drain(stages, drop=news_waits)
        assert made == [0.3] and dropped == [2.0, 2.5]
    finally:
        renderer.shutdown()


def test_a_document_news_dropped_is_taken_from_the_pool_when_asked_for_again(monkeypatch):
    """News drops every document of a slice the pool has not given back, the first too
    (news waited 0.3-0.55 s for a full-text archive page that was never dropped, on a
    slow machine): the pool goes on making them, and the slice that asks for one again
    takes it made instead of making it again, so the redo moves on however often news
    comes. News asking for one is not held up by it: made here until the pool has it."""
    monkeypatch.setattr(pool, "POOL_AFTER", 0)
    monkeypatch.setattr(pool, "render_elsewhere", nap)
    monkeypatch.setattr(pool.documents, "render", lambda document, *_a, **_k: f"here: {document}")
    renderer = pool.Renderer(full_check=False, brotli=False, workers=2)
    made: list[float | str] = []
    dropped: list[float] = []
    asked = 0

    def news_waits() -> bool:  # news comes once the pool is making both
        nonlocal asked
        asked += 1
        return asked > 5

    stages, now = Stages(), datetime.now(UTC)
    try:
        for seconds, fingerprint in ((0.5, b"first"), (1.5, b"second")):
            later = functools.partial(dropped.append, seconds)
            renderer.submit(seconds, now, stages, made.append, later, fingerprint=fingerprint)
        renderer.drain(stages, drop=news_waits)
        assert made == [] and dropped == [0.5, 1.5]
        renderer.submit(60.0, now, stages, made.append, fingerprint=b"second")  # news
        assert made == ["here: 60.0"], "news does not wait for what the pool is making"
        redo = functools.partial(dropped.append, 60.0)
        renderer.submit(60.0, now, stages, made.append, redo, fingerprint=b"first")
        renderer.drain(stages, drop=lambda: False)
        assert made == ["here: 60.0", 0.5], "taken from the pool, not made again (60 s)"
        assert dropped == [0.5, 1.5]
    finally:
        renderer.shutdown()
