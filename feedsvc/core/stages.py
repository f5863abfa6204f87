"""Where a build's time goes: seconds per stage, for `feedsvc stats` and the benchmarks."""

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

STAGES = ("scan", "select", "render", "validate", "publish", "notify")


class Stages:
    """Seconds per stage. A stage timed inside another counts to itself alone: the outer
    one's clock stops meanwhile (selecting feeds renders them as it goes)."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self._open: list[str | None] = []  # the stages being timed, innermost last
        self._since = 0.0

    @contextmanager
    def timing(self, stage: str | None) -> Iterator[None]:
        """Time spent in the block counts to `stage`; to none with None (waiting on work
        whose own time is added to its stages)."""
        self._charge()
        self._open.append(stage)
        try:
            yield
        finally:
            self._charge()
            self._open.pop()

    def add(self, seconds: Mapping[str, float]) -> None:
        """Time spent elsewhere (a render process) on this build's behalf."""
        for stage, spent in seconds.items():
            self.seconds[stage] += spent

    def _charge(self) -> None:
        """Give the time since the last change to the innermost stage being timed."""
        now = time.perf_counter()
        if self._open and self._open[-1] is not None:
            self.seconds[self._open[-1]] += now - self._since
        self._since = now
