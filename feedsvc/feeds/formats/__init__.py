"""The feed formats, one module each: its renderer, its strict reader, its media type
and label. A new format is a module with a FORMAT, named here (and in core.config and
core.layout, which name the formats to every layer)."""

from feedsvc.core.config import FeedFormat
from feedsvc.feeds.formats import atom, jsonfeed, rss
from feedsvc.feeds.formats.base import Format

# In the order a reader is offered them: RSS is read by all.
FORMATS: dict[FeedFormat, Format] = {f.name: f for f in (rss.FORMAT, atom.FORMAT, jsonfeed.FORMAT)}
