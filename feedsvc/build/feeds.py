"""Every feed document of a build: the feeds, their archive pages, their previews.

Work follows what changed. A feed none of whose articles changed (or fell due)
since the last build in this process is not queried again; a document whose
inputs are what was last published is not rendered again. A process's first
build, a build after another process wrote the state, and `--full` do it all.
"""

from dataclasses import dataclass, field
from datetime import datetime

from feedsvc.archive import Archive
from feedsvc.build import documents, plan, select
from feedsvc.build.documents import Document, MetaMaker
from feedsvc.build.pages import Listing, preview_html
from feedsvc.build.plan import FeedSpec
from feedsvc.build.select import Selection
from feedsvc.config import Settings
from feedsvc.labels import EVERY
from feedsvc.model import FeedItem, Schedule
from feedsvc.publish import OutputFile
from feedsvc.state import State


@dataclass
class Pending:
    """What this build will publish, what failed, and the fingerprints to keep after."""

    outputs: list[OutputFile] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Remembered:
    """A feed as last built: its items, and the articles it and its open page hold."""

    items: list[FeedItem]
    ids: frozenset[int]


class FeedBuilder:
    def __init__(self, settings: Settings, state: State, *, full_check: bool, full: bool) -> None:
        self.settings = settings
        self.state = state
        self.full_check = full_check
        self.full = full
        self.archive = Archive(state.engine)
        site = settings.site
        self.metas = MetaMaker(site, Schedule(settings.schedule.minutes(site.timezone)))
        self.published: dict[str, str] = {}  # document name -> fingerprint last published
        self._feeds: dict[str, Remembered] = {}
        self._specs: list[FeedSpec] | None = None

    def build(
        self, now: datetime, latest: Selection, touched: set[int] | None, pending: Pending
    ) -> tuple[list[FeedSpec], list[Listing]]:
        """Every feed's documents into `pending`; `touched`: the articles that changed or
        fell due since the last build, or None when that is not known (do everything)."""
        if self.full:
            touched = None
        if touched is None or touched or self._specs is None:
            self._specs = plan.expand(
                self.settings.feeds,
                self.settings.site,
                lambda kind, where: self.state.label_values(kind, where, now),
            )
        fallback = self.state.newest_published(now)
        listings = []
        for spec in self._specs:
            known = self._feeds.get(spec.key)
            if known and spec.settings.select == "all" and not self._affected(spec, known, touched):
                listings.append(Listing(spec, known.items))
                continue
            items, ids = self._items(spec, latest, now)
            updated = select.feed_updated(items) or fallback or documents.EPOCH
            newest_page = None
            if spec.archived:
                newest_page, page_ids = self._archive_pages(spec, now, updated, pending)
                ids |= page_ids
            preview = preview_html(self.settings.site, spec, items).encode()
            self._emit(
                Document(
                    self.metas.current(spec, updated, newest_page),
                    items,
                    {fmt: plan.feed_path(spec.key, fmt) for fmt in spec.formats},
                    [OutputFile(plan.preview_path(spec.key), preview)],
                ),
                now,
                pending,
            )
            self._feeds[spec.key] = Remembered(items, frozenset(ids))
            listings.append(Listing(spec, items))
        return self._specs, listings

    def _affected(self, spec: FeedSpec, known: Remembered, touched: set[int] | None) -> bool:
        if touched is None:
            return True
        if not touched:
            return False
        if spec.where == EVERY or touched & known.ids:
            return True
        return self.state.any_match(touched, spec.where)

    def _items(
        self, spec: FeedSpec, latest: Selection, now: datetime
    ) -> tuple[list[FeedItem], set]:
        feed = spec.settings
        full = feed.content == "full"
        if feed.select == "latest":
            items = select.from_latest(
                latest.entries, latest.identities, self.settings.site, feed.limit, full=full
            )
            return items, set()
        found = self.state.newest(feed.limit, now, self.settings.site.article_url, spec.where)
        return [FeedItem.from_article(a, full=full) for a in found], {a.id for a in found}

    def _archive_pages(
        self, spec: FeedSpec, now: datetime, updated: datetime, pending: Pending
    ) -> tuple[int, set[int]]:
        """Place new articles, render the pages that changed; (newest page, its articles)."""
        placement = self.archive.place(spec.key, spec.where, spec.settings.archive_size, now)
        pages = [*placement.newly_sealed, placement.open_page]
        if self.full:
            pages = list(range(1, placement.open_page + 1))
        full = spec.settings.content == "full"
        members: list[int] = []
        for page in pages:
            members = self.archive.members(spec.key, page)
            found = self.state.by_ids(members, now, self.settings.site.article_url)
            items = [FeedItem.from_article(a, full=full) for a in found]
            # An empty newest page says the feed's date: stable while the feed is.
            meta = self.metas.page(
                spec, page, placement.sealed, select.feed_updated(items) or updated
            )
            paths = {fmt: plan.archive_path(spec.key, page, fmt) for fmt in spec.formats}
            self._emit(Document(meta, items, paths), now, pending)
        return placement.open_page, set(members)

    def _emit(self, document: Document, now: datetime, pending: Pending) -> None:
        """Render the document unless it is what was last published."""
        fingerprint = document.fingerprint()
        if not self.full and self.published.get(document.name) == fingerprint:
            return
        outputs, failures = documents.render(document, now, full_check=self.full_check)
        pending.outputs += outputs
        pending.failures += failures
        if not failures:
            pending.fingerprints[document.name] = fingerprint
