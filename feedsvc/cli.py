"""Commands: parse arguments, call the services, print. Nothing else lives here.

Each command imports what it uses when it runs: `feedsvc --help` imports click and
little else (the services' imports, SQLAlchemy and pydantic among them, took over
a second), and a one-off command pays only for its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from feedsvc.core import logs
from feedsvc.core.envvars import CONFIG_ENV, LISTEN_FD_ENV, SCHEDULED_ENV
from feedsvc.core.text import redacted_url

if TYPE_CHECKING:
    from feedsvc.api import Site
    from feedsvc.core.config import Settings
    from feedsvc.core.model import Problem
    from feedsvc.site.pipeline import BuildReport
    from feedsvc.state.database import State
    from feedsvc.state.ledger import Ledger

T = TypeVar("T")
SHOWN_FILES = 12  # a first build of a big site writes thousands
_serving = False  # `serve` or `run` started: the process leaves as Python does


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def echo(message: object = "", *, err: bool = False) -> None:
    """Every line a command prints, with no configured URL's secrets (redacted_url)."""
    click.echo(redacted_url(str(message)), err=err)


def _fail(message: str, code: int = 2) -> NoReturn:
    echo(f"feedsvc: {message}", err=True)
    sys.exit(code)


def _settings(ctx: click.Context) -> Settings:
    from feedsvc.core import config
    from feedsvc.core.config import ConfigError

    try:
        return config.load(ctx.obj)
    except ConfigError as exc:
        _fail(str(exc))


def _state(
    ctx: click.Context, settings: Settings, *, publishing: bool = True, reading: bool = False
) -> State:
    """The state; for a command that publishes, never an empty one where a state was, and
    only with a publish folder it can write in; for one that only reads (`reading`),
    never made, migrated or marked."""
    from feedsvc.publish.local import check_writable
    from feedsvc.state.continuity import StateLost
    from feedsvc.state.database import State, StateNotBuilt, StateUnavailable

    if publishing:
        folder = settings.public_dir
        try:
            check_writable(folder)
        except OSError as exc:
            _fail(f"{ctx.obj}: publish.path: cannot write in {folder}: {exc.strerror or exc}", 1)
    try:
        return State(
            settings.state.url, settings.public_dir if publishing else None, read_only=reading
        )
    except StateNotBuilt as exc:
        _fail(f"{ctx.obj}: state.url: {exc}", 1)
    except StateLost as exc:
        _fail(f"{ctx.obj}: state.url: {exc}")
    except StateUnavailable as exc:
        _fail(
            f"{ctx.obj}: state.url: cannot open the state database: {exc}. If it was "
            "damaged, restore a copy (`feedsvc state backup` makes one) or an export "
            "(`feedsvc state import FILE`)"
        )


def _site(ctx: click.Context, settings: Settings | None = None, *, reading: bool = False) -> Site:
    """The site of the config the command was given (feedsvc.api, as an embedder has it);
    `settings`: that config, when the command has read it already; `reading`: for a
    command that only reads it."""
    from feedsvc.api import Site

    settings = settings or _settings(ctx)
    return Site(settings, _state(ctx, settings, publishing=not reading, reading=reading))


def _guarded(work: Callable[[], T]) -> T:
    """`work`, with a store that cannot be opened (its config) said in one line."""
    from feedsvc.store import StoreError

    try:
        return work()
    except StoreError as exc:
        _fail(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=CONFIG_ENV,
    default="config.toml",
    show_default=True,
    help=f"The site's config file (or ${CONFIG_ENV}).",
)
@click.option("-q", "--quiet", is_flag=True, help="Log warnings and errors only.")
@click.option("-v", "--verbose", is_flag=True, help="Log what is done in detail too.")
@click.version_option(package_name="feedsvc")
@click.pass_context
def main(ctx: click.Context, config_path: Path, quiet: bool, verbose: bool) -> None:
    """Publish a news site's articles as RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds."""
    ctx.obj = config_path
    logs.setup(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--sample", is_flag=True, help="Add fictional sample articles and a latest-news list."
)
def init(folder: Path, sample: bool) -> None:
    """Make a new site FOLDER: config.toml, articles/, latest-news.txt."""
    from feedsvc.site import scaffold

    try:
        made = scaffold.init_site(folder, sample=sample)
    except (scaffold.SiteExistsError, OSError) as exc:
        _fail(str(exc))
    for path in made:
        echo(f"created {path}")
    echo(f"next: feedsvc --config {folder / 'config.toml'} run")


@main.command()
@click.option(
    "--full",
    is_flag=True,
    help="Render every feed and every archive page again, sealed ones included, and "
    "write what differs from what is published (e.g. after the publish folder was lost).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when an article was skipped (a newsroom's CI then notices a bad file).",
)
@click.pass_context
def build(ctx: click.Context, full: bool, strict: bool) -> None:
    """Build every feed once and write the changed ones. Beside a running service on
    another config, the service is asked to read its config again and build instead."""
    from feedsvc.site import inforce

    with _site(ctx) as site:
        if not full and inforce.refusal(site.state, site.settings):
            _have_service_build(site, ctx.obj)
            return
        with _said_once():
            report = _guarded(lambda: site.build(full=full))
    _print_build(report)
    if strict and any(not problem.warning for problem in report.problems):
        sys.exit(1)


@contextlib.contextmanager
def _said_once() -> Iterator[None]:
    """The build's problems and failures are printed by the command (_print_build), not
    logged by the pipeline as well: each once."""
    pipeline_log = logging.getLogger("feedsvc.site.pipeline")
    level = pipeline_log.level
    pipeline_log.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        pipeline_log.setLevel(level)


def _have_service_build(site: Site, config: Path) -> None:
    """Ask the service leading the site to take this config and build; say what it did."""
    from feedsvc.site import inforce

    try:
        built = inforce.ask_to_reload(site.state, site.settings, config)
    except inforce.NotTaken as exc:
        _fail(f"{inforce.refusal(site.state, site.settings) or 'not built'}: {exc}", 1)
    record = site.state.in_force.get()
    assert record is not None
    echo(f"built by the running service, {record.describe()}, on this config:")
    echo(
        f"{_count(built.articles, 'article')}, {_count(built.problems, 'problem')}; "
        f"{_count(built.written, 'file')} written"
    )
    if not built.ok:
        _fail(f"its build failed: {built.error}", 1)


@main.command()
@click.pass_context
def reload(ctx: click.Context) -> None:
    """Have the running service read its config file again (SIGHUP), and wait until it
    runs on it and has built; a config that does not load is said here, not sent."""
    with _site(ctx) as site:
        _have_service_build(site, ctx.obj)


def _print_build(report: BuildReport, *, counted: bool = True) -> None:
    """What a build did; counted: it read the stores, and says how many articles."""
    for problem in report.problems:
        echo(str(problem) if problem.warning else f"skipped {problem}", err=True)
    for failure in report.failures:
        echo(failure, err=True)
    shown = report.written[:SHOWN_FILES]
    written = ", ".join(shown) or "nothing changed"
    if more := len(report.written) - len(shown):
        written += f" and {more} more"
    removed = f"; removed: {_count(len(report.removed), 'file')}" if report.removed else ""
    articles = f"{_count(report.articles, 'article')}; " if counted else ""
    echo(f"{articles}written: {written}{removed}")
    if not report.ok:
        sys.exit(1)


@main.command()
@click.argument("ref", required=False)
@click.option("--reason", default="", help="Why (kept with the takedown, shown by --list).")
@click.option("--undo", is_flag=True, help="Publish the article again.")
@click.option("--list", "listing", is_flag=True, help="List the articles taken down.")
@click.option(
    "--service-wait",
    type=click.FloatRange(min=0),
    default=10,
    show_default=True,
    help="Seconds to wait for the service running the site here to publish it, before "
    "publishing from this process (0: publish from this process).",
)
@click.pass_context
def takedown(
    ctx: click.Context,
    ref: str | None,
    reason: str,
    undo: bool,
    listing: bool,
    service_wait: float,
) -> None:
    """Take article REF (its GUID, id or file path) out of every document and every
    upload target now, and keep it out, whatever its store says, until --undo. Beside a
    running service, that service publishes it (at once, before the rest of its work)."""
    from feedsvc.site import handover

    with _site(ctx) as site:
        if listing:
            for row in site.state.taken_down():
                said = f" ({row.takedown_reason})" if row.takedown_reason else ""
                echo(f"{row.taken_down:%Y-%m-%d %H:%M} {row.guid} {row.key}{said}")
            return
        if not ref:
            _fail("give the article's GUID, id or file path (or --list)")
        # Published at once, from the state: reading the whole store first is not needed.
        for said in _references(site.settings, ref, ctx.obj):
            if found := site.take_down(said, reason, undo=undo):
                break
        else:
            unread = [s.label for s in site.settings.store if site.state.holds_nothing_of(s.label)]
            _fail(
                f"no article has the GUID, id or path {ref!r} (a path may be given as in "
                "its store, from this folder, from the config's, or whole)" + _unread_hint(unread)
            )
        for article in found:
            echo(f"{article.outcome(undo)}: {article.guid} ({article.key})")
        if service := handover.ask_to_publish(site.state, site.settings, service_wait):
            echo(f"published by the service running this site (process {service})")
            return
        report = _guarded(lambda: site.build(scan=False, budget=0))
    _print_build(report, counted=False)


def _unread_hint(stores: list[str]) -> str:
    """Why an article may not be found yet: its store was never read into the state."""
    if not stores:
        return ""
    named = ", ".join(repr(store) for store in stores)
    return (
        f"; the state holds no article of store {named} yet: a first build may be reading "
        "it now (run this again once it is done), or none has run"
    )


def _references(settings: Settings, ref: str, config: Path) -> list[str]:
    """What `ref` may stand for: itself (a GUID, an id, a path in its store), and, read
    as a file's path (whole, from this folder or from the config's), that file's path
    in each files store holding it."""
    found = [ref]
    for base in (Path.cwd(), config.resolve().parent):
        path = (base / ref).resolve()
        for store in settings.store:
            root = store.path.resolve()
            if store.kind == "files" and path.is_relative_to(root):
                found.append(path.relative_to(root).as_posix())
    return list(dict.fromkeys(found))


@main.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Print the store's size, the feeds, what is published, and the last build's stages."""
    with _site(ctx, reading=True) as site:
        for line in site.stats():
            echo(line)


def _since(_ctx: click.Context, _param: click.Parameter, value: str) -> date:
    """A day (2026-11-01) or a number of days back (7d)."""
    if found := re.fullmatch(r"(\d{1,4})d", value):
        return datetime.now(UTC).date() - timedelta(days=int(found.group(1)))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: give a day like 2026-11-01, or 7d") from None


@main.command()
@click.option(
    "--since",
    default="7d",
    show_default=True,
    callback=_since,
    help="A day (2026-11-01) or days back (30d).",
)
@click.pass_context
def audience(ctx: click.Context, since: date) -> None:
    """Print each feed's readers: aggregators' subscriber counts, direct clients a day."""
    with _site(ctx, reading=True) as site:
        for line in site.audience(since):
            echo(line)


@main.command()
@click.pass_context
def snippet(ctx: click.Context) -> None:
    """Print the <link rel="alternate"> tags for the site's own HTML <head>."""
    from feedsvc.feeds.pages import discovery_links
    from feedsvc.feeds.specs import FeedDefinition, expand

    settings = _settings(ctx)
    definitions = [FeedDefinition.of(feed) for feed in settings.feeds]
    feeds = expand(definitions, settings.site, lambda _kind, _where: [])  # no families
    for line in discovery_links(settings.site.base_url, feeds):
        echo(line)


@main.command()
@click.pass_context
def check(ctx: click.Context) -> None:
    """Check the config and the store without writing anything; exit 1 on errors."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    from feedsvc.site.pipeline import inspect
    from feedsvc.store import StoreError

    settings = _settings(ctx)
    started = time.monotonic()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:

        def progress_of(store: str) -> Callable[[int, int], None]:
            task = bar.add_task(f"reading store {store!r}", total=None)
            return lambda done, total: bar.update(task, completed=done, total=total)

        try:
            problems = inspect(settings, progress_of, history=_ledger(ctx, settings))
        except StoreError as exc:
            _fail(str(exc))
    problems += _emptied(ctx, settings)
    for problem in problems:
        echo(str(problem))
    errors = sum(not p.warning for p in problems)
    echo(
        f"checked {len(settings.store)} store(s) in {time.monotonic() - started:.1f} s: "
        f"{_count(errors, 'error')}, {_count(len(problems) - errors, 'warning')}"
    )
    if errors:
        sys.exit(1)


def _has_state(settings: Settings) -> bool:
    url = settings.state.url
    return not url.startswith("sqlite:///") or Path(url.removeprefix("sqlite:///")).exists()


def _ledger(ctx: click.Context, settings: Settings) -> Ledger | None:
    """The state's history, for a check to judge ids by (None if there is no state)."""
    if not _has_state(settings):
        return None
    with _site(ctx, settings) as site:
        return site.state.ledger()


def _emptied(ctx: click.Context, settings: Settings) -> list[Problem]:
    """What the state says of family members left empty (nothing if there is no state)."""
    if not _has_state(settings):
        return []
    with _site(ctx, settings) as site:
        return site.emptied()


def _allow_files(wanted: int) -> None:
    """Raise this process's open-file limit towards `wanted`, as far as the hard limit
    lets it: a cap of 1,000 connections is no cap at the usual soft limit of 1,024."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))


def _serve(
    ctx: click.Context, host: str | None, port: int | None, *, scheduled: bool, workers: int | None
) -> None:
    global _serving
    _serving = True
    # Here, not at the top: the server's imports cost a one-off command a sixth of a second.
    import functools
    import tempfile

    import uvicorn

    from feedsvc.web.protocol import FeedProtocol, Limits

    settings = _settings(ctx)
    server = settings.server
    limits = Limits(
        header_bytes=server.header_bytes,
        header_timeout=server.header_timeout,
        body_timeout=server.body_timeout,
        max_connections=server.max_connections,
    )
    _allow_files(server.max_connections + 256)  # the connections, and the files beside them
    listen: dict[str, Any] = {
        "host": host or server.host,
        "port": port if port is not None else server.port,
        # Off: X-Forwarded-For is believed only from server.trusted_proxies (the fast lane).
        "proxy_headers": False,
        "access_log": False,  # the fast lane writes its own, one JSON line a request
        "server_header": False,
        # Polls for feeds are answered without the ASGI machinery, within the limits.
        "http": functools.partial(FeedProtocol, limits=limits),
        "timeout_keep_alive": server.keep_alive,
        "log_level": "warning" if ctx.find_root().params.get("quiet") else "info",
    }
    workers = workers or settings.server.workers
    if workers == 1:
        _serve_one(ctx, scheduled, listen)
        return
    _state(ctx, settings).close()  # fail here, with a message, not in every worker
    with tempfile.TemporaryDirectory(prefix="feedsvc-metrics-") as counters:
        os.environ.update(
            {
                CONFIG_ENV: str(ctx.obj.resolve()),
                SCHEDULED_ENV: "1" if scheduled else "0",
                "PROMETHEUS_MULTIPROC_DIR": counters,  # workers add up each other's counts
            }
        )
        uvicorn.run("feedsvc.web.app:from_environment", factory=True, workers=workers, **listen)


def _serve_one(ctx: click.Context, scheduled: bool, listen: dict[str, Any]) -> None:
    """One process serving; when its config changed, it starts again on the new one
    with the same listening socket (connections wait in its backlog meanwhile)."""
    import socket

    import uvicorn

    # A reload asked for while starting is not needed (the config is read now), and
    # SIGHUP's default would end the process: ignored until the service listens for it.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    host, port = listen.pop("host"), listen.pop("port")
    handed = os.environ.pop(LISTEN_FD_ENV, None)
    if handed is not None:
        sock = socket.socket(fileno=int(handed))
    else:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            sock = socket.create_server((host, port), family=family, backlog=2048)
        except OSError as exc:
            _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    app = _site(ctx).app(scheduled=scheduled, config_path=ctx.obj.resolve())
    server = uvicorn.Server(uvicorn.Config(app, **listen))
    restart: list[int] = []
    if app.config_watch is not None:

        def again() -> None:
            restart.append(os.dup(sock.fileno()))  # the server closes its own on the way out
            server.should_exit = True

        app.config_watch.restart = again
    server.run(sockets=[sock])
    if restart:
        os.set_inheritable(restart[0], True)
        os.environ[LISTEN_FD_ENV] = str(restart[0])
        logging.getLogger(__name__).warning("starting again on the new config")
        os.execv(sys.executable, [sys.executable, "-m", "feedsvc", *sys.argv[1:]])


_host = click.option("--host", help="Address to listen on [default: server.host].")
_port = click.option("--port", type=int, help="Port to listen on [default: server.port].")
_workers = click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes serving requests [default: server.workers]; with `run`, one of them "
    "runs the schedule.",
)


@main.command()
@_host
@_port
@_workers
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the published feeds over HTTP (no rebuilding)."""
    _serve(ctx, host, port, scheduled=False, workers=workers)


@main.command()
@_host
@_port
@_workers
@click.pass_context
def run(ctx: click.Context, host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the feeds and rebuild them on the schedule (and on the ingest API)."""
    _serve(ctx, host, port, scheduled=True, workers=workers)


@main.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Bring the state database's schema to this release (also done on every start)."""
    settings = _settings(ctx)
    state = _state(ctx, settings)  # opening the state migrates it
    before, now = state.migrated
    state.close()
    if before == now:
        echo(f"the state is at revision {now}, the newest: nothing to do")
    else:
        echo(f"the state was at revision {before or 'none'}, now at {now}")


_url = click.option("--url", help="This database instead of the config's state.url.")


@main.group("state")
def state_group() -> None:
    """Move the state (articles, GUIDs, archives, subscriptions) between databases."""


@state_group.command("export")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
@_url
@click.pass_context
def state_export(ctx: click.Context, file: IO[str], url: str | None) -> None:
    """Write the whole state to FILE (JSON Lines; - for standard output)."""
    root = ctx.find_root()
    state = _state(root, _with_state_url(root, url), publishing=False, reading=True)
    try:
        counts = state.export_to(file)
    finally:
        state.close()
    echo(f"exported {_rows(counts)}", err=True)


@state_group.command("import")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@_url
@click.pass_context
def state_import(ctx: click.Context, file: IO[str], url: str | None) -> None:
    """Load a state export into an empty database (made and migrated if new)."""
    from feedsvc.state import transfer

    root = ctx.find_root()
    state = _state(root, _with_state_url(root, url), publishing=False)
    try:
        counts = state.import_from(file, file.name)
    except transfer.TransferError as exc:
        _fail(f"{exc}; nothing imported")
    finally:
        state.close()
    echo(f"imported {_rows(counts)}")


@state_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_url
@click.pass_context
def state_backup(ctx: click.Context, file: Path, url: str | None) -> None:
    """Copy a SQLite state to FILE, consistent while builds and the server run; restore
    it by copying it back to state.url's file with feedsvc stopped."""
    import sqlite3

    from feedsvc.state import backup

    root = ctx.find_root()
    state = _state(root, _with_state_url(root, url), publishing=False, reading=True)
    try:
        state.backup_to(file)
    except backup.BackupError as exc:
        _fail(f"state.url: {exc}")
    except (sqlite3.Error, OSError) as exc:
        _fail(f"{file}: cannot write the copy: {exc}")
    finally:
        state.close()
    echo(f"copied the state to {file} ({file.stat().st_size:,} bytes)")


def _with_state_url(ctx: click.Context, url: str | None) -> Settings:
    settings = _settings(ctx)
    if url is None:
        return settings
    return settings.model_copy(update={"state": settings.state.model_copy(update={"url": url})})


def _rows(counts: dict[str, int]) -> str:
    listed = ", ".join(f"{table} {n:,}" for table, n in counts.items() if n)
    return f"{_count(sum(counts.values()), 'row')} ({listed or 'none'})"


def _config_first(args: list[str]) -> list[str]:
    """The arguments with `--config FILE` moved before the command wherever it was
    given (`feedsvc build --config x.toml`, as peers take it)."""
    moved, rest, index = [], [], 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        if arg == "--config" and index + 1 < len(args):
            moved += args[index : index + 2]
            index += 2
            continue
        if arg.startswith("--config="):
            moved.append(arg)
        else:
            rest.append(arg)
        index += 1
    return moved + rest


def _interrupted(_signum: int, _frame: object) -> None:
    """Ctrl-C: leave at once with the shell's code for it, 128 + SIGINT (not click's
    "Aborted!" and 1). What a command wrote is whole: files are renamed into place,
    the state written in transactions. The processes reading or rendering for it end
    too: a pool's worker turns the interrupt into a result and waits for more work,
    for ever once this process is gone."""
    sys.stderr.flush()
    _end_descendants()
    os._exit(130)


def _end_descendants() -> None:
    """Kill every process descended from this one (a pool's forkserver and workers),
    but multiprocessing's resource tracker: it ends by itself once they are gone, and
    removes what they left (a killed tracker would leave their semaphores in /dev/shm)."""
    from multiprocessing import resource_tracker

    from feedsvc.core.workers import descendants

    tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
    for pid in descendants(os.getpid()) - {tracker}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def program() -> None:
    """`feedsvc` as a program. A one-off command leaves without Python's teardown of
    every module and object, 0.1-0.2 s after a build: its state is closed, its uploads
    and announcements waited for, and its output and logs are flushed here. A server
    leaves as Python does."""
    code: int | str | None = 0
    signal.signal(signal.SIGINT, _interrupted)  # (a server's own handlers replace it)
    # Passed to the helper processes multiprocessing starts (its resource tracker): after
    # a Ctrl-C it removes the pools' semaphores quietly, not with a warning of "leaks".
    sys.warnoptions.append("ignore:resource_tracker:UserWarning")
    try:
        main(args=_config_first(sys.argv[1:]))
    except SystemExit as done:
        if _serving:
            raise
        code = done.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else 0 if code is None else 1)
