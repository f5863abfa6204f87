"""The oracle: a build from scratch of the same inputs, to hold the incremental engine to.

"From scratch" is an empty publish folder and an empty state given only the site's
ledger (feedsvc.state.ledger): the facts of history a newsroom's feeds legitimately
depend on (the GUID each article earned and the dates readers were told, headline
GUIDs, archive placement, removals, since when a feed is empty, takedowns), passed
as a JSON document. No article row, flag, parsed record, signature or cache of the
incremental side crosses, so an article it wrongly kept, or a change it missed, is
not copied into the judge: the scratch build reads every file again, renders every
document, and must come to the same bytes.
"""

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from feedsvc.core.config import Settings
from feedsvc.site.pipeline import BuildReport, Pipeline
from feedsvc.state.database import State
from feedsvc.state.ledger import Ledger


def ledger_of(state_url: str) -> str:
    """The incremental state's ledger, as the JSON document that crosses."""
    state = State(state_url)
    try:
        return state.ledger().to_json()
    finally:
        state.close()


def from_scratch(
    settings: Settings, state_url: str, folder: Path, clock: Callable[[], datetime]
) -> BuildReport:
    """Build the site's inputs into `folder`/public from the ledger of the state at
    `state_url` alone."""
    folder.mkdir(parents=True)
    local = next(t for t in settings.publish if t.kind == "local")
    fresh = settings.model_copy(
        update={
            "state": settings.state.model_copy(update={"url": f"sqlite:///{folder / 'state.db'}"}),
            "publish": [local.model_copy(update={"path": folder / "public"})],
        }
    )
    history = Ledger.from_json(ledger_of(state_url))
    state = State(fresh.state.url)
    try:
        state.seed(history, (store.label for store in fresh.store))
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
