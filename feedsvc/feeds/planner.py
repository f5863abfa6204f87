"""A build's plan: the feeds, and which of their documents (current, archive pages,
previews) to make again, yielded one at a time for the pipeline to render, check and
publish. It decides; it renders nothing and publishes nothing.

Work follows what changed. The state remembers which articles each feed held
when it was last published; a feed that held none of the articles changed (or
fallen due) since then, and that none of them joins, is not queried again. A
document whose inputs are what this process last published is not rendered
again. The first build, `--full`, and a feed that failed are done in full.
"""

import functools
import itertools
import time
from collections import Counter
from collections.abc import Callable, Container, Generator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from feedsvc.core.config import Settings
from feedsvc.core.model import EPOCH, FeedItem, Moment, Schedule
from feedsvc.feeds import select, specs
from feedsvc.feeds.documents import Document, MetaMaker
from feedsvc.feeds.members import FamilyMembers
from feedsvc.feeds.pages import Preview
from feedsvc.feeds.select import Selection
from feedsvc.feeds.specs import FeedDefinition, FeedSpec
from feedsvc.state.builds import Held
from feedsvc.state.database import State
from feedsvc.state.labels import EVERY, Where

# Members of a family to redo from which `feedsvc build` selects the family in one
# query, not one each (a slice of the service's redo, which must end soon, asks
# member by member).
AT_ONCE = 50
READ_AT_ONCE = 2000  # articles read and parsed at a time for their summaries


class _SliceOver(Exception):
    """A redo's slice ends halfway through a feed (see FeedPlanner._redo)."""


def _never() -> bool:
    return False


@dataclass(frozen=True)
class _Resume:
    """A feed's redo cut short: the inputs it was made for, the first archive page not
    made, and the page and fingerprint of each document made before it, in page order."""

    inputs: str
    page: int
    made: dict[str, tuple[int, bytes]]


@dataclass(frozen=True)
class _ResumeAt:
    """Where a feed's redo resumes if a document of it is dropped: at its archive page
    (its current document: at its newest page), after the first `count` documents `made`
    (a dict that only grows) holds."""

    key: str
    inputs: str
    page: int
    made: dict[str, tuple[int, bytes]]
    count: int

    def resume(self) -> _Resume:
        made = dict(itertools.islice(self.made.items(), self.count))
        return _Resume(self.inputs, self.page, made)


@dataclass
class Outcome:
    """A redone feed: the articles its documents hold, and whether all were published
    (known once the last of them is rendered, which may be in another process)."""

    ids: set[int]
    inputs: str
    value: str | None  # a family member's
    empty: bool
    ok: bool = True


@dataclass(frozen=True)
class Planned:
    """A document to make, the feed it is part of (whose outcome its making decides),
    and the fingerprint to remember once it is published. `droppable`: a redo's, which
    news may drop unmade (see FeedPlanner.put_off; the render pool goes on making it for
    the slice that asks again); `resume`: where its feed's redo resumes then (an archive
    page's: at it)."""

    document: Document
    outcome: Outcome
    fingerprint: bytes
    droppable: bool = False
    resume: _ResumeAt | None = None


@dataclass
class Built:
    """What a build made of the feeds, for the index and for the next build."""

    specs: list[FeedSpec]
    newest: list[FeedItem]  # the first named feed's items, for the index page
    outcomes: dict[str, Outcome] = field(default_factory=dict)  # feeds redone
    gone: list[str] = field(default_factory=list)  # family members empty for too long
    newly_gone: list[str] = field(default_factory=list)  # ... since this process last looked
    deferred: int = 0  # feeds to redo that this build left for the next (see FeedPlanner.plan)

    def put_off(self, outcome: Outcome) -> None:
        """A redone feed's document was dropped unmade (news cut the slice short): the
        feed keeps what it held, as one the slice never reached, and a later slice
        makes it again (skipping its documents published meanwhile)."""
        for key, done in list(self.outcomes.items()):
            if done is outcome:
                del self.outcomes[key]
                self.deferred += 1

    @property
    def held(self) -> dict[str, Held]:
        """What each feed redone and published holds."""
        return {
            key: Held(frozenset(done.ids), done.inputs)
            for key, done in self.outcomes.items()
            if done.ok
        }

    @property
    def emptiness(self) -> dict[str, tuple[str | None, bool]]:
        """Every feed redone, published or not: its value, and whether it is empty. (A
        member is redone when it appears, so the history comes to hold every member
        published, for the next process to start from.)"""
        return {key: (done.value, done.empty) for key, done in self.outcomes.items()}

    @property
    def failed(self) -> set[str]:
        """Feeds with a document not published."""
        return {key for key, done in self.outcomes.items() if not done.ok}


@dataclass
class Plan:
    """A build's documents, yielded as the feeds are selected (to be rendered, checked
    and published by the pipeline meanwhile), and what was built: complete once every
    document has been taken and made."""

    built: Built
    documents: Generator[Planned, None, None]


class FeedPlanner:
    def __init__(self, settings: Settings, state: State, *, full: bool) -> None:
        self.settings = settings
        self.state = state
        self.full = full
        self.archive = state.archive
        site = settings.site
        self.metas = MetaMaker(
            site,
            Schedule(settings.schedule.minutes(site.timezone)),
            settings.hubs,
            brotli=settings.server.brotli,
        )
        self.fingerprints: dict[str, bytes] = {}  # document name -> what was last published
        self.history = state.history
        self.members = FamilyMembers(settings, state, self.history)
        self.removals = state.removals
        self._present: Container[str] = ()  # the files every target holds, this build
        self._specs: list[FeedSpec] | None = None  # the live feeds
        # (live feeds, empty members, both in order): the last list _with_past made
        self._merged: tuple[list[FeedSpec], list[FeedSpec], list[FeedSpec]] | None = None
        self._gone: set[str] | None = None  # gone at this process's last build
        self._whole_site = False  # this build makes every document (see _documents)
        self._whole_families: set[str] = set()  # ... or every member of these families
        self._selected: dict[tuple[Where, int], dict[str, list[int]]] = {}
        # Summaries made this build, by article: an article is in a category's, a tag's
        # and an author's feed, and was read and parsed for each (63,000 parses for
        # 20,000 articles, most of a whole-site build's selection).
        self._summaries: dict[int, FeedItem] = {}
        self._sealed: dict[str, int] | None = None  # complete pages per feed, this build
        self._emitted = 0  # documents yielded to be made, ever
        self._cut: Callable[[], bool] = _never  # a redo's slice is over (see _redo)
        self._resume: dict[str, _Resume] = {}  # feeds a slice cut halfway
        self._on_pages: dict[str, set[int]] = {}  # complete pages holding a changed article
        self._named: set[str] = set()  # feeds whose tombstones name a changed article

    def forget_rendered(self) -> None:
        """Another process built since this one: what it published is not what this one
        remembers publishing, so every document redone is rendered."""
        self.fingerprints.clear()
        self._resume.clear()
        self.history.forget()
        self.removals.forget()
        self._gone = None

    def plan(
        self,
        moment: Moment,
        latest: Selection,
        touched: set[int] | None,
        held: dict[str, Held],
        present: Container[str],
        budget: float | None = None,
        news_waiting: Callable[[], bool] = _never,
        posted: set[int] | None = None,
        news: set[int] | None = None,
    ) -> Plan:
        """The feeds, and the documents to make of them. `touched`: the articles changed
        or fallen due since the feeds were last built, or None to redo every feed;
        `held`: what each feed held then; `present`: the files still published (one
        gone is made again).

        A feed is skipped only when nothing that shapes its documents moved: none of
        its articles (or archive pages' articles) changed, none joined, its settings
        and the renderer are those it was last made with, and no tombstone expired.

        News goes first: the feeds a changed article reaches are made before any other.
        `budget`: seconds this build may then spend on feeds to redo for another reason
        (settings or renderer moved, files lost); those left over keep what they last
        held, so the next build takes them up (`Built.deferred`). None: no limit. Feeds
        never made (every feed of the service's first build, a new family) are made
        whatever the time, until news comes. `news_waiting()` true: another build is
        asked for, and this one ends its redo work at the next document (see _redo).
        `posted`: articles the ingest API wrote, the news of a first build; `news`: other
        articles that are news when every feed is to be made (`touched` None)."""
        now = moment.now
        self._present = present
        self.metas.read_with(self.state.readings())
        if self.full:
            touched = None
        labels = self.state.label_keys(touched) if touched else set()
        if touched is None:
            self._specs = self.members.expand(now, None) or []
        else:
            if self._specs is None:  # this process's first build
                self._specs = self.members.seeded(now)
            if asked := self._members_to_ask(labels, touched, held):
                # The same list when no member came or went: the index and OPML stay.
                self._specs = self.members.expand(now, asked) or self._specs
        feeds, gone = self._with_past(self._specs, now)
        newly_gone = gone if self._gone is None else [key for key in gone if key not in self._gone]
        self._gone = set(gone)
        built = Built(feeds, [], gone=gone, newly_gone=newly_gone)
        # The service's first build: every feed to make, none of them news but the feeds
        # of articles posted meanwhile. They are made as a redo's are (_redo), so that
        # news coming meanwhile goes first.
        reaching = touched
        if touched is None and budget is not None:
            reaching = (posted or set()) | (news or set())
            labels = self.state.label_keys(reaching) if reaching else set()
        documents = self._documents(
            built, moment, latest, touched, reaching, held, labels, budget, news_waiting
        )
        return Plan(built, documents)

    def _documents(
        self,
        built: Built,
        moment: Moment,
        latest: Selection,
        touched: set[int] | None,
        reaching: set[int] | None,
        held: dict[str, Held],
        labels: set[tuple[str, str]],
        budget: float | None,
        news_waiting: Callable[[], bool],
    ) -> Generator[Planned, None, None]:
        """`reaching`: the changes that make a feed news (`labels`: theirs); `touched`
        but in the service's first build, where only articles posted are."""
        now = moment.now
        # Every document is to be made (a first build, a redo): families are selected a
        # whole family at a time, not member by member.
        self._whole_site, self._selected, self._sealed = touched is None, {}, None
        self._whole_families, self._summaries = set(), {}
        expired = self.removals.expire(now, self.settings.site.tombstone_days)
        on_pages = self.archive.pages_holding(touched) if touched else {}
        self._on_pages = on_pages
        self._named = self.removals.naming(reaching) if reaching else set()
        later: list[tuple[FeedSpec, Held | None, str]] = []
        inputs_of = {spec.key: self.metas.inputs(spec) for spec in built.specs}
        if budget is None:  # a family redone whole is selected at once, as in a first build
            redone = Counter(
                spec.feed.name
                for spec in built.specs
                if spec.feed.per
                and getattr(held.get(spec.key), "inputs", None) != inputs_of[spec.key]
            )
            self._whole_families = {name for name, count in redone.items() if count >= AT_ONCE}
        for spec in built.specs:
            first_named = spec.value is None and not built.newest and spec.feed.select == "all"
            known = held.get(spec.key)
            held_ids = known.ids if known else frozenset()
            inputs = inputs_of[spec.key]
            # (Its files looked for only then: 11,403 lookups were a third of a news
            # build's planning during a redo, where most feeds' inputs moved.)
            same = (
                known is not None
                and known.inputs == inputs
                and all(specs.feed_path(spec.key, fmt) in self._present for fmt in spec.formats)
            )
            changed_pages = on_pages.get(spec.key, set())  # complete pages to make again
            # Settings or renderer moved, never made here, or its files gone from the
            # folder (a member back from 410, a lost folder): every page again.
            pages = changed_pages if same else None
            now_due = (
                (budget is None and not same)
                or spec.feed.select != "all"
                or spec.key in expired
                or (changed_pages and not same)
                or self._affected(spec, held_ids, reaching, labels)
            )
            if now_due and budget is not None and not same and spec.archived and known:
                # News for a feed whose redo is still to come (or cut halfway): its current
                # document and the pages the news is on, on the new settings; the feed
                # keeps its old inputs, so the redo still makes the rest of its pages.
                items = yield from self._feed(
                    spec, latest, moment, built, known, known.inputs, changed_pages
                )
                built.deferred += 1
            elif now_due:  # news, or no budget to keep to
                items = yield from self._feed(spec, latest, moment, built, known, inputs, pages)
            elif same:
                if pages and known is not None and spec.archived:  # an old article's pages
                    yield from self._complete_pages(spec, built, known, pages, now)
                items = self._items(spec, latest, now)[0] if first_named else []
            else:  # made again in this build's time for it, or a later build's
                later.append((spec, known, inputs))
                items = self._items(spec, latest, now)[0] if first_named else []
            if first_named:
                built.newest = items
        yield from self._redo(later, latest, moment, built, budget, news_waiting)

    def _redo(
        self,
        later: list[tuple[FeedSpec, Held | None, str]],
        latest: Selection,
        moment: Moment,
        built: Built,
        budget: float | None,
        news_waiting: Callable[[], bool],
    ) -> Generator[Planned, None, None]:
        """Feeds to make again that no news reaches, for `budget` seconds. The slice ends
        when its time is up or news waits, between two documents: a feed cut halfway
        keeps what it held (it is redone by a later slice, whose documents already
        published this process remembers, and skips), and the documents made are
        published. A budget asks for one document at least, which news may drop, but the
        render pool goes on making it for the next slice: a redo always moves on. A feed
        never made has nothing to serve meanwhile: only news stops it, not the time."""
        deadline = time.monotonic() + (budget or 0)
        emitted = self._emitted
        waiting = False  # news once waiting waits until the build ends

        def over(known: Held | None) -> bool:
            nonlocal waiting
            made = self._emitted > emitted
            if not budget or not made:
                return not budget
            if known is not None and time.monotonic() >= deadline:
                return True  # asked of every feed left: news_waiting is a query
            waiting = waiting or news_waiting()
            return waiting

        for spec, known, inputs in later:
            if over(known):
                built.deferred += 1
                continue
            self._cut = functools.partial(over, known)
            try:
                yield from self._feed(spec, latest, moment, built, known, inputs, None)
            except _SliceOver:
                del built.outcomes[spec.key]
                built.deferred += 1
            finally:
                self._cut = _never

    def _retired(self) -> list[FeedDefinition]:
        """Families built before whose [[feeds]] table is gone, by name."""
        configured = {feed.name for feed in self.members.definitions}
        found = [
            specs.retired_family(table)
            for name, table in sorted(self.history.families().items())
            if name not in configured
        ]
        return [feed for feed in found if feed is not None]

    def _with_past(self, live: list[FeedSpec], now: datetime) -> tuple[list[FeedSpec], list[str]]:
        """The live feeds, and the family members that were published and have no article
        now: those empty for less than `empty_family_days` are served empty (their
        subscribers must see the removal), the rest are gone. The same list object while
        nothing came or went, so that the index and OPML stay as made."""
        feeds = [*self.members.definitions, *self._retired()]
        families = {feed.name: feed for feed in feeds if feed.per}
        order = {feed.name: index for index, feed in enumerate(feeds)}
        keep_for = timedelta(days=self.settings.site.empty_family_days)
        live_keys = {spec.key for spec in live}
        empty, gone = [], []
        for key, past in self.history.known().items():
            family, _, slug = key.partition("/")
            if key in live_keys or past.value is None or family not in families:
                continue
            emptied = past.emptied or now  # it empties with this build
            if now - emptied >= keep_for:
                gone.append(key)
            else:
                member = specs.member(
                    families[family], self.settings.site, slug, past.value, emptied
                )
                empty.append(member)
        gone.sort()
        if self._merged and self._merged[0] is live and self._merged[1] == empty:
            return self._merged[2], gone
        merged = sorted([*live, *empty], key=lambda spec: (order[spec.feed.name], spec.key))
        self._merged = live, empty, merged
        return merged, gone

    def _feed(
        self,
        spec: FeedSpec,
        latest: Selection,
        moment: Moment,
        built: Built,
        known: Held | None,
        inputs: str,
        pages: set[int] | None,
    ) -> Generator[Planned, None, list[FeedItem]]:
        """One feed's documents, its fate into `built`; returns its items. `pages`: the
        complete archive pages to make again (None: all of them)."""
        now = moment.now
        items, ids = self._items(spec, latest, now)
        outcome = built.outcomes[spec.key] = Outcome(ids, inputs, spec.value, not items)
        # An empty feed is dated by when it emptied (it does not move by itself).
        updated = select.feed_updated(items) or self.history.emptied(spec.key, now)
        newest_page, resume = None, None
        if spec.archived:
            made: dict[str, tuple[int, bytes]] = {}
            newest_page = yield from self._archive_pages(
                spec, moment, updated, outcome, pages, made
            )
            # Dropped unmade, it is made again after its newest page alone (whose articles
            # the feed holds): asking its 96 pages again held a slice, and the news
            # waiting for it, 4-8 s at 20,000 on a slow machine.
            before = sum(1 for page, _ in made.values() if page < newest_page)
            resume = _ResumeAt(spec.key, outcome.inputs, newest_page, made, before)
        self.removals.settle(
            spec.key,
            spec.where,
            known.ids if known else (),
            outcome.ids,
            {item.guid for item in items},
            now,
        )
        tombstones = self.removals.of(spec.key, now, self.settings.site.tombstone_days)
        yield from self._emit(
            Document(
                self.metas.current(spec, updated, newest_page, tombstones),
                items,
                {fmt: specs.feed_path(spec.key, fmt) for fmt in spec.formats},
                Preview.of(self.settings.site, spec),
            ),
            outcome,
            resume,
        )
        return items

    def expected(self, feeds: list[FeedSpec]) -> set[str]:
        """Every file below feeds/ that these feeds publish (their documents in each
        format, previews, archive pages): what a build from scratch would write."""
        sealed = self.archive.sealed_counts()
        found = set()
        for spec in feeds:
            found.add(specs.preview_path(spec.key))
            for fmt in spec.formats:
                found.add(specs.feed_path(spec.key, fmt))
                if spec.archived:
                    pages = range(1, sealed.get(spec.key, 0) + 2)
                    found.update(specs.archive_path(spec.key, page, fmt) for page in pages)
        return found

    def _members_to_ask(
        self, labels: set[tuple[str, str]], touched: set[int], held: dict[str, Held]
    ) -> set[tuple[str, str]]:
        """The family members that may have come or gone: those the touched articles now
        have a label for, and those that held one of them (it may have been the last)."""
        families = {feed.per for feed in self.settings.feeds if feed.per}
        asked: set[tuple[str, str]] = {(kind, slug) for kind, slug in labels if kind in families}
        for spec in self._specs or ():
            known = held.get(spec.key)
            if spec.where.family and known and known.ids & touched:
                asked.add(spec.where.family)
        return asked

    def _affected(
        self, spec: FeedSpec, known: frozenset[int], touched: set[int] | None, labels: set
    ) -> bool:
        """Whether the feed's current document may differ: it held a touched article, or
        one now matches it that is new enough to be among its newest, or that its next
        archive placement would put on its open page.

        `labels`: those of the touched articles. A feed that filters on labels none of
        them has cannot have gained one, and is not asked the database. An edit to an
        old article reaches the complete archive pages holding it, not this, unless the
        feed's tombstones name it."""
        if touched is None:
            return True
        if not touched:
            return False
        if touched & known:
            return True
        if spec.where != EVERY:
            wanted = {(kind, slug) for kind, slugs in spec.where.filters for slug in slugs}
            if not set(spec.where.needs) <= labels:
                return False
            if spec.where.family:
                if spec.where.family not in labels:
                    return False
            elif wanted and not wanted & labels:
                return False
        if spec.key in self._named:  # its tombstone goes if it is back (removals.settle)
            return True
        # Its newest `limit` were published then or later (all the feed's articles, when
        # it held fewer): one older, and not among them, stays out of them.
        cut = self.state.nth_newest(known, spec.feed.limit)
        if self.state.any_match(touched, spec.where, since=cut):
            return True
        return spec.archived and self.archive.any_unplaced(spec.key, touched, spec.where)

    def _items(
        self, spec: FeedSpec, latest: Selection, now: datetime
    ) -> tuple[list[FeedItem], set]:
        feed = spec.feed
        full = feed.content == "full"
        if feed.select == "latest":
            items = select.from_latest(
                latest.entries, latest.identities, self.settings.site, feed.limit, full=full
            )
            listed = {
                entry.id for entry in latest.entries[: feed.limit] if not isinstance(entry, str)
            }
            return items, listed
        if spec.where.family and (self._whole_site or feed.name in self._whole_families):
            ids = self._members(spec, now).get(spec.where.family[1], [])
        else:
            ids = self.state.newest_ids(feed.limit, now, spec.where)
        found = self._feed_items(ids, now, full=full)
        return [item for _id, item in found], {article_id for article_id, _item in found}

    def _feed_items(
        self, ids: list[int], now: datetime, *, full: bool
    ) -> list[tuple[int, FeedItem]]:
        """(id, item) of these articles, in this order (those visible at `now`): a
        summary made once a build, whatever number of feeds show it."""
        if full:
            url = self.settings.site.article_url
            return [(a.id, FeedItem.from_article(a)) for a in self.state.these(ids, now, url)]
        self._summarise(ids, now)
        made = self._summaries
        return [(article_id, made[article_id]) for article_id in ids if article_id in made]

    def _summarise(self, ids: list[int], now: datetime) -> None:
        """Make the summaries of these articles not made yet this build (those visible)."""
        url = self.settings.site.article_url
        made = self._summaries
        missing = [article_id for article_id in ids if article_id not in made]
        for start in range(0, len(missing), READ_AT_ONCE):  # a family's: not all in memory
            for article in self.state.these(missing[start : start + READ_AT_ONCE], now, url):
                made[article.id] = FeedItem.from_article(article, full=False)

    def _members(self, spec: FeedSpec, now: datetime) -> dict[str, list[int]]:
        """The ids of every member of this spec's family, selected at once (a whole-site
        build asks for all of them): by the family's selection and limit, in this build."""
        assert spec.where.family is not None
        family = replace(spec.where, family=(spec.where.family[0], ""))
        key = (family, spec.feed.limit)
        if key not in self._selected:
            selected = self.state.newest_per_member(spec.feed.limit, now, family)
            self._selected[key] = selected
            if spec.feed.content != "full":  # read in a few queries, not one a member
                wanted = {article_id for ids in selected.values() for article_id in ids}
                self._summarise(sorted(wanted), now)
        return self._selected[key]

    def _archive_pages(
        self,
        spec: FeedSpec,
        moment: Moment,
        updated: datetime,
        outcome: Outcome,
        changed: set[int] | None,
        made: dict[str, tuple[int, bytes]],
    ) -> Generator[Planned, None, int]:
        """Place new articles, render the pages that changed (`changed`: complete pages
        holding a changed article; None: every page); return the newest page (its
        articles join the outcome's). `made`: filled with each page's document name ->
        (page, fingerprint), those a cut redo made before first."""
        placement = self.archive.place(spec.key, spec.where, spec.feed.archive_size, moment)
        now = moment.now
        if self.full:
            pages = list(range(1, placement.open_page + 1))
        elif changed is None:  # every page, or those a cut redo has still to make
            first, before = self._resumed(spec.key, outcome.inputs)
            made.update(before)
            pages = sorted(
                {*range(first, placement.open_page + 1), *self._on_pages.get(spec.key, ())}
            )
        else:
            pages = sorted({*changed, *placement.newly_sealed, placement.open_page})
        pages = [page for page in pages if page <= placement.open_page]
        members: list[int] = []
        for page in pages:
            if self._cut():
                self._resume[spec.key] = _Resume(outcome.inputs, page, made)
                raise _SliceOver
            document, members = self._page(spec, page, placement.sealed, updated, now)
            # Dropped unmade, the redo resumes at this page, not at the first: asking
            # each page made before it again took 4 s of a slice (96 pages at 20,000).
            resume = _ResumeAt(spec.key, outcome.inputs, page, made, len(made))
            made[document.name] = page, (yield from self._emit(document, outcome, resume))
        if changed is None:  # every page made: nothing to resume (news makes only some)
            self._resume.pop(spec.key, None)
        outcome.ids |= set(members)
        return placement.open_page

    def _resumed(self, key: str, inputs: str) -> tuple[int, dict[str, tuple[int, bytes]]]:
        """Where a feed's archive pages start being made: after those a slice cut short
        made for these inputs, up to the first that is not published as it made it (news
        meanwhile made the open page again, on the feed's old inputs)."""
        resume = self._resume.pop(key, None)
        if resume is None or resume.inputs != inputs:
            return 1, {}
        kept: dict[str, tuple[int, bytes]] = {}
        for name, (page, fingerprint) in resume.made.items():
            if self.fingerprints.get(name) != fingerprint:
                return page, kept
            kept[name] = page, fingerprint
        return resume.page, kept

    def _page(
        self, spec: FeedSpec, page: int, sealed: int, updated: datetime, now: datetime
    ) -> tuple[Document, list[int]]:
        """One archive page of the feed, and the articles placed on it."""
        members = self.archive.members(spec.key, page)
        if page <= sealed:  # those that left the feed stay placed, unshown
            members = self.state.among(members, spec.where)
        found = self.state.by_ids(members, now, self.settings.site.article_url)
        items = [FeedItem.from_article(a, full=spec.feed.content == "full") for a in found]
        # An empty newest page says the feed's date: stable while the feed is (it is
        # made again with the feed); an emptied complete page, the epoch.
        empty_date = updated if page == sealed + 1 else EPOCH
        meta = self.metas.page(spec, page, sealed, select.feed_updated(items) or empty_date)
        paths = {fmt: specs.archive_path(spec.key, page, fmt) for fmt in spec.formats}
        return Document(meta, items, paths), members

    def _complete_pages(
        self, spec: FeedSpec, built: Built, known: Held, pages: set[int], now: datetime
    ) -> Generator[Planned, None, None]:
        """The complete archive pages holding a changed article that the feed's current
        document does not show (see _affected): those pages alone are made again."""
        outcome = Outcome(set(known.ids), known.inputs, spec.value, not known.ids)
        built.outcomes[spec.key] = outcome  # (a page not published: the feed is redone)
        if self._sealed is None:
            self._sealed = self.archive.sealed_counts()
        sealed = self._sealed.get(spec.key, 0)
        for page in sorted(pages):
            if page <= sealed:
                yield from self._emit(self._page(spec, page, sealed, EPOCH, now)[0], outcome)

    def _emit(
        self, document: Document, outcome: Outcome, resume: _ResumeAt | None = None
    ) -> Generator[Planned, None, bytes]:
        """The document, unless it is what was last published, and still there; returns
        its fingerprint. `resume`: see Planned."""
        fingerprint = document.fingerprint()
        if (
            not self.full
            and self.fingerprints.get(document.name) == fingerprint
            and all(path in self._present for path in document.paths.values())
        ):
            return fingerprint
        self._emitted += 1
        droppable = self._cut is not _never  # a redo's
        yield Planned(document, outcome, fingerprint, droppable, resume if droppable else None)
        return fingerprint

    def put_off(self, built: Built, planned: Planned) -> None:
        """A redo's document dropped unmade (see Built.put_off); its feed's redo resumes
        at its archive page, or before, where another of its documents was dropped."""
        built.put_off(planned.outcome)
        if (at := planned.resume) is None:
            return
        current = self._resume.get(at.key)
        if current is None or current.inputs != at.inputs or current.page > at.page:
            self._resume[at.key] = at.resume()
