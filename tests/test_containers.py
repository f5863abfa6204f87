"""deploy/Dockerfile and deploy/compose.yaml on real engines: the image is built (by
podman: its second stage mounts the first's wheels, BuildKit syntax Debian's docker
cannot build), handed to docker, run as non-root until its HEALTHCHECK says healthy
and it serves the sample; compose brings up PostgreSQL, two replicas and nginx, and
the feeds go on being built and served with one replica killed.

No registry is reachable here: the base images are made from Debian packages
(tests/containers/base-image.sh, about four minutes the first time, then cached by
tag), and PostgreSQL and nginx images from them (tests/containers/*.Dockerfile)."""

import fcntl
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import free_port, wait_until

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent / "containers"
BASE = "localhost/feedsvc-base:bookworm"
IMAGES = {  # name -> (Dockerfile, context)
    "localhost/feedsvc:test": (REPO / "deploy" / "Dockerfile", REPO),
    "localhost/feedsvc-postgres:test": (HERE / "postgres.Dockerfile", HERE),
    "localhost/feedsvc-nginx:test": (HERE / "nginx.Dockerfile", HERE),
}
TOKEN = "change-me-api"  # compose.yaml's (the file says to change it)

pytestmark = pytest.mark.timeout(1800)


def run(*command: str, timeout: float = 900, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, **options)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
    return done


def _engines() -> str:
    """Why the engines cannot be used here ("" when both can)."""
    for program in ("podman", "docker", "docker-compose"):
        if shutil.which(program) is None:
            return f"{program} is not installed (apt-get install docker.io docker-compose podman)"
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        return "no docker daemon answers (start dockerd)"
    return ""


def _pip_mounts() -> list[str]:
    """This machine's pip configuration, for pip inside a build (with the host's network),
    and its certificate authorities (a proxy may sign for PyPI)."""
    shared = ("/etc/pip.conf", "/opt/pypi", "/opt/pypi-more", "/etc/ssl/certs/ca-certificates.crt")
    found = [path for path in shared if Path(path).exists()]
    return [f"--volume={path}:{path}:ro" for path in found]


def _in_docker(image: str) -> bool:
    return (
        subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode == 0
    )


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    if why := _engines():
        pytest.skip(why)
    # One builder at a time (`make test` runs two test processes): the second finds the
    # layers made and takes them from podman's cache.
    with Path("/tmp/feedsvc-test-images.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _build_images()
    return {"feedsvc": "localhost/feedsvc:test", "postgres": "localhost/feedsvc-postgres:test",
            "nginx": "localhost/feedsvc-nginx:test"}  # fmt: skip


def _build_images() -> None:
    if subprocess.run(["podman", "image", "exists", BASE]).returncode != 0:
        run(str(HERE / "base-image.sh"), BASE, timeout=1200)
    if not _in_docker(BASE):
        run("podman", "push", "--quiet", BASE, f"docker-daemon:{BASE}")
    for image, (dockerfile, context) in IMAGES.items():
        run(
            "podman", "build", "--quiet", "--format=docker", "--network=host",
            *_pip_mounts(), f"--build-arg=BASE={BASE}", f"--file={dockerfile}",
            f"--tag={image}", str(context),
        )  # fmt: skip
        run("podman", "push", "--quiet", image, f"docker-daemon:{image}")


@pytest.fixture
def container(images) -> Iterator[list[str]]:
    """Names of the containers a test starts; removed after it."""
    names: list[str] = []
    yield names
    for name in names:
        subprocess.run(["docker", "rm", "--force", name], capture_output=True)


def health(name: str) -> str:
    done = run("docker", "inspect", "--format", "{{json .State.Health}}", name)
    return (json.loads(done.stdout) or {}).get("Status", "")


def test_the_image_runs_as_non_root_turns_healthy_and_serves_the_sample(
    images, container, tmp_path: Path
):
    port = free_port()
    config = tmp_path / "config.toml"
    config.write_text(
        '[site]\nbase_url = "http://127.0.0.1:8080/"\n[server]\nhost = "0.0.0.0"\n'
        '[state]\nurl = "sqlite:////srv/feedsvc/state.db"\n'
        '[[store]]\npath = "/srv/feedsvc/articles"\nlanguages = { "kk" = "kk", "ru" = "ru" }\n'
        '[latest]\npath = "/etc/feedsvc/latest-news.txt"\n'
        '[[publish]]\npath = "/srv/feedsvc/public"\n',
        encoding="utf-8",
    )
    sample = REPO / "feedsvc" / "sample"
    name = f"feedsvc-test-{uuid.uuid4().hex[:8]}"
    container.append(name)
    run(
        "docker", "run", "--detach", f"--name={name}", f"--publish=127.0.0.1:{port}:8080",
        "--health-interval=2s",  # the image's own check, asked more often than its 30 s
        f"--volume={config}:/etc/feedsvc/config.toml:ro",
        f"--volume={sample / 'latest-news.txt'}:/etc/feedsvc/latest-news.txt:ro",
        f"--volume={sample / 'articles'}:/srv/feedsvc/articles:ro",
        images["feedsvc"],
    )  # fmt: skip
    user = run("docker", "exec", name, "id", "-u").stdout.strip()
    assert user != "0", "feedsvc runs as root in the image"
    assert run("docker", "exec", name, "id", "-un").stdout.strip() == "feedsvc"
    wait_until(lambda: health(name) == "healthy", 120, interval=1, what="HEALTHCHECK healthy")
    feed = httpx.get(f"http://127.0.0.1:{port}/feeds/main.rss", timeout=10)
    assert feed.status_code == 200, feed.text[:500]
    assert "Night Ferry Returns to Port Elsmere" in feed.text, "the sample is served"
    index = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
    assert "Экономика" in index.text


def post(base: str, article_id: str, title: str) -> httpx.Response:
    article = {"id": article_id, "title": title, "body_markdown": "Текст *заметки*."}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return httpx.post(base + "api/articles", json=article, headers=headers, timeout=60)


def test_compose_serves_and_builds_with_a_replica_killed(images, tmp_path: Path):
    port = free_port()
    project = f"feedsvctest{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "COMPOSE_PROJECT_NAME": project,
        "FEEDSVC_IMAGE": images["feedsvc"],
        "POSTGRES_IMAGE": images["postgres"],
        "NGINX_IMAGE": images["nginx"],
        "FEEDSVC_PORT": str(port),
    }
    compose = ["docker-compose", "--file", str(REPO / "deploy" / "compose.yaml")]
    base = f"http://127.0.0.1:{port}/"
    try:
        run(*compose, "up", "--detach", "--no-build", env=env)

        def answering() -> bool:
            try:
                return httpx.get(base + "healthz", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        try:
            wait_until(answering, 180, interval=1, what="a replica's /healthz through nginx")
        except AssertionError:
            logs = subprocess.run([*compose, "logs", "--tail=20"], env=env, capture_output=True)
            raise AssertionError(logs.stdout.decode(errors="replace")[-4000:]) from None
        first = post(base, "2026-12-06-ferry", "Паром снова ходит в Затон")
        assert first.status_code == 201, first.text
        assert "Паром снова ходит в Затон" in httpx.get(base + "feeds/main.rss").text

        run(*compose, "kill", "feedsvc1", env=env)
        killed = time.monotonic()
        second = post(base, "2026-12-06-bridge", "Мост закрыт на ремонт до весны")
        assert second.status_code == 201, second.text  # built by feedsvc2, through nginx
        feed = httpx.get(base + "feeds/main.rss", timeout=10).text
        assert "Мост закрыт на ремонт до весны" in feed and "Паром снова ходит" in feed
        assert time.monotonic() - killed < 60
        states = run(*compose, "ps", env=env).stdout
        assert "feedsvc2" in states and "Up" in states
    finally:
        subprocess.run([*compose, "down", "--volumes", "--remove-orphans"], env=env,
                       capture_output=True, timeout=300)  # fmt: skip
