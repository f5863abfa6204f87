"""/healthz: did the last build succeed, and how old are the feeds being served?

Anyone may ask, so its errors show no secrets and no absolute paths."""

from collections.abc import Sequence
from datetime import UTC, datetime

from feedsvc.core.text import shareable
from feedsvc.state.builds import BuildRecord
from feedsvc.state.database import State


def _describe(build: BuildRecord) -> dict:
    return {
        "finished": build.finished.isoformat(),
        "ok": build.ok,
        "articles": build.articles,
        "problems": build.problems,
        "written": build.written,
        "error": shareable(build.error) or None,
    }


def targets(state: State) -> dict[str, dict]:
    """Each upload target's last outcome, as its own process recorded it."""
    return {
        target: {
            "ok": not status.error,
            "error": shareable(status.error) or None,
            "since": status.since.isoformat(),
        }
        for target, status in state.target_statuses().items()
    }


def health(state: State, max_age: float, hubs: Sequence[str]) -> tuple[bool, dict]:
    """(healthy, report): healthy when the last build succeeded no longer than max_age ago.

    A failing upload target, or a hub that has not taken its pings, leaves it healthy
    (this server still serves every feed) but says "degraded" and names them."""
    last = state.last_build()
    if last is None:
        return False, {"status": "no build yet", "last_build": None, "age_seconds": None}
    good = last if last.ok else state.last_build(ok=True)
    age = None if good is None else (datetime.now(UTC) - good.finished).total_seconds()
    if not last.ok:
        status = "last build failed"
    elif age is not None and age > max_age:
        status = f"stale: no successful build for over {max_age:g} s"
    else:
        status = "ok"
    uploads = targets(state)
    owing = state.owed_pings.failing(hubs)
    faults = []
    if failing := sorted(name for name, target in uploads.items() if not target["ok"]):
        faults.append(f"uploads to {', '.join(failing)} failing")
    if owing:
        faults.append(f"pings to {', '.join(sorted(owing))} not taken")
    if status == "ok" and faults:
        status = "degraded: " + "; ".join(faults)
    report = {
        "status": status,
        "last_build": _describe(last),
        "last_success": None if good is None else good.finished.isoformat(),
        "age_seconds": None if age is None else round(age, 1),
        "redo_left": state.redo_left(),  # feeds a redo in slices has still to make
        "reading_left": state.readings_owed(),  # files a reading again has still to read
        "targets": uploads,
        "hubs": owing,
    }
    return status == "ok" or status.startswith("degraded"), report
