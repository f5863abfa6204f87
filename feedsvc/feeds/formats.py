"""The feed formats: how each is rendered and which media type it is served as."""

from collections.abc import Callable, Sequence

from feedsvc.core.config import FeedFormat
from feedsvc.core.model import FeedItem, FeedMeta
from feedsvc.feeds.jsonfeed import JSON_FEED_TYPE, render_json
from feedsvc.feeds.render import ATOM_TYPE, RSS_TYPE, render_atom, render_rss

Renderer = Callable[[FeedMeta, Sequence[FeedItem]], bytes]

RENDERERS: dict[FeedFormat, Renderer] = {
    "rss": render_rss,
    "atom": render_atom,
    "json": render_json,
}
MEDIA_TYPES: dict[FeedFormat, str] = {"rss": RSS_TYPE, "atom": ATOM_TYPE, "json": JSON_FEED_TYPE}
LABELS: dict[FeedFormat, str] = {"rss": "RSS 2.0", "atom": "Atom 1.0", "json": "JSON Feed 1.1"}
