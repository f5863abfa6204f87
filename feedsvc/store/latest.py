"""The site's latest-news list: where it comes from and what each headline points to."""

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from feedsvc.core.model import Article, Problem
from feedsvc.core.text import headline_key
from feedsvc.store import RecordError, textpage


@dataclass(frozen=True)
class LatestList:
    headlines: tuple[str, ...]
    origin: str  # the file the list was taken from, for messages


def read_list_file(path: Path) -> tuple[LatestList, list[Problem]]:
    """Headlines from the latest-news file; a missing file is an empty list."""
    empty = LatestList((), str(path))
    try:
        text = textpage.decode(path.read_bytes())
    except FileNotFoundError:
        return empty, []
    except RecordError as exc:
        return empty, [] if exc.reason == "empty file" else [
            Problem(str(path), exc.reason, exc.line)
        ]
    except OSError as exc:
        return empty, [Problem(str(path), f"cannot read: {exc.strerror}")]
    return LatestList(textpage.headline_lines(text.splitlines()), str(path)), []


def choose(file_list: LatestList, newest_page: Article | None) -> LatestList:
    """The file's list when it has headlines, else that of the most recently seen page."""
    if file_list.headlines or newest_page is None:
        return file_list
    return LatestList(newest_page.source.latest, newest_page.source.origin)


def match(latest: LatestList, by_key: Mapping[str, Article]) -> list[Article | str]:
    """Each headline in order, as its article where one matches, else as the headline.

    A headline listed twice appears once, so no feed carries a GUID twice.
    """
    seen: set[str] = set()
    result: list[Article | str] = []
    for headline in latest.headlines:
        key = headline_key(headline)
        if key not in seen:
            seen.add(key)
            result.append(by_key.get(key, headline))
    return result


def unresolved(latest: LatestList, entries: list[Article | str]) -> list[Problem]:
    return [
        Problem(
            latest.origin,
            f"headline has no article in the store, published as a link: {entry!r}",
            warning=True,
        )
        for entry in entries
        if isinstance(entry, str)
    ]
