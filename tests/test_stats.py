"""`feedsvc stats` and the per-stage timings a build records."""

import re

from conftest import Site, feedsvc, md
from subscribers import Subscribers, serve

from feedsvc.core.stages import STAGES
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State


def stages_of(output: str) -> dict[str, float]:
    line = next(line for line in output.splitlines() if line.strip().startswith("stages:"))
    return {name: float(value) for name, value in re.findall(r"(\w+) ([\d.]+) s", line)}


def test_stats_tells_the_store_the_feeds_and_the_last_build(site: Site):
    site.write("a.md", md("Ferry strike ends", categories="['Transport']"))
    site.write("b.md", md("Тарифы на паром снизят", categories="['Транспорт']"))
    site.write("c.md", md("Draft only", draft="true"))
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0, result.stderr
    shown = feedsvc("--config", str(site.config), "stats")
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert "store 'files': 3 articles, 0 deleted" in out
    assert "visible now: 2 articles" in out
    # main, latest, and the category family's two members
    assert re.search(r"^feeds: 4 \(12 feed documents\), 9 archive pages", out, re.M), out
    assert "(ok)" in out and "files written" in out
    timings = stages_of(out)
    assert list(timings) == [*STAGES, "total"]
    assert timings["render"] > 0 and timings["validate"] > 0 and timings["publish"] > 0
    assert timings["total"] >= timings["render"] + timings["validate"]


def test_bytes_written_are_those_of_the_files_written(site: Site):
    site.write("a.md", md("Harbour crane arrives"))
    settings = site.settings()
    state = State(settings.state.url)
    try:
        report = Pipeline(settings, state).run()
        on_disk = sum((settings.public_dir / path).stat().st_size for path in report.written)
        assert report.bytes_written == on_disk > 0
        assert state.last_stages() == (
            {stage: round(report.stages.seconds[stage], 4) for stage in STAGES},
            on_disk,
        )
        again = Pipeline(settings, state).run()
        assert again.written == [] and again.bytes_written == 0
    finally:
        state.close()


def test_telling_subscribers_is_timed_as_notify(site: Site, start_server):
    import httpx
    from conftest import wait_until

    site.configure(extra="[websub]\nallow_private_callbacks = true\n")
    site.write("a.md", md("Market hall reopens"))
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    subscribers = Subscribers()
    callbacks = serve(subscribers)
    try:
        server = start_server("serve")
        form = {
            "hub.mode": "subscribe",
            "hub.callback": subscribers.url("ok", "timed"),
            "hub.topic": site.url + "feeds/main.rss",
        }
        assert httpx.post(site.url + "websub", data=form).status_code == 202
        wait_until(lambda: "subscribers 1.0" in server.get("/metrics").text, 5)
        site.write("b.md", md("Market hall opening hours"))
        assert feedsvc("--config", str(site.config), "build").returncode == 0
        assert subscribers.received("/ok/timed")
        shown = feedsvc("--config", str(site.config), "stats").stdout
        assert stages_of(shown)["notify"] > 0
        assert "subscribers (built-in hub): 1" in shown
    finally:
        callbacks.shutdown()


def test_a_stage_timed_inside_another_counts_to_itself_alone():
    """Selecting feeds renders them as it goes: the render time is not selection time too,
    and time spent waiting on a render process (timed as None) counts to no stage."""
    import time

    from feedsvc.core.stages import Stages

    stages = Stages()
    with stages.timing("select"):
        time.sleep(0.2)
        with stages.timing("render"):
            time.sleep(0.4)
        with stages.timing(None):
            time.sleep(0.4)
    stages.add({"render": 1.0})
    # Bounds a misattribution would cross (by 0.4 s or more), however slow the machine.
    assert 0.2 <= stages.seconds["select"] < 0.6
    assert 1.4 <= stages.seconds["render"] < 1.8
    assert sum(stages.seconds.values()) < 2.0
