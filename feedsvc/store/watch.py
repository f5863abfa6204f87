"""Which files under a folder may have changed since last asked, told by inotify.

A scan of a store of 200,000 files stats every one of them: over a second, every
run, to find the one file that changed. With a watch on every folder, a scan
after the first stats only the files the kernel named since the last one. When
the kernel cannot name them all (its event queue overflowed, a folder appeared,
moved or went), the answer is "walk everything", and the walk watches anew.
"""

import logging

from inotify_simple import INotify, flags

log = logging.getLogger(__name__)

EVENTS = (
    flags.CREATE
    | flags.MODIFY
    | flags.ATTRIB
    | flags.CLOSE_WRITE
    | flags.MOVED_FROM
    | flags.MOVED_TO
    | flags.DELETE
    | flags.DELETE_SELF
    | flags.MOVE_SELF
)
WALK = flags.Q_OVERFLOW | flags.ISDIR | flags.DELETE_SELF | flags.MOVE_SELF | flags.UNMOUNT


class FolderWatch:
    def __init__(self) -> None:
        self._inotify = INotify()
        self._folders: dict[int, str] = {}  # watch descriptor -> key prefix ("" or "a/b/")

    def add(self, path: str, prefix: str) -> None:
        """Watch one folder (a walk calls this for each folder before listing it)."""
        self._folders[self._inotify.add_watch(path, EVENTS)] = prefix

    def changed(self) -> set[str] | None:
        """Keys of the files that may have changed since the last call, or None: walk all."""
        keys: set[str] = set()
        walk = False
        for event in self._inotify.read(timeout=0):
            if event.mask & flags.IGNORED:
                self._folders.pop(event.wd, None)
            elif event.mask & WALK:
                walk = True
            elif (prefix := self._folders.get(event.wd)) is not None:
                keys.add(prefix + event.name)
        return None if walk else keys

    def close(self) -> None:
        self._inotify.close()


def open_watch() -> FolderWatch | None:
    """A watch, or None where inotify cannot be had (not Linux, out of instances)."""
    try:
        return FolderWatch()
    except OSError as exc:
        log.info("no inotify (%s): every scan stats every file", exc)
        return None
