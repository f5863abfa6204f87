"""A build redoes only the feeds whose articles changed since feeds were last published
(by this process or another): and that shortcut never leaves a feed stale."""

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from conftest import Clock, Site, md
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oracle import differences, from_scratch

from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State

FAMILY = '[[feeds]]\nname = "main"\n[[feeds]]\nname = "section"\nper = "category"\n'


@pytest.fixture
def running(site: Site, clock: Clock):
    """One pipeline kept across builds, as `feedsvc run` keeps it, on the test's clock."""
    site.configure(extra=FAMILY)
    settings = site.settings()
    state = State(settings.state.url)
    yield Pipeline(settings, state, full_check=True, clock=clock)
    state.close()


def titles(site: Site, path: str) -> list[str]:
    file = site.feeds / path
    return [e.title for e in feedparser.parse(file.read_bytes()).entries] if file.exists() else []


def test_an_article_moving_section_leaves_one_feed_and_joins_the_other(
    site: Site, running, clock: Clock
):
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    site.write("b.md", md("Derby Won", "Body b.", categories="['Sport']"))
    running.run()
    site.write("a.md", md("Rates Held", "Body a.", categories="['Sport']"), at=clock.advance())
    report = running.run()
    assert report.ok
    assert sorted(titles(site, "section/sport.rss")) == ["Derby Won", "Rates Held"]
    # Economy has no article left: its subscribers see it go, in a feed with no items.
    assert "feeds/section/economy.rss" in report.written
    assert titles(site, "section/economy.rss") == []
    untouched = running.run()
    assert untouched.written == []


def test_a_file_saved_again_with_nothing_a_reader_sees_changed_redoes_no_feed(
    site: Site, clock: Clock
):
    """Saved again (an editor's save, a checkout, a touch): read again, and no feed is
    made again for it, not even to find the same bytes (100 such saves at 20,000
    articles took 11 s of rendering)."""
    site.configure(extra=FAMILY)
    for number in range(6):
        site.write(f"{number}.md", md(f"Story {number}", "Body.", categories="['Economy']"))
    assert site.build().ok
    site.write("3.md", md("Story 3", "Body.", categories="['Economy']") + "\n", at=clock.advance())
    settings = site.settings()
    state = State(settings.state.url)
    try:
        report = Pipeline(settings, state, clock=clock).run()  # a new process's build
    finally:
        state.close()
    assert report.ok and report.written == []
    assert report.stages.seconds.get("validate", 0) == 0, "a feed was made and checked again"
    # What a reader sees changing is still news: the section and main feeds are made.
    site.write(
        "3.md", md("Story 3", "Body, corrected.", categories="['Economy']"), at=clock.advance()
    )
    assert "feeds/section/economy.rss" in site.build().written


def test_a_scheduled_article_joins_its_section_when_due(site: Site, running, clock: Clock):
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    due = clock.now + timedelta(minutes=5)
    site.write("b.md", md("Budget Out", "Body b.", categories="['Economy']",
                          published=due.isoformat()))  # fmt: skip
    running.run()
    assert titles(site, "section/economy.rss") == ["Rates Held"]
    clock.advance(5 * 60)  # nothing in the store changed: it falls due
    assert running.run().ok
    assert titles(site, "section/economy.rss") == ["Budget Out", "Rates Held"]


def test_a_change_made_by_another_process_is_seen(site: Site, running):
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    running.run()
    site.write("b.md", md("Budget Out", "Body b.", categories="['Economy']"))
    site.build()  # `feedsvc build` beside `feedsvc run`: its own process and state
    assert titles(site, "section/economy.rss") == ["Budget Out", "Rates Held"]
    assert running.run().written == [], "what the other process published is current"
    (site.articles / "a.md").unlink()  # and a change after it reaches the running one
    assert running.run().ok
    assert titles(site, "section/economy.rss") == ["Budget Out"]


def test_a_deleted_article_leaves_its_section_feed(site: Site, running):
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    site.write("b.md", md("Budget Out", "Body b.", categories="['Economy']"))
    running.run()
    (site.articles / "b.md").unlink()
    assert running.run().ok
    assert titles(site, "section/economy.rss") == ["Rates Held"]


def test_a_feed_that_failed_its_check_is_tried_again_next_build(site: Site, running, monkeypatch):
    from dataclasses import replace

    from feedsvc.feeds.formats import FORMATS

    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    real = FORMATS["atom"]
    # A fault no real input makes feedgen show: the renderer cuts its output short.
    cut = replace(real, render=lambda meta, items: real.render(meta, items)[:-40])
    monkeypatch.setitem(FORMATS, "atom", cut)
    assert not running.run().ok
    assert not (site.feeds / "section" / "economy.atom").exists()
    monkeypatch.setitem(FORMATS, "atom", real)
    report = running.run()  # nothing changed in the store
    assert report.ok
    assert "feeds/section/economy.atom" in report.written


SECTIONS = ["Economy", "Sport", "Культура"]
edits = st.lists(
    st.tuples(
        st.integers(0, 5),  # which article
        st.one_of(st.none(), st.lists(st.sampled_from(SECTIONS), max_size=2, unique=True)),
    ),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(edits, min_size=1, max_size=4))
def test_builds_that_follow_changes_end_where_a_fresh_build_does(tmp_path_factory, batches):
    """Articles join, leave, move between sections and vanish, build after build: the
    running pipeline's folder is, file for file, what a build from scratch makes
    (tests/oracle.py; test_oracle.py does the same for every kind of change)."""
    site = Site(tmp_path_factory.mktemp("site"), 8080)
    site.articles.mkdir()
    site.configure(extra=FAMILY)
    settings_ = site.settings()
    state = State(settings_.state.url)
    moment = [datetime(2026, 5, 4, 8, 0, tzinfo=UTC)]
    running = Pipeline(settings_, state, clock=lambda: moment[0])
    try:
        for step, batch in enumerate(batches):
            moment[0] += timedelta(minutes=1)
            for number, sections in batch:
                path = site.articles / f"{number}.md"
                if sections is None:
                    path.unlink(missing_ok=True)
                else:
                    title = f"Story {number} ({step})"
                    site.write(path.name, md(title, categories=repr(sections)))
            assert running.run().ok
            scratch = tmp_path_factory.mktemp("scratch") / "site"
            built = from_scratch(settings_, settings_.state.url, scratch, lambda: moment[0])
            assert built.ok
            assert differences(site.root / "public", scratch / "public") == [], batch
    finally:
        state.close()


def test_a_published_file_deleted_between_builds_is_written_again(site: Site, running):
    """The same process builds again: what it remembers of the folders must not hide it."""
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    running.run()
    assert running.run().written == []
    (site.feeds / "section" / "economy.atom").unlink()
    (site.feeds / "main.rss").unlink()
    assert sorted(running.run().written) == ["feeds/main.rss", "feeds/section/economy.atom"]
    assert "Rates Held" in titles(site, "section/economy.atom")


def test_after_another_process_built_a_change_back_is_published(site: Site, running):
    """The running process must not take its old feed for the published one: the other
    process replaced it, and going back to what it once made is a change."""
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    running.run()
    site.write("b.md", md("Budget Out", "Body b.", categories="['Economy']"))
    site.build()
    (site.articles / "b.md").unlink()
    assert running.run().ok
    assert titles(site, "section/economy.rss") == ["Rates Held"]


def test_a_section_another_process_added_stays_listed(site: Site, running):
    site.write("a.md", md("Rates Held", "Body a.", categories="['Economy']"))
    running.run()
    site.write("b.md", md("Derby Won", "Body b.", categories="['Sport']"))
    site.build()  # the other process makes the new section's feed
    site.write("a.md", md("Rates Held", "Body a, longer.", categories="['Economy']"))
    assert running.run().ok
    opml = (site.root / "public" / "feeds.opml").read_text()
    assert "feeds/section/sport.rss" in opml and "feeds/section/economy.rss" in opml
