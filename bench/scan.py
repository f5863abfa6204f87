"""Benchmark: a files store of many articles, scanned and rebuilt (issue 3's figures).

Prints, for a generated store of N articles (default 100,000):
- the first full build, and `feedsvc check` over the whole store;
- a rebuild with nothing changed (goal: under 2 s, stat only, nothing written);
- a rebuild after one file was added, and after it was edited (goal: under
  1 s each, the change in the served feed file);
each as a median over --repeat runs, with the bare cost of walking and
stat-ing the same tree (os.walk + stat) measured in the same run as a baseline.

    .venv/bin/python bench/scan.py [--articles 100000] [--repeat 5] [--keep DIR]
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from feedsvc.core import config
from feedsvc.site.pipeline import Pipeline, inspect
from feedsvc.state.database import State

WORDS = [
    "city",
    "council",
    "harbour",
    "ferry",
    "bridge",
    "budget",
    "school",
    "library",
    "river",
    "storm",
    "market",
    "tram",
    "station",
    "minister",
    "report",
    "workers",
    "vote",
    "island",
    "festival",
    "museum",
    "hospital",
    "winter",
    "road",
    "северный",
    "город",
    "мост",
    "рынок",
    "трамвай",
    "вокзал",
    "новости",
    "погода",
]


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def write_store(root: Path, count: int, rng: random.Random) -> None:
    """Text pages and Markdown files of 3-8 KB in 100 folders."""
    for number in range(count):
        folder = root / f"{number % 100:02}"
        if number < 100:
            folder.mkdir(parents=True)
        paragraphs = [sentence(rng, rng.randint(40, 110)) for _ in range(rng.randint(4, 9))]
        title = f"{sentence(rng, 7)[:-1]} {number}"
        if number % 4:
            text = (
                f"{title}\n\n"
                + "\n".join(paragraphs)
                + "\nOriginal Author: Reporter {number % 500}\n"
            )
            (folder / f"{number}.txt").write_text(text, encoding="utf-8")
        else:
            fields = (
                f'title = "{title}"\ncategories = ["c{number % 300}"]\nauthor = "A {number % 500}"'
            )
            text = f"+++\n{fields}\n+++\n" + "\n\n".join(paragraphs)
            (folder / f"{number}.md").write_text(text, encoding="utf-8")


def walk_and_stat(root: Path) -> int:
    count = 0
    for folder, _dirs, files in os.walk(root):
        for name in files:
            os.stat(os.path.join(folder, name))  # noqa: PTH116, PTH118 (the cheapest way: a floor)
            count += 1
    return count


def timed(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the site here and leave it")
    args = parser.parse_args()
    rng = random.Random(42)
    site = args.keep or Path(tempfile.mkdtemp(prefix="feedsvc-bench-"))
    try:
        articles = site / "articles"
        print(f"generating {args.articles:,} articles in {articles} ...", flush=True)
        seconds, _ = timed(lambda: write_store(articles, args.articles, rng))
        size = sum(p.stat().st_size for p in articles.rglob("*") if p.is_file())
        print(f"  generated in {seconds:.1f} s, {size / 2**20:.0f} MiB")
        (site / "config.toml").write_text("[schedule]\ninterval = 60\n")
        settings = config.load(site / "config.toml")

        seconds, problems = timed(lambda: inspect(settings))
        errors = [p for p in problems if not p.warning]
        print(f"check, whole store:           {seconds:8.2f} s  ({len(errors)} errors)")

        state = State(settings.state.url)
        pipeline = Pipeline(settings, state)
        seconds, report = timed(pipeline.run)
        print(
            f"first full build:             {seconds:8.2f} s  ({report.articles:,} articles, "
            f"{len(report.written)} files written)"
        )

        baseline, unchanged, added, edited = [], [], [], []
        feed = settings.public_dir / "feeds/main.rss"
        for round_ in range(args.repeat):
            baseline.append(timed(lambda: walk_and_stat(articles))[0])
            seconds, report = timed(pipeline.run)
            assert report.written == [] and report.ok, report
            unchanged.append(seconds)
            page = articles / "07" / f"breaking-{round_}.txt"
            for runs, headline in ((added, "Breaking Story"), (edited, "Breaking Story, Updated")):
                page.write_text(f"{headline} {round_}\n\nSomething happened today.\n")
                seconds, report = timed(pipeline.run)
                assert "feeds/main.rss" in report.written, report.written
                assert f"{headline} {round_}<" in feed.read_text()
                runs.append(seconds)
        state.close()

        base = statistics.median(baseline)
        print(f"baseline, os.walk + stat:     {base:8.2f} s  (median of {args.repeat})")
        for label, runs, goal in (
            ("rebuild, nothing changed:", unchanged, 2.0),
            ("rebuild, one file added:", added, 1.0),
            ("rebuild, one file edited:", edited, 1.0),
        ):
            median = statistics.median(runs)
            verdict = "ok" if median < goal else "OVER GOAL"
            print(
                f"{label:29} {median:8.2f} s  ({median / base:.1f}x baseline; "
                f"max {max(runs):.2f} s; goal < {goal:g} s: {verdict})"
            )
    finally:
        if not args.keep:
            shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
