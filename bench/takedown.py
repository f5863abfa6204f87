"""Benchmark: `feedsvc takedown` on a newsroom-sized site (issue 15: under 2 s at 200,000).

The same site as bench/scale.py (N Markdown articles with category, tag and author
families, archives in three formats). After the first build it takes articles down one
after another, each as `feedsvc takedown` does (mark it, then one plain build), and
prints per takedown: the seconds, the files written, and whether they are exactly the
documents that held the article (every file that carried its GUID before, the
previews and archive pages of those feeds, the index and the OPML): nothing else is
written. Then each is undone the same way. Then the same as a person does it: the
`feedsvc takedown GUID` command (and `--undo`) run as a process of its own, timed from
start to exit (imports, opening the state, the build, the uploads waited for). Prints
the medians.

    .venv/bin/python bench/takedown.py [--articles 200000] [--keep DIR | --site DIR]
"""

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scale import configure, write_store

from feedsvc.core.model import now_utc
from feedsvc.feeds.specs import feed_key
from feedsvc.site.pipeline import Pipeline
from feedsvc.state.database import State


def holders(public: Path, guids: list[str]) -> dict[str, set[str]]:
    """Each GUID -> every published feed document (current or archive page) whose text
    carries it: one pass over the folder for all of them."""
    found: dict[str, set[str]] = {guid: set() for guid in guids}
    needles = [(guid, guid.encode()) for guid in guids]
    for path in (public / "feeds").rglob("*"):
        if path.suffix in (".rss", ".atom", ".json"):
            body = path.read_bytes()
            for guid, needle in needles:
                if needle in body:
                    found[guid].add(path.relative_to(public).as_posix())
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--keep", type=Path, help="build the site here and leave it")
    parser.add_argument("--site", type=Path, help="a site --keep left (bench/scale.py's too)")
    parser.add_argument("--repeat", type=int, default=5, help="takedowns (and undos)")
    args = parser.parse_args()
    rng = random.Random(15)
    site = args.site or args.keep or Path(tempfile.mkdtemp(prefix="feedsvc-bench-takedown-"))
    try:
        if not args.site:
            print(f"generating {args.articles:,} articles in {site} ...", flush=True)
            write_store(site / "articles", args.articles, rng)
        settings = configure(site)
        state = State(settings.state.url)
        pipeline = Pipeline(settings, state)
        started = time.perf_counter()
        first = pipeline.run()
        print(
            f"first build of the process: {time.perf_counter() - started:.1f} s, "
            f"{len(first.written):,} files written",
            flush=True,
        )
        public = settings.public_dir
        with state.engine.connect() as conn:
            ids = [row[0] for row in conn.exec_driver_sql("SELECT guid FROM articles")]
        chosen = rng.sample(ids, args.repeat)
        # Scanning every file for the GUIDs costs minutes at 200,000: done once, up front,
        # for all the chosen articles, and not timed.
        print("finding the documents that hold each chosen article ...", flush=True)
        held = holders(public, chosen)
        runs: dict[str, list[float]] = {"takedown": [], "undo": []}
        for guid in chosen:
            for kind, undo in (("takedown", False), ("undo", True)):
                started = time.perf_counter()
                state.takedown(guid, "benchmark", now_utc(), undo=undo)
                report = pipeline.run(scan=False)  # as `feedsvc takedown` does
                seconds = time.perf_counter() - started
                if not report.ok:
                    sys.exit("; ".join(report.failures[:5]))
                runs[kind].append(seconds)
                feeds = {feed_key(p) for p in held[guid]}
                # Besides them: the previews of those feeds, the index and the OPML, and
                # the current Atom document of a feed whose open archive page held it
                # (its tombstone comes or goes).
                others = {
                    p
                    for p in report.written
                    if p in ("index.html", "feeds.opml")
                    or (p.endswith(".html") and feed_key(p) in feeds)
                    or (p == f"feeds/{feed_key(p)}.atom" and feed_key(p) in feeds)
                }
                stray = set(report.written) - held[guid] - others
                verdict = "only those" if not stray else f"ALSO {sorted(stray)[:5]}"
                print(
                    f"{kind} {guid}: {seconds:.2f} s, {len(report.written)} files written "
                    f"({len(held[guid])} documents held it); {verdict}",
                    flush=True,
                )
        state.close()
        for guid in rng.sample(ids, args.repeat):
            for kind, extra in (("feedsvc takedown", []), ("feedsvc takedown --undo", ["--undo"])):
                command = [sys.executable, "-m", "feedsvc", "--config", str(site / "config.toml")]
                started = time.perf_counter()
                done = subprocess.run(
                    [*command, "-q", "takedown", guid, *extra], capture_output=True, text=True
                )
                seconds = time.perf_counter() - started
                if done.returncode:
                    sys.exit(done.stderr)
                runs.setdefault(kind, []).append(seconds)
                print(f"{kind} {guid}: {seconds:.2f} s, {done.stdout.splitlines()[-1]}", flush=True)
        for kind, seconds in runs.items():
            print(
                f"{kind}: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
                f"({len(seconds)} runs, {args.articles if not args.site else 'kept'} articles)"
            )
    finally:
        if not (args.keep or args.site):
            shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
