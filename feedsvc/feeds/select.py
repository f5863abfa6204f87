"""Which items each feed carries, in which order."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from feedsvc.core.config import SiteSettings
from feedsvc.core.model import Article, FeedItem, Problem
from feedsvc.core.text import article_link, headline_key, slugify
from feedsvc.state.articles import HeadlineIdentity
from feedsvc.store.latest import LatestList


@dataclass
class Selection:
    """The latest-news list as chosen and matched at one moment."""

    latest: LatestList
    entries: list[Article | str]
    identities: dict[str, HeadlineIdentity]  # by headline key, for headlines without an article
    problems: list[Problem]


def from_latest(
    entries: Sequence[Article | str],
    identities: dict[str, HeadlineIdentity],
    site: SiteSettings,
    limit: int,
    *,
    full: bool = True,
) -> list[FeedItem]:
    """The latest-news list in its own order; a headline without an article is a link item."""
    items = []
    for entry in entries[:limit]:
        if isinstance(entry, Article):
            items.append(FeedItem.from_article(entry, full=full))
            continue
        identity = identities[headline_key(entry)]
        items.append(
            FeedItem(
                guid=identity.guid,
                title=entry,
                link=article_link(site.article_url, slugify(entry)),
                published=identity.first_seen,
                updated=identity.first_seen,
            )
        )
    return items


def feed_updated(items: Sequence[FeedItem]) -> datetime | None:
    """A feed changed when its newest item did, not when it was built."""
    return max((item.updated for item in items), default=None)
