"""A state database is never silently replaced by another, or an empty one.

The state holds what the publish folder's feeds were made with: GUIDs of articles
without ids, archive pages, subscriptions. Another database in its place (a 0-byte
file after a full disk, a wrong path, a dropped schema) would quietly give every
reader new GUIDs and drop every subscriber. So each state has an id, and the
publish folder keeps the id of the state it is published from in a marker file;
opening any other state for that folder stops with what to do instead. A folder
published before the marker existed counts as marked when it holds feeds.
"""

import uuid
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from feedsvc.core.text import redacted_url
from feedsvc.state.schema import meta

MARKER = ".feedsvc-state"  # in the publish folder: the id of the state it is made from
STATE_ID = "state_id"  # meta: this state's id, made once, carried by export and import
FEEDS = "feeds"  # the publish folder's feeds, evidence from before the marker
_ID_LINE = "state: "


class StateLost(Exception):
    """The state is not the one the publish folder was made from."""


def _hint(evidence: Path) -> str:
    return (
        "starting on it would give every article a new GUID and drop every subscriber. "
        "Restore the state: copy back a backup (`feedsvc state backup`, or the copy kept "
        "beside the database before a migration) or load an export (`feedsvc state import "
        f"FILE`). To start afresh on purpose, delete {evidence}"
    )


def _marked_id(marker: Path) -> str | None:
    for line in marker.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith(_ID_LINE):
            return line.removeprefix(_ID_LINE).strip()
    return None


def _shown(engine: Engine) -> str:
    return redacted_url(engine.url.render_as_string(hide_password=True))


def refuse_if_empty(engine: Engine, public_dir: Path) -> None:
    """Before the database is migrated (which fills an empty one with tables): raise
    StateLost if it is empty and the folder was published from a state."""
    with engine.connect() as conn:
        if inspect(conn).get_table_names():
            return
    marker, feeds = public_dir / MARKER, public_dir / FEEDS
    if marker.is_file():
        evidence = marker
    elif feeds.is_dir() and any(entry.is_file() for entry in feeds.iterdir()):
        evidence = feeds
    else:
        return  # a new site: it starts empty
    raise StateLost(
        f"the state database {_shown(engine)} is empty, but {evidence} says feeds were "
        f"published from a state: {_hint(evidence)}"
    )


def _state_id(conn: Connection) -> str:
    """The state's id, made the first time it is asked for."""
    found = conn.scalar(select(meta.c.value).where(meta.c.name == STATE_ID))
    if found is not None:
        return str(found)
    made = str(uuid.uuid4())
    try:
        with conn.begin_nested():
            conn.execute(insert(meta).values(name=STATE_ID, value=made))
    except IntegrityError:  # another process made it first
        return str(conn.scalar(select(meta.c.value).where(meta.c.name == STATE_ID)))
    return made


def bind(engine: Engine, public_dir: Path) -> None:
    """After migrating: raise StateLost if the folder's marker names another state, else
    mark the folder as published from this one."""
    with engine.begin() as conn:
        state_id = _state_id(conn)
    marker = public_dir / MARKER
    if marker.is_file():
        marked = _marked_id(marker)
        if marked is not None and marked != state_id:
            raise StateLost(
                f"the state database {_shown(engine)} is not the one {marker} was "
                f"published from (state {marked}; this one is {state_id}): {_hint(marker)}"
            )
        if marked == state_id:
            return
    public_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(
        "This folder is published from the feedsvc state below. feedsvc refuses to publish\n"
        "here from any other state (an empty one, another site's); delete this file to\n"
        "start afresh on purpose.\n"
        f"{_ID_LINE}{state_id}\n",
        encoding="utf-8",
    )
