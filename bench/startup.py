"""Benchmark: what a one-off command costs as a whole process (issue 17's figures).

Times, as separate processes from start to exit: `feedsvc --help`, `feedsvc
--version`, and `feedsvc build` with nothing changed on a files store of N
articles (default 20,000; goals: --help under 0.3 s, the build under 0.7 s),
against `python -c pass` as the baseline, measured in the same run. Also prints
how long importing feedsvc.cli takes (python -X importtime, its own line).
Medians of --repeat runs. The commands run with bytecode written and kept, as an
installed feedsvc has it (PYTHONDONTWRITEBYTECODE, where set, is taken out: with it,
every module changed since the last cache is compiled again on every run).

    .venv/bin/python bench/startup.py [--articles 20000] [--repeat 7]
"""

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from processes import AS_INSTALLED
from scan import write_store


def timed(command: list[str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Median and max seconds of the command, each run checked to succeed."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=cwd, capture_output=True, text=True, timeout=600, env=AS_INSTALLED
        )
        runs.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    return statistics.median(runs), max(runs)


def import_seconds(cwd: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import feedsvc.cli"],
        cwd=cwd, capture_output=True, text=True, timeout=120, env=AS_INSTALLED,
    )  # fmt: skip
    line = next(line for line in done.stderr.splitlines() if line.endswith("| feedsvc.cli"))
    return int(re.split(r"\s*\|\s*", line)[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="feedsvc-bench-startup-"))
    try:
        write_store(work / "articles", args.articles, random.Random(7))
        (work / "config.toml").write_text(
            "[store]\npath = 'articles'\n[schedule]\ninterval = 3600\n", encoding="utf-8"
        )
        feedsvc = [sys.executable, "-m", "feedsvc", "-q", "--config", "config.toml"]
        started = time.perf_counter()
        subprocess.run(
            [*feedsvc, "build"], cwd=work, check=True, capture_output=True, env=AS_INSTALLED
        )
        first = time.perf_counter() - started
        print(f"{args.articles:,} articles; first build {first:.1f} s; medians of {args.repeat}\n")
        baseline = timed([sys.executable, "-c", "pass"], work, args.repeat)
        rows = [
            ("python -c pass (baseline)", baseline),
            ("feedsvc --help", timed([*feedsvc, "--help"], work, args.repeat)),
            ("feedsvc --version", timed([*feedsvc, "--version"], work, args.repeat)),
            ("feedsvc build, nothing changed", timed([*feedsvc, "build"], work, args.repeat)),
        ]
        for name, (median, most) in rows:
            print(f"  {name:34} {median:6.3f} s  (max {most:.3f}, {median / baseline[0]:4.1f}x)")
        print(f"\n  importing feedsvc.cli: {import_seconds(work):.3f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
