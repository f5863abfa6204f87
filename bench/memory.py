"""Benchmark: the serving process's resident memory with 5,000 feeds (issue 6).

Builds a site whose tag family has 5,000 members (10,000 full-text articles of
3-8 KB, 1-5 tags each of 5,000), each feed in RSS, Atom and JSON Feed: 15,003 feed
documents. Then, for each `server.ready_cache` cap, starts `feedsvc serve`, fetches
every feed document twice (gzip, as readers ask), checking each body against the
publish folder, and prints the process's resident memory before and after, and the
time of each pass. Past the cap a feed is read from the publish folder again.

    .venv/bin/python bench/memory.py [--articles 10000] [--tags 5000]
"""

import argparse
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from processes import answers, free_port, stop, wait_for
from scale import write_store

CAPS = (64, 256, 8192)  # MiB per worker; the last holds everything


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def serve_and_measure(site: Path, cap: int, paths: list[str]) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    text = (site / "config.toml").read_text().split("[server]")[0]
    (site / "config.toml").write_text(
        f"{text}[server]\nport = {port}\nready_cache = {cap}\nrate_limit = 0\naccess_log = false\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "-q", "--config", str(site / "config.toml"), "serve"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = httpx.Client(timeout=30, headers={"Accept-Encoding": "gzip"})
    try:
        wait_for(answers(base + "healthz", (200, 503)), 60, "feedsvc serve")
        before = resident_mib(server.pid)
        passes = []
        for _ in range(2):
            started = time.perf_counter()
            for path in paths:
                reply = client.get(base + path)
                body = (site / "public" / path).read_bytes()
                assert reply.status_code == 200 and reply.content == body, path
            passes.append(time.perf_counter() - started)
        after = resident_mib(server.pid)
        print(
            f"ready_cache {cap:5} MiB: resident {before:6.0f} MiB at start, {after:6.0f} MiB "
            f"after serving every feed; passes {passes[0]:.1f} s, {passes[1]:.1f} s "
            f"({len(paths) / passes[1]:,.0f} feeds/s)",
            flush=True,
        )
    finally:
        stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--tags", type=int, default=5_000)
    args = parser.parse_args()
    site = Path(tempfile.mkdtemp(prefix="feedsvc-bench-memory-"))
    try:
        write_store(site / "articles", args.articles, random.Random(6), args.tags)
        (site / "config.toml").write_text(
            '[[feeds]]\nname = "main"\n[[feeds]]\nname = "tag"\nper = "tag"\n'
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "feedsvc", "-q", "--config", str(site / "config.toml"), "build"],
            check=True,
        )
        feeds = sorted(
            str(path.relative_to(site / "public"))
            for path in (site / "public" / "feeds").rglob("*")
            if path.suffix in (".rss", ".atom", ".json") and "archive" not in path.parts
        )
        size = sum((site / "public" / path).stat().st_size for path in feeds)
        packed = sum(len(gzip.compress((site / "public" / p).read_bytes(), 6)) for p in feeds)
        print(
            f"{args.articles:,} articles, {len(feeds):,} feed documents "
            f"({size / 2**20:.0f} MiB, {packed / 2**20:.0f} MiB gzipped), "
            f"built in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        for cap in CAPS:
            serve_and_measure(site, cap, feeds)
    finally:
        shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
