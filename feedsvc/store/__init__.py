"""Article stores: each kind reads articles from one place behind the same interface.

A store reports what changed since the signatures it is given: a files store
re-reads only files whose size or modification time moved; a store that cannot
tell (a database query, a remote feed) reads everything and says so.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from feedsvc.core.model import Problem, SourceArticle


class RecordError(ValueError):
    """One file or record that cannot be an article; `line` is 1-based within its file."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


def unreadable(exc: Exception) -> str:
    """A record or file that broke its reader in a way no check foresaw: said, and
    skipped like any bad record (the door every record goes through does not raise)."""
    return f"cannot be read as an article: {type(exc).__name__}: {str(exc)[:200]}"


class StoreError(RuntimeError):
    """The store as a whole cannot be read (as opposed to one bad file or record in it)."""


@dataclass
class SourceScan:
    """One source (a file, or the whole of a store that reads everything) as read now."""

    key: str
    signature: str | None  # None: read it again next time (it had problems, or cannot tell)
    articles: list[SourceArticle] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


# Before a source's signature: it was read with settings that changed since, and is to
# be read again when there is time (a files store reads it then, not as a change).
OWED = "owed:"


@dataclass
class Memory:
    """What a store left itself last time: source signatures and notes of its own."""

    signatures: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def read_again(self) -> "Memory":
        """The same sources, none taken as unchanged: each is read again."""
        return Memory(dict.fromkeys(self.signatures, ""), dict(self.notes))

    def owed(self) -> int:
        """How many sources are owed a reading again (see OWED)."""
        return sum(1 for signature in self.signatures.values() if signature.startswith(OWED))

    def owed_read(self) -> "Memory":
        """The same, but the sources owed a reading are read (the others as they are)."""
        return Memory(
            {
                key: "" if signature.startswith(OWED) else signature
                for key, signature in self.signatures.items()
            },
            dict(self.notes),
        )


@dataclass
class Scan:
    store: str
    changed: list[SourceScan] = field(default_factory=list)
    present: set[str] = field(default_factory=set)  # every source key looked at, found
    # The keys looked at (None: every key; `present` is then the whole store).
    checked: set[str] | None = None
    notes: dict[str, str] = field(default_factory=dict)  # kept for the next scan
    warnings: list[Problem] = field(default_factory=list)  # about the store as a whole

    def add_record(
        self,
        memory: Memory,
        key: str,
        signature: str,
        origin: str,
        make: Callable[[], SourceArticle],
    ) -> None:
        """One record of a store that reads everything: made again only if its signature moved."""
        self.present.add(key)
        if memory.signatures.get(key) == signature:
            return
        source = SourceScan(key, signature)
        try:
            source.articles.append(make())
        except RecordError as exc:
            source.problems.append(Problem(origin, exc.reason))
            source.signature = None
        except Exception as exc:
            source.problems.append(Problem(origin, unreadable(exc)))
            source.signature = None
        self.changed.append(source)

    def gone(self, memory: Memory) -> set[str]:
        """Sources known before and not there now."""
        if self.checked is None:
            return set(memory.signatures) - self.present
        return {key for key in self.checked - self.present if key in memory.signatures}

    @property
    def problems(self) -> list[Problem]:
        found = [problem for source in self.changed for problem in source.problems]
        noted = [
            Problem(article.origin, note, warning=True)
            for source in self.changed
            for article in source.articles
            for note in article.warnings
        ]
        return [*self.warnings, *found, *noted]


# Told (sources read so far, sources to read) as a scan goes, for a progress bar.
Progress = Callable[[int, int], None]


def no_progress(_done: int, _total: int) -> None:
    return None


class Store(Protocol):
    name: str

    def scan(self, memory: Memory, progress: Progress = no_progress) -> Scan:
        """Read every source whose signature differs from the one remembered."""
        ...
