"""The oracle: a build from scratch of the same inputs, to hold the incremental engine to.

"From scratch" is an empty publish folder and a state that keeps only feedsvc's
memory: what it must remember to say the same thing twice (each article's GUID and
dates, deleted ones included; headline GUIDs; archive placement; which feeds were
published and since when one is empty; removals for tombstones; takedowns). Every
cache and every record of what was read, built, published or uploaded is dropped, so
the scratch build reads every file again and renders every document.
"""

import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from feedsvc.core.config import Settings
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.state.database import State
from feedsvc.state.schema import metadata

# Tables that are memory; every other one is emptied.
MEMORY = {"articles", "headlines", "archive_entries", "archive_feeds", "feed_history", "removals"}


def scratch_state(state_file: Path, into: Path) -> None:
    """Copy the state's memory (alone) into a new SQLite file."""
    with sqlite3.connect(state_file) as source, sqlite3.connect(into) as copy:
        source.backup(copy)
        for table in metadata.tables:
            if table not in MEMORY:
                copy.execute(f'DELETE FROM "{table}"')
    copy.close()


def from_scratch(
    settings: Settings, state_file: Path, folder: Path, clock: Callable[[], datetime]
) -> BuildReport:
    """Build the site's inputs into `folder`/public with a scratch copy of its state."""
    folder.mkdir(parents=True)
    copy = folder / "state.db"
    scratch_state(state_file, copy)
    local = next(t for t in settings.publish if t.kind == "local")
    fresh = settings.model_copy(
        update={
            "state": settings.state.model_copy(update={"url": f"sqlite:///{copy}"}),
            "publish": [local.model_copy(update={"path": folder / "public"})],
        }
    )
    state = State(fresh.state.url)
    try:
        return Pipeline(fresh, state, clock=clock).run()
    finally:
        state.close()


def published(root: Path) -> dict[str, bytes]:
    """Every file of a publish folder but feedsvc's own dot files: path -> bytes."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and not any(p.startswith(".") for p in path.relative_to(root).parts)
    }


def differences(incremental: Path, scratch: Path) -> list[str]:
    """What differs between two publish folders, for an assertion message."""
    mine, theirs = published(incremental), published(scratch)
    found = [f"only in the incremental build: {p}" for p in sorted(mine.keys() - theirs.keys())]
    found += [f"only in the scratch build: {p}" for p in sorted(theirs.keys() - mine.keys())]
    for path in sorted(mine.keys() & theirs.keys()):
        if mine[path] != theirs[path]:
            found.append(f"differs: {path}\n{_first_difference(mine[path], theirs[path])}")
    return found


def _first_difference(left: bytes, right: bytes) -> str:
    a, b = left.decode(errors="replace").splitlines(), right.decode(errors="replace").splitlines()
    for number, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        if x != y:
            return f"  line {number}:\n  - {x[:300]}\n  + {y[:300]}"
    return f"  lengths {len(a)} and {len(b)} lines"
