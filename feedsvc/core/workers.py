"""Pool processes: starting them, what each does first, and finding them."""

import contextlib
import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import forkserver, resource_tracker
from pathlib import Path


def process_pool(workers: int, niceness: int = 0) -> ProcessPoolExecutor:
    """A pool of processes that leave Ctrl-C to this one, `niceness` lower in priority
    than their own default. Started by a forkserver, not
    fork: the serving process has threads (uploads, the web server). The forkserver is
    started with SIGINT blocked, which it and the workers it forks keep: an interrupt
    that came while it was starting up printed a traceback ("'import warnings'
    failed"); the process that started the pool ends them."""
    # The resource tracker first: starting it blocks SIGINT for its own start, then
    # unblocks it, whatever the mask was (it would unblock it here before the forkserver).
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=start_pool_process,
        initargs=(niceness,),
    )


def start_pool_process(niceness: int) -> None:
    """In a new pool process: ignore Ctrl-C (the terminal sends it to the whole process
    group, and the process that started the pool ends it; an interrupted worker printed
    a traceback, or turned the interrupt into a result and waited for more work), and
    add `niceness` to its own (see feeds.pool.REDO_NICENESS)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if niceness:
        os.nice(niceness)


def renice(pool: ProcessPoolExecutor, niceness: int) -> bool:
    """Give the pool's processes, running and yet to start, `niceness` more than this
    process's own, keeping them (a new pool's processes take a second of imports each,
    which news built meanwhile waited for). False where that is not allowed: making a
    process less nice needs privileges (CAP_SYS_NICE), or a worker has ended."""
    pool._initargs = (niceness,)  # private, typed in typeshed: for processes yet to start
    wanted = os.getpriority(os.PRIO_PROCESS, 0) + niceness
    try:
        for pid in list(pool._processes):  # private, typed: the running workers
            os.setpriority(os.PRIO_PROCESS, pid, min(wanted, 19))
    except OSError:
        return False
    return True


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
