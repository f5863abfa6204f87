"""Shared fixtures: a site folder on disk, and feedsvc servers on free 127.0.0.1 ports."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from readers import disagreements
from sqlalchemy import create_engine

from feedsvc.core.config import Settings, load
from feedsvc.feeds.formats import FORMATS as FEED_FORMATS
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State

CORPUS = Path(__file__).resolve().parent / "corpus"  # pages and articles written for the tests
CHROMIUM = shutil.which("chromium")
# As the machine notes say: no sandbox as root, and no background traffic off 127.0.0.1.
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api", reason="playwright is a test extra")
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """Ports free now, all different: each is held until all are chosen (one let go at
    once can be handed out again: SeaweedFS was once given one port for two servers)."""
    with contextlib.ExitStack() as held:
        ports = []
        for _ in range(count):
            sock = held.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(sock.getsockname()[1])
        return ports


def page(headline: str, *paragraphs: str, author: str | None = None, latest=()) -> str:
    """An article page in the plain-text format."""
    lines = [headline, "", *paragraphs]
    if author:
        lines.append(f"Original Author: {author}")
    if latest:
        lines += ["Latest news", *(f"- {h}" for h in latest)]
    return "\n".join(lines) + "\n"


def md(title: str, body: str = "Body.", **fields: str) -> str:
    """A Markdown article; each field's value is written as given (TOML)."""
    extra = "".join(f"{name} = {value}\n" for name, value in fields.items())
    return f"+++\ntitle = {title!r}\n{extra}+++\n{body}\n"


class Clock:
    """The time a test's builds go by (`site.build(clock=clock)`), moved on by the test
    instead of waited for: dates in feeds are whole seconds, so a test that needs a
    later date once slept a second. It runs with the real clock, so a build on the real
    clock (another process) is never later than it."""

    def __init__(self) -> None:
        self.ahead = timedelta(0)

    def __call__(self) -> datetime:
        return (datetime.now(UTC) + self.ahead).replace(microsecond=0)

    @property
    def now(self) -> datetime:
        return self()

    def advance(self, seconds: float = 1) -> datetime:
        self.ahead += timedelta(seconds=seconds)
        return self()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@dataclass
class Site:
    root: Path
    port: int

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def articles(self) -> Path:
        return self.root / "articles"

    @property
    def feeds(self) -> Path:
        return self.root / "public" / "feeds"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def write(self, name: str, text: str, *, at: datetime | None = None) -> Path:
        """Write an article file; `at`: its modification time (a change the store sees
        whatever the file system's resolution, and an undated page's date)."""
        path = self.articles / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if at is not None:
            os.utime(path, (at.timestamp(), at.timestamp()))
        return path

    def configure(self, server: str = "", extra: str = "") -> None:
        """A short config: everything not named takes its default."""
        self.config.write_text(
            f'[site]\nbase_url = "{self.url}"\n[schedule]\ninterval = 1\n'
            f"[server]\nport = {self.port}\n{server}\n{extra}",
            encoding="utf-8",
        )

    def settings(self) -> Settings:
        return load(self.config)

    def build(self, **options):  # -> BuildReport
        """One build, with the full feedparser round trip over every feed it makes, and
        a second parser that must read every feed written as feedparser does."""
        settings = self.settings()
        state = State(settings.state.url)
        try:
            report = Pipeline(settings, state, full_check=True, **options).run()
        finally:
            state.close()
        for written in report.written:
            fmt = written.rpartition(".")[2]
            if fmt in FEED_FORMATS:
                body = (settings.public_dir / written).read_bytes()
                assert disagreements(body, fmt) == [], written
        return report


@pytest.fixture
def site(tmp_path: Path) -> Site:
    made = Site(tmp_path / "site", free_port())
    made.articles.mkdir(parents=True)
    made.configure()
    return made


def feedsvc(*args: str, cwd: Path | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "feedsvc", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    log: Path

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.url + path.lstrip("/"), timeout=10, **kwargs)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; bounded in time."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


@pytest.fixture
def start_server(site: Site) -> Iterator:
    """Start `feedsvc serve` or `feedsvc run` on the site's port; stopped at teardown."""
    started: list[Server] = []

    def start(command: str = "run", *extra: str) -> Server:
        log = site.root / f"{command}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "feedsvc", "--config", str(site.config), command, *extra],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(process, site.url, log)
        started.append(server)

        def answering() -> bool:
            assert process.poll() is None, f"server exited:\n{server.output()}"
            try:
                return server.get("/healthz").status_code in (200, 503)
            except httpx.TransportError:
                return False

        wait_until(answering, 20, what="the server to answer")
        return server

    yield start
    for server in started:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture(scope="session")
def postgres():  # -> postgres.Cluster
    """A real PostgreSQL on 127.0.0.1 (Debian's postgresql, which .ci/run installs)."""
    from postgres import cluster, postgres_bin

    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    with cluster(free_port()) as running:
        yield running


@pytest.fixture(scope="session")
def postgres_url(postgres) -> str:
    return postgres.url


def new_database(postgres_url: str) -> str:
    """A new, empty database on the session's PostgreSQL: its SQLAlchemy URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return postgres_url.rpartition("/")[0] + "/" + name


@pytest.fixture
def pg_database(postgres_url: str) -> str:
    return new_database(postgres_url)


@pytest.fixture
def hanging_callback():
    """A callback server on 127.0.0.1 that takes connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hang"
    stop.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()
