"""A store's first reading, and a reading again of every file (a release's new reader,
a changed [site] setting), are taken into the state part by part as they are read (a
first scan of 200,000 files, held whole until the state took it, was most of a first
build's 3.8 GB; a reading again of 20,000 held 1.2 GB). What the state then holds must
be what taking the scan whole gives, for what ties articles of two parts too: pages
dated by their files in one second, one id claimed by two files, a file changed while
the store is read again."""

import json
import logging
import os
import shutil
from datetime import UTC, datetime, timedelta

from conftest import Site, feedsvc, md, page
from sqlalchemy import select

import feedsvc.store.files as files
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State
from feedsvc.state.schema import articles, labels

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
WRITTEN = datetime(2026, 12, 6, 18, 30, 15, tzinfo=UTC)  # the undated pages' one second


def write_store(site: Site) -> None:
    site.configure(extra='[[feeds]]\nname = "main"\nlimit = 100\n')
    for number in range(12):
        site.write(
            f"news/{number:02}.md",
            md(
                f"Ferry timetable change {number}",
                f"The harbour ferry leaves *{number}* minutes later.",
                published=f"2026-12-0{1 + number % 5}T08:{number:02}:00Z",
                categories='["transport"]' if number % 2 else '["город"]',
            ),
        )
    for number in range(8):  # written in one second, read in several parts
        site.write(
            f"pages/{number}.txt",
            page(f"Трамвай номер {number} идёт в депо", "Вечерний рейс отменён."),
            at=WRITTEN,
        )
    site.write("pages/late.txt", page("Bridge Lights Repaired", "Lit again."), at=WRITTEN)
    site.write("news/draft.md", md("Budget Draft", "Not yet.", draft="true"))
    site.write("news/broken.md", "+++\ntitle = \n+++\nNo headline here.\n")


def built(site: Site, *, whole: bool, monkeypatch, at: datetime = NOW) -> tuple[dict, list[str]]:
    """Build the site (parts of 3 files, or every scan whole); return its articles as
    the state holds them by key (all but the row id, GUID and stamp) with their labels,
    and the build's problems."""
    with monkeypatch.context() as patch:
        patch.setattr(files, "READ_CHUNK", 3)
        if whole:
            patch.setattr(Pipeline, "_parts_allowed", lambda *_args: False)
        settings = site.settings()
        state = State(settings.state.url)
        try:
            report = Pipeline(settings, state, clock=lambda: at).run()
            with state.engine.connect() as conn:
                rows = conn.execute(select(articles)).mappings().all()
                tags = conn.execute(select(labels)).all()
        finally:
            state.close()
    assert report.failures == []
    of_article: dict[int, set] = {}
    for tag in tags:
        of_article.setdefault(tag.article_id, set()).add((tag.kind, tag.slug, tag.value))
    unstable = {"id", "guid", "changed"}
    folder = str(site.articles)  # where the files are is said in messages and origins
    held = {
        row["key"]: (
            {
                name: value.replace(folder, "") if name == "data" else value
                for name, value in row.items()
                if name not in unstable
            },
            of_article.get(row["id"], set()),
        )
        for row in rows
    }
    return held, sorted(str(problem).replace(folder, "") for problem in report.problems)


def twin(site: Site, tmp_path) -> Site:
    """The same site in another folder, files and their times alike."""
    other = Site(tmp_path / "twin", site.port)
    shutil.copytree(site.articles, other.articles)
    other.config.write_text(site.config.read_text(encoding="utf-8"), encoding="utf-8")
    return other


def test_a_first_reading_in_parts_holds_what_the_whole_scan_gives(site, tmp_path, monkeypatch):
    write_store(site)
    other = twin(site, tmp_path)
    parted, parted_problems = built(site, whole=False, monkeypatch=monkeypatch)
    whole, whole_problems = built(other, whole=True, monkeypatch=monkeypatch)
    assert parted == whole
    assert parted_problems == whole_problems
    assert any("news/broken.md" in problem for problem in parted_problems)
    assert len(parted) == 22  # 21 read, the draft among them; the broken file is not
    # Nine pages of one second, in four parts: each its own second, the last by key
    # keeping the file's (each part alone had given its pages the same seconds).
    dates = sorted(
        (row["published"], key) for key, (row, _labels) in parted.items() if "pages/" in key
    )
    assert [when for when, _key in dates] == [
        WRITTEN - timedelta(seconds=8 - number) for number in range(9)
    ]
    assert dates[-1][1] == "pages/late.txt"


def test_one_id_claimed_in_two_parts_is_read_again_whole(site, tmp_path, monkeypatch, caplog):
    """The conflict's rule needs both claimants at once: neither is published, and each
    is told the other's name, as when the scan is taken whole."""
    write_store(site)
    site.write("a-first.md", md("Council Vote Tonight", "Vote.", id='"vote-7"'))
    site.write("z-last.md", md("Council Vote Tomorrow", "Vote moved.", id='"vote-7"'))
    other = twin(site, tmp_path)
    with caplog.at_level(logging.INFO, logger="feedsvc.site.pipeline"):
        parted, parted_problems = built(site, whole=False, monkeypatch=monkeypatch)
    assert "an id is claimed in two parts: 'vote-7'" in caplog.text
    whole, whole_problems = built(other, whole=True, monkeypatch=monkeypatch)
    assert parted == whole
    assert parted_problems == whole_problems
    assert "a-first.md" not in parted and "z-last.md" not in parted
    told = [problem for problem in parted_problems if "vote-7" in problem]
    assert len(told) == 2 and all("neither is published" in problem for problem in told)


def reads_and_takings(monkeypatch) -> list[str]:
    """What builds do from now on, in order: "read" a file, "taken in" a part of a
    scan (parts of 3 files)."""
    events: list[str] = []
    read, settle = files.FileReader.read, State._settle

    def reading(self, key, *args):
        events.append("read")
        return read(self, key, *args)

    def settling(self, *args, **kwargs):
        events.append("taken in")
        return settle(self, *args, **kwargs)

    monkeypatch.setattr(files.FileReader, "read", reading)
    monkeypatch.setattr(State, "_settle", settling)
    monkeypatch.setattr(files, "READ_CHUNK", 3)
    return events


def test_a_first_reading_is_taken_in_while_the_store_is_still_being_read(site, monkeypatch):
    """What is held at once is a part, not the scan: the state takes the first parts in
    before the last files are read."""
    write_store(site)
    events = reads_and_takings(monkeypatch)
    assert site.build(clock=lambda: NOW).problems
    assert events.index("taken in") < len(events) - 1 - events[::-1].index("read")
    assert events.count("taken in") == 8  # 23 files, 3 a part


def test_a_site_that_asks_audio_lengths_takes_its_first_reading_whole(site, monkeypatch):
    """Asking is bounded per build over the whole scan: such a site reads it whole."""
    write_store(site)
    site.config.write_text(
        f'[site]\nbase_url = "{site.url}"\nmedia_probe = "public"\n[[feeds]]\nname = "main"\n',
        encoding="utf-8",
    )
    taken: list[int] = []
    monkeypatch.setattr(State, "apply_parts", lambda *_a: taken.append(1) or [])
    assert site.build(clock=lambda: NOW).articles == 21
    assert taken == []


def read_both_then_edit(site: Site, tmp_path, monkeypatch) -> Site:
    """The store in the site and its twin, built (in parts, and whole), then edited so
    that every file is to be read again; the twin."""
    write_store(site)
    other = twin(site, tmp_path)
    built(site, whole=False, monkeypatch=monkeypatch)
    built(other, whole=True, monkeypatch=monkeypatch)
    for each in (site, other):
        edit_and_shorten(each)
    return other


def edit_and_shorten(site: Site) -> None:
    """Between two builds: summaries cut shorter (every file is read again), one story
    edited, one deleted, one new."""
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(text.replace("[site]\n", "[site]\nsummary_length = 40\n"))
    site.write("news/03.md", md("Ferry Timetable Restored", "The old times are back from Monday."))
    (site.articles / "news" / "05.md").unlink()
    site.write("news/new.md", md("Night Tram Returns", "Line 4 runs all night again."))


def test_a_store_read_again_in_parts_holds_what_the_whole_scan_gives(
    site, tmp_path, monkeypatch, caplog
):
    other = read_both_then_edit(site, tmp_path, monkeypatch)
    later = NOW + timedelta(hours=1)
    with caplog.at_level(logging.INFO, logger="feedsvc.site.pipeline"):
        parted, parted_problems = built(site, whole=False, monkeypatch=monkeypatch, at=later)
    assert "every file is read again, part by part" in caplog.text
    assert "every file read again" in caplog.text
    whole, whole_problems = built(other, whole=True, monkeypatch=monkeypatch, at=later)
    assert parted == whole
    assert parted_problems == whole_problems
    assert parted["news/05.md"][0]["deleted"] is not None and "news/new.md" in parted
    summary = json.loads(parted["news/07.md"][0]["data"])["summary_html"]
    assert summary == "The harbour ferry leaves 7 minutes…"  # cut at 40 now


def test_a_store_read_again_is_taken_in_while_it_is_still_being_read(site, monkeypatch):
    """As a first reading: the state takes the first parts in before the last files are
    read, not the whole scan at the end."""
    write_store(site)
    site.build(clock=lambda: NOW)
    edit_and_shorten(site)
    events = reads_and_takings(monkeypatch)
    site.build(clock=lambda: NOW + timedelta(hours=1))
    # What changed (an edit, a new file, the broken one read every time) read and taken
    # in, then the 20 files owed a reading and the broken one again, in parts of 3, each
    # taken in as it comes.
    assert events[:4] == ["read", "read", "read", "taken in"]
    assert events.count("read") == 3 + 21
    assert events.count("taken in") == 1 + 7
    assert events.index("taken in", 4) < len(events) - 1 - events[::-1].index("read")


def test_a_file_saved_while_the_store_is_read_again_is_read_as_a_change(
    site, tmp_path, monkeypatch, caplog
):
    """An editor saves a story while every file is being read again: it is not the file
    it was owed a reading as, so it is left to the next scan, which reads it as any
    change. Then the store holds what a whole reading gives."""
    other = read_both_then_edit(site, tmp_path, monkeypatch)
    scan_in_parts = files.FilesStore.scan_in_parts
    edited = md("Council Vote Moved", "To Thursday.", published="2026-12-02T09:00:00Z")

    def saved_meanwhile(self, memory, *args):
        if memory.signatures.get("news/07.md") == "":  # every file is being read again
            (site if self.root == site.articles else other).write("news/08.md", edited, at=NOW)
        return scan_in_parts(self, memory, *args)

    monkeypatch.setattr(files.FilesStore, "scan_in_parts", saved_meanwhile)
    later = NOW + timedelta(hours=1)
    parted, _problems = built(site, whole=False, monkeypatch=monkeypatch, at=later)
    assert "Council Vote Moved" not in parted["news/08.md"][0]["data"]
    stats = feedsvc("--config", str(site.config), "stats")
    assert "reading again under way: 1 file left to read, then every feed" in stats.stdout
    with caplog.at_level(logging.INFO, logger="feedsvc.site.pipeline"):
        parted, parted_problems = built(site, whole=False, monkeypatch=monkeypatch, at=later)
    assert "every file read again" in caplog.text
    whole, whole_problems = built(other, whole=True, monkeypatch=monkeypatch, at=later)
    assert parted == whole
    assert parted_problems == whole_problems
    assert "Council Vote Moved" in parted["news/08.md"][0]["data"]


def test_a_file_unreadable_when_read_again_is_read_as_a_change(site, tmp_path, monkeypatch):
    """A file the new reading refuses (here: spoilt with its size and time kept, so it
    is still owed a reading): left to a scan of changes, which says what is wrong with
    it, in the same build; the store then holds what a whole reading gives."""
    other = read_both_then_edit(site, tmp_path, monkeypatch)
    for each in (site, other):
        path = each.articles / "news" / "09.md"
        was = path.stat()
        path.write_bytes(b"+++\ntitle = \n+++\n".ljust(was.st_size, b"x"))
        os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    later = NOW + timedelta(hours=1)
    parted, parted_problems = built(site, whole=False, monkeypatch=monkeypatch, at=later)
    whole, whole_problems = built(other, whole=True, monkeypatch=monkeypatch, at=later)
    assert parted == whole
    assert parted_problems == whole_problems
    assert any("news/09.md" in problem for problem in parted_problems)
    stats = feedsvc("--config", str(site.config), "stats")
    assert "reading again under way" not in stats.stdout
