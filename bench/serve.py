"""Benchmark: feedsvc's built-in server against nginx serving the same published feed.

A site with a 50-item feed is built once; then, on 127.0.0.1, Debian's nginx
(2 workers, gzip_static, etags) serves the publish folder, and `feedsvc serve
--workers 2` serves it too. wrk (Debian's) loads each in turn, interleaved over
--rounds rounds of --seconds each, bounded in time:
- conditional polls answered 304 (If-None-Match with the gzip ETag);
- full gzip 200s (Accept-Encoding: gzip).
Prints the median requests/s and p99 latency of each, and feedsvc's ratio to nginx
(goal: at least 0.5x for both): both without access logs, and both with one
(nginx's buffered combined log, feedsvc's JSON lines).

    .venv/bin/python bench/serve.py [--rounds 3] [--seconds 5] [--connections 50]
"""

import argparse
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from processes import free_port

VOCABULARY = (
    "harbour authority quay repairs winter ferries pier divers council budget bridge tram "
    "station market river storm library museum hospital road island festival report vote "
    "workers minister school northern old new said will through while inspect the and of "
    "город совет бюджет мост трамвай вокзал рынок погода река остров новости ремонт зима"
)
WORDS = VOCABULARY.split()


def story(rng: random.Random) -> str:
    """~3.5 KB of varied text: real stories compress like this, not like one line repeated."""
    paragraphs = []
    for _ in range(6):
        sentences = [" ".join(rng.choices(WORDS, k=rng.randint(8, 18))).capitalize() + "."]
        sentences += [" ".join(rng.choices(WORDS, k=rng.randint(8, 18))) + "." for _ in range(3)]
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url}")


def make_site(root: Path, feedsvc_port: int, access_log: bool) -> Path:
    articles = root / "articles"
    articles.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    for number in range(60):
        body = story(rng)
        (articles / f"story-{number:03}.md").write_text(
            f'+++\ntitle = "Story {number}: quay repairs, day {number}"\n'
            f'published = "2026-11-{1 + number % 27:02}T{number % 24:02}:00:00Z"\n+++\n{body}\n',
            encoding="utf-8",
        )
    config = root / "config.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{feedsvc_port}/"\n'
        f"[server]\nport = {feedsvc_port}\nrate_limit = 0\naccess_log = {str(access_log).lower()}\n"
        '[[feeds]]\nname = "main"\n',
        encoding="utf-8",
    )
    return config


def nginx_config(root: Path, public: Path, port: int, logged_port: int) -> Path:
    """One nginx, two servers on the same folder: without an access log, and with one
    (buffered, as a production server would write it)."""
    temp = "".join(
        f"{kind}_temp_path {root}/tmp-{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    site = (
        f"  root {public};\n  gzip_static on;\n  etag on;\n"
        "  add_header Vary Accept-Encoding;\n  add_header Cache-Control max-age=60;\n"
    )
    conf = root / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 2;\npid {root}/nginx.pid;\nerror_log {root}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n include /etc/nginx/mime.types;\n"
        f" {temp} sendfile on;\n tcp_nopush on;\n"
        f" server {{\n  listen 127.0.0.1:{port};\n  access_log off;\n{site}}}\n"
        f" server {{\n  listen 127.0.0.1:{logged_port};\n"
        f"  access_log {root}/access.log combined buffer=64k;\n{site}}}\n}}\n"
    )
    return conf


FEEDSVC = [sys.executable, "-m", "feedsvc", "-q"]
LATENCY = re.compile(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> tuple[float, float]:
    """(requests/s, p99 in ms) of one bounded wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    if "Non-2xx or 3xx responses" in out:
        raise SystemExit(f"errors from {url}:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = LATENCY.search(out).groups()  # type: ignore[union-attr]
    return rate, float(value) * UNIT[unit]


def scenarios(url: str) -> dict[str, dict[str, str]]:
    """The two loads, with the gzip ETag this server gives the feed."""
    etag = httpx.get(url, headers={"Accept-Encoding": "gzip"}).headers["etag"]
    check = httpx.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert check.status_code == 304, f"{url} does not answer 304 to its own ETag"
    return {
        "304 poll": {"Accept-Encoding": "gzip", "If-None-Match": etag},
        "gzip 200": {"Accept-Encoding": "gzip"},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk") or not shutil.which("nginx"):
        raise SystemExit("needs Debian's wrk and nginx: apt-get install wrk nginx")

    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-serve-"))
    names = ("nginx", "feedsvc", "nginx+log", "feedsvc+log")
    ports = {name: free_port() for name in names}
    processes: list[subprocess.Popen] = []
    try:
        for name, access_log in (("feedsvc", False), ("feedsvc+log", True)):
            config = make_site(work / name, ports[name], access_log)
            subprocess.run(
                [*FEEDSVC, "--config", str(config), "build"],
                check=True,
                timeout=300,
            )
            processes.append(
                subprocess.Popen(
                    [*FEEDSVC, "--config", str(config), "serve", "--workers", "2"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        public = work / "feedsvc" / "public"
        conf = nginx_config(work, public, ports["nginx"], ports["nginx+log"])
        processes.append(
            subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"], cwd=work)
        )
        urls = {name: f"http://127.0.0.1:{port}/feeds/main.rss" for name, port in ports.items()}
        for url in urls.values():
            wait_for(url)
        feed = (work / "feedsvc" / "public" / "feeds" / "main.rss").stat().st_size
        packed = (work / "feedsvc" / "public" / "feeds" / "main.rss.gz").stat().st_size
        print(f"feed: 50 items, {feed / 1024:.0f} KB ({packed / 1024:.0f} KB gzip)")
        print(f"wrk -t1 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds, medians\n")

        loads = {name: scenarios(url) for name, url in urls.items()}
        results: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for _ in range(args.rounds):
            for scenario in loads["nginx"]:
                for name, url in urls.items():
                    measured = wrk(url, loads[name][scenario], args.seconds, args.connections)
                    results.setdefault((name, scenario), []).append(measured)

        for scenario in loads["nginx"]:
            print(f"{scenario}:")
            for name in urls:
                base = "nginx+log" if name.endswith("+log") else "nginx"
                base_rate = statistics.median(r for r, _ in results[base, scenario])
                base_p99 = statistics.median(p for _, p in results[base, scenario])
                rate = statistics.median(r for r, _ in results[name, scenario])
                p99 = statistics.median(p for _, p in results[name, scenario])
                print(
                    f"  {name:12} {rate:9,.0f} req/s  p99 {p99:6.2f} ms   "
                    f"{rate / base_rate:.2f}x {base}'s rate, p99 {p99 / base_p99:.2f}x"
                )
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT if process.args[0] != "nginx" else signal.SIGQUIT)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
