"""The site's latest-news list: where it comes from and what each headline points to."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from feedsvc.model import Article, Problem
from feedsvc.store import textpage
from feedsvc.text import headline_key

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LatestList:
    headlines: tuple[str, ...]
    origin: str  # the file the list was taken from, for messages


def read_list_file(path: Path) -> tuple[tuple[str, ...], list[Problem]]:
    """Headlines from the latest-news file; a missing file is an empty list."""
    try:
        text = textpage.decode(path.read_bytes())
    except FileNotFoundError:
        return (), []
    except textpage.PageError as exc:
        if exc.reason == "empty file":
            return (), []
        return (), [Problem(str(path), exc.reason, exc.line)]
    except OSError as exc:
        return (), [Problem(str(path), f"cannot read: {exc.strerror}")]
    return textpage.headline_lines(text.splitlines()), []


def choose(file_list: LatestList, articles: Sequence[Article]) -> LatestList:
    """The file's list when it has headlines, else that of the most recently seen page."""
    if file_list.headlines:
        return file_list
    pages = [a for a in articles if a.source.latest]
    if not pages:
        return file_list
    newest = max(pages, key=lambda a: (a.published, a.source.mtime, a.source.key))
    return LatestList(newest.source.latest, newest.source.origin)


def match(latest: LatestList, articles: Sequence[Article]) -> list[Article | str]:
    """Each headline in order, as its article where one matches, else as the headline.

    A headline listed twice appears once, so no feed carries a GUID twice.
    """
    by_key: dict[str, Article] = {}
    for article in sorted(articles, key=lambda a: a.published):
        by_key[headline_key(article.source.title)] = article  # the newest wins
    seen: set[str] = set()
    result: list[Article | str] = []
    for headline in latest.headlines:
        key = headline_key(headline)
        if key not in seen:
            seen.add(key)
            result.append(by_key.get(key, headline))
    return result


def unresolved(latest: LatestList, articles: Sequence[Article]) -> list[Problem]:
    return [
        Problem(
            latest.origin,
            f"headline has no article in the store, published as a link: {entry!r}",
            warning=True,
        )
        for entry in match(latest, articles)
        if isinstance(entry, str)
    ]
