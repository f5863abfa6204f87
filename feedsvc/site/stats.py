"""`feedsvc stats`: how big the site is and where the last build's time went."""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from feedsvc.core.config import Settings
from feedsvc.core.layout import published_files
from feedsvc.core.stages import STAGES
from feedsvc.feeds.specs import is_feed, is_topic
from feedsvc.site import audience
from feedsvc.state.builds import BuildRecord
from feedsvc.state.database import State


@dataclass
class Published:
    feeds: int = 0  # current feed documents, every format
    archive_pages: int = 0
    pages: int = 0  # index, previews, OPML
    bytes: int = 0  # of the files themselves, not their .gz/.br copies


def published(root: Path) -> Published:
    found = Published()
    for relative, file in published_files(root):
        found.bytes += file.stat().st_size
        if not is_feed(relative):
            found.pages += 1
        elif is_topic(relative):
            found.feeds += 1
        else:
            found.archive_pages += 1
    return found


def _size(number: float) -> str:
    unit = "B"
    for bigger in ("KB", "MB", "GB"):
        if number < 1024:
            break
        number, unit = number / 1024, bigger
    return f"{number:,.0f} B" if unit == "B" else f"{number:,.1f} {unit}"


def _build_line(record: BuildRecord) -> str:
    outcome = "ok" if record.ok else "FAILED"
    return (
        f"last build: {record.finished.isoformat()} ({outcome}), {record.articles:,} articles, "
        f"{record.problems:,} problems, {record.written:,} files written"
    )


def report(settings: Settings, state: State) -> list[str]:
    now = datetime.now(UTC)
    lines = []
    for store, (kept, gone) in sorted(state.count_by_store().items()):
        lines.append(f"store {store!r}: {kept - gone:,} articles, {gone:,} deleted")
    lines.append(f"visible now: {state.count_visible(now):,} articles")
    _when, held = state.feeds_built()
    files = published(settings.public_dir)
    lines.append(
        f"feeds: {len(held):,} ({files.feeds:,} feed documents), "
        f"{files.archive_pages:,} archive pages, {files.pages:,} pages"
    )
    lines.append(f"published: {_size(files.bytes)} in {settings.public_dir}")
    lines.append(f"subscribers (built-in hub): {state.subscriptions.count(now):,}")
    lines.append(audience.summary(state, now))
    last = state.last_build()
    if last is None:
        lines.append("last build: none yet")
        return lines
    lines.append(_build_line(last))
    if left := state.redo_left():
        lines.append(f"  redo under way: {left:,} feeds left to make again")
    if owed := state.readings_owed():
        noun = "file" if owed == 1 else "files"
        lines.append(f"  reading again under way: {owed:,} {noun} left to read, then every feed")
    seconds, written = state.last_stages()
    timings = ", ".join(f"{stage} {seconds.get(stage, 0.0):.3f} s" for stage in STAGES)
    total = sum(seconds.get(stage, 0.0) for stage in STAGES)
    lines.append(f"  stages: {timings} (total {total:.3f} s)")
    lines.append(f"  bytes written: {_size(written)}")
    return lines
