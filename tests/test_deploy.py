"""deploy/: the nginx config on a real nginx in front of a real feedsvc; the compose
file's and the systemd unit's settings checked by the tools that read them."""

import gzip
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import httpx
import pytest
import yaml
from conftest import Site, free_port, md, wait_until
from servers import NGINX, Nginx, need_nginx

from feedsvc.core.config import load

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def deployed(text: str, old: str, new: str) -> str:
    """The shipped file with one setting changed for the test (it must be there)."""
    assert old in text, f"deploy/ no longer has {old!r}: update this test"
    return text.replace(old, new)


@pytest.fixture
def front(site: Site, start_server, tmp_path: Path):
    """feedsvc run behind nginx started with deploy/nginx.conf and deploy/upstream.conf."""
    site.configure(server='trusted_proxies = ["127.0.0.1"]\n', extra='[api]\ntoken = "t0k"\n')
    site.write("a.md", md("Harbour Cranes Replaced", "Новые краны работают."))
    server = start_server("run")
    wait_until(lambda: server.get("/feeds/main.rss").status_code == 200, 20, what="a build")
    port = free_port()
    conf = (DEPLOY / "nginx.conf").read_text()
    conf = deployed(conf, "listen 80;", f"listen 127.0.0.1:{port};")
    conf = deployed(conf, "/var/lib/feedsvc/public", str(site.root / "public"))
    upstream = deployed(
        (DEPLOY / "upstream.conf").read_text(), "127.0.0.1:8080", f"127.0.0.1:{site.port}"
    )
    (tmp_path / "upstream.conf").write_text(upstream)
    (tmp_path / "feedsvc.conf").write_text(conf)
    nginx = Nginx(
        tmp_path / "nginx",
        port,
        server="",
        http=f" include {tmp_path / 'upstream.conf'};\n include {tmp_path / 'feedsvc.conf'};\n",
    )
    nginx.start()
    yield nginx
    nginx.stop()


def test_nginx_serves_the_published_feeds_as_feedsvc_does(front: Nginx, site: Site):
    public = site.root / "public"
    for path, kind in [
        ("feeds/main.rss", "application/rss+xml; charset=utf-8"),
        ("feeds/main.atom", "application/atom+xml; charset=utf-8"),
        ("feeds/main.json", "application/feed+json"),
        ("feeds.opml", "text/x-opml; charset=utf-8"),
        ("index.html", "text/html; charset=utf-8"),
    ]:
        answer = httpx.get(front.url + path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == kind, path
        assert answer.content == (public / path).read_bytes()
        assert answer.headers["cache-control"] == "max-age=60"
    feed = httpx.get(front.url + "feeds/main.rss")
    assert f'<{front.url}websub>; rel="hub"' in feed.headers["link"]
    assert f'<{front.url}feeds/main.rss>; rel="self"' in feed.headers["link"]
    assert httpx.get(front.url).content == (public / "index.html").read_bytes()
    # An archive page is never announced: it names no hub, as feedsvc's server has it.
    page = "feeds/main/archive/1.atom"
    for base in (front.url, site.url):
        answer = httpx.get(base + page)
        assert answer.status_code == 200, base
        assert answer.headers["link"] == f'<{base}{page}>; rel="self"', base


def test_nginx_answers_conditional_and_gzip_requests(front: Nginx, site: Site):
    url = front.url + "feeds/main.atom"
    first = httpx.get(url)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert httpx.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert httpx.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    raw = httpx.get(url, headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["vary"] == "Accept-Encoding"
    # The copy feedsvc wrote, sent as it is (gzip_static), not compressed again.
    packed = (site.root / "public" / "feeds" / "main.atom.gz").read_bytes()
    assert gzip.decompress(packed) == first.content
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as answer:
        assert b"".join(answer.iter_raw()) == packed  # the bytes as sent


def test_nginx_hides_feedsvc_own_files_and_proxies_the_rest(front: Nginx, site: Site):
    public = site.root / "public"
    hidden = [p.name for p in public.iterdir() if p.name.startswith(".")]
    assert hidden, "feedsvc keeps lock and generation files in the folder"
    for name in hidden:
        assert httpx.get(front.url + name).status_code == 404, name
    assert httpx.get(front.url + "healthz").json()["status"] == "ok"
    posted = httpx.post(
        front.url + "api/articles",
        json={"id": "through-nginx", "title": "Tram Line Reopens", "body_html": "<p>Yes.</p>"},
        headers={"Authorization": "Bearer t0k"},
        timeout=60,
    )
    assert posted.status_code == 201, posted.text
    assert "Tram Line Reopens" in httpx.get(front.url + "feeds/main.rss").text
    form = {"hub.mode": "subscribe", "hub.topic": "x", "hub.callback": "y"}
    assert httpx.post(front.url + "websub", data=form).status_code == 400  # feedsvc's answer


def test_the_compose_file_runs_two_replicas_on_postgresql_behind_nginx(monkeypatch):
    monkeypatch.setenv("FEEDSVC_API_TOKEN", "from-the-environment")
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"feedsvc1", "feedsvc2", "postgres", "nginx"} <= set(services)
    config_file = DEPLOY / "compose" / "config.toml"
    settings = load(config_file)  # feedsvc's own check of the config the replicas get
    assert settings.state.url.startswith("postgresql+psycopg://")
    assert {target.kind for target in settings.publish} == {"local"}
    for name in ("feedsvc1", "feedsvc2"):
        mounts = " ".join(services[name]["volumes"])
        assert "config.toml" in mounts and "articles" in mounts
    assert tomllib.loads(config_file.read_text())["state"]["url"].endswith("@postgres/feedsvc")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze here")
def test_the_systemd_unit_is_sandboxed_and_valid(tmp_path: Path):
    """`systemd-analyze verify` says nothing of the shipped unit, checked in a root that
    has systemd's own units and a program where the unit runs feedsvc."""
    unit = (DEPLOY / "feedsvc.service").read_text()
    for setting in ("ProtectSystem=strict", "NoNewPrivileges=yes", "User=feedsvc"):
        assert setting in unit
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    program = root / "opt/feedsvc/bin/feedsvc"
    program.parent.mkdir(parents=True)
    program.write_text(f'#!/bin/sh\nexec {sys.executable} -m feedsvc "$@"\n')
    program.chmod(0o755)
    installed = root / "etc/systemd/system/feedsvc.service"
    installed.parent.mkdir(parents=True)
    installed.write_text(unit)
    checked = subprocess.run(
        [
            "systemd-analyze",
            "verify",
            "--man=no",
            f"--root={root}",
            "/etc/systemd/system/feedsvc.service",
        ],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and checked.stderr == "", checked.stderr


def test_the_deployed_config_writes_only_where_the_unit_may():
    """Every path of deploy/config.toml is under the unit's one writable folder, whatever
    folder the config is read from (/etc/feedsvc, read-only under ProtectSystem)."""
    settings = load(DEPLOY / "config.toml")
    writable = Path("/var/lib/feedsvc")
    paths = [settings.public_dir, settings.latest.path, *(s.path for s in settings.store)]
    paths.append(Path(settings.state.url.removeprefix("sqlite:///")))
    for path in paths:
        assert path.is_relative_to(writable), path
    assert f"ReadWritePaths={writable}" in (DEPLOY / "feedsvc.service").read_text()


def test_nginx_takes_the_shipped_files_without_a_warning(tmp_path: Path):
    need_nginx()
    conf = tmp_path / "nginx.conf"
    nginx = Nginx(
        tmp_path,
        free_port(),
        server="",
        http=f" include {DEPLOY / 'upstream.conf'};\n include {DEPLOY / 'nginx.conf'};\n",
    )
    conf.write_text(nginx.config())
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / f"tmp-{kind}").mkdir()
    checked = subprocess.run(
        [NGINX, "-t", "-p", str(tmp_path), "-c", str(conf)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr and "[emerg]" not in checked.stderr, checked.stderr
