"""Subscriber counts that aggregators state in their User-Agent when they poll a feed:

    Feedly/1.0 (+http://www.feedly.com/fetcher.html; 1234 subscribers; feed-id=...)
    Mozilla/5.0 (compatible; theoldreader.com; 12 subscribers; feed-id=8812)
    NewsBlur Feed Fetcher - 7 subscribers - http://www.newsblur.com/site/1234/...
    Feedbin feed-id:1234 - 12 subscribers

One poll speaks for all of that aggregator's readers of the feed (or of one of its
feed ids: some fetch the same URL under several).
"""

import re
from dataclasses import dataclass

# Aggregators by a word of their User-Agent (lower case), as their own pages name them.
KNOWN = {
    "feedly": "Feedly",
    "inoreader": "Inoreader",
    "newsblur": "NewsBlur",
    "theoldreader": "The Old Reader",
    "feedbin": "Feedbin",
    "bazqux": "BazQux",
    "feedfetcher-google": "Google Feedfetcher",
    "overcast": "Overcast",
    "netvibes": "Netvibes",
    "feedspot": "Feedspot",
    "superfeedr": "Superfeedr",
    "miniflux": "Miniflux",
    "feedwrangler": "Feed Wrangler",
    "feedhq": "FeedHQ",
    "commafeed": "CommaFeed",
    "freshrss": "FreshRSS",
    "bloglovin": "Bloglovin",
}
_KNOWN = re.compile("|".join(map(re.escape, KNOWN)), re.IGNORECASE)
_COUNT = re.compile(r"(?<![\w.])(\d{1,9}) (?:subscribers?|readers)\b", re.IGNORECASE)
_FEED_ID = re.compile(r"feed-?id[=:] ?([\w.:/-]{1,100})", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z][\w.-]{1,39}")
_FILLER = {"mozilla", "compatible"}
MOST = 10_000_000  # subscribers one report may claim
AGENT_MOST = 200  # characters of a User-Agent looked at (what aggregators write fits)


@dataclass(frozen=True)
class Reported:
    aggregator: str
    subscribers: int
    feed_id: str = ""  # the aggregator's id for the feed, when it gives one


def reported(agent: str) -> Reported | None:
    """What this User-Agent says of its readers, or None when it states no count."""
    agent = agent[:AGENT_MOST]
    count = _COUNT.search(agent)
    if count is None:
        return None
    known = _KNOWN.search(agent)
    if known:
        name = KNOWN[known.group().lower()]
    else:
        words = (word for word in _WORD.findall(agent) if word.lower() not in _FILLER)
        name = next(words, "")
        if not name:
            return None
    feed_id = _FEED_ID.search(agent)
    return Reported(
        name, min(int(count.group(1)), MOST), feed_id.group(1).rstrip(";)") if feed_id else ""
    )
