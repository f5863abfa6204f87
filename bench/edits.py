"""Benchmark: 100 old articles edited, then one `feedsvc build` (issue 28).

On a site bench/scale.py or bench/priority.py left (--site DIR, its feeds built), the
100 oldest articles (in no current feed, each on a complete archive page) are saved
again with nothing a reader sees changed (--kind resave), or get a correction
appended to their body (--kind correction: their archive pages change). The build
that follows runs in a new process (as cron's `feedsvc build` would) and is timed
with the files it wrote, beside a build with nothing changed in the same run (the
floor: walking the store, the state's bookkeeping). Prints each median, the files
written, and the ratio.

    .venv/bin/python bench/edits.py --site /tmp/s20k [--kind resave|correction] [--repeat 3]
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

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


def edit(site: Path, count: int, round_: int, kind: str) -> None:
    """Edit the `count` oldest articles (numbered files): a correction appended to the
    body (what readers see changes: the article's updated date too, in every document
    it is in), or the file saved again with a blank line more (nothing a reader sees)."""
    for number in range(count):
        path = site / "articles" / f"{number % 200:03}" / f"{number}.md"
        with path.open("a", encoding="utf-8") as out:
            if kind == "correction":
                out.write(f"\nCorrection {round_}: an earlier version misnamed the pier.\n")
            else:
                out.write("\n")


def build(site: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", BUILD, str(site / "config.toml")], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(runs: list[dict]) -> float:
    return statistics.median(run["seconds"] for run in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, required=True)
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kind", choices=("resave", "correction"), default="resave")
    args = parser.parse_args()
    build(args.site)  # anything left from before: not measured
    edited, unchanged = [], []
    for round_ in range(args.repeat):
        unchanged.append(build(args.site))
        edit(args.site, args.edits, int(time.time()) * 10 + round_, args.kind)
        edited.append(build(args.site))
    print(
        f"{args.edits} old articles edited ({args.kind}): median {median(edited):.2f} s, "
        f"files written {[run['written'] for run in edited]}; nothing changed: median "
        f"{median(unchanged):.2f} s ({args.repeat} runs of each); ratio "
        f"{median(edited) / median(unchanged):.2f}x"
    )


if __name__ == "__main__":
    main()
