"""The files store: a folder of article files, read again only when a file changes."""

import logging
import os
import stat
from collections import deque
from collections.abc import Generator, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from feedsvc.core.model import Problem
from feedsvc.core.workers import process_pool
from feedsvc.store import (
    OWED,
    Memory,
    Progress,
    RecordError,
    Scan,
    SourceScan,
    StoreError,
    no_progress,
    textpage,
    unreadable,
)
from feedsvc.store.formats import FORMATS, SUFFIXES, FileInfo
from feedsvc.store.record import SiteContext
from feedsvc.store.watch import FolderWatch, open_watch

log = logging.getLogger(__name__)

Found = tuple[str, str, int, str]  # a file to read: key, path, size, signature
FolderRules = list[tuple[tuple[str, ...], str]]
PARALLEL_READS = 1000  # fewer files to read than this: read here (a pool starts in ~0.5 s)
READ_CHUNK = 200  # files read at a time (by a pool process, or here): a first reading's part


def _folder_rules(by_folder: Mapping[str, str]) -> FolderRules:
    """(folder parts, value), longest folder first, so the most specific one wins."""
    rules = ((PurePosixPath(folder).parts, value) for folder, value in by_folder.items())
    return sorted(rules, key=lambda pair: -len(pair[0]))


def _for_folder(rules: FolderRules, key: str) -> str | None:
    parts = PurePosixPath(key).parts
    return next((value for folder, value in rules if parts[: len(folder)] == folder), None)


def _signature(found: os.stat_result) -> str:
    """What tells a file changed: its modification time and size."""
    return f"{found.st_mtime_ns}:{found.st_size}"


@dataclass(frozen=True)
class FileReader:
    """Reads one article file into a SourceScan: all a scan does per file, and nothing
    that cannot go to another process (a first scan reads them in a pool)."""

    name: str
    root: Path
    site: SiteContext
    max_file_size: int
    folder_formats: FolderRules
    languages: FolderRules

    def format_of(self, key: str) -> str | None:
        found = _for_folder(self.folder_formats, key)
        return found or SUFFIXES.get(PurePosixPath(key).suffix.lower())

    def read_all(self, found: list[Found]) -> list[SourceScan]:
        """These files read, in a pool process: with each article's hashes and record,
        which the state asks for, made here too (they go along with the article)."""
        read = [self.read(*one) for one in found]
        for article in (article for source in read for article in source.articles):
            _made = article.content_hash, article.body_hash, article.record
        return read

    def read(self, key: str, path: str, size: int, signature: str) -> SourceScan:
        source = SourceScan(key, signature)
        file = Path(path)
        try:
            if file.is_symlink() and not file.resolve().is_relative_to(self.root.resolve()):
                raise RecordError("symlink to a file outside the article folder")
            fmt = self.format_of(key)
            if fmt is None:
                raise RecordError(f"not an article: unsupported file type {file.suffix!r}")
            if size > self.max_file_size:
                raise RecordError(
                    f"file too large: {size} bytes, the limit is {self.max_file_size}"
                )
            text = textpage.decode(file.read_bytes())
            parsed = FORMATS[fmt](text, FileInfo(self.name, key, path, self.site))
        except RecordError as exc:
            source.problems.append(Problem(path, exc.reason, exc.line))
        except OSError as exc:
            source.problems.append(Problem(path, f"cannot read: {exc.strerror}"))
        except Exception as exc:
            source.problems.append(Problem(path, unreadable(exc)))
        else:
            source.articles, source.problems = parsed.articles, parsed.problems
            language = _for_folder(self.languages, key)
            written = datetime.fromtimestamp(int(signature.partition(":")[0]) / 1e9, UTC)
            source.articles = [
                replace(
                    article,
                    language=article.language or language,
                    file_time=None if article.published else written.replace(microsecond=0),
                )
                for article in source.articles
            ]
        if source.problems:
            source.signature = None
        return source


class FilesStore:
    def __init__(
        self,
        name: str,
        root: Path,
        site: SiteContext,
        *,
        max_file_size: int,
        folder_formats: Mapping[str, str] | None = None,
        languages: Mapping[str, str] | None = None,
        watch: bool = True,
        parallel_from: int | None = None,
    ) -> None:
        """watch: have inotify tell what changed, so that a scan after the first stats only
        those files (off, or where inotify cannot be had, every scan stats every file);
        languages: by folder ("" for the whole store), that of articles stating none."""
        self.name = name
        self.root = root
        self.reader = FileReader(
            name,
            root,
            site,
            max_file_size,
            _folder_rules(folder_formats or {}),
            _folder_rules(languages or {}),
        )
        self.watch = watch
        # Files to read from which a pool reads them.
        self.parallel_from = PARALLEL_READS if parallel_from is None else parallel_from
        # Made by the first scan: a store read once (`feedsvc check`) needs none.
        self._watch: FolderWatch | None = None
        self._walked = False
        # What the last scan reported, to check the state took it in: key -> signature,
        # None for a file gone. (A build that failed before recording a scan would
        # otherwise lose its changes: the kernel names a changed file once.)
        self._reported: dict[str, str | None] = {}

    def scan(self, memory: Memory, progress: Progress = no_progress) -> Scan:
        """Stat every file (or those inotify named); read only those whose size or
        modification time moved."""
        scan, parts = self.scan_in_parts(memory, progress)
        scan.changed = [source for part in parts for source in part]
        return scan

    def scan_in_parts(
        self, memory: Memory, progress: Progress = no_progress
    ) -> tuple[Scan, Generator[list[SourceScan], None, None]]:
        """`scan`, its sources handed over READ_CHUNK at a time as they are read (the
        scan's `changed` stays empty): what a first reading of 200,000 files needs not
        hold at once."""
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: article folder does not exist")
        scan = Scan(self.name)
        told = self._told(memory)
        if told is None:
            to_read = self._changed_files(memory.signatures, scan.present)
            self._walked = True
        else:
            scan.checked = told
            to_read = self._changed_among(told, memory.signatures, scan.present)
        to_read.sort()
        self._reported = dict.fromkeys(scan.gone(memory))
        return scan, self._parts(to_read, progress)

    def _parts(
        self, to_read: list[Found], progress: Progress
    ) -> Generator[list[SourceScan], None, None]:
        for part in self._read_all(to_read, progress):
            self._reported.update((source.key, source.signature or "") for source in part)
            yield part
        progress(len(to_read), len(to_read))

    def _told(self, memory: Memory) -> set[str] | None:
        """The keys to look at, or None to walk the whole folder."""
        if not self._walked:
            self._watch = open_watch() if self.watch else None
            return None
        if self._watch is None:
            return None
        told = self._watch.changed()
        if told is None or not self._taken_in(memory):
            return None
        # Read again every run until mended: files with problems, articles in conflict.
        return told | {key for key, signature in memory.signatures.items() if not signature}

    def _taken_in(self, memory: Memory) -> bool:
        return all(
            memory.signatures.get(key) in (signature, "")
            if signature is not None
            else key not in memory.signatures
            for key, signature in self._reported.items()
        )

    def _changed_among(
        self, keys: set[str], signatures: Mapping[str, str], present: set[str]
    ) -> list[Found]:
        """`_changed_files` for just these keys."""
        changed = []
        for key in keys:
            if any(part.startswith(".") for part in key.split("/")):
                continue
            path = os.path.join(self.root, key)  # noqa: PTH118 (a Path per file costs)
            try:
                found = os.stat(path)  # noqa: PTH116
            except OSError:
                continue
            if stat.S_ISREG(found.st_mode):
                present.add(key)
                signature = _signature(found)
                if _moved(signatures.get(key), signature):
                    changed.append((key, path, found.st_size, signature))
        return changed

    def _changed_files(self, signatures: Mapping[str, str], present: set[str]) -> list[Found]:
        """(key, path, size, signature) of each visible file whose signature moved.

        Adds every file's key to `present`. This loop is the whole cost of a run
        with nothing changed, so it is one flat loop over os.scandir, with plain
        strings (a Path per file cost more than the stat calls) and no sorting. Each
        folder is watched before it is listed: a change after the listing is told.
        """
        changed = []
        pending = [(str(self.root), "")]
        while pending:
            folder, prefix = pending.pop()
            self._watch_folder(folder, prefix)
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{prefix}{name}/"))
                    elif entry.is_file():
                        found = entry.stat()
                        key = prefix + name
                        present.add(key)
                        signature = _signature(found)
                        if _moved(signatures.get(key), signature):
                            changed.append((key, entry.path, found.st_size, signature))
        return changed

    def _watch_folder(self, folder: str, prefix: str) -> None:
        if self._watch is None:
            return
        try:
            self._watch.add(folder, prefix)
        except OSError as exc:  # most often fs.inotify.max_user_watches reached
            log.warning("%s: cannot watch (%s): every scan stats every file", folder, exc)
            self._watch.close()
            self._watch = None

    def _read_all(self, to_read: list[Found], progress: Progress) -> Iterator[list[SourceScan]]:
        """Each file read, in this order, READ_CHUNK at a time: by a pool of processes when
        there are many (a first scan of 20,000 files: parsing, Markdown and sanitising
        are pure CPU work, one file independent of the next), else here. A pool that
        breaks (a process killed, none can start) leaves the files it had not read to
        this process."""
        done = 0
        if len(to_read) >= self.parallel_from and (os.cpu_count() or 1) >= 2:
            try:
                for part in self._read_in_pool(to_read):
                    progress(done, len(to_read))
                    done += len(part)
                    yield part
            except (BrokenProcessPool, OSError) as exc:
                log.warning("reading files in worker processes failed (%s): read here", exc)
        while done < len(to_read):
            progress(done, len(to_read))
            part = [self.reader.read(*found) for found in to_read[done : done + READ_CHUNK]]
            done += len(part)
            yield part

    def _read_in_pool(self, to_read: list[Found]) -> Iterator[list[SourceScan]]:
        """The chunks read, in order, as the pool returns them: a few ahead of the one
        taken, not all (results waiting to be taken would be the whole scan again)."""
        chunks = (
            to_read[start : start + READ_CHUNK] for start in range(0, len(to_read), READ_CHUNK)
        )
        workers = os.cpu_count() or 2
        with process_pool(workers) as pool:
            ahead: deque[Future[list[SourceScan]]] = deque()
            for chunk in chunks:
                ahead.append(pool.submit(self.reader.read_all, chunk))
                if len(ahead) > 2 * workers:
                    yield ahead.popleft().result()
            while ahead:
                yield ahead.popleft().result()


def _moved(held: str | None, signature: str) -> bool:
    """Whether a file changed since it was read (one owed a reading again has not)."""
    return held != signature and held != OWED + signature
