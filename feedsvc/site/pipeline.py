"""One run: scan the store, settle identities, select, render, validate, publish, record."""

import functools
import logging
import os
import threading
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeGuard

from feedsvc.core.config import Settings
from feedsvc.core.layout import OutputFile
from feedsvc.core.model import Article, Media, Moment, Problem, digest, now_utc
from feedsvc.core.podcast import EPISODE_MEDIUM
from feedsvc.core.stages import Stages
from feedsvc.core.text import headline_key, shareable
from feedsvc.feeds import pool
from feedsvc.feeds.documents import Made, layout_digest
from feedsvc.feeds.pages import SitePages
from feedsvc.feeds.planner import Built, FeedPlanner, Plan, Planned
from feedsvc.feeds.select import Selection
from feedsvc.feeds.specs import topics
from feedsvc.publish.local import GONE_FILE, LocalTarget
from feedsvc.publish.mirror import Mirror
from feedsvc.publish.shared import keep
from feedsvc.site import inforce, probe
from feedsvc.state.builds import BuildRecord
from feedsvc.state.database import State
from feedsvc.state.history import Past
from feedsvc.state.labels import Where
from feedsvc.state.ledger import Ledger
from feedsvc.state.scans import WholeScanNeeded
from feedsvc.store import (
    Memory,
    Progress,
    Scan,
    SourceScan,
    Store,
    StoreError,
    latest,
    no_progress,
)
from feedsvc.store.configured import open_stores, site_context
from feedsvc.store.files import FilesStore
from feedsvc.store.record import READER_REVISION, SiteContext, admit_scan

log = logging.getLogger(__name__)

LOCK_FILE = ".feedsvc-build.lock"


@dataclass
class BuildReport:
    started: datetime
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files taken down
    failures: list[str] = field(default_factory=list)  # feeds not published, and why
    stages: Stages = field(default_factory=Stages)
    bytes_written: int = 0
    remaining: int = 0  # feeds of a redo left for the next build
    to_read: int = 0  # files a reading again of a store has left for the next builds

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class ReadAgain:
    """What a build read of stores owed a reading again (see Pipeline._take_again)."""

    ids: set[int] = field(default_factory=set)  # articles read again (not news)
    left: int = 0  # files still owed a reading
    done: bool = False  # a store's reading again ended: every feed is to be made again


def _never(_others: bool) -> bool:
    return False


# Documents held before a thread publishes them: 16 MB gave 115 MB less peak memory than 64
# at 20,000 articles, and a little less time (the build's last spill, written by the
# main thread once everything is rendered, is smaller).
SPILL_BYTES = 16 * 2**20
UNPLAYED_SHOWN = 20  # articles `feedsvc check` names whose audio podcast apps don't play


@dataclass
class Pending:
    """What this build will publish, what failed, and the fingerprints to keep after."""

    outputs: list[OutputFile] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    gave_way: list[Problem] = field(default_factory=list)  # items that gave way to fit
    fingerprints: dict[str, bytes] = field(default_factory=dict)
    stages: Stages = field(default_factory=Stages)
    held_bytes: int = 0

    def add(self, outputs: list[OutputFile]) -> None:
        self.outputs += outputs
        self.held_bytes += sum(len(output.body) for output in outputs)

    def spilled(self) -> list[OutputFile]:
        """What is held, taken, once it passes SPILL_BYTES (else nothing): a first build
        of a big site would otherwise keep every document it makes in memory to the end."""
        if self.held_bytes <= SPILL_BYTES:
            return []
        taken, self.outputs, self.held_bytes = self.outputs, [], 0
        return taken


def _made(planned: Planned, pending: Pending, made: Made) -> None:
    """A document rendered and checked: its files held for publishing, or its feed marked
    as not published (it is done again next build) and the failures logged."""
    pending.add(made.outputs)
    for failure in made.failures:
        log.error("%s", failure)
    for note in made.notes:
        log.warning("%s", note)
    pending.failures += made.failures
    pending.gave_way += made.notes
    if made.failures:
        planned.outcome.ok = False
    else:
        pending.fingerprints[planned.document.name] = planned.fingerprint


@dataclass(frozen=True)
class OnEveryTarget:
    """The files every one of these targets has: `path in it`."""

    targets: Sequence[LocalTarget]

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and all(target.has(path) for target in self.targets)


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        state: State,
        *,
        full_check: bool = False,
        full: bool = False,
        mirrors: Sequence[Mirror] = (),
        clock: Callable[[], datetime] = now_utc,
        long_lived: bool = True,
        stores: Sequence[Store] | None = None,
    ) -> None:
        """full_check adds the feedparser round trip (~100 ms a feed) to the cheap strict check;
        full renders every document, sealed archive pages included, whether changed or not;
        mirrors are given what the build wrote, to upload in their own time; clock: what
        time it is (whole seconds), for a build and everything it dates; long_lived: it
        builds again and again (`feedsvc run`), so a big site keeps its render pool
        between builds (a one-off command starts one only for a build that needs it);
        stores: read these (made outside feedsvc, their articles held to a record's
        rules as they come in) instead of the config's."""
        self.settings = settings
        self.state = state
        self.clock = clock
        self.feeds = FeedPlanner(settings, state, full=full)
        self.renderer = pool.Renderer(full_check=full_check, brotli=settings.server.brotli)
        self.long_lived = long_lived
        self.stores = open_stores(settings) if stores is None else list(stores)
        self._admitting = stores is not None
        self.targets = [
            LocalTarget(target.path, brotli=settings.server.brotli)
            for target in settings.publish
            if target.kind == "local"
        ]
        self.mirrors = mirrors
        self.pages = SitePages(settings.site)
        self.announcements = state.announcements
        self._lock = threading.Lock()
        # Set while another build is asked for: a redo's slice ends at its next document
        # (see _news).
        self.news_waiting = threading.Event()
        # (store, key) of articles the ingest API is writing: news (see posted).
        self._posted: set[tuple[str, str]] = set()
        self._posted_lock = threading.Lock()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="feedsvc-publish")
        self.read_again = ReadAgain()  # by the last build (see ingest)
        self._stopping = threading.Event()

    def posted(self, store: str, key: str) -> None:
        """An article the ingest API is about to write (call before writing it): news for
        the build that takes it in. A first build in the service reads its file with
        every other, then makes its feeds before the rest (nothing else tells it apart
        there: every article of a first build is new)."""
        with self._posted_lock:
            self._posted.add((store, key))

    def _take_posted(self) -> set[int]:
        """The ids of the articles posted since the last build asked, that the state holds:
        asked after the reading, so that any file it took in was named before."""
        with self._posted_lock:
            taken, self._posted = self._posted, set()
        return self.state.ids_at(taken) if taken else set()

    def stop(self) -> None:
        """From any thread: the service stops. The build under way ends at its next
        document, or reading a store at its next part (a first reading of 200,000 files
        is minutes: its transaction is rolled back, read again by the next process),
        raising BuildStopped; none starts rendering again."""
        self._stopping.set()
        self.renderer.stop()

    def close(self) -> None:
        """Stop the render pool a big site keeps between builds."""
        self.renderer.shutdown()
        self._writer.shutdown()

    def run(self, *, scan: bool = True, budget: float | None = None) -> BuildReport:
        """Build and publish every feed whose bytes changed; record the outcome.
        scan=False builds from the state as it is, the stores unread (a takedown is
        published at once; what changed in the stores waits for the next build).
        budget: seconds for feeds that no changed article reaches but that must be made
        again (a redo after a site-wide edit or a new release), after the news; what
        is left is the next build's (`report.remaining`). None: all of them now."""
        report = BuildReport(started=self.clock())
        with self._lock, self.state.building(self.settings.public_dir, LOCK_FILE):
            in_force = self.state.in_force.get()
            if refused := inforce.refusal(self.state, self.settings, in_force):
                log.error("%s", refused)
                report.failures.append(refused)
            else:
                try:
                    self._build(report, scan=scan, budget=budget)
                except OSError as exc:  # a file that cannot be written: one line, not a crash
                    report.failures.append(self._unwritten(exc))
                    log.error("%s", report.failures[-1])
                except Exception as exc:
                    report.failures.append(f"build failed: {exc}")
                    self._record(report)
                    raise
        self._record(report)
        if report.ok:
            inforce.note_built(self.state, self.settings, in_force)
        return report

    def _unwritten(self, exc: OSError) -> str:
        """A write that failed, named by its path below the publish folder."""
        where = ""
        if exc.filename:
            path = Path(os.fsdecode(exc.filename))
            public = self.settings.public_dir
            where = f"{path.relative_to(public) if path.is_relative_to(public) else path}: "
        return shareable(f"build failed: cannot write {where}{exc.strerror or exc}")

    def _as_of(self, clock: datetime) -> datetime:
        """The moment a build selects at: its clock, but never before the last build's
        (a clock behind would take published stories out of the feeds, and bring them
        back with the next build on a clock that is right)."""
        last = self.state.as_of()
        if last is None or last <= clock:
            return clock
        log.warning(
            "this clock is %s behind the last build's: building as of %s",
            last - clock,
            last.isoformat(),
        )
        return last

    def ingest(
        self,
        now: datetime,
        progress: Callable[[str], Progress] | None = None,
        cut: Callable[[bool], bool] = _never,
    ) -> tuple[list[Problem], list[str]]:
        """Read what changed in every store into the state, and what a store owes of a
        reading again until `cut` (see _cut_reading).

        Returns the problems (bad files and records, skipped) and the stores that
        could not be read at all: their articles stay as they were, and the
        build counts as failed. What it read again is added to `read_again`.
        """
        problems: list[Problem] = self._renamed_and_retired(now)
        unread: list[str] = []
        context = site_context(self.settings)
        for store, reading in zip(self.stores, self._readings(context), strict=True):
            try:
                memory = self.state.memory(store.name)
                told = self._unless_stopping(progress(store.name) if progress else no_progress)
                if self._read_with(store.name, reading):
                    problems += self._take(store, memory, context, now, told)
                elif memory.signatures and self._parts_allowed(store):
                    problems += self._take_again(store, reading, context, now, told, cut)
                else:  # a first reading, or a store read whole when it is read again
                    problems += self._take(store, memory.read_again(), context, now, told)
                    self.state.reading_done(store.name, reading)
            except pool.BuildStopped:
                raise
            except StoreError as exc:
                unread.append(f"store {store.name!r} not read: {exc}")
                log.error("%s", unread[-1])
            except Exception as exc:  # a store's own fault: that store unread, not the build
                log.exception("store %r failed", store.name)
                unread.append(f"store {store.name!r} not read: {type(exc).__name__}: {exc}")
        return problems, unread

    def _read_with(self, store: str, reading: str) -> bool:
        """Whether every article of the store was read with `reading` (none owes a reading
        again with another: settings changed and changed back meanwhile)."""
        owed = self.state.owed_reading(store)
        return self.state.reading(store) == reading and owed in (None, reading)

    def _unless_stopping(self, told: Progress) -> Progress:
        """`told`, asked between a reading's parts: the first that comes after the service
        began to stop raises BuildStopped."""

        def progress(done: int, total: int) -> None:
            if self._stopping.is_set():
                raise pool.BuildStopped("the service is stopping")
            told(done, total)

        return progress

    def _take(
        self, store: Store, memory: Memory, context: SiteContext, now: datetime, told: Progress
    ) -> list[Problem]:
        """Read what changed in one store into the state; the problems found. A first
        reading of a files store is taken in part by part as it is read, unless one id
        is claimed in two parts (then it is read whole again)."""
        if self._in_parts(store, memory):
            scan, parts = store.scan_in_parts(memory, told)
            with closing(parts):
                try:
                    taken = self.state.apply_parts(
                        scan, self._learned(store.name, parts, now), memory, now
                    )
                    return [*scan.warnings, *taken]
                except WholeScanNeeded as exc:
                    log.info("store %r: %s: it is read again whole", store.name, exc)
        scan = store.scan(memory, told)
        if self._admitting:
            scan = admit_scan(scan, context)
        scan = probe.learn(scan, self.state.media_facts, self.settings.site.media_probe, now)
        return [*scan.problems, *self.state.apply_scan(scan, memory, now)]

    def _learned(
        self, store: str, parts: Iterable[list[SourceScan]], now: datetime
    ) -> Iterator[list[SourceScan]]:
        """The parts with known audio lengths put in (none is asked when scans go in parts:
        media_probe is off, so each part alone is exact)."""
        mode = self.settings.site.media_probe
        for part in parts:
            yield probe.learn(Scan(store, changed=part), self.state.media_facts, mode, now).changed

    def _take_again(
        self,
        store: FilesStore,
        reading: str,
        context: SiteContext,
        now: datetime,
        told: Progress,
        cut: Callable[[bool], bool],
    ) -> list[Problem]:
        """Read every file of a store again (what shapes its articles moved), part by part
        as there is time: what changed since the last scan first, as any scan reads it,
        then the files owed a reading, each part settled on its own, until `cut`. The
        reading is done when none is owed; until then the articles read again are not
        news (their feeds are made again once it is done: see _build)."""
        if self.state.owed_reading(store.name) != reading:
            log.info("store %r: every file is read again, part by part, news first", store.name)
            self.state.owe_reading(store.name, reading)
        problems = self._take(store, self.state.memory(store.name), context, now, told)
        memory = self.state.memory(store.name)
        blank = {key for key, signature in memory.signatures.items() if not signature}
        if memory.owed() and not cut(False):
            since = self.state.read_stamp()
            _scan, parts = store.scan_in_parts(memory.owed_read(), told)
            with closing(parts):
                for part in self._learned(store.name, parts, now):
                    found, ids, since, others = self.state.take_again(
                        store.name, part, memory, now, since
                    )
                    problems += found
                    self.read_again.ids |= ids
                    if cut(others):
                        break
        left = memory.owed()  # (a count over every source: once)
        self.read_again.left += left
        if left:
            return problems
        if any(not signature and key not in blank for key, signature in memory.signatures.items()):
            # A part that did not settle on its own, a file refused now: read as changes
            # (with the files read every time for their problems, said once).
            said = set(problems)
            problems += [p for p in self._take(store, memory, context, now, told) if p not in said]
        self.state.reading_done(store.name, reading)
        self.read_again.done = True
        log.info("store %r: every file read again", store.name)
        return problems

    def _cut_reading(self, budget: float | None) -> Callable[[bool], bool]:
        """When a reading again of a store stops, between two of its parts (given whether
        another process recorded a change during the last): never in a build with no
        budget (`feedsvc build`), at once in a build for news alone, else when news
        waits (a POST, a takedown another process recorded)."""
        if budget is None:
            return _never
        if not budget:
            return lambda _others: True
        return lambda others: others or self.news_waiting.is_set()

    def _parts_allowed(self, store: Store) -> TypeGuard[FilesStore]:
        """Whether this store's scans may be taken in parts: read from files, as they
        are, and no audio asked its length (then each part alone is exact)."""
        return (
            isinstance(store, FilesStore)
            and not self._admitting
            and self.settings.site.media_probe == "off"
        )

    def _in_parts(self, store: Store, memory: Memory) -> TypeGuard[FilesStore]:
        """Whether this store's scan is a first reading that may be taken in parts."""
        return (
            self._parts_allowed(store)
            and not memory.signatures
            and self.state.holds_nothing_of(store.name)
        )

    def _renamed_and_retired(self, now: datetime) -> list[Problem]:
        """Articles follow a store renamed (`renamed_from`); those of a store no longer
        configured leave the feeds, with a warning saying how to keep them."""
        for conf in self.settings.store:
            if conf.renamed_from and (
                moved := self.state.rename_store(conf.renamed_from, conf.label, now)
            ):
                log.warning(
                    "store %r renamed to %r: its %d articles keep their GUIDs",
                    conf.renamed_from,
                    conf.label,
                    moved,
                )
        retired = self.state.retire_stores({store.name for store in self.stores}, now)
        return [
            Problem(
                "config",
                f"store {store!r} is not configured any more: its {count} articles left "
                f"the feeds (to keep them under a new name, set renamed_from = {store!r} "
                "in its [store] table)",
                warning=True,
            )
            for store, count in sorted(retired.items())
        ]

    def _readings(self, context: SiteContext) -> list[str]:
        """What shapes the articles each store makes: when it moved (a folder's language,
        the summary length, the article URL, what this release's reader keeps, whether
        audio may be asked its length), every source is read again."""
        asking = self.settings.site.media_probe  # what it may learn of audio in bodies
        if self._admitting:
            return [digest(store.name, context, READER_REVISION, asking) for store in self.stores]
        return [
            digest(conf.model_dump(mode="json"), context, READER_REVISION, asking)
            for conf in self.settings.store
        ]

    def select_latest(self, now: datetime, *, assign: bool = True) -> Selection:
        url = self.settings.site.article_url
        file_list, problems = latest.read_list_file(self.settings.latest.path)
        page = None if file_list.headlines else self.state.newest_page_with_latest(now, url)
        chosen = latest.choose(file_list, page)
        by_key = self.state.by_headline(map(headline_key, chosen.headlines), now, url)
        entries = latest.match(chosen, by_key)
        if not assign:
            return Selection(chosen, entries, {}, problems)
        loose = [entry for entry in entries if isinstance(entry, str)]
        resolved = self.state.resolve_headlines(loose, now)
        identities = {key: found for key, found in resolved.items() if found is not None}
        # A headline whose article was taken down is withheld; one whose GUID an
        # article listed too has (its old headline), or an earlier headline has (an
        # article's old and new headlines, the article now a draft), is that item already.
        taken = {entry.guid for entry in entries if not isinstance(entry, str)}
        kept: list[Article | str] = []
        for entry in entries:
            if isinstance(entry, str):
                found = identities.get(headline_key(entry))
                if found is None or found.guid in taken:
                    continue
                taken.add(found.guid)
            kept.append(entry)
        return Selection(chosen, kept, identities, problems)

    def _build(self, report: BuildReport, *, scan: bool, budget: float | None) -> None:
        now, stages = self._as_of(report.started), report.stages
        for target in self.targets:
            target.look_again()
        with stages.timing("scan"):
            self.state.label_languages(self.settings.site.language)
            self.read_again = ReadAgain()
            problems, unread = self.ingest(now, cut=self._cut_reading(budget)) if scan else ([], [])
        report.to_read = self.read_again.left
        posted = self._take_posted()
        moment = Moment(now, read=self.state.read_stamp())
        for problem in problems:
            log.warning("%s%s", "" if problem.warning else "skipped ", problem)
        report.problems.extend(problems)
        report.failures.extend(unread)
        with stages.timing("select"):
            # What the feeds may show (a count of 200,000 takes a quarter second), after
            # a takedown's build too: /healthz and stats said it had 0 articles.
            report.articles = self.state.count_visible(now)
            selection = self.select_latest(now)
            last, held = self.state.feeds_built()
            if self.state.built_elsewhere():
                # What this process made and parsed may not be what is published now;
                # and what changed since its own last build is what it must look at
                # (the other build did part of it, and this one's family list lacks it).
                self.feeds.forget_rendered()
                self.state.forget_parsed(None)
                last = self.state.last_recorded() or last
            touched = None if last is None else self.state.changed_since(last, now)
            self.state.forget_parsed(None if self.feeds.full else touched)
            self.state.forget_parsed(self.read_again.ids)
            touched, news = self._news_of(touched)
            if self.read_again.left and budget is not None:
                budget = 0.0  # no redo until the reading again is done: it would be redone
        report.problems.extend(selection.problems)
        pending = Pending(stages=stages)
        # Planning selects the feeds' items as it goes; each document it yields is
        # rendered and checked meanwhile (timed as such).
        with stages.timing("select"):
            waits = self._news(moment, posted)
            plan = self.feeds.plan(
                moment, selection, touched, held, self.present, budget, waits, posted, news
            )
            self._make(plan, waits, now, pending, report)
            built = plan.built
            report.remaining = built.deferred
        self.renderer.yield_cores(report.remaining > 0)
        with stages.timing("render"):
            pending.outputs += self.pages.files(built.specs, built.newest)
        report.failures.extend(pending.failures)
        report.problems.extend(pending.gave_way)
        self._publish(pending.outputs, report)
        with stages.timing("publish"):
            self.feeds.fingerprints.update(pending.fingerprints)
            self.feeds.history.record(built.emptiness, now)
            self.feeds.history.keep_families(
                {feed.name: feed.settings for feed in self.feeds.members.definitions if feed.per}
            )
            self.state.record_feeds(moment, built.held, built.failed, built.deferred)
            self._remove(built, report)

    def _news_of(self, touched: set[int] | None) -> tuple[set[int] | None, set[int] | None]:
        """(what changed for the feeds, news when every feed is made). The articles a
        reading again of a store changed keep their change stamps: not news, their feeds
        wait for the reading to be done (made now, they would be made again after); the
        build that ends it makes every feed again (its members too: labels may have
        moved), news first."""
        if touched is None or not self.read_again.done:
            return touched, None
        return None, touched

    def _news(self, moment: Moment, posted: set[int]) -> Callable[[], bool]:
        """Whether news waits for this build to end: a story posted that this build took
        in (its POST is answered when the build ends: a first build that a POST started
        made the story's feeds first, then every other before answering), another build
        asked for in this process, or a change another process recorded since this
        build read (a `feedsvc takedown`, which waits for the lock)."""
        return lambda: (
            bool(posted) or self.news_waiting.is_set() or self.state.changed_after(moment.read)
        )

    def _make(
        self,
        plan: Plan,
        news_waits: Callable[[], bool],
        now: datetime,
        pending: Pending,
        report: BuildReport,
    ) -> None:
        """Render and check every document planned, here or in the render pool (a site of
        POOL_FEEDS feeds that builds again and again keeps it), into `pending`; what is
        held past SPILL_BYTES is published at once. A redo's slice that news cut short
        drops its droppable documents not yet made."""
        documents, built = plan.documents, plan.built
        self.renderer.keep_pool(self.long_lived and len(built.specs) >= pool.POOL_FEEDS)
        behind: Future[dict[str, float]] | None = None  # the last spill, being published
        try:
            with closing(documents):  # a publish that fails stops the planning at once
                for planned in documents:
                    made = functools.partial(_made, planned, pending)
                    dropped = None
                    if planned.droppable:
                        dropped = functools.partial(self.feeds.put_off, built, planned)
                    self.renderer.submit(
                        planned.document,
                        now,
                        pending.stages,
                        made,
                        dropped,
                        fingerprint=planned.fingerprint,
                    )
                    if spilled := pending.spilled():
                        behind = self._publish_behind(spilled, report, behind)
            self.renderer.drain(pending.stages, drop=news_waits)
            if behind is not None:
                report.stages.add(behind.result())
        finally:
            self.renderer.close()
            if behind is not None:
                wait([behind])

    def _publish_behind(
        self,
        files: list[OutputFile],
        report: BuildReport,
        before: Future[dict[str, float]] | None,
    ) -> Future[dict[str, float]]:
        """Publish these files in a thread of their own while the build goes on selecting
        and rendering, once the files spilled before are published (its failure is raised
        here). Making files is kernel work that lets go of the GIL: 15,000 files of a
        20,000-article first build took 5 s of this thread's time."""
        if before is not None:
            report.stages.add(before.result())
        stages = Stages()

        def publish() -> dict[str, float]:
            self._publish(files, report, stages)
            return stages.seconds

        return self._writer.submit(publish)

    def _remove(self, built: Built, report: BuildReport) -> None:
        """Take down what a build from scratch would not publish: the files of family
        members gone (410), and, after the feeds' settings changed (or with --full),
        any file no feed makes any more. Upload targets delete them too."""
        layout = layout_digest(self.settings.feeds, self.settings.server.brotli)
        sweep = self.feeds.full or self.state.layout() != layout
        removed: list[str] = []
        gone_changed = False
        for target in self.targets:
            if sweep:
                removed += target.remove_except(self.feeds.expected(built.specs))
            else:
                removed += target.remove_feeds(built.newly_gone)
            gone_changed |= target.set_gone(built.gone)
        if sweep:
            self.state.record_layout(layout)
        removed = sorted(set(removed))
        if self.state.shared:  # replicas delete them too, and answer 410 alike
            if removed:
                files = [OutputFile(path, b"") for path in removed]
                keep(self.state.published, files, report.started, removed=True)
            if gone_changed:
                listing = "".join(f"{key}\n" for key in built.gone).encode()
                keep(self.state.published, [OutputFile(GONE_FILE, listing)], report.started)
        if removed:
            report.removed += removed
            for mirror in self.mirrors:
                mirror.push(removed)

    def _publish(
        self, files: list[OutputFile], report: BuildReport, stages: Stages | None = None
    ) -> None:
        """Write these files to every local target and queue them for the uploads.
        stages: where the time goes, from another thread than the build's."""
        with (stages or report.stages).timing("publish"):
            written = []
            for target in self.targets:
                written += target.publish(files)
            names = set(written)
            if self.state.shared:
                # All of them, not only those written here: what a failed build left
                # written here and not kept goes in now. After: a replica told of them
                # must not write them here before this build does.
                keep(self.state.published, files, report.started)
            report.bytes_written += sum(len(file.body) for file in files if file.path in names)
            report.written += written
            if changed := topics(self.settings.site.base_url, written):
                self.announcements.owe(changed)  # before anyone is told: see websub.owed
            for mirror in self.mirrors:
                mirror.push(written)

    @property
    def present(self) -> Container[str]:
        """The files every local target still has."""
        return OnEveryTarget(self.targets)

    def _record(self, report: BuildReport) -> None:
        self.state.record_stages(report.stages.seconds, report.bytes_written)
        self.state.record_build(
            BuildRecord(
                started=report.started,
                finished=max(self.clock(), report.started),
                ok=report.ok,
                articles=report.articles,
                problems=len(report.problems),
                written=len(report.written),
                error="\n".join(report.failures),
            )
        )


def _empty_feeds(settings: Settings, state: State, now: datetime) -> list[Problem]:
    """Filtered feeds that select nothing: most often a label misspelt in the config."""
    found = []
    for index, feed in enumerate(settings.feeds):
        filters = feed.filters()
        if filters and not feed.per:
            where = Where.of(filters, feed.match)
            if not state.newest(1, now, settings.site.article_url, where):
                given = "; ".join(f"{kind} = {values}" for kind, values in filters.items())
                reason = f"feeds[{index}] ({feed.name!r}): selects no article ({given})"
                found.append(Problem("config", reason, warning=True))
    return found


def _unplayed_episodes(settings: Settings, state: State, now: datetime) -> list[Problem]:
    """Articles with audio that a podcast feed leaves out: none of it is a type podcast
    apps play (an Ogg or WebM only), or its length is not known."""
    if not any(feed.kind == "podcast" for feed in settings.feeds):
        return []
    where = Where(needs=(("medium", "audio"),), excluded=(("medium", (EPISODE_MEDIUM,)),))
    found = state.newest(UNPLAYED_SHOWN, now, settings.site.article_url, where)
    return [Problem(a.source.origin, _unplayed(a.source.media), warning=True) for a in found]


def _unplayed(media: Sequence[Media]) -> str:
    if not probe.unknown(media):
        return "audio, but none podcast apps play (MP3, M4A or AAC): left out of podcast feeds"
    return (
        "audio of unknown length (podcast apps need it): left out of podcast feeds; state"
        " its media length, or set site.media_probe to learn it"
    )


def emptied_members(settings: Settings, known: Mapping[str, Past], now: datetime) -> list[Problem]:
    """Family members whose last article went: served empty, then gone (410)."""
    families = {feed.name for feed in settings.feeds if feed.per}
    found = []
    for key, past in sorted(known.items()):
        if past.emptied is None or past.value is None or key.partition("/")[0] not in families:
            continue
        gone = past.emptied + timedelta(days=settings.site.empty_family_days)
        state = "gone (410 Gone) since" if gone <= now else "410 Gone from"
        reason = f"no article since {past.emptied:%Y-%m-%d}: served empty; {state} {gone:%Y-%m-%d}"
        found.append(Problem(f"feeds/{key}", reason, warning=True))
    return found


def inspect(
    settings: Settings,
    progress: Callable[[str], Progress] | None = None,
    *,
    stores: Sequence[Store] | None = None,
    history: Ledger | None = None,
) -> list[Problem]:
    """Every problem a build would meet, found without writing anything anywhere.

    `progress(store name)` gives the callback each store's scan reports to; stores:
    these instead of the config's; history: the site's ledger, so that what depends on
    it (an id that is already another article's GUID) is found too.
    """
    memory = State("sqlite://")  # the checks need identities to match headlines, not to keep
    try:
        pipeline = Pipeline(settings, memory, stores=stores)
        if history is not None:
            memory.seed(history, (store.name for store in pipeline.stores))
        now = now_utc()
        memory.label_languages(settings.site.language)
        problems, unread = pipeline.ingest(now, progress)
        selection = pipeline.select_latest(now, assign=False)
        return [
            *(Problem("config", reason) for reason in unread),
            *problems,
            *selection.problems,
            *latest.unresolved(selection.latest, selection.entries),
            *_empty_feeds(settings, memory, now),
            *_unplayed_episodes(settings, memory, now),
        ]
    finally:
        memory.close()
