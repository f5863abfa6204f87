"""Access log: one JSON object a line, buffered and written out by the flush task."""

import json
import os
import sys
import time
from typing import TextIO


class AccessLog:
    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stderr
        self._lines: list[str] = []
        self.worker = os.getpid()  # which worker process answered

    def add(
        self, client: str, method: str, path: str, status: int, sent: int, agent: bytes, took: float
    ) -> None:
        self._lines.append(
            json.dumps(
                {
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "client": client,
                    "method": method,
                    "path": path,
                    "status": status,
                    "bytes": sent,
                    "agent": agent.decode("latin-1"),
                    "ms": round(took * 1000, 2),
                    "worker": self.worker,
                },
                ensure_ascii=False,
            )
        )

    def flush(self) -> None:
        if self._lines:
            lines, self._lines = self._lines, []
            self.out.write("\n".join(lines) + "\n")
            self.out.flush()
