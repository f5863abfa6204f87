"""A feed's documents (the current one and its archive pages) in every format, checked.

A document whose inputs did not change since it was last published is not
rendered again: its fingerprint (a digest of what it says and lists) is kept.
"""

import hashlib
import pickle
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from importlib.metadata import version

from feedsvc.content.media import enclosed
from feedsvc.core.config import FeedFormat, FeedSettings, SiteSettings
from feedsvc.core.layout import OutputFile
from feedsvc.core.model import (
    FeedItem,
    FeedMeta,
    Problem,
    Schedule,
    Tombstone,
    Webfeeds,
    digest,
)
from feedsvc.core.stages import Stages
from feedsvc.feeds import check
from feedsvc.feeds.formats import FORMATS
from feedsvc.feeds.pages import Preview
from feedsvc.feeds.specs import FeedDefinition, FeedSpec, archive_path, feed_path, public_url

# Raised whenever the renderers write other bytes for the same inputs: every feed made
# by an earlier revision is then made again, complete archive pages included.
RENDERER_REVISION = 5
MADE_KEPT = 100_000  # feeds whose input digests are kept
FIT_ROUNDS = 4  # renderings of a document over the size limit, estimated, before the last


@cache
def renderer_release() -> str:
    """What made the bytes: feedsvc's renderer revision and feedgen's release."""
    return f"{RENDERER_REVISION}/feedgen {version('feedgen')}"


@dataclass
class Document:
    """One feed document: what it says about itself, its items, and where it goes."""

    meta: FeedMeta
    items: Sequence[FeedItem]
    paths: dict[FeedFormat, str]  # format -> path below the publish root
    preview: Preview | None = None  # its HTML page, written where it is rendered

    @property
    def name(self) -> str:
        return min(self.paths.values())

    def fingerprint(self) -> bytes:
        """Equal exactly when the inputs are, within this process (where fingerprints are
        kept): pickle, as JSON took a tenth of a one-article build on full-text pages;
        an item's own digest, as pickling each item again for every feed it is in was
        1.7 s of a 20,000-article first build."""
        parts = (self.meta, sorted(self.paths.items()), self.preview)
        made = hashlib.sha256(pickle.dumps(parts, protocol=5))
        for item in self.items:
            made.update(item.fingerprint)
        return made.digest()


def feed_id(site: SiteSettings, key: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{site.url}feeds/{key}')}"


def layout_digest(feeds: Sequence[FeedSettings], brotli: bool) -> str:
    """What decides which feeds and files there are: every [[feeds]] table, the
    renderer's release, and whether each file has a brotli copy."""
    return digest(renderer_release(), [feed.model_dump(mode="json") for feed in feeds], brotli)


class MetaMaker:
    """FeedMeta for a spec's documents: the feed itself, or one of its archive pages."""

    def __init__(
        self,
        site: SiteSettings,
        schedule: Schedule,
        hubs: Sequence[str] = (),
        *,
        brotli: bool = False,
    ) -> None:
        """brotli: files have a .br copy (one made before it was turned on lacks it, so
        every document is made again once; a part only when on, so that the digests
        of sites without it stay as they were)."""
        self.site = site
        self.schedule = schedule
        self.hubs = tuple(hubs)
        webfeeds = Webfeeds(site.icon, site.logo, site.cover, site.accent_color, site.related)
        self.webfeeds = webfeeds if webfeeds != Webfeeds() else None
        self._common = digest(
            renderer_release(),
            site.model_dump(mode="json"),
            schedule.minutes,
            self.hubs,
            *(["brotli"] if brotli else []),
        )
        self._readings = ""
        self._of_settings: dict[int, tuple[FeedDefinition, str]] = {}
        # (key, title, description, value) -> (its feed, digest): asked of thousands
        # of feeds every build, made once each (35 ms a build for 5,000 feeds).
        self._of_specs: dict[tuple, tuple[FeedDefinition, str]] = {}

    def read_with(self, readings: str) -> None:
        """What the stores' articles were read with: when a store is read again, every
        document is made again once the reading is done (not while it goes on)."""
        if readings != self._readings:
            self._readings = readings
            self._of_settings.clear()
            self._of_specs.clear()

    def inputs(self, spec: FeedSpec) -> str:
        """A digest of everything but the articles that shapes the spec's documents: the
        site's and the feed's settings, the schedule, the hubs, the renderer's release,
        what the articles were read with."""
        named = (spec.key, spec.title, spec.description, spec.value, spec.translations)
        made = self._of_specs.get(named)
        if made is not None and made[0] is spec.feed:
            return made[1]
        known = self._of_settings.get(id(spec.feed))
        if known is None or known[0] is not spec.feed:
            known = spec.feed, digest(self._common, self._readings, spec.feed.settings)
            self._of_settings[id(spec.feed)] = known
        if len(self._of_specs) > MADE_KEPT:
            self._of_specs.clear()
        made = spec.feed, digest(known[1], *named)
        self._of_specs[named] = made
        return made[1]

    def _urls(self, spec: FeedSpec, path) -> dict[str, str]:
        return {fmt: public_url(self.site.base_url, path(fmt)) for fmt in spec.formats}

    def current(
        self,
        spec: FeedSpec,
        updated: datetime,
        newest_page: int | None,
        tombstones: Sequence[Tombstone] = (),
    ) -> FeedMeta:
        links = {"self": self._feed_urls(spec)}
        if newest_page is not None:
            links["prev-archive"] = self._page_urls(spec, newest_page)
        meta = self._meta(spec, updated, links, archive=False)
        if spec.translations:
            translations = tuple(
                (language, self._urls(spec, lambda fmt, key=key: feed_path(key, fmt)))
                for language, key in spec.translations
            )
            meta = replace(meta, translations=translations)
        return replace(meta, tombstones=tuple(tombstones)) if tombstones else meta

    def page(self, spec: FeedSpec, page: int, sealed: int, updated: datetime) -> FeedMeta:
        links = {
            "self": self._page_urls(spec, page),
            "current": self._feed_urls(spec),
        }
        if page > 1:
            links["prev-archive"] = self._page_urls(spec, page - 1)
        complete = page <= sealed
        if complete:  # a complete page always has a successor
            links["next-archive"] = self._page_urls(spec, page + 1)
        # Only a complete page is an archive document (RFC 5005 4: fh:archive); the
        # newest one still fills up.
        return replace(self._meta(spec, updated, links, archive=True), complete=complete)

    def _feed_urls(self, spec: FeedSpec) -> dict[str, str]:
        return self._urls(spec, lambda fmt: feed_path(spec.key, fmt))

    def _page_urls(self, spec: FeedSpec, page: int) -> dict[str, str]:
        return self._urls(spec, lambda fmt: archive_path(spec.key, page, fmt))

    def _meta(self, spec: FeedSpec, updated: datetime, links, *, archive: bool) -> FeedMeta:
        site, feed = self.site, spec.feed
        return FeedMeta(
            key=spec.key,
            title=spec.title,
            description=spec.description,
            site_url=site.url,
            feed_id=feed_id(site, spec.key),
            # A language family's member is in its language.
            language=(feed.per == "language" and spec.value) or feed.language or site.language,
            updated=updated,
            links=links,
            archive=archive,
            image=feed.image or site.image,
            icon=site.icon,
            webfeeds=self.webfeeds,
            author=site.title,
            schedule=None if archive else self.schedule,
            item_language=site.language,
            hubs=() if archive else self.hubs,  # an archive page never changes
            podcast=feed.show,
        )


# What gives way, level by level, when a document is over the size readers accept.
GIVE_WAY = (
    "",
    "published as its summary",
    "published without its categories, with one author and only its enclosure",
    "published as its title, link and enclosure only",
)


def _given_way(item: FeedItem, level: int) -> FeedItem:
    """The item at a level of GIVE_WAY."""
    if level >= 1:
        item = replace(item, body_html=None)
    if level >= 2:  # the enclosure stays: an episode is its audio
        enclosure = enclosed(item.media)
        media = (enclosure,) if enclosure else ()
        item = replace(item, categories=(), authors=item.authors[:1], media=media)
    if level >= 3:
        item = replace(item, summary_html=None, authors=(), image=None)
    return item


def _levels(count: int, step: int) -> list[int]:
    """The level of each item kept at a step of the ladder: oldest items give way first,
    one more each step, level by level; past the last level the oldest are left out,
    down to the newest alone as its title and link."""
    last = len(GIVE_WAY) - 1
    stage, more = divmod(min(step, last * count), count)
    levels = [stage + (index >= count - more) for index in range(count)]
    return levels[: count - max(0, step - last * count)]


def _rung(items: Sequence[FeedItem], step: int) -> list[tuple[FeedItem, int]]:
    """The items kept at a step of the ladder, each as it gives way, with its level."""
    levels = _levels(len(items), step)
    return [
        (_given_way(item, level), level)
        for item, level in zip(items[: len(levels)], levels, strict=True)
    ]


def _rendered(
    fmt: FeedFormat, meta: FeedMeta, items: Sequence[FeedItem]
) -> tuple[bytes, Sequence[FeedItem], list[str]]:
    """The document's bytes within the size readers accept, by construction: when over,
    the fewest items give way (GIVE_WAY, oldest first, then the oldest left out) found
    by bisection; with what gave way, by article. No article's size can stop a feed."""
    render = FORMATS[fmt].render
    body = render(meta, items)
    if len(body) <= check.MAX_BYTES or not items:
        return body, items, []
    last = len(GIVE_WAY) * len(items) - 1  # the newest item's title and link alone
    bare = len(render(meta, []))
    if bare > check.MAX_BYTES:  # the feed's own words are over: the check says so
        return body, items, []
    # Bisection on an estimate (characters, escapes counted, times the bytes a character
    # was measured to cost), each guess rendered once: two or three renders, not ten.
    # Each item's weight at each level is counted once (a body is a megabyte at most).
    weights = [
        [_weight(_given_way(item, level)) for level in range(len(GIVE_WAY))] for item in items
    ]
    over, size, fitting = 0, len(body), None  # step `over` measured `size` bytes, too many
    for _ in range(FIT_ROUNDS):
        per_weight = (size - bare) / max(1, _step_weight(weights, over))
        step = _first_under(weights, over, last, bare, per_weight)
        rung = _rung(items, step)
        made = render(meta, [item for item, _ in rung])
        if len(made) <= check.MAX_BYTES:
            fitting = made, rung
            break
        over, size = step, len(made)
    if fitting is None:
        rung = _rung(items, last)
        fitting = render(meta, [item for item, _ in rung]), rung
    body, rung = fitting
    given = {item.guid: level for item, level in rung}
    notes = [
        f"{item.title!r} ({item.guid}): "
        + (GIVE_WAY[given[item.guid]] if item.guid in given else "left out")
        + f" to keep the document within {check.MAX_BYTES:,} bytes"
        for item in items
        if given.get(item.guid, len(GIVE_WAY))
    ]
    return body, [item for item, _ in rung], notes


def _weight(item: FeedItem) -> int:
    """Characters an item takes to write, its markup's escapes counted double."""
    texts = [
        item.title, item.link, item.summary_html or "", item.body_html or "",
        *item.authors, *item.categories,
        *(text for media in item.media for text in (media.url, media.url, media.title)),
        *((item.image.url, item.image.alt) if item.image else ()),
    ]  # fmt: skip
    return sum(len(text) + 4 * sum(map(text.count, '&<>"')) for text in texts)


def _step_weight(weights: Sequence[Sequence[int]], step: int) -> int:
    """The weight of the items kept at a step, from each item's weight at each level."""
    levels = _levels(len(weights), step)
    return sum(weights[index][level] for index, level in enumerate(levels))


def _first_under(
    weights: Sequence[Sequence[int]], over: int, last: int, bare: int, per_weight: float
) -> int:
    """The first step after `over` (the last at most) whose estimated size, `bare` and
    `per_weight` bytes a character, is within the limit, aiming 3% under it."""
    low, high = over + 1, last
    while low < high:
        step = (low + high) // 2
        if bare + per_weight * _step_weight(weights, step) <= check.MAX_BYTES * 0.97:
            high = step
        else:
            low = step + 1
    return low


@dataclass
class Made:
    """A document's files (those of its formats that passed), failures, what gave way."""

    outputs: list[OutputFile]
    failures: list[str]
    notes: list[Problem]


def render(document: Document, now: datetime, stages: Stages, *, full_check: bool) -> Made:
    """Every format of the document, each checked. A format that fails is left out and
    named, and then so are the document's other files."""
    outputs, failures, notes = [], [], []
    for fmt, path in document.paths.items():
        with stages.timing("render"):
            body, items, gave_way = _rendered(fmt, document.meta, document.items)
        notes += [Problem(path, note, warning=True) for note in gave_way]
        with stages.timing("validate"):
            found = check.problems(body, items, fmt, now)
            if not found and full_check:
                from feedsvc.feeds import roundtrip  # feedparser: the suite's check only

                if FORMATS[fmt].feedparser_reads:
                    found = roundtrip.problems(body, items, fmt)
        if found:
            failures.append(f"{path}: not published: {'; '.join(found[:5])}")
            continue
        outputs.append(OutputFile(path, body))
    if failures or document.preview is None:
        return Made(outputs, failures, notes)
    with stages.timing("render"):
        outputs.append(document.preview.file(document.items))
    return Made(outputs, failures, notes)
