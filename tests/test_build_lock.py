"""One build at a time: a command waiting for another's build says whose, and goes on
when it ends. A service stopped mid-build (SIGSTOP, a debugger, a frozen container)
held `feedsvc build` and `feedsvc takedown` without a word."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
from conftest import Site, md, wait_until

from feedsvc.site.pipeline import LOCK_FILE

HOLDER = """
import os, signal, sys
from pathlib import Path
from sqlalchemy import create_engine
from feedsvc.state.locks import building
with building(create_engine(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]):
    print("held", flush=True)
    os.kill(os.getpid(), signal.SIGSTOP)
"""


def hold_stopped(url: str, folder: Path) -> subprocess.Popen:
    """A process that takes the build lock and stops itself holding it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(folder), LOCK_FILE],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def build_waits_and_goes_on(site: Site, holder: subprocess.Popen, told: str) -> None:
    """`feedsvc build` waits for `holder`, says `told` about it, and builds once it ends."""
    errors = site.root / "build.err"
    with errors.open("w") as sink:
        build = subprocess.Popen(
            [sys.executable, "-m", "feedsvc", "-q", "--config", str(site.config), "build"],
            stderr=sink,
        )
    try:
        message = wait_until(
            lambda: " for the build of " in errors.read_text() and errors.read_text(),
            30,
            what="the command to say whose build it waits for",
        )
        assert told in message
        assert build.poll() is None and not (site.feeds / "main.rss").exists()
        os.kill(holder.pid, signal.SIGCONT)
        assert holder.wait(timeout=30) == 0
        assert build.wait(timeout=60) == 0, errors.read_text()
    finally:
        for process in (holder, build):
            if process.poll() is None:
                process.kill()
                process.wait()
    titles = [entry.title for entry in feedparser.parse(site.feeds / "main.rss").entries]
    assert titles == ["Буря над заливом"]


def test_a_build_waiting_for_a_stopped_one_names_it_and_how_to_resume_it(site: Site):
    site.write("storm.md", md("Буря над заливом", "Паромы стоят у причала."))
    settings = site.settings()
    holder = hold_stopped(settings.state.url, settings.public_dir)
    told = f"process {holder.pid} ({sys.executable} -c import os, signal, sys from pathlib"
    build_waits_and_goes_on(site, holder, told)
    assert (
        f"which is stopped: `kill -CONT {holder.pid}` resumes it"
        in (site.root / "build.err").read_text()
    )


@pytest.mark.usefixtures("pg_database")
def test_a_replica_waiting_for_another_replicas_build_names_its_session(
    site: Site, pg_database: str, tmp_path: Path
):
    """Replicas on other machines share a PostgreSQL state, not a folder."""
    site.configure(extra=f'[state]\nurl = "{pg_database}"\n')
    site.write("storm.md", md("Буря над заливом", "Паромы стоят у причала."))
    holder = hold_stopped(pg_database, tmp_path / "another-machine")
    build_waits_and_goes_on(site, holder, "another replica (PostgreSQL session ")
