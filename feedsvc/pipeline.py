"""One run: scan the store, settle identities, select, render, validate, publish, record."""

import fcntl
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from feedsvc import latest
from feedsvc.archive import Archive
from feedsvc.build import documents, plan, select
from feedsvc.build.documents import Document, MetaMaker
from feedsvc.build.opml import opml
from feedsvc.build.pages import Listing, index_html, preview_html
from feedsvc.build.plan import FeedSpec
from feedsvc.config import Settings
from feedsvc.model import Article, FeedItem, Problem, Schedule
from feedsvc.publish import OutputFile
from feedsvc.publish.local import LocalTarget
from feedsvc.state import BuildRecord, HeadlineIdentity, State
from feedsvc.store import Progress, StoreError, no_progress
from feedsvc.stores import open_stores
from feedsvc.text import headline_key

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOCK_FILE = ".feedsvc-build.lock"


def now_utc() -> datetime:
    """Whole seconds: feeds carry no finer dates, and read-back compares them exactly."""
    return datetime.now(UTC).replace(microsecond=0)


@dataclass
class BuildReport:
    started: datetime
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # feeds not published, and why

    @property
    def ok(self) -> bool:
        return not self.failures


@contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    """One build at a time across processes (`feedsvc build` beside `feedsvc run`)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_FILE).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@dataclass
class Pending:
    """What this build will publish, what failed, and the fingerprints to keep after."""

    outputs: list[OutputFile] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)


@dataclass
class Selection:
    """What the feeds are made of at one moment."""

    latest: latest.LatestList
    entries: list[Article | str]
    identities: dict[str, HeadlineIdentity]
    problems: list[Problem]


class Pipeline:
    def __init__(
        self, settings: Settings, state: State, *, full_check: bool = False, full: bool = False
    ) -> None:
        """full_check adds the feedparser round trip (~100 ms a feed) to the cheap strict check;
        full renders every document, sealed archive pages included, whether changed or not."""
        self.settings = settings
        self.full_check = full_check
        self.full = full
        self.state = state
        self.archive = Archive(state.engine)
        site = settings.site
        self.article_url = site.article_url
        self.metas = MetaMaker(site, Schedule(settings.schedule.minutes(site.timezone)))
        # document name -> fingerprint of what was last published, in this process
        self._published: dict[str, str] = {}
        self.stores = open_stores(settings)
        self.targets = [LocalTarget(target.path) for target in settings.publish]
        self._lock = threading.Lock()

    def run(self) -> BuildReport:
        """Build and publish every feed whose bytes changed; record the outcome."""
        report = BuildReport(started=now_utc())
        with self._lock, _build_lock(self.settings.public_dir):
            try:
                self._build(report)
            except Exception as exc:
                report.failures.append(f"build failed: {exc}")
                self._record(report)
                raise
        self._record(report)
        return report

    def ingest(
        self, now: datetime, progress: Callable[[str], Progress] | None = None
    ) -> tuple[list[Problem], list[str]]:
        """Read what changed in every store into the state.

        Returns the problems (bad files and records, skipped) and the stores that
        could not be read at all: their articles stay as they were, and the
        build counts as failed.
        """
        problems: list[Problem] = []
        unread: list[str] = []
        for store in self.stores:
            try:
                memory = self.state.memory(store.name)
                scan = store.scan(memory, progress(store.name) if progress else no_progress)
            except StoreError as exc:
                unread.append(f"store {store.name!r} not read: {exc}")
                log.error("%s", unread[-1])
                continue
            problems += scan.problems
            problems += self.state.apply_scan(scan, memory, now)
        return problems, unread

    def select_latest(self, now: datetime, *, assign: bool = True) -> Selection:
        url = self.settings.site.article_url
        file_list, problems = latest.read_list_file(self.settings.latest.path)
        page = None if file_list.headlines else self.state.newest_page_with_latest(now, url)
        chosen = latest.choose(file_list, page)
        by_key = self.state.by_headline(map(headline_key, chosen.headlines), now, url)
        entries = latest.match(chosen, by_key)
        loose = [entry for entry in entries if isinstance(entry, str)]
        identities = self.state.resolve_headlines(loose, now) if assign else {}
        return Selection(chosen, entries, identities, problems)

    def _build(self, report: BuildReport) -> None:
        now = report.started
        problems, unread = self.ingest(now)
        for problem in problems:
            log.warning("%s%s", "" if problem.warning else "skipped ", problem)
        report.problems.extend(problems)
        report.failures.extend(unread)
        report.articles = self.state.count_visible(now)
        selection = self.select_latest(now)
        report.problems.extend(selection.problems)
        site = self.settings.site
        specs = plan.expand(
            self.settings.feeds, site, lambda kind, where: self.state.label_values(kind, where, now)
        )
        fallback = self.state.newest_published(now) or EPOCH
        listings, pending = [], Pending()
        for spec in specs:
            items = self._items(spec, selection, now)
            listings.append(Listing(spec, items))
            updated = select.feed_updated(items) or fallback
            newest_page = None
            if spec.archived:
                newest_page = self._archive_pages(spec, now, fallback, pending)
            document = Document(
                self.metas.current(spec, updated, newest_page),
                items,
                {fmt: plan.feed_path(spec.key, fmt) for fmt in spec.formats},
                [OutputFile(plan.preview_path(spec.key), preview_html(site, spec, items).encode())],
            )
            self._emit(document, now, pending)
        pending.outputs += [
            OutputFile("index.html", index_html(site, listings).encode()),
            OutputFile("feeds.opml", opml(site, specs)),
        ]
        report.failures.extend(pending.failures)
        for target in self.targets:
            report.written.extend(target.publish(pending.outputs))
        self._published.update(pending.fingerprints)

    def _emit(self, document: Document, now: datetime, pending: "Pending") -> None:
        """Render the document unless it is what was last published."""
        fingerprint = document.fingerprint()
        if not self.full and self._published.get(document.name) == fingerprint:
            return
        outputs, failures = documents.render(document, now, full_check=self.full_check)
        pending.outputs += outputs
        pending.failures += failures
        if not failures:
            pending.fingerprints[document.name] = fingerprint

    def _archive_pages(self, spec: FeedSpec, now: datetime, fallback, pending: "Pending") -> int:
        """Place new articles, render the pages that changed; return the newest page."""
        placement = self.archive.place(spec.key, spec.where, spec.settings.archive_size, now)
        pages = [*placement.newly_sealed, placement.open_page]
        if self.full:
            pages = list(range(1, placement.open_page + 1))
        full = spec.settings.content == "full"
        for page in pages:
            members = self.archive.members(spec.key, page)
            articles = self.state.by_ids(members, now, self.article_url)
            items = [FeedItem.from_article(a, full=full) for a in articles]
            meta = self.metas.page(
                spec, page, placement.sealed, select.feed_updated(items) or fallback
            )
            paths = {fmt: plan.archive_path(spec.key, page, fmt) for fmt in spec.formats}
            self._emit(Document(meta, items, paths), now, pending)
        return placement.open_page

    def _items(self, spec: FeedSpec, selection: Selection, now: datetime) -> list[FeedItem]:
        feed = spec.settings
        full = feed.content == "full"
        if feed.select == "latest":
            return select.from_latest(
                selection.entries, selection.identities, self.settings.site, feed.limit, full=full
            )
        found = self.state.newest(feed.limit, now, self.article_url, spec.where)
        return [FeedItem.from_article(article, full=full) for article in found]

    def _record(self, report: BuildReport) -> None:
        self.state.record_build(
            BuildRecord(
                started=report.started,
                finished=now_utc(),
                ok=report.ok,
                articles=report.articles,
                problems=len(report.problems),
                written=len(report.written),
                error="\n".join(report.failures),
            )
        )


def inspect(settings: Settings, progress: Callable[[str], Progress] | None = None) -> list[Problem]:
    """Every problem a build would meet, found without writing anything anywhere.

    `progress(store name)` gives the callback each store's scan reports to.
    """
    memory = State("sqlite://")  # the checks need identities to match headlines, not to keep
    try:
        pipeline = Pipeline(settings, memory)
        now = now_utc()
        problems, unread = pipeline.ingest(now, progress)
        selection = pipeline.select_latest(now, assign=False)
        return [
            *(Problem("config", reason) for reason in unread),
            *problems,
            *selection.problems,
            *latest.unresolved(selection.latest, selection.entries),
        ]
    finally:
        memory.close()
