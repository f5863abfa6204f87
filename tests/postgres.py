"""A real PostgreSQL server for the tests: a throwaway cluster on a free 127.0.0.1 port."""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def postgres_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server as the postgres user when we are root."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@contextmanager
def cluster(port: int) -> Iterator[str]:
    """Start a cluster, yield a SQLAlchemy URL for a fresh database, stop and remove it."""
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
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/news"
    finally:
        subprocess.run(
            _as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
