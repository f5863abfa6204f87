"""A real PostgreSQL server for the tests: a throwaway cluster on a free 127.0.0.1 port."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server as the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@dataclass
class Cluster:
    url: str  # SQLAlchemy URL of its database "news"
    data: Path
    binaries: Path

    def restart(self) -> None:
        """Stop it (the clients' connections are cut) and start it again."""
        pg_ctl = str(self.binaries / "pg_ctl")
        log = str(self.data.parent / "log")  # the server's output, not our pipes
        command = [pg_ctl, "-D", str(self.data), "-l", log, "-w", "-m", "fast", "restart"]
        subprocess.run(_as_postgres(*command), check=True, capture_output=True)


@contextmanager
def cluster(port: int) -> Iterator[Cluster]:
    """Start a cluster, yield it with a fresh database, stop and remove it."""
    binaries = postgres_bin()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL is not installed (Debian package postgresql)")
    root = Path(tempfile.mkdtemp(prefix="feedsvc-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    run = lambda *cmd: subprocess.run(_as_postgres(*cmd), check=True, capture_output=True)  # noqa: E731
    try:
        run(
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
        )
        run(
            str(binaries / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "30",
            "-o", f"-h 127.0.0.1 -p {port} -k {root} -F",
            "start",
        )  # fmt: skip
        run(
            str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "news"
        )
        yield Cluster(f"postgresql+psycopg://postgres@127.0.0.1:{port}/news", data, binaries)
    finally:
        subprocess.run(
            _as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
