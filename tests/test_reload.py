"""One config at a time: the running service takes an edited config (the file changed,
SIGHUP, `feedsvc reload`), keeps the one it has when the new one is bad, and a
`feedsvc build` beside it on another config does not publish over it."""

import signal

import feedparser
import httpx
from conftest import Site, feedsvc, md, wait_until


def title(server) -> str | None:
    """The main feed's title; None when the poll met the service restarting itself to
    take a config (a request the old process had read is reset: see docs/operations.md)."""
    try:
        return feedparser.parse(server.get("/feeds/main.rss").content).feed.title
    except httpx.TransportError:
        return None


def set_title(site: Site, value: str) -> None:
    text = site.config.read_text(encoding="utf-8")
    lines = [line for line in text.split("\n") if not line.startswith("title =")]
    text = "\n".join(lines).replace("[site]\n", f'[site]\ntitle = "{value}"\n', 1)
    site.config.write_text(text, encoding="utf-8")


def running(site: Site, start_server):
    site.configure()
    site.write("a.md", md("Harbour Lights Restored"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    return server


def test_an_edited_config_is_taken_by_the_service_and_stays(site: Site, start_server):
    server = running(site, start_server)
    pid = server.process.pid
    set_title(site, "Вечерний Северогорск")
    wait_until(lambda: title(server) == "Вечерний Северогорск", 30, what="the new title")
    assert server.process.poll() is None and server.process.pid == pid, "the same process"
    # Never put back: the service builds on the new config from now on.
    site.write("b.md", md("Tram Line Reopens"))
    wait_until(lambda: "Tram Line Reopens" in server.get("/feeds/main.rss").text, 30, what="b")
    assert title(server) == "Вечерний Северогорск"
    assert "config changed" in server.output()


def test_a_bad_config_is_reported_and_the_service_goes_on(site: Site, start_server):
    server = running(site, start_server)
    good = site.config.read_text(encoding="utf-8")
    site.config.write_text(good.replace("[site]\n", "[site]\nsummary_length = 'short'\n"))
    wait_until(lambda: "config" in server.get("/healthz").json(), 30, what="the error")
    said = server.get("/healthz").json()["config"]
    assert said.startswith("not reloaded: ") and "site.summary_length" in said, said
    site.write("b.md", md("Tram Line Reopens"))  # still building, on the config it had
    wait_until(lambda: "Tram Line Reopens" in server.get("/feeds/main.rss").text, 30, what="b")
    site.config.write_text(good.replace("[site]\n", '[site]\ntitle = "Fixed"\n'))
    wait_until(lambda: title(server) == "Fixed", 30, what="the fixed config")
    assert "config" not in server.get("/healthz").json()


def test_sighup_and_feedsvc_reload_have_it_read_the_config(site: Site, start_server):
    server = running(site, start_server)
    site.config.write_text(
        site.config.read_text(encoding="utf-8").replace("[site]\n", '[site]\ntitle = "HUP"\n')
    )
    server.process.send_signal(signal.SIGHUP)
    wait_until(lambda: title(server) == "HUP", 30, what="the title after SIGHUP")
    set_title(site, "Reloaded")
    result = feedsvc("--config", str(site.config), "reload")
    assert result.returncode == 0, result.stderr
    assert title(server) == "Reloaded", "in force and built when reload answers"
    assert "built by the running service" in result.stdout


def test_feedsvc_build_beside_the_service_has_the_service_build_it(site: Site, start_server):
    """The issue's case: the operator edits the title and runs `feedsvc build`; the
    service, not a second publisher, publishes it, and does not put the old one back."""
    server = running(site, start_server)
    set_title(site, "Edited Title")
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0, result.stderr
    assert title(server) == "Edited Title"
    site.write("b.md", md("Tram Line Reopens"))
    wait_until(lambda: "Tram Line Reopens" in server.get("/feeds/main.rss").text, 30, what="b")
    assert title(server) == "Edited Title"


def test_a_build_on_another_config_file_is_refused_naming_the_service(
    site: Site, start_server, tmp_path
):
    server = running(site, start_server)
    other = tmp_path / "other.toml"
    other.write_text(
        site.config.read_text(encoding="utf-8")
        .replace("[site]\n", '[site]\ntitle = "Other"\n')
        .replace('"articles"', f'"{site.articles}"'),
        encoding="utf-8",
    )
    text = other.read_text(encoding="utf-8")
    other.write_text(
        text
        + f'\n[[publish]]\npath = "{site.root / "public"}"\n[state]\nurl = "sqlite:///{site.root / "state.db"}"\n'
    )
    result = feedsvc("--config", str(other), "build")
    assert result.returncode == 1
    assert f"process {server.process.pid}" in result.stderr
    assert str(site.config) in result.stderr
    assert title(server) != "Other"
