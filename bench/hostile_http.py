"""Benchmark: a well-behaved feed reader's answers while the server is under attack.

Starts `feedsvc run` on a small site with the default limits (but no rate limit:
the reader polls every 20 ms from one address), then, for --seconds each, runs
every attack of tests/attacks.py (1,000 slow heads, 1,000 slow bodies, an
idle-connection flood, huge headers, huge bodies, conditional polls with 16 KB
User-Agents; raw sockets to 127.0.0.1, bounded in count and time) while a reader
polls /feeds/main.rss on a new connection each time. The baseline is the same
reader with no attack, measured in the same run. Prints, for each: the reader's
median and p99 (goal: p99 under 100 ms), failures, the server's peak resident
memory and sockets.

    .venv/bin/python bench/hostile_http.py [--seconds 10] [--rounds 3]
"""

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from processes import answers, free_port, stop, wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import attacks  # from tests/, put on the path above


def no_attack(_port: int, stop_event: threading.Event) -> None:
    stop_event.wait()


def slow_headers(port: int, stop_event: threading.Event) -> None:
    attacks.slow_headers(port, stop_event, count=1000)


def slow_bodies(port: int, stop_event: threading.Event) -> None:
    attacks.slow_bodies(port, stop_event, count=1000)


ATTACKS = {
    "no attack (baseline)": no_attack,
    "slow headers (1,000 conns)": slow_headers,
    "slow bodies (1,000 conns)": slow_bodies,
    "idle flood (2,000 conns)": attacks.idle_flood,
    "huge headers (8 MB each)": attacks.huge_headers,
    "huge bodies (64 MB each)": attacks.huge_bodies,
    "16 KB User-Agent polls": attacks.agent_flood,
}


def make_site(work: Path, port: int) -> Path:
    articles = work / "articles"
    articles.mkdir(parents=True)
    for number in range(50):
        (articles / f"{number}.md").write_text(
            f"+++\ntitle = 'Новость номер {number}'\n+++\n" + "Абзац текста. " * 80 + "\n",
            encoding="utf-8",
        )
    config = work / "config.toml"
    config.write_text(
        f'[site]\nbase_url = "http://127.0.0.1:{port}/"\n[schedule]\ninterval = 3600\n'
        f"[server]\nport = {port}\nrate_limit = 0\n[api]\ntoken = 'bench-hostile'\n",
        encoding="utf-8",
    )
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # 2,000 sockets each side
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(soft, 8192), hard), hard))
    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-hostile-"))
    port = free_port()
    config = make_site(work, port)
    log = (work / "run.log").open("w")
    service = subprocess.Popen(
        [sys.executable, "-m", "feedsvc", "-q", "--config", str(config), "run"],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=work,
    )
    try:
        wait_for(answers(f"http://127.0.0.1:{port}/feeds/main.rss"), 120, "feedsvc's first build")
        print(
            f"feedsvc run, default limits, rate limit off; a reader polls /feeds/main.rss "
            f"every 20 ms for {args.seconds:g} s under each attack, {args.rounds} rounds "
            "(medians of the rounds' figures)\n"
        )
        print(
            f"  {'attack':28} {'median':>9} {'p99':>9} {'answers':>8} {'failed':>7} "
            f"{'RSS peak':>10} {'+RSS':>8} {'sockets':>8}"
        )
        for name, attack in ATTACKS.items():
            runs = [
                attacks.under_attack(port, service.pid, attack, args.seconds)
                for _ in range(args.rounds)
            ]
            median = statistics.median(r.timings.median_ms() for r in runs)
            p99 = statistics.median(r.timings.p99_ms() for r in runs)
            answered = sum(len(r.timings.seconds) for r in runs)
            failed = sum(len(r.timings.failures) for r in runs)
            peak = max(r.rss_peak_kib for r in runs) / 1024
            grown = max(r.rss_peak_kib - r.rss_before_kib for r in runs) / 1024
            sockets = max(r.sockets_peak for r in runs)
            print(
                f"  {name:28} {median:6.1f} ms {p99:6.1f} ms {answered:8} {failed:7} "
                f"{peak:7.0f} MB {grown:5.0f} MB {sockets:8}"
            )
            time.sleep(2)  # the server closes what the attack left before the next
    finally:
        stop(service)
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
