"""Pool processes: what each does first, and finding them."""

import contextlib
import signal
from pathlib import Path


def leave_interrupts_to_the_parent() -> None:
    """Ignore Ctrl-C in a pool process: the terminal sends it to the whole process group,
    and the process that started the pool ends it (an interrupted worker printed a
    traceback, or turned the interrupt into a result and waited for more work)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def descendants(pid: int) -> set[int]:
    """Every process descended from `pid`, by the parent ids /proc gives (a pool's
    forkserver and workers, its resource tracker)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found
