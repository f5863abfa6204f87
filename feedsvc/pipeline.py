"""One run: scan the store, settle identities, select, render, validate, publish, record."""

import fcntl
import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from feedsvc import latest
from feedsvc.build import select, validate
from feedsvc.build.render import RENDERERS
from feedsvc.config import FeedSettings, Settings
from feedsvc.model import Article, FeedMeta, Problem
from feedsvc.publish import OutputFile
from feedsvc.publish.local import LocalTarget
from feedsvc.state import BuildRecord, State
from feedsvc.store.files import FilesStore

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LOCK_FILE = ".feedsvc-build.lock"


def feed_path(name: str, fmt: str) -> str:
    return f"feeds/{name}.{fmt}"


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


class Pipeline:
    def __init__(self, settings: Settings, state: State) -> None:
        self.settings = settings
        self.state = state
        self.store = FilesStore(settings.store.path, settings.store.max_file_size)
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

    def _build(self, report: BuildReport) -> None:
        settings = self.settings
        scan = self.store.scan()
        report.problems.extend(scan.problems)
        articles = self.state.resolve_articles(
            self.store.name, scan.articles, settings.site.article_url, report.started
        )
        report.articles = len(articles)
        file_headlines, list_problems = latest.read_list_file(settings.latest.path)
        report.problems.extend(list_problems)
        chosen = latest.choose(
            latest.LatestList(file_headlines, str(settings.latest.path)), articles
        )
        entries = latest.match(chosen, articles)
        identities = self.state.resolve_headlines(
            (e for e in entries if isinstance(e, str)), report.started
        )
        fallback = max((a.updated for a in articles), default=EPOCH)
        outputs = []
        for feed in settings.feeds:
            items = select.select(feed, articles, entries, identities, settings.site)
            meta = self._meta(feed, select.feed_updated(items, fallback))
            for fmt, render in RENDERERS.items():
                body = render(meta, items)
                if found := validate.problems(body, items, fmt):
                    reason = "; ".join(found[:5])
                    report.failures.append(f"{feed_path(feed.name, fmt)}: not published: {reason}")
                    log.error("%s", report.failures[-1])
                    continue
                outputs.append(OutputFile(feed_path(feed.name, fmt), body))
        for target in self.targets:
            report.written.extend(target.publish(outputs))

    def _meta(self, feed: FeedSettings, updated: datetime) -> FeedMeta:
        site = self.settings.site
        return FeedMeta(
            name=feed.name,
            title=feed.title or site.title,
            description=feed.description or site.description,
            site_url=site.url,
            feed_id=f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{site.url}feeds/{feed.name}')}",
            language=site.language,
            updated=updated,
            self_urls={fmt: site.base_url + feed_path(feed.name, fmt) for fmt in RENDERERS},
        )

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


def inspect(settings: Settings) -> list[Problem]:
    """Every problem a build would meet, found without writing anything anywhere."""
    store = FilesStore(settings.store.path, settings.store.max_file_size)
    scan = store.scan()
    memory = State("sqlite://")  # identities are needed to pick a list, not kept
    try:
        articles: list[Article] = memory.resolve_articles(
            store.name, scan.articles, settings.site.article_url, now_utc()
        )
    finally:
        memory.close()
    file_headlines, list_problems = latest.read_list_file(settings.latest.path)
    chosen = latest.choose(latest.LatestList(file_headlines, str(settings.latest.path)), articles)
    return [*scan.problems, *list_problems, *latest.unresolved(chosen, articles)]
