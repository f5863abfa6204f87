"""Where a build's time goes: seconds per stage, for `feedsvc stats` and the benchmarks."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

STAGES = ("scan", "select", "render", "validate", "publish", "notify")


class Stages:
    def __init__(self) -> None:
        self.seconds = dict.fromkeys(STAGES, 0.0)

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - started
