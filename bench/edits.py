"""Benchmark: 100 old articles edited, then one `feedsvc build` (issue 28).

On a site bench/scale.py or bench/priority.py left (--site DIR, its feeds built), the
100 oldest articles get a correction appended to their body: in no current feed,
each on a complete archive page. The build that follows runs in a new process (as
cron's `feedsvc build` would) and is timed with the files it wrote; with --baseline
REV the same build by that revision's code runs first, on a copy of the site made
after the edits (state and publish folder), so both start from the same place.
Prints each build's seconds and files written, and the ratio.

    .venv/bin/python bench/edits.py --site /tmp/s20k [--baseline HEAD~3] [--repeat 3]
"""

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BUILD = """
import json, sys, time
from pathlib import Path
from feedsvc.core.config import load
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State
if __name__ == "__main__":
    settings = load(Path(sys.argv[1]))
    state = State(settings.state.url)
    started = time.perf_counter()
    report = Pipeline(settings, state, long_lived=False).run()
    print(json.dumps({"seconds": time.perf_counter() - started, "written": len(report.written),
                      "ok": report.ok}))
"""


def edit(site: Path, count: int, round_: int) -> None:
    """Append a correction to the `count` oldest articles (numbered files)."""
    for number in range(count):
        path = site / "articles" / f"{number % 200:03}" / f"{number}.md"
        with path.open("a", encoding="utf-8") as out:
            out.write(f"\nCorrection {round_}: an earlier version misnamed the pier.\n")


def build(site: Path, code: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(site / "config.toml")],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(code), "PATH": "/usr/bin:/bin"},
    )
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def copy_site(site: Path, to: Path) -> Path:
    """The site's config, state and publish folder (the store is shared: read only)."""
    to.mkdir()
    text = (site / "config.toml").read_text(encoding="utf-8")
    (to / "config.toml").write_text(
        text.replace("[site]\n", f'[store]\npath = "{site / "articles"}"\n[site]\n', 1)
        if "[store]" not in text
        else text,
        encoding="utf-8",
    )
    for name in ("state.db", "state.db-wal", "state.db-shm", "latest-news.txt"):
        if (site / name).exists():
            shutil.copy2(site / name, to / name)
    shutil.copytree(site / "public", to / "public", symlinks=True)
    return to


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", help="a git revision to compare with (same run)")
    args = parser.parse_args()
    ours, theirs = [], []
    with tempfile.TemporaryDirectory(prefix="feedsvc-bench-edits-") as scratch:
        baseline = None
        if args.baseline:
            baseline = Path(scratch) / "code"
            baseline.mkdir()
            archive = subprocess.run(
                ["git", "-C", str(REPO), "archive", args.baseline, "feedsvc"],
                capture_output=True,
                check=True,
            )
            subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
        build(args.site, REPO)  # anything left from before: not measured
        for round_ in range(args.repeat):
            edit(args.site, args.edits, int(time.time()) * 10 + round_)
            if baseline is not None:
                copy = copy_site(args.site, Path(scratch) / f"site-{round_}")
                theirs.append(build(copy, baseline))
                shutil.rmtree(copy)
            ours.append(build(args.site, REPO))
    for name, runs in (("this code", ours), (f"baseline {args.baseline}", theirs)):
        if runs:
            print(
                f"{args.edits} old articles edited, {name}: median "
                f"{statistics.median(r['seconds'] for r in runs):.2f} s, "
                f"files written {[r['written'] for r in runs]} ({len(runs)} runs)"
            )
    if theirs:
        ratio = statistics.median(r["seconds"] for r in ours) / statistics.median(
            r["seconds"] for r in theirs
        )
        print(f"ratio this / baseline: {ratio:.3f}")


if __name__ == "__main__":
    main()
