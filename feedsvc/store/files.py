"""The files store: a folder of article files, one article a file."""

import html
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from feedsvc.model import Problem, SourceArticle
from feedsvc.store import textpage

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ""})


@dataclass
class ScanResult:
    articles: list[SourceArticle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class StoreError(RuntimeError):
    """The store as a whole cannot be read (as opposed to one bad file in it)."""


class FilesStore:
    name = "files"

    def __init__(self, root: Path, max_file_size: int) -> None:
        self.root = root
        self.max_file_size = max_file_size

    def scan(self) -> ScanResult:
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: article folder does not exist")
        result = ScanResult()
        for path in self._files():
            shown = str(path)
            try:
                article = self._read(path)
            except textpage.PageError as exc:
                result.problems.append(Problem(shown, exc.reason, exc.line))
            except OSError as exc:
                result.problems.append(Problem(shown, f"cannot read: {exc.strerror}"))
            else:
                result.articles.append(article)
        for problem in result.problems:
            log.warning("skipped %s", problem)
        return result

    def _files(self) -> Iterator[Path]:
        """Every visible regular file below the root, in a stable order."""
        for folder, dirs, files in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith("."):
                    yield Path(folder, name)

    def _read(self, path: Path) -> SourceArticle:
        if path.suffix.lower() not in TEXT_SUFFIXES:
            raise textpage.PageError(f"not an article: unsupported file type {path.suffix!r}")
        if path.is_symlink() and not path.resolve().is_relative_to(self.root.resolve()):
            raise textpage.PageError("symlink to a file outside the article folder")
        stat = path.stat()
        if stat.st_size > self.max_file_size:
            raise textpage.PageError(
                f"file too large: {stat.st_size} bytes, the limit is {self.max_file_size}"
            )
        page = textpage.parse(textpage.decode(path.read_bytes()))
        return SourceArticle(
            store=self.name,
            key=path.relative_to(self.root).as_posix(),
            origin=str(path),
            title=page.headline,
            body_html="\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in page.paragraphs),
            summary=page.paragraphs[0],
            author=page.author,
            mtime=stat.st_mtime,
            latest=page.latest,
        )
