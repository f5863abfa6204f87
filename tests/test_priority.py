"""Breaking news never waits behind a redo of every feed, nor behind the service's first
build: the feeds a posted article joins are published, and the POST answered, while the
rest is still being made."""

import functools
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from conftest import Clock, Site, feedsvc, md, wait_until
from oracle import differences, from_scratch
from test_ingest import TOKEN, post

import feedsvc.store.files as files
from feedsvc.core.config import Settings
from feedsvc.feeds import pool
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.state.database import State

OLD, NEW = "Вести старого города", "Вести нового города"  # the site's title, before and after
UNCUT = "трамваев.</description>"  # a summary of the whole paragraph (not cut at 30)
SECTIONS = 120  # a category each: 120 family feeds for the redo to go through
ARCHIVED = '[[feeds]]\nname = "main"\narchive_size = 2\n'


def titled(site: Site, title: str, slice_seconds: float) -> None:
    site.configure(
        extra=f"[api]\ntoken = '{TOKEN}'\n",
    )
    text = site.config.read_text(encoding="utf-8")
    text = text.replace("[site]\n", f'[site]\ntitle = "{title}"\n')
    text = text.replace("interval = 1\n", f"interval = 3600\nredo_slice = {slice_seconds}\n")
    site.config.write_text(text, encoding="utf-8")


def redo_left(server) -> int:
    return server.get("/healthz").json()["redo_left"]


def as_from_scratch(site: Site, settings: Settings, clock: Clock, tmp_path: Path) -> None:
    """What was published, in pieces, is what one build from scratch makes."""
    scratch = tmp_path / "scratch"
    assert from_scratch(settings, settings.state.url, scratch, clock).ok
    assert differences(site.root / "public", scratch / "public") == []


@contextmanager
def held_pipeline(settings: Settings, **options) -> Iterator[Pipeline]:
    """A pipeline on the site's state, kept across builds as `feedsvc run` keeps one;
    it and its state closed after (`pipeline.state`)."""
    state = State(settings.state.url)
    pipeline = Pipeline(settings, state, **options)
    try:
        yield pipeline
    finally:
        pipeline.close()
        state.close()


def slices_until_done(pipeline: Pipeline, most: int) -> None:
    """Builds of `feedsvc run`'s slices, one after another, until nothing is left."""
    for _ in range(most):
        report = pipeline.run(budget=0.25)
        if report.to_read == 0 and report.remaining == 0:
            return


def news_with_the_pool_busy(pipeline: Pipeline) -> None:
    """A story is posted (the API asks for a build), and the render pool is busy a
    while: what it was given is not made by the slice's end, however quick the machine."""
    pipeline.news_waiting.set()
    for _ in range(pipeline.renderer.workers):
        pipeline.renderer._pool.submit(time.sleep, 5)  # type: ignore[union-attr]


def main_archive_redone(site: Site, clock: Clock, monkeypatch) -> Settings:
    """A site whose main feed has 20 archive pages, built, and then retitled: every
    document to make again, in a kept render pool (as at 3,801 feeds)."""
    monkeypatch.setattr(pool, "POOL_AFTER", 0)
    monkeypatch.setattr(pool, "POOL_FEEDS", 1)
    for number in range(40):  # 20 pages of the main feed's archive
        published = f"2026-11-{1 + number // 2:02}T{8 + number % 2:02}:00:00Z"
        site.write(f"d{number}.md", md(f"Сводка {number}", published=repr(published)))
    titled(site, OLD, 0.25)
    site.config.write_text(site.config.read_text() + ARCHIVED)
    site.build(clock=clock)
    clock.advance()
    titled(site, NEW, 0.25)
    site.config.write_text(site.config.read_text() + ARCHIVED)
    return site.settings()


def main_pages_asked(pipeline: Pipeline, monkeypatch) -> list[int]:
    """The main feed's archive pages the pipeline asks for from now on, in order."""
    asked: list[int] = []
    page = pipeline.feeds._page

    def asked_for(spec, number, *args):
        if spec.key == "main":
            asked.append(number)
        return page(spec, number, *args)

    monkeypatch.setattr(pipeline.feeds, "_page", asked_for)
    return asked


def slice_cut_by(pipeline: Pipeline, news_at, monkeypatch) -> tuple[BuildReport, list[str]]:
    """A slice with time for every feed, which only the news that `news_at` (the
    renderer's submit, wrapped) brings ends: its report, and the documents it dropped."""
    dropped: list[str] = []
    put_off = pipeline.feeds.put_off

    def noted(built, planned) -> None:
        dropped.append(planned.document.name)
        put_off(built, planned)

    monkeypatch.setattr(pipeline.renderer, "submit", news_at)
    monkeypatch.setattr(pipeline.feeds, "put_off", noted)
    return pipeline.run(budget=30), dropped


def feeds_saying(site: Site, words: str) -> list[str]:
    return sorted(
        path.name for path in (site.feeds / "category").glob("*.rss") if words in path.read_text()
    )


def test_news_during_a_redo_is_published_before_the_redo_ends(site: Site, start_server):
    for number in range(SECTIONS):
        site.write(f"s{number}.md", md(f"Заметка {number}", categories=f'["Раздел {number}"]'))
    titled(site, OLD, 0.25)
    site.build()
    assert len(feeds_saying(site, OLD)) == SECTIONS

    # A site-wide edit: every feed's title moves, so every feed is made again,
    # a sliver at a time (slices of 10 ms: a redo of many builds on this small site).
    titled(site, NEW, 0.01)
    server = start_server("run")
    wait_until(lambda: redo_left(server) > 0, 20, what="the redo to start")

    answer = post(
        site,
        {
            "id": "2026-12-06-flood",
            "title": "Наводнение на набережной",
            "body_markdown": "Вода дошла до *ступеней* собора.",
            "categories": ["Срочно"],
        },
    )
    assert answer.status_code == 201, answer.text
    # Answered: the story is in every feed it joins, made on the new settings ...
    main = server.get("/feeds/main.rss").text
    assert "Наводнение на набережной" in main and NEW in main
    breaking = server.get("/feeds/category/срочно.rss")
    assert breaking.status_code == 200 and "Наводнение на набережной" in breaking.text
    # ... while the redo has feeds still to make: the news did not wait for it.
    still_old = feeds_saying(site, OLD)
    assert still_old, "the redo ended before the news was published: nothing shows the order"
    assert redo_left(server) > 0

    # A takedown from the command line, in another process, while the redo goes on.
    taken = feedsvc("--config", str(site.config), "takedown", "s7.md", "--reason", "legal")
    assert taken.returncode == 0, taken.stderr
    assert "<title>Заметка 7</title>" not in server.get("/feeds/main.rss").text
    assert "<title>Заметка 7</title>" not in server.get("/feeds/category/раздел-7.rss").text
    assert redo_left(server) > 0, "the redo ended first: nothing shows the order"

    # The redo goes on by itself and ends: every feed on the new settings, none left.
    wait_until(lambda: redo_left(server) == 0, 60, what="the redo to end")
    assert feeds_saying(site, OLD) == []
    # (Раздел 7, emptied by the takedown, is served empty a while: its readers see it go.)
    assert len(feeds_saying(site, NEW)) == SECTIONS + 1
    assert "redo done" in server.output()


def test_a_takedown_makes_its_own_feeds_and_stats_say_what_the_redo_has_left(site: Site):
    for number in range(8):
        site.write(f"s{number}.md", md(f"Заметка {number}", categories=f'["Раздел {number}"]'))
    titled(site, OLD, 0.25)
    site.build()
    titled(site, NEW, 0.25)
    config = ("--config", str(site.config))

    taken = feedsvc(*config, "takedown", "s3.md", "--reason", "court order")
    assert taken.returncode == 0, taken.stderr
    # The feeds the story was in are made at once, on the new settings, without it ...
    main = (site.feeds / "main.rss").read_text()
    assert "Заметка 3" not in main and NEW in main
    assert "Заметка 3" not in (site.feeds / "category" / "раздел-3.rss").read_text()
    # ... and the redo the config edit asked for is left to the next build, and said: the
    # 7 other sections, and main and Раздел 3 too (made for the news: their current
    # documents and the pages the story was on, not yet every archive page).
    assert len(feeds_saying(site, OLD)) == 7
    stats = feedsvc(*config, "stats")
    assert "redo under way: 9 feeds left to make again" in stats.stdout, stats.stdout

    assert feedsvc(*config, "build").returncode == 0
    assert feeds_saying(site, OLD) == []
    assert "redo under way" not in feedsvc(*config, "stats").stdout


def test_news_during_the_first_build_goes_before_the_rest_of_it(
    site: Site, clock: Clock, tmp_path: Path
):
    """The service's first build makes every feed, and none of them is news but a story
    posted for it: its feeds are made first and the build ends there, so that its POST
    is answered; news that comes later cuts the rest short the same way, and the first
    build goes on after. It made every feed before a POST that started it was answered,
    and a story posted while it read the store was read with the rest and made with the
    rest (answered, yet in none of its feeds but main)."""
    an_hour_ago = clock.now - timedelta(hours=1)
    for number in range(SECTIONS):
        text = md(f"Заметка {number}", categories=f'["Раздел {number}"]')
        site.write(f"s{number}.md", text, at=an_hour_ago)
    titled(site, OLD, 0.25)
    settings = site.settings()
    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        # Posted as the first build starts reading: the reading takes it in with the rest,
        # and its POST waits for this build (which it asked for) to end.
        pipeline.posted(settings.store[0].label, "flood.md")
        site.write("flood.md", md("Наводнение на набережной", categories='["Срочно"]'))
        first = pipeline.run(budget=0.25)
        assert first.ok and first.remaining > 0
        assert "Наводнение на набережной" in (site.feeds / "main.rss").read_text()
        assert feeds_saying(site, "Наводнение на набережной") == ["срочно.rss"]
        assert len(feeds_saying(site, OLD)) < SECTIONS

        # A story after the reading: the build serving it makes its feeds, nothing else.
        clock.advance()
        site.write("fire.md", md("Пожар на складе", categories='["Происшествия"]'))
        news = pipeline.run(budget=0.0)
        assert "Пожар на складе" in (site.feeds / "main.rss").read_text()
        assert feeds_saying(site, "Пожар на складе") == ["происшествия.rss"]
        assert news.remaining > 0 and len(feeds_saying(site, OLD)) < SECTIONS, (
            "the first build ended before the news was published: nothing shows the order"
        )

        slices_until_done(pipeline, SECTIONS)  # the rest (each slice makes one at least)
        assert len(feeds_saying(site, OLD)) == SECTIONS + 2
    as_from_scratch(site, settings, clock, tmp_path)


def test_news_during_a_reading_again_of_the_store_goes_first(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """Every file is to be read again (summaries cut shorter, as a new reader would ask):
    it is read a part at a time, news cutting it short between parts; the articles read
    again are not news, their feeds are made again once the reading is done, news first
    again; what was published in pieces is what one build from scratch makes."""
    for number in range(SECTIONS):
        body = f"Жители квартала {number} обсуждают ремонт моста и новое расписание трамваев."
        site.write(
            f"s{number:03}.md", md(f"Заметка {number}", body, categories=f'["Раздел {number}"]')
        )
    titled(site, OLD, 0.25)
    site.build(clock=clock)
    clock.advance()
    site.config.write_text(
        site.config.read_text(encoding="utf-8").replace("[site]\n", "[site]\nsummary_length = 30\n")
    )
    monkeypatch.setattr(files, "READ_CHUNK", 10)  # 12 parts of 10 files
    settings = site.settings()
    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        state = pipeline.state
        parts: list[int] = []
        take_again = State.take_again

        def posted_after_the_second_part(self, *args):
            taken = take_again(self, *args)
            parts.append(len(args[1]))
            if len(parts) == 2:  # a story posted now: the API writes it, and asks for a build
                pipeline.posted(settings.store[0].label, "flood.md")
                site.write("flood.md", md("Наводнение на набережной", categories='["Срочно"]'))
                pipeline.news_waiting.set()
            return taken

        monkeypatch.setattr(State, "take_again", posted_after_the_second_part)
        cut = pipeline.run(budget=0.25)
        assert cut.ok and len(parts) == 2 and cut.to_read == SECTIONS - 20
        assert cut.written == []  # read again, not news: no feed made for it yet
        assert state.readings_owed() == SECTIONS - 20

        pipeline.news_waiting.clear()
        news = pipeline.run(budget=0.0)  # the build serving the POST: its news alone
        assert len(parts) == 2 and news.to_read == SECTIONS - 20
        assert feeds_saying(site, "Наводнение на набережной") == ["срочно.rss"]
        assert "Наводнение на набережной" in (site.feeds / "main.rss").read_text()
        assert len(feeds_saying(site, UNCUT)) == SECTIONS  # no feed made again yet

        slices_until_done(pipeline, 2 * SECTIONS)  # the rest of the reading, then the redo
        assert state.readings_owed() == 0
        assert feeds_saying(site, UNCUT) == []
        assert len(feeds_saying(site, "обсуждают…</description>")) == SECTIONS  # every one cut
    as_from_scratch(site, settings, clock, tmp_path)


def test_a_setting_changed_back_during_a_reading_again_reads_every_file_again(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """Summaries cut shorter, a part of the store read so, then the edit undone: the
    files read with the short cut are read again with the first one, and every feed is
    made again, as one build from scratch makes it."""
    for number in range(30):
        body = f"Жители квартала {number} обсуждают ремонт моста и новое расписание трамваев."
        site.write(f"s{number:03}.md", md(f"Заметка {number}", body, categories='["Город"]'))
    titled(site, OLD, 0.25)
    site.build(clock=clock)
    first = site.config.read_text(encoding="utf-8")
    site.config.write_text(first.replace("[site]\n", "[site]\nsummary_length = 30\n"))
    monkeypatch.setattr(files, "READ_CHUNK", 10)
    take_again = State.take_again

    def news_after_a_part(self, *args):
        taken = take_again(self, *args)
        pipeline.news_waiting.set()
        return taken

    monkeypatch.setattr(State, "take_again", news_after_a_part)
    with held_pipeline(site.settings(), clock=clock) as pipeline:
        clock.advance()
        assert pipeline.run(budget=0.25).to_read == 20  # 10 of 30 read with the short cut
    site.config.write_text(first)  # changed back
    clock.advance()
    assert site.build(clock=clock).to_read == 0
    assert len(feeds_saying(site, UNCUT)) == 1  # the whole paragraph again, all 30 of them
    assert (site.feeds / "category" / "город.rss").read_text().count(UNCUT) == 30
    as_from_scratch(site, site.settings(), clock, tmp_path)


def test_a_takedown_from_another_process_cuts_a_reading_again_short(
    site: Site, clock: Clock, monkeypatch
):
    """A `feedsvc takedown` records its change, then waits for the build under way: the
    reading again stops at its next part for it (its stamp is seen, whatever the
    stamps the reading takes itself after it), and the story is out of its feeds when
    that build ends, though that part read its file again."""
    for number in range(30):
        site.write(f"s{number:03}.md", md(f"Заметка {number}", categories='["Город"]'))
    titled(site, OLD, 0.25)
    site.build(clock=clock)
    text = site.config.read_text(encoding="utf-8")
    site.config.write_text(text.replace("[site]\n", "[site]\nsummary_length = 30\n"))
    monkeypatch.setattr(files, "READ_CHUNK", 10)
    settings = site.settings()
    take_again, parts = State.take_again, []

    def taken_down_before_the_second_part(self, *args):
        parts.append(1)
        if len(parts) == 2:  # after the first part's stamps, before the second's
            elsewhere = State(settings.state.url)  # as the command's own process does
            try:
                assert elsewhere.takedown("s015.md", "court order", clock.now)
            finally:
                elsewhere.close()
        return take_again(self, *args)

    monkeypatch.setattr(State, "take_again", taken_down_before_the_second_part)
    with held_pipeline(settings, clock=clock) as pipeline:
        clock.advance()
        report = pipeline.run(budget=0.25)
    # The second part (s010 to s019) saw the takedown, and was the last.
    assert len(parts) == 2 and report.to_read == 10
    assert "feeds/main.rss" in report.written
    assert "<title>Заметка 15</title>" not in (site.feeds / "main.rss").read_text()


def test_a_slice_asks_whether_news_waits_per_document_made_not_per_feed_left(site: Site):
    """Whether news waits is a query (a change another process recorded). A slice whose
    time was up asked it again for each of the thousands of feeds it then left for
    later: 0.4 s of a 0.25 s slice at 3,801 feeds, which every POST and takedown waited
    for."""
    for number in range(SECTIONS):
        site.write(f"s{number}.md", md(f"Заметка {number}", categories=f'["Раздел {number}"]'))
    titled(site, OLD, 0.25)
    site.build()
    titled(site, NEW, 0.25)
    asked = []
    with held_pipeline(site.settings()) as pipeline:
        looked = pipeline.state.changed_after
        pipeline.state.changed_after = lambda read: asked.append(read) or looked(read)  # type: ignore[method-assign]
        report = pipeline.run(budget=1e-6)  # its time is up at once
    assert report.ok and report.remaining >= SECTIONS - 5, report.remaining
    assert len(asked) <= len(report.written) + 3, f"{len(asked)} questions, {report.written}"


def test_a_slice_cut_by_news_drops_what_the_pool_has_not_made_yet(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """News that comes during a slice does not wait for the redo's documents still in the
    render pool: the slice drops them (their feeds keep what they held, and are left for
    later), and the build for the news does not queue behind them. Later slices make
    those feeds; what was published in pieces is what one build from scratch makes."""
    monkeypatch.setattr(pool, "POOL_AFTER", 0)
    monkeypatch.setattr(pool, "POOL_FEEDS", 1)  # kept between builds, as at 3,801 feeds
    for number in range(SECTIONS):
        site.write(f"s{number}.md", md(f"Заметка {number}", categories=f'["Раздел {number}"]'))
    titled(site, OLD, 0.25)
    site.build(clock=clock)
    clock.advance()
    titled(site, NEW, 0.25)
    settings = site.settings()
    submitted: list[str] = []
    dropped: list[str] = []
    left_as_they_were: list[str] = []

    def told(document, drop) -> None:
        dropped.append(document.name)
        left_as_they_were.extend(document.paths.values())
        drop()

    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        submit = pipeline.renderer.submit

        def news_at_the_third_redo_document(document, now, stages, done, drop=None, **options):
            if drop is not None:  # a redo's document
                submitted.append(document.name)
                if len(submitted) == 3:  # this document and the next are not made
                    news_with_the_pool_busy(pipeline)
                drop = functools.partial(told, document, drop)
            submit(document, now, stages, done, drop, **options)

        monkeypatch.setattr(pipeline.renderer, "submit", news_at_the_third_redo_document)
        cut = pipeline.run(budget=30)  # time enough: only the news ends this slice
        assert cut.ok and cut.remaining > 0
        assert submitted[2] in dropped, (submitted, dropped)
        for path in left_as_they_were:
            assert OLD in (settings.public_dir / path).read_text(), path

        pipeline.news_waiting.clear()
        clock.advance()
        site.write("flood.md", md("Наводнение на набережной", categories='["Срочно"]'))
        news = pipeline.run(budget=0.0)
        assert news.ok and feeds_saying(site, "Наводнение на набережной") == ["срочно.rss"]

        slices_until_done(pipeline, SECTIONS)
        assert feeds_saying(site, OLD) == []
    as_from_scratch(site, settings, clock, tmp_path)


FIRST_PAGE = "feeds/main/archive/1.atom"  # the redo's first document (named by its paths)


def made_slowly(document, now, full_check: bool, brotli: bool) -> pool.Rendered:
    """In a pool process: the redo's first document made as slowly as a niced render
    process beside a busy service made a full-text archive page (a second, on a slow
    machine)."""
    if document.name == FIRST_PAGE:
        time.sleep(2)
    return pool.render_elsewhere(document, now, full_check, brotli)


def test_news_does_not_wait_for_a_slices_first_document_which_the_pool_makes_once(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """News that comes while the pool makes a slice's first document drops it with the
    others: the pool goes on making it, and the slice after the news publishes it as
    made, without making it again. (It was never dropped, so that the redo moved on, and
    news waited 0.3-0.55 s for it on a slow machine.)"""
    settings = main_archive_redone(site, clock, monkeypatch)
    monkeypatch.setattr(pool, "render_elsewhere", made_slowly)
    made_by_pool: Counter[str] = Counter()
    to_pool = ProcessPoolExecutor.submit

    def counted(executor, work, *args, **options):
        if work is made_slowly:
            made_by_pool[args[0].name] += 1
        return to_pool(executor, work, *args, **options)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", counted)
    first: list[str] = []

    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        submit = pipeline.renderer.submit

        def news_once_the_first_is_made(document, now, stages, done, drop=None, **options):
            submit(document, now, stages, done, drop, **options)
            if drop is not None and not first:
                first.append(document.name)
                making = pipeline.renderer._flight[-1][0]
                wait_until(making.running, timeout=10)
                pipeline.news_waiting.set()

        cut, dropped = slice_cut_by(pipeline, news_once_the_first_is_made, monkeypatch)
        assert cut.ok and cut.remaining > 0 and dropped == first, (dropped, first)
        assert not [path for path in cut.written if path.startswith("feeds/")], cut.written
        pipeline.news_waiting.clear()
        clock.advance()
        site.write("flood.md", md("Наводнение на набережной"))
        news = pipeline.run(budget=0.0)
        assert news.ok and "Наводнение на набережной" in (site.feeds / "main.rss").read_text()
        slices_until_done(pipeline, 40)
    assert first == [FIRST_PAGE] and made_by_pool[FIRST_PAGE] == 1, (first, made_by_pool)
    assert OLD not in (site.feeds / "main.rss").read_text()
    as_from_scratch(site, settings, clock, tmp_path)


def test_a_slice_after_a_drop_resumes_at_the_archive_page_dropped(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """Archive pages dropped unmade by news are made by a later slice, which starts at
    the first of them: it does not ask again for each page made before it (96 pages of
    the main feed took 4 s of a slice at 20,000 articles, after every takedown)."""
    settings = main_archive_redone(site, clock, monkeypatch)
    dropped_pages: list[int] = []

    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        submit, put_off = pipeline.renderer.submit, pipeline.feeds.put_off
        asked = main_pages_asked(pipeline, monkeypatch)
        droppable = 0

        def news_at_the_sixth_droppable(document, now, stages, done, drop=None, **options):
            nonlocal droppable
            droppable += drop is not None
            if droppable == 6 and drop is not None:
                news_with_the_pool_busy(pipeline)
            submit(document, now, stages, done, drop, **options)

        def noted(built, planned) -> None:
            if planned.resume is not None and planned.resume.key == "main":
                dropped_pages.append(planned.resume.page)
            put_off(built, planned)

        monkeypatch.setattr(pipeline.renderer, "submit", news_at_the_sixth_droppable)
        monkeypatch.setattr(pipeline.feeds, "put_off", noted)
        cut = pipeline.run(budget=30)  # time enough: only the news ends this slice
        assert cut.ok and cut.remaining > 0 and dropped_pages, dropped_pages
        assert min(asked) == 1 < min(dropped_pages)  # pages made, then some dropped
        asked.clear()
        pipeline.news_waiting.clear()
        clock.advance()
        rest = pipeline.run(budget=30)
        assert rest.ok and rest.remaining == 0
        assert min(asked) == min(dropped_pages), (asked, dropped_pages)
    assert OLD not in (site.feeds / "main.rss").read_text()
    as_from_scratch(site, settings, clock, tmp_path)


def test_a_slice_after_its_current_document_was_dropped_asks_only_its_newest_page(
    site: Site, clock: Clock, tmp_path: Path, monkeypatch
):
    """A feed whose archive pages a slice made, but whose current document news dropped
    unmade, is finished by a later slice from its newest page (whose articles the feed
    holds): not by asking for every page again, which held a slice, and the news after
    it, 4-8 s at 20,000 articles on a slow machine (96 pages of the main feed)."""
    settings = main_archive_redone(site, clock, monkeypatch)

    with held_pipeline(settings, full_check=True, clock=clock) as pipeline:
        submit = pipeline.renderer.submit
        asked = main_pages_asked(pipeline, monkeypatch)
        news: list[str] = []

        def news_at_the_current_document(document, now, stages, done, drop=None, **options):
            if document.name == "feeds/main.atom" and drop is not None and not news:
                news.append(document.name)
                pipeline.renderer.drain(stages, drop=lambda: False)  # its pages made
                news_with_the_pool_busy(pipeline)
            submit(document, now, stages, done, drop, **options)

        cut, dropped = slice_cut_by(pipeline, news_at_the_current_document, monkeypatch)
        assert cut.ok and cut.remaining > 0 and "feeds/main.atom" in dropped, dropped
        newest = max(asked)
        assert sorted(asked) == list(range(1, newest + 1)) and newest > 10, asked
        asked.clear()
        pipeline.news_waiting.clear()
        clock.advance()
        rest = pipeline.run(budget=30)
        assert rest.ok and rest.remaining == 0
        assert asked == [newest], asked
    assert OLD not in (site.feeds / "main.rss").read_text()
    as_from_scratch(site, settings, clock, tmp_path)
