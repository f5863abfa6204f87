"""A files store told by inotify what changed sees every change a full walk sees."""

import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from multiprocessing import forkserver
from zoneinfo import ZoneInfo

from conftest import Site, md
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedsvc.core.workers import descendants
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State
from feedsvc.store import Memory
from feedsvc.store.files import FilesStore
from feedsvc.store.record import SiteContext

CONTEXT = SiteContext("https://example.org/{slug}/", ZoneInfo("UTC"), 300)
NAMES = ["a.md", "b.md", "c.txt", "sub/d.md", "sub/e.md", "sub/deep/f.md", ".hidden.md"]

operations = st.lists(
    st.tuples(
        st.sampled_from(["write", "append", "delete", "rename", "touch", "bad", "rmdir"]),
        st.sampled_from(NAMES),
        st.sampled_from(NAMES),
    ),
    max_size=6,
)


def apply(root, operation: str, name: str, other: str, step: int) -> None:
    path, target = root / name, root / other
    if operation == "write":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(md(f"Заметка {name} {step}", f"Текст {step}."), encoding="utf-8")
    elif operation == "append" and path.exists():
        with path.open("a", encoding="utf-8") as out:
            out.write(f"\nПоправка {step}.\n")
    elif operation == "delete":
        path.unlink(missing_ok=True)
    elif operation == "rename" and path.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    elif operation == "touch" and path.exists():
        os.utime(path, ns=(step * 10**9, step * 10**9))
    elif operation == "bad":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x00binary")
    elif operation == "rmdir" and (root / "sub").exists():
        for inner in sorted((root / "sub").rglob("*"), reverse=True):
            inner.unlink() if inner.is_file() else inner.rmdir()
        (root / "sub").rmdir()


def articles(state: State) -> list[tuple[str, str]]:
    found = state.newest(100, datetime.now(UTC), CONTEXT.article_url)
    return sorted((a.source.key, a.source.title) for a in found)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(operations, min_size=1, max_size=5))
def test_a_watched_store_finds_what_a_walk_finds(tmp_path_factory, batches):
    root = tmp_path_factory.mktemp("store")
    watched, walked = (
        FilesStore("s", root, CONTEXT, max_file_size=10**6),
        FilesStore("s", root, CONTEXT, max_file_size=10**6, watch=False),
    )
    states = State("sqlite://"), State("sqlite://")
    try:
        for step, batch in enumerate([[], *batches]):
            for operation, name, other in batch:
                apply(root, operation, name, other, step)
            now = datetime.now(UTC)
            found = []
            for store, state in zip((watched, walked), states, strict=True):
                memory = state.memory("s")
                scan = store.scan(memory)
                problems = sorted(str(p) for p in scan.problems)
                state.apply_scan(scan, memory, now)
                found.append((articles(state), problems, dict(memory.signatures)))
            assert found[0] == found[1], batch
        assert watched._watch is not None, "inotify was there: the later scans were told"
    finally:
        for state in states:
            state.close()


def test_a_running_service_scans_only_what_it_was_told(site: Site, monkeypatch):
    """After the first build, a build stats the files inotify named, not every file; a
    bad file is still reported every build until it is mended."""
    for number in range(20):
        site.write(f"{number:02}.md", md(f"Story {number}"))
    site.write("broken.txt", "")
    settings = site.settings()
    state = State(settings.state.url)
    try:
        pipeline = Pipeline(settings, state)
        assert pipeline.run().ok
        walks = []
        walk = FilesStore._changed_files
        monkeypatch.setattr(
            FilesStore, "_changed_files", lambda *args: walks.append(1) or walk(*args)
        )
        site.write("07.md", md("Story seven, corrected"))
        (site.articles / "12.md").unlink()
        report = pipeline.run()
        assert walks == []
        feed = (site.feeds / "main.rss").read_text()
        assert "Story seven, corrected" in feed and "Story 12" not in feed
        assert [p.path for p in report.problems] == [str(site.articles / "broken.txt")]
        site.write("new/section/story.md", md("A story in a new folder"))
        assert pipeline.run().ok
        assert walks == [1], "a new folder: walked again, and watched"
        assert "A story in a new folder" in (site.feeds / "main.rss").read_text()
        site.write("new/section/story.md", md("Its headline, changed"))
        pipeline.run()
        assert walks == [1] and "Its headline, changed" in (site.feeds / "main.rss").read_text()
    finally:
        state.close()


def test_a_build_that_fails_after_its_scan_loses_no_change(site: Site, monkeypatch):
    """inotify names a change once: if the state never took the scan in (the database
    failed; a fault a real SQLite cannot be made to show on cue, so it is injected),
    the next scan walks everything and finds it."""
    site.write("a.md", md("First"))
    settings = site.settings()
    state = State(settings.state.url)
    try:
        pipeline = Pipeline(settings, state)
        assert pipeline.run().ok
        site.write("b.md", md("Second"))
        real = State.apply_scan

        def failing(*_args):
            monkeypatch.setattr(State, "apply_scan", real)
            raise RuntimeError("database is locked")

        monkeypatch.setattr(State, "apply_scan", failing)
        with contextlib.suppress(RuntimeError):
            pipeline.run()
        assert pipeline.run().ok
        assert "Second" in (site.feeds / "main.rss").read_text()
    finally:
        state.close()


def test_a_scan_read_by_a_pool_of_processes_reads_as_one_read_here(tmp_path):
    """Many files are read by worker processes: the same articles, problems and order as
    when this process reads them, bad files and an article in Russian among them."""
    root = tmp_path / "articles"
    (root / "news").mkdir(parents=True)
    for number in range(30):
        title = f"Паром ходит по новому расписанию, рейс {number}"
        (root / "news" / f"{number:02}.md").write_text(md(title, f"Текст *{number}*."), "utf-8")
    (root / "news" / "broken.md").write_text("+++\ntitle = \n+++\nНет заголовка\n", "utf-8")
    (root / "photo.png").write_bytes(b"\x89PNG")
    here = FilesStore("s", root, CONTEXT, max_file_size=10**6, watch=False)
    pooled = FilesStore("s", root, CONTEXT, max_file_size=10**6, watch=False, parallel_from=2)
    alone, together = here.scan(Memory()), pooled.scan(Memory())
    assert together.changed == alone.changed
    assert len(together.changed) == 32
    problems = {source.key for source in together.changed if source.problems}
    assert problems == {"news/broken.md", "photo.png"}
    first = together.changed[0].articles[0]
    assert first.title == "Паром ходит по новому расписанию, рейс 0"
    assert first.content_hash == alone.changed[0].articles[0].content_hash


def test_a_scan_whose_pool_process_is_killed_reads_the_rest_here(tmp_path, monkeypatch, caplog):
    """The reading processes killed halfway (the OOM killer, an operator): the files they
    had not returned are read by the scanning process, and nothing is lost."""
    import feedsvc.store.files as files

    monkeypatch.setattr(files, "READ_CHUNK", 2)
    root = tmp_path / "articles"
    root.mkdir()
    for number in range(400):  # enough that the readers are still at work when killed
        (root / f"{number:03}.md").write_text(md(f"Мост закрыт, день {number}", "Текст."), "utf-8")
    here = FilesStore("s", root, CONTEXT, max_file_size=10**6, watch=False)
    pooled = FilesStore("s", root, CONTEXT, max_file_size=10**6, watch=False, parallel_from=2)
    before: set[int] = set()
    killed: list[int] = []

    def progress(done: int, _total: int) -> None:
        if done == 2 and not killed:  # the first chunk is back: kill the readers
            killed.extend(descendants(forkserver._forkserver._forkserver_pid) - before)
            for pid in killed:
                os.kill(pid, signal.SIGKILL)

    started = multiprocessing.get_context("forkserver").Process(target=int)  # the server up
    started.start()
    started.join()
    before.update(descendants(forkserver._forkserver._forkserver_pid))
    together = pooled.scan(Memory(), progress)
    assert killed, "no reading process was found to kill"
    assert "reading files in worker processes failed" in caplog.text
    assert together.changed == here.scan(Memory()).changed
    assert len(together.changed) == 400 and not any(s.problems for s in together.changed)


BLOCKED_IN_POOL = """
import os
from multiprocessing import forkserver
from feedsvc.core.workers import process_pool

def blocked(pid):
    with open(f"/proc/{pid}/status") as status:
        line = next(line for line in status if line.startswith("SigBlk:"))
    return bool(int(line.split()[1], 16) & 1 << (2 - 1))  # SIGINT is signal 2

if __name__ == "__main__":
    with process_pool(1) as pool:
        worker = pool.submit(os.getpid).result()
        print(blocked(forkserver._forkserver._forkserver_pid), blocked(worker), blocked("self"))
"""


def test_pool_processes_hold_ctrl_c_from_their_first_instruction(tmp_path):
    """Ctrl-C reaches the whole process group: one that came while the forkserver was
    starting up printed a traceback from it. The forkserver starts with SIGINT blocked,
    its workers keep it so, and the process starting the pool has it back."""
    script = tmp_path / "pool.py"
    script.write_text(BLOCKED_IN_POOL, encoding="utf-8")
    found = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, check=True
    )
    assert found.stdout.split() == ["True", "True", "False"], found.stderr
