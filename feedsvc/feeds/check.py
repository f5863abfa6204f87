"""The check every feed passes before it is published: strict, and about a millisecond.

The bytes are parsed by the format's own strict reader (feeds/formats/), which
holds them to every rule of RSS 2.0, Atom 1.0 (RFC 4287) or JSON Feed 1.1 that a
reader relies on. Then, the same for every format: ids unique, no dates in the
future, under 2 MB, and the feed compared with the items it was made from: same
count, order, ids, titles, links and dates.
"""

from collections.abc import Sequence
from datetime import datetime

from feedsvc.core.config import FeedFormat
from feedsvc.core.model import FeedItem
from feedsvc.feeds.formats import FORMATS
from feedsvc.feeds.formats.base import absolute

MAX_BYTES = 2 * 1024 * 1024  # what Google News and others accept


def problems(body: bytes, items: Sequence[FeedItem], fmt: FeedFormat, now: datetime) -> list[str]:
    """Every rule the feed breaks, and every way it differs from the items; empty when good."""
    found: list[str] = []
    if len(body) > MAX_BYTES:
        found.append(f"{len(body):,} bytes, over the {MAX_BYTES:,} readers accept")
    form = FORMATS[fmt]
    read = form.read(body, found)
    if found:
        return found
    if len(read) != len(items):
        return [f"{len(read)} items read back, {len(items)} written"]
    if len({r.id for r in read}) != len(read):
        found.append("an id appears more than once")
    for number, (got, item) in enumerate(zip(read, items, strict=True), start=1):
        where = f"item {number} ({item.guid})"
        for what, value, meant in (
            ("id", got.id, form.item_id(item.guid)),
            ("title", got.title, item.title),
            ("link", got.link, item.link),
        ):
            if value != meant:
                found.append(f"{where}: {what} reads back as {value!r}")
        absolute(f"{where}: link", got.link, found)
        if got.published != item.published:
            found.append(f"{where}: published date reads back as {got.published.isoformat()}")
        if got.updated is not None and got.updated != item.updated:
            found.append(f"{where}: updated date reads back as {got.updated.isoformat()}")
        if max(got.published, got.updated or got.published) > now:
            found.append(f"{where}: dated in the future")
    return found
