"""The local target: a folder, written so that no reader ever sees half a file."""

import logging
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from feedsvc.core.layout import SITE_PAGES, OutputFile
from feedsvc.feeds.specs import next_page

log = logging.getLogger(__name__)

TEMP_PREFIX = ".feedsvc-tmp-"
# Replaced after every publish that wrote something: serving processes watch it
# to know when to reread what they hold.
GENERATION_FILE = ".feedsvc-generation"
# Seconds: a serving process looks at the marker at most this often (a stat is 1.5 us,
# a 304 costs the server about 25 us in all), and a publish returns only this long
# after it replaced the marker, so a request that starts once a publish returned (a
# takedown command's answer) is answered from what it published.
MARKER_LOOKS = 0.001
# The feeds gone for good (family members empty for too long), one key a line: the
# server answers 410 Gone for their files.
GONE_FILE = ".feedsvc-gone"
COPY_SUFFIXES = (".gz", ".br")
FEEDS = "feeds"


BATCH = 32  # more files than this in one publish: one sync for all instead of one each


def _stage(path: Path, data: bytes, *, durable: bool) -> Path:
    """A temp file beside `path` holding `data` (fsynced when `durable`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    return _fill(fd, Path(name), data, durable=durable)


def _stage_named(path: Path, data: bytes) -> Path:
    """`_stage` under a name made from the file's, not durable: for a batch, whose one
    writer holds the build lock. Half the cost of mkstemp's unique name, on thousands."""
    temp = path.with_name(TEMP_PREFIX + path.name)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    return _fill(os.open(temp, flags, 0o644), temp, data, durable=False)


def _fill(fd: int, temp: Path, data: bytes, *, durable: bool) -> Path:
    """Write `data` to the open temp file and close it, readable by the web server
    whatever the umask. Plain system calls on the descriptor: a build makes thousands,
    from a thread that must take the interpreter's lock back after each one."""
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fchmod(fd, 0o644)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _sync_folder(folder: Path) -> None:
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def check_writable(folder: Path) -> None:
    """Raise OSError if files cannot be made in the folder (made if missing): a read-only
    or full disk found before a build, not halfway through one."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=folder, prefix=TEMP_PREFIX):
        pass


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file beside `path`, fsync, rename over it, fsync the folder.

    A crash at any point leaves either the old file or the new one, never a mix.
    """
    _stage(path, data, durable=True).replace(path)
    _sync_folder(path.parent)


def mark_published(root: Path, note: str) -> None:
    """Tell the serving processes that files under `root` changed (`note`, for people)."""
    atomic_write(root / GENERATION_FILE, f"{note}\n".encode())
    time.sleep(MARKER_LOOKS)


def atomic_write_all(writes: list[tuple[Path, bytes]]) -> None:
    """atomic_write for many files, in order, with one sync for all their data.

    Every temp file is written, then one `os.sync()` makes them all durable (a
    first build writes thousands of files: an fsync each, and one for each folder
    each time, was most of its time), then each is renamed over its file, and each
    folder is synced once. A crash still leaves every file old or new, whole.
    """
    if len(writes) <= BATCH:
        for path, data in writes:
            atomic_write(path, data)
        return
    staged: list[tuple[Path, Path]] = []
    try:
        for folder in {path.parent for path, _data in writes}:
            folder.mkdir(parents=True, exist_ok=True)
        for path, data in writes:
            staged.append((_stage_named(path, data), path))
        os.sync()
    except BaseException:
        for temp, _path in staged:
            temp.unlink(missing_ok=True)
        raise
    for temp, path in staged:
        temp.replace(path)
    for folder in {path.parent for _temp, path in staged}:
        _sync_folder(folder)


class LocalTarget:
    def __init__(self, root: Path, *, brotli: bool = False) -> None:
        self.root = root
        self.brotli = brotli
        self._swept = False  # temp files left by a killed process: looked for once
        self._sweeping: threading.Thread | None = None
        # folder -> (its mtime when listed, the names in it), for `has`
        self._listed: dict[str, tuple[int, set[str]]] = {}
        self._looked: set[str] = set()  # folders whose listing this build checked

    def look_again(self) -> None:
        """A new build: files may have gone, so each listing is checked once more. The
        first also starts looking for stale temp files, while the build selects and
        renders (publish waits for it before it writes anything)."""
        self._looked.clear()
        if self._sweeping is None and not self._swept:
            self._sweeping = threading.Thread(
                target=self._remove_stale_temps, name="feedsvc-sweep", daemon=True
            )
            self._sweeping.start()

    def has(self, path: str) -> bool:
        """Whether a file is published here (a build redoes a feed whose file went missing).

        Asked for every file of every feed a build skips, ten thousand a run with big
        families: answered from a listing of each folder, kept while the folder's time
        says nothing came or went (listing a family folder of 200,000 articles' archive
        pages took 60 ms a build)."""
        folder, _, name = path.rpartition("/")
        listed = self._listed.get(folder)
        if folder not in self._looked:
            self._looked.add(folder)
            changed = _mtime(self.root / folder)  # before listing: a change meanwhile shows
            if listed is None or listed[0] != changed:
                try:  # names, not Paths: a family folder holds tens of thousands
                    listed = changed, set(os.listdir(self.root / folder))  # noqa: PTH208
                except OSError:
                    listed = changed, set()
                self._listed[folder] = listed
        return listed is not None and name in listed[1]

    def publish(self, files: Sequence[OutputFile]) -> list[str]:
        """Write the files that differ from what is there; return their paths."""
        if self._sweeping is not None:
            self._sweeping.join()
        self._remove_stale_temps()
        written, writes = [], []
        changed = [file for file in files if not self._unchanged(file)]
        for file, copies in zip(changed, _copies(changed, brotli=self.brotli), strict=True):
            path = self.root / file.path
            # Compressed copies first, so a server preferring one never has it older
            # than the feed (ours checks that they match).
            writes += [(path.with_name(path.name + suffix), data) for suffix, data in copies]
            writes.append((path, file.body))
            written.append(file.path)
        atomic_write_all(writes)
        if not self.brotli:  # a copy from when brotli was on would be older than the file
            for relative in written:
                _unlinked(self.root / f"{relative}.br")
        folders = set()
        for relative in written:
            log.debug("wrote %s", self.root / relative)  # the command says what it wrote
            folder, _, name = relative.rpartition("/")
            if folder in self._listed:
                self._listed[folder][1].add(name)
                folders.add(folder)
        for folder in folders:  # our own writes changed its time, not what it lacks
            self._listed[folder] = _mtime(self.root / folder), self._listed[folder][1]
        if written:
            mark_published(self.root, str(len(written)))
        return written

    def remove_feeds(self, keys: Sequence[str]) -> list[str]:
        """Delete every file of these feeds (documents, previews, archive pages); return
        the paths that were there."""
        removed = []
        for key in keys:
            folder, _, name = f"{FEEDS}/{key}".rpartition("/")
            candidates = [
                f"{folder}/{entry}"
                for entry in _names(self.root / folder)
                if entry.rpartition(".")[0] == name
            ]
            archive = f"{FEEDS}/{key}/archive"
            candidates += [f"{archive}/{entry}" for entry in _names(self.root / archive)]
            removed += self.remove(candidates)
        return removed

    @property
    def copy_suffixes(self) -> tuple[str, ...]:
        """The compressed copies each published file has here."""
        return COPY_SUFFIXES if self.brotli else (".gz",)

    def remove_except(self, expected: set[str]) -> list[str]:
        """Delete every file below feeds/ that is not expected (nor a copy of one, nor
        one of feedsvc's dot files), and every copy of a kind no longer made (.br with
        brotli off) anywhere; return the paths deleted, copies included."""
        unmade = [suffix for suffix in COPY_SUFFIXES if suffix not in self.copy_suffixes]
        # The site's pages beside feeds/ (the folder may hold an operator's own files).
        strays = [page + suffix for page in SITE_PAGES for suffix in unmade]
        for folder, _dirs, names in os.walk(self.root / FEEDS):
            relative = Path(folder).relative_to(self.root).as_posix()
            for name in names:
                if name.startswith("."):
                    continue
                path = f"{relative}/{name}"
                base = path.rpartition(".")[0]
                if path not in expected and not (
                    path.endswith(self.copy_suffixes) and base in expected
                ):
                    strays.append(path)
        return self.remove(strays)

    def remove(self, paths: list[str]) -> list[str]:
        """Remove these files and their compressed copies; the paths that were files."""
        removed = []
        for path in sorted(paths):
            if path.endswith(COPY_SUFFIXES):
                if _unlinked(self.root / path):
                    removed.append(path)
                continue
            for suffix in COPY_SUFFIXES:
                (self.root / (path + suffix)).unlink(missing_ok=True)
            try:
                (self.root / path).unlink()
            except FileNotFoundError:
                continue
            removed.append(path)
            log.info("removed %s", self.root / path)
        for folder in {path.rpartition("/")[0] for path in removed}:
            self._listed.pop(folder, None)
            _prune(self.root, folder)
        if removed:
            mark_published(self.root, f"-{len(removed)}")
        return removed

    def set_gone(self, keys: Sequence[str]) -> bool:
        """Say which feeds are gone for good (the server answers 410 for them); whether
        that changed."""
        text = "".join(f"{key}\n" for key in sorted(keys))
        path = self.root / GONE_FILE
        try:
            if path.read_text(encoding="utf-8") == text:
                return False
        except FileNotFoundError:
            if not text:
                return False
        if text:
            atomic_write(path, text.encode())
        else:
            path.unlink(missing_ok=True)
        mark_published(self.root, "gone")
        return True

    def _unchanged(self, file: OutputFile) -> bool:
        path = self.root / file.path
        return _current(path, len(file.body)) == file.body and all(
            path.with_name(path.name + suffix).exists() for suffix in self.copy_suffixes
        )

    def _remove_stale_temps(self) -> None:
        """Temp files left by a process killed mid-write: only an earlier process can have
        left one, so the tree (thousands of archive pages) is walked once per process."""
        if self._swept:
            return
        self._swept = True
        for folder, _dirs, names in os.walk(self.root):  # half rglob's time
            for name in names:
                if name.startswith(TEMP_PREFIX):
                    Path(folder, name).unlink(missing_ok=True)


def _unlinked(path: Path) -> bool:
    """Remove a file if it is there; whether it was."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


_COMPRESSING = ThreadPoolExecutor(2, thread_name_prefix="feedsvc-compress")
PARALLEL_BYTES = 256 * 1024  # less than this to compress: not worth a thread hop


def _copies(files: Sequence[OutputFile], *, brotli: bool) -> list[list[tuple[str, bytes]]]:
    """Each file's compressed copies (suffix, bytes). zlib and brotli let go of the
    GIL while they work, so two threads compress on two cores."""

    def copies(file: OutputFile) -> list[tuple[str, bytes]]:
        made = [(".gz", file.gzipped())]
        return [*made, (".br", file.brotli())] if brotli else made

    if len(files) < 2 or sum(len(file.body) for file in files) < PARALLEL_BYTES:
        return [copies(file) for file in files]
    return list(_COMPRESSING.map(copies, files))


def _mtime(folder: Path) -> int:
    try:
        return folder.stat().st_mtime_ns
    except OSError:
        return -1


def cache_control(root: Path, relative: str, max_age: int, archive_max_age: int) -> str:
    """Cache-Control of a published file: a complete archive page (its successor is
    published) is kept long, as it changes only for an edit or a takedown; the rest
    briefly."""
    after = next_page(relative)
    if after is not None and (root / after).is_file():
        return f"public, max-age={archive_max_age}, immutable"
    return f"max-age={max_age}"


def _names(folder: Path) -> list[str]:
    try:
        return [name for name in os.listdir(folder) if not name.startswith(".")]  # noqa: PTH208
    except OSError:
        return []


def _prune(root: Path, folder: str) -> None:
    """Remove this folder and the ones above it below root/feeds while they are empty."""
    while folder.count("/") >= 1:
        try:
            (root / folder).rmdir()
        except OSError:
            return
        folder = folder.rpartition("/")[0]


def _current(path: Path, size: int) -> bytes | None:
    """The file's bytes if it has this size (else None: it differs, whatever it holds).
    Its size first, without opening it: a site-wide redo asks for every file, and
    nearly every one differs in size (one system call, not three, of thousands)."""
    try:
        if path.stat().st_size != size:
            return None
        with path.open("rb") as file:
            data = file.read()
    except FileNotFoundError:
        return None
    return data if len(data) == size else None
