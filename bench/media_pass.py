"""Benchmark: the media pass and sanitiser on hostile and ordinary bodies (issue 26).

Prints milliseconds per body (median of --repeat runs) for `sanitize()` on bodies
of 1 MB and 4 MB of several shapes, against lexbor parsing the same bytes alone
(the HTML5 parse the pass starts from), measured in the same run, and the ratio.
The shapes: images with no address, each followed by a word (the pass removes every
one: it was quadratic, 31 s for 100,000); plain paragraphs; lazy-loaded images;
unclosed divs (190,000 deep at 4 MB: any conforming parser is quadratic there, and
lexbor alone takes minutes, which is why the baseline parses the flattened body);
players to be made links. Goal: any shape of 4 MB in under 1 s.

    .venv/bin/python bench/media_pass.py [--repeat 5]
"""

import argparse
import statistics
import time
from collections.abc import Callable

from selectolax.lexbor import LexborHTMLParser

from feedsvc.content.depth import flattened
from feedsvc.content.markup import sanitize

# Players each with an address of its own (addresses are remembered, 4,096 of them).
UNIQUE_PLAYERS = '<iframe src="https://www.youtube.com/embed/ab{:06d}"></iframe>w '
SHAPES: dict[str, str] = {
    "images with no address": "<img>aaaaa",
    "paragraphs": "<p>The council met on Tuesday and agreed the budget.</p>",
    "lazy images": '<img src="data:image/gif;base64,R0lGOD" data-src="/i/1.jpg">word ',
    "unclosed divs": "<div><span>word</span>",
    "players, each its own address": UNIQUE_PLAYERS,
    "players": '<iframe src="https://www.youtube.com/embed/abcdEFGH"></iframe><embed src=x>w ',
}


def body(unit: str, size: int) -> str:
    if unit == UNIQUE_PLAYERS:
        return "".join(unit.format(n) for n in range(size // len(unit.format(0))))
    return unit * (size // len(unit))


def timed(work: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"{'shape':<24}{'size':>6}{'lexbor parse ms':>17}{'sanitize ms':>13}{'ratio':>7}")
    for name, unit in SHAPES.items():
        for megabytes in (1, 4):
            text = body(unit, megabytes * 2**20)
            flat = flattened(text)
            parse = timed(lambda t=flat: LexborHTMLParser(t, is_fragment=True), args.repeat)
            ours = timed(lambda t=text: sanitize(t, "https://example.org/"), args.repeat)
            print(f"{name:<24}{megabytes:>4} MB{parse:>17.1f}{ours:>13.1f}{ours / parse:>7.1f}")


if __name__ == "__main__":
    main()
