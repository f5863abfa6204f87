"""The files store: a folder of article files, read again only when a file changes."""

import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from feedsvc.model import Problem
from feedsvc.store import (
    Memory,
    Progress,
    RecordError,
    Scan,
    SourceScan,
    StoreError,
    no_progress,
    textpage,
)
from feedsvc.store.formats import FORMATS, SUFFIXES, FileInfo
from feedsvc.store.record import SiteContext


class FilesStore:
    def __init__(
        self,
        name: str,
        root: Path,
        site: SiteContext,
        *,
        max_file_size: int,
        folder_formats: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self.root = root
        self.site = site
        self.max_file_size = max_file_size
        # Longest folder first, so the most specific override wins.
        self.folder_formats = sorted(
            ((PurePosixPath(folder).parts, fmt) for folder, fmt in (folder_formats or {}).items()),
            key=lambda pair: -len(pair[0]),
        )

    def scan(self, memory: Memory, progress: Progress = no_progress) -> Scan:
        """Stat every file; read only those whose size or modification time moved."""
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: article folder does not exist")
        scan = Scan(self.name)
        to_read = sorted(self._changed_files(memory.signatures, scan.present))
        for done, (key, path, size, signature) in enumerate(to_read):
            progress(done, len(to_read))
            scan.changed.append(self._read(key, Path(path), size, signature))
        progress(len(to_read), len(to_read))
        return scan

    def _changed_files(
        self, signatures: Mapping[str, str], present: set[str]
    ) -> list[tuple[str, str, int, str]]:
        """(key, path, size, signature) of each visible file whose signature moved.

        Adds every file's key to `present`. This loop is the whole cost of a run
        with nothing changed, so it is one flat loop over os.scandir, with plain
        strings (a Path per file cost more than the stat calls) and no sorting.
        """
        changed = []
        pending = [(str(self.root), "")]
        while pending:
            folder, prefix = pending.pop()
            with os.scandir(folder) as entries:
                for entry in entries:
                    name = entry.name
                    if name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append((entry.path, f"{prefix}{name}/"))
                    elif entry.is_file():
                        stat = entry.stat()
                        key = prefix + name
                        present.add(key)
                        signature = f"{stat.st_mtime_ns}:{stat.st_size}"
                        if signatures.get(key) != signature:
                            changed.append((key, entry.path, stat.st_size, signature))
        return changed

    def format_of(self, key: str) -> str | None:
        parts = PurePosixPath(key).parts
        for folder, fmt in self.folder_formats:
            if parts[: len(folder)] == folder:
                return fmt
        return SUFFIXES.get(PurePosixPath(key).suffix.lower())

    def _read(self, key: str, path: Path, size: int, signature: str) -> SourceScan:
        source = SourceScan(key, signature)
        origin = str(path)
        try:
            if path.is_symlink() and not path.resolve().is_relative_to(self.root.resolve()):
                raise RecordError("symlink to a file outside the article folder")
            fmt = self.format_of(key)
            if fmt is None:
                raise RecordError(f"not an article: unsupported file type {path.suffix!r}")
            if size > self.max_file_size:
                raise RecordError(
                    f"file too large: {size} bytes, the limit is {self.max_file_size}"
                )
            text = textpage.decode(path.read_bytes())
            parsed = FORMATS[fmt](text, FileInfo(self.name, key, origin, self.site))
        except RecordError as exc:
            source.problems.append(Problem(origin, exc.reason, exc.line))
        except OSError as exc:
            source.problems.append(Problem(origin, f"cannot read: {exc.strerror}"))
        else:
            source.articles, source.problems = parsed.articles, parsed.problems
        if source.problems:
            source.signature = None
        return source
