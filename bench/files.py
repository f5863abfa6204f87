"""Benchmark: what this machine's disk charges for the files a whole-site build makes.

A redo at 20,000 articles publishes 15,208 files (3,801 feeds, their previews and the
`.gz` copies of both) through feedsvc's own batch writer: each staged beside its file,
one sync for the batch, then renamed over the old one. This times the same writer on
the same number and sizes of files (medians of --repeat), made fresh (a first build)
and over files already there (a redo), beside the bare cost of writing the same bytes
into one file, and prints milliseconds a file. On the development machine this cost
is what a redo's publishing thread waits on (docs/benchmarks.md, "Against Hugo").

    .venv/bin/python bench/files.py [--files 15208] [--repeat 3]
"""

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from feedsvc.publish.local import atomic_write_all

SIZES = (26_700, 5_300, 19_900, 4_500)  # a redo's mean .rss, .rss.gz, .html, .html.gz
BATCH = 1_500  # about the files of one 16 MB batch the build publishes at a time


def batches(folder: Path, files: int, round_: int) -> list[list[tuple[Path, bytes]]]:
    writes = [
        (folder / f"feed-{number}", f"{round_}".encode() * SIZES[number % len(SIZES)])
        for number in range(files)
    ]
    return [writes[start : start + BATCH] for start in range(0, files, BATCH)]


def timed_writes(folder: Path, files: int, round_: int) -> float:
    started = time.perf_counter()
    for batch in batches(folder, files, round_):
        atomic_write_all(batch)
    return time.perf_counter() - started


def one_file(folder: Path, files: int) -> float:
    """The same bytes into one file, synced: the disk's cost without the files."""
    started = time.perf_counter()
    with (folder / "all-in-one").open("wb") as out:
        for number in range(files):
            out.write(b"x" * SIZES[number % len(SIZES)])
        out.flush()
        os.fsync(out.fileno())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=15_208)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="on the disk to measure")
    args = parser.parse_args()
    fresh, over, bare = [], [], []
    for round_ in range(args.repeat):
        folder = Path(tempfile.mkdtemp(prefix="feedsvc-bench-files-", dir=args.dir))
        try:
            fresh.append(timed_writes(folder, args.files, 2 * round_))
            over.append(timed_writes(folder, args.files, 2 * round_ + 1))
            bare.append(one_file(folder, args.files))
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    megabytes = sum(SIZES[n % len(SIZES)] for n in range(args.files)) / 1e6
    print(f"{args.files:,} files, {megabytes:.0f} MB, medians of {args.repeat}")
    for what, seconds in (
        ("made fresh (a first build)", fresh),
        ("made over the old ones (a redo)", over),
        ("the same bytes into one file", bare),
    ):
        median = statistics.median(seconds)
        print(
            f"  {what:34} {median:6.2f} s  {median / args.files * 1000:5.3f} ms a file"
            f"  (runs: {', '.join(f'{s:.2f}' for s in seconds)})"
        )


if __name__ == "__main__":
    main()
