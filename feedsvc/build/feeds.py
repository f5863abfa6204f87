"""Every feed document of a build: the feeds, their archive pages, their previews.

Work follows what changed. The state remembers which articles each feed held
when it was last published; a feed that held none of the articles changed (or
fallen due) since then, and that none of them joins, is not queried again. A
document whose inputs are what this process last published is not rendered
again. The first build, `--full`, and a feed that failed are done in full.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from feedsvc.archive import Archive
from feedsvc.build import documents, plan, pool, select
from feedsvc.build.documents import Document, MetaMaker
from feedsvc.build.members import FamilyMembers
from feedsvc.build.pages import preview_html
from feedsvc.build.plan import FeedSpec
from feedsvc.build.pool import Renderer
from feedsvc.build.select import Selection
from feedsvc.config import Settings
from feedsvc.labels import EVERY
from feedsvc.model import FeedItem, Moment, Schedule
from feedsvc.publish import OutputFile
from feedsvc.stages import Stages
from feedsvc.state import State

log = logging.getLogger(__name__)

SPILL_BYTES = 64 * 2**20


@dataclass
class Pending:
    """What this build will publish, what failed, and the fingerprints to keep after."""

    outputs: list[OutputFile] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    fingerprints: dict[str, bytes] = field(default_factory=dict)
    stages: Stages = field(default_factory=Stages)
    # Publishes what is held once it passes SPILL_BYTES: a first build of a big site
    # would otherwise keep every document it makes in memory until the end.
    spill: Callable[[list[OutputFile]], None] | None = None
    held_bytes: int = 0

    def add(self, outputs: list[OutputFile]) -> None:
        self.outputs += outputs
        self.held_bytes += sum(len(output.body) for output in outputs)
        if self.spill is not None and self.held_bytes > SPILL_BYTES:
            self.spill(self.outputs)
            self.outputs, self.held_bytes = [], 0


@dataclass
class Outcome:
    """A redone feed: the articles its documents hold, and whether all were published
    (known once the last of them is rendered, which may be in another process)."""

    ids: set[int]
    ok: bool = True


@dataclass
class Built:
    """What a build made of the feeds, for the index and for the next build."""

    specs: list[FeedSpec]
    newest: list[FeedItem]  # the first named feed's items, for the index page
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # feeds redone

    @property
    def held(self) -> dict[str, frozenset[int]]:
        """What each feed redone and published holds."""
        return {key: frozenset(done.ids) for key, done in self.outcomes.items() if done.ok}

    @property
    def failed(self) -> set[str]:
        """Feeds with a document not published."""
        return {key for key, done in self.outcomes.items() if not done.ok}


class FeedBuilder:
    def __init__(self, settings: Settings, state: State, *, full_check: bool, full: bool) -> None:
        self.settings = settings
        self.state = state
        self.full = full
        self.renderer = Renderer(full_check=full_check, brotli=settings.server.brotli)
        self.archive = Archive(state.engine)
        site = settings.site
        self.metas = MetaMaker(
            site, Schedule(settings.schedule.minutes(site.timezone)), settings.hubs
        )
        self.fingerprints: dict[str, bytes] = {}  # document name -> what was last published
        self.members = FamilyMembers(settings, state)
        self._published: Callable[[str], bool] = lambda _path: False  # this build's
        self._specs: list[FeedSpec] | None = None

    def forget_rendered(self) -> None:
        """Another process built since this one: what it published is not what this one
        remembers publishing, so every document redone is rendered."""
        self.fingerprints.clear()

    def build(
        self,
        moment: Moment,
        latest: Selection,
        touched: set[int] | None,
        held: dict[str, frozenset[int]],
        pending: Pending,
        published: Callable[[str], bool],
    ) -> Built:
        """Every feed's documents into `pending`. `touched`: the articles changed or fallen
        due since the feeds were last built, or None to redo every feed; `held`: the
        articles each feed held then; `published(path)`: whether a file is still there."""
        now = moment.now
        self._published = published
        if self.full:
            touched = None
        labels = self.state.label_keys(touched) if touched else set()
        if touched is None or self._specs is None:
            self._specs = self.members.expand(now, None) or []
        elif asked := self._members_to_ask(labels, touched, held):
            # The same list when no member came or went: the index and OPML stay as made.
            self._specs = self.members.expand(now, asked) or self._specs
        self.renderer.keep_pool(len(self._specs) >= pool.POOL_FEEDS)
        fallback = self.state.newest_published(now) or documents.EPOCH
        built = Built(self._specs, [])
        try:
            for spec in self._specs:
                first_named = (
                    spec.value is None and not built.newest and spec.settings.select == "all"
                )
                known = held.get(spec.key)
                if (
                    known is not None
                    and spec.settings.select == "all"
                    and not self._affected(spec, known, touched, labels)
                    and all(published(plan.feed_path(spec.key, fmt)) for fmt in spec.formats)
                ):
                    if first_named:
                        built.newest = self._items(spec, latest, now)[0]
                    continue
                items = self._feed(spec, latest, moment, fallback, pending, built)
                if first_named:
                    built.newest = items
            self.renderer.drain(pending.stages)
        finally:
            self.renderer.close()
        return built

    def _feed(
        self,
        spec: FeedSpec,
        latest: Selection,
        moment: Moment,
        fallback: datetime,
        pending: Pending,
        built: Built,
    ) -> list[FeedItem]:
        """One feed's documents into `pending`, its fate into `built`; returns its items."""
        now = moment.now
        items, ids = self._items(spec, latest, now)
        outcome = built.outcomes[spec.key] = Outcome(ids)
        updated = select.feed_updated(items) or fallback
        newest_page = None
        if spec.archived:
            newest_page = self._archive_pages(spec, moment, updated, pending, outcome)
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
            outcome,
        )
        return items

    def _members_to_ask(
        self, labels: set[tuple[str, str]], touched: set[int], held: dict[str, frozenset[int]]
    ) -> set[tuple[str, str]]:
        """The family members that may have come or gone: those the touched articles now
        have a label for, and those that held one of them (it may have been the last)."""
        families = {feed.per for feed in self.settings.feeds if feed.per}
        asked = {(kind, slug) for kind, slug in labels if kind in families}
        for spec in self._specs or ():
            if spec.where.family and held.get(spec.key, frozenset()) & touched:
                asked.add(spec.where.family)
        return asked

    def _affected(
        self, spec: FeedSpec, known: frozenset[int], touched: set[int] | None, labels: set
    ) -> bool:
        """Whether the feed may differ: it held a touched article, or one now matches it.

        `labels`: those of the touched articles. A feed that filters on labels none of
        them has cannot have gained one, and is not asked the database."""
        if touched is None:
            return True
        if not touched:
            return False
        if spec.where == EVERY or touched & known:
            return True
        wanted = {(kind, slug) for kind, slugs in spec.where.filters for slug in slugs}
        if spec.where.family:
            if spec.where.family not in labels:
                return False
        elif wanted and not wanted & labels:
            return False
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
        self, spec: FeedSpec, moment: Moment, updated: datetime, pending: Pending, outcome: Outcome
    ) -> int:
        """Place new articles, render the pages that changed; return the newest page (its
        articles join the outcome's)."""
        placement = self.archive.place(spec.key, spec.where, spec.settings.archive_size, moment)
        now = moment.now
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
            self._emit(Document(meta, items, paths), now, pending, outcome)
        outcome.ids |= set(members)
        return placement.open_page

    def _emit(self, document: Document, now: datetime, pending: Pending, outcome: Outcome) -> None:
        """Render the document unless it is what was last published, and still there."""
        fingerprint = document.fingerprint()
        if (
            not self.full
            and self.fingerprints.get(document.name) == fingerprint
            and all(map(self._published, document.paths.values()))
        ):
            return

        def done(outputs: list[OutputFile], failures: list[str]) -> None:
            pending.add(outputs)
            for failure in failures:
                log.error("%s", failure)
            pending.failures += failures
            if failures:
                outcome.ok = False
            else:
                pending.fingerprints[document.name] = fingerprint

        self.renderer.submit(document, now, pending.stages, done)
