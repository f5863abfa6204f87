"""What the stores' scans left: each source's signature, the stores' notes, and the
articles they made, settled into the state."""

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import (
    Engine,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row

from feedsvc.core.model import Problem, SourceArticle
from feedsvc.state import identity, labels
from feedsvc.state.identity import FileDated
from feedsvc.state.schema import (
    articles,
    chunks,
    meta,
    put_meta,
    sources,
    store_notes,
)
from feedsvc.state.stamps import last_stamp, newest, stamp, stamped_after
from feedsvc.store import OWED, Memory, Scan, SourceScan

READING = "read_with:"  # meta, + a store's name: the settings its articles were read with
OWING = "owed_reading:"  # meta, + a store's name: the reading its owed sources are to get
READINGS = "readings"  # meta: made anew whenever a store's reading is done


class WholeScanNeeded(Exception):
    """A scan taken in parts ties two parts in a way only the whole scan can settle."""


def explicit_ids_are_unique(conn: Connection) -> None:
    """Most articles have no explicit id: to ANALYZE's statistics each id then matches
    every article, and SQLite looked ids up by walking the table (0.3 s a scan at
    200,000 articles). An explicit id is one article: say so, and have SQLite reload."""
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return
    mended = conn.exec_driver_sql(
        "UPDATE sqlite_stat1 SET stat = (SELECT count(*) FROM articles) || ' 1' "
        "WHERE idx = 'ix_articles_explicit_id' AND stat NOT LIKE '% 1'"
    )
    if mended.rowcount:  # else nothing to reload: opening the state stays read-only
        conn.exec_driver_sql("ANALYZE sqlite_master")


# A scan that changed this many sources (a first one, an import) refreshes the planner's
# statistics: ~0.1 s at 20,000 articles.
ANALYZE_AFTER = 1000


class ScanRecords:
    """Recording scans: the part of State that takes what a store read."""

    engine: Engine
    _memories: dict[str, tuple[str, Memory]]

    def _generation(self, conn: Connection) -> str:
        """Changes whenever any process records a scan that changed something."""
        value = conn.scalar(select(meta.c.value).where(meta.c.name == "generation"))
        return value or ""

    def memory(self, store: str) -> Memory:
        """The signature of every source seen, and the store's notes.

        Kept in this process between runs while no other process changed the
        state: loading 100,000 signatures costs more than scanning the files.
        """
        with self.engine.connect() as conn:
            generation = self._generation(conn)
            cached = self._memories.get(store)
            if cached and cached[0] == generation:
                return cached[1]
            query = select(sources.c.key, sources.c.signature).where(sources.c.store == store)
            notes = select(store_notes.c.name, store_notes.c.value).where(
                store_notes.c.store == store
            )
            memory = Memory(dict(conn.execute(query).all()), dict(conn.execute(notes).all()))
        self._memories[store] = (generation, memory)
        return memory

    def _keep_notes(self, conn: Connection, scan: Scan) -> None:
        conn.execute(delete(store_notes).where(store_notes.c.store == scan.store))
        if scan.notes:
            rows = [{"store": scan.store, "name": k, "value": v} for k, v in scan.notes.items()]
            conn.execute(insert(store_notes), rows)

    def label_languages(self, language: str) -> int:
        """Articles that state no language are the site's: labelled so, when it is not
        the language they have (a first start, a change of [site] language). Returns
        how many were labelled again."""
        with self.engine.connect() as conn:
            if labels.site_language(conn) == language:
                return 0
        with self.engine.begin() as conn:
            count = labels.relanguage(conn, language, stamp(conn))
            put_meta(conn, {"generation": uuid.uuid4().hex})
        return count

    def apply_scan(self, scan: Scan, memory: Memory, now: datetime) -> list[Problem]:
        """Record what a store scan made against `memory` found; return the id conflicts."""
        gone = scan.gone(memory)
        touched_keys = {source.key for source in scan.changed} | gone
        if not touched_keys and scan.notes == memory.notes:
            return []  # the common case: nothing changed, nothing to write
        problems: list[Problem] = []
        unsettled: set[str] = set()
        with self.engine.begin() as conn:
            self._keep_notes(conn, scan)
            if touched_keys:
                problems, unsettled, _dated = self._settle(conn, scan, touched_keys, gone, now)
            generation = uuid.uuid4().hex
            put_meta(conn, {"generation": generation})
        self._remember(scan, memory, gone, unsettled, generation, len(touched_keys))
        return problems

    def _remember(
        self,
        scan: Scan,
        memory: Memory,
        gone: set[str],
        unsettled: set[str],
        generation: str,
        touched: int,
    ) -> None:
        """Keep in this process what a recorded scan left (signatures, notes)."""
        if touched >= ANALYZE_AFTER:
            self.analyze()
        for key in gone:
            memory.signatures.pop(key, None)
        for source in scan.changed:
            memory.signatures[source.key] = (
                "" if source.key in unsettled else source.signature or ""
            )
        memory.notes = dict(scan.notes)
        self._memories[scan.store] = (generation, memory)

    def holds_nothing_of(self, store: str) -> bool:
        """Whether no article of this store was ever recorded (none deleted either)."""
        with self.engine.connect() as conn:
            return (
                conn.scalar(select(articles.c.id).where(articles.c.store == store).limit(1)) is None
            )

    def apply_parts(
        self, scan: Scan, parts: Iterable[list[SourceScan]], memory: Memory, now: datetime
    ) -> list[Problem]:
        """`apply_scan` for the first reading of a store the state holds nothing of, taken
        part by part as it is read, in one transaction: a scan of 200,000 files held
        whole until the state took it was most of a first build's 3.8 GB. Each part is
        settled as a scan of its own, which is what the whole scan would do with it
        (there is no row for any part to be matched with), but for what ties articles of
        two parts: pages dated by their files are dated again together at the end, and
        one id claimed in two parts raises WholeScanNeeded (nothing is recorded; the
        conflict's rules need every claimant at once). Returns the parts' problems: bad
        files and records, notes, conflicts."""
        problems: list[Problem] = []
        unsettled: set[str] = set()
        claimed: set[str] = set()
        dated: list[FileDated] = []
        taken = Scan(scan.store, notes=scan.notes)  # what is remembered of it
        with self.engine.begin() as conn:
            self._keep_notes(conn, scan)
            for sources in parts:
                part = Scan(scan.store, changed=sources)
                problems += part.problems
                ids = {a.explicit_id for s in sources for a in s.articles if a.explicit_id}
                if ids & claimed:
                    raise WholeScanNeeded(
                        f"an id is claimed in two parts: {sorted(ids & claimed)[0]!r}"
                    )
                claimed |= ids
                found, refused, more = self._settle(conn, part, set(), set(), now, new_store=True)
                problems += found
                unsettled |= refused
                dated += more
                taken.changed += [SourceScan(s.key, s.signature) for s in sources]
            identity.redate(conn, scan.store, dated, now)
            generation = uuid.uuid4().hex
            put_meta(conn, {"generation": generation})
        self._remember(taken, memory, set(), unsettled, generation, len(taken.changed))
        return problems

    def owe_reading(self, store: str, reading: str) -> None:
        """Every source of the store the state took in is owed a reading with `reading`
        (see store.OWED): read again part by part, a part a transaction, as builds have
        time, news first (a reading again of 200,000 files is minutes)."""
        with self.engine.begin() as conn:
            conn.execute(
                update(sources)
                .where(
                    (sources.c.store == store)
                    & (sources.c.signature != "")
                    & ~sources.c.signature.startswith(OWED, autoescape=True)
                )
                .values(signature=literal(OWED) + sources.c.signature)
            )
            put_meta(conn, {f"{OWING}{store}": reading, "generation": uuid.uuid4().hex})
        self._memories.pop(store, None)

    def owed_reading(self, store: str) -> str | None:
        """The reading the store's sources are owed (None: none was asked)."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == f"{OWING}{store}"))

    def readings_owed(self) -> int:
        """How many sources of every store are still owed a reading again."""
        with self.engine.connect() as conn:
            owed = sources.c.signature.startswith(OWED, autoescape=True)
            return conn.scalar(select(func.count()).select_from(sources).where(owed)) or 0

    def take_again(
        self, store: str, read: list[SourceScan], memory: Memory, now: datetime, since: datetime
    ) -> tuple[list[Problem], set[int], datetime, bool]:
        """One part of a store's reading again, in a transaction of its own: (problems,
        ids of the articles read again, the stamp to give the next part as `since`,
        whether another process recorded a change after `since`, the stamp after the
        last part's changes). A source settles here as the whole scan would settle it
        when it is the file it was and its articles the rows at its key with the
        explicit ids they had; a part where that does not hold is left to the next
        scan, which reads its files as changes (so is a file saved since it was owed)."""
        held = memory.signatures
        owed = [s for s in read if s.signature and held.get(s.key) == OWED + s.signature]
        # Owed, and unreadable now (the new reader refuses it): read as a change.
        refused = {s.key for s in read if not s.signature and held.get(s.key, "").startswith(OWED)}
        if refused:
            self._read_as_changes(store, refused, memory)
        if not owed:
            return [], set(), since, self.changed_after(since)
        keys = {source.key for source in owed}
        part = Scan(store, changed=owed)
        try:
            with self.engine.begin() as conn:
                others = (last_stamp(conn) or since) > since  # (none can be taken meanwhile)
                found, _unsettled, _dated = self._settle(conn, part, keys, set(), now, again=True)
                live = articles.c.deleted.is_(None) & (articles.c.store == store)
                ids = {row.id for row in identity.select_in(conn, articles.c.source, keys, live)}
                generation, after = uuid.uuid4().hex, stamp(conn)
                put_meta(conn, {"generation": generation})
        except WholeScanNeeded:  # (its stamps undone with it)
            self._read_as_changes(store, keys, memory)
            return [], set(), since, self.changed_after(since)
        taken = Scan(store, changed=[SourceScan(s.key, s.signature) for s in owed])
        self._remember(taken, memory, set(), set(), generation, 0)
        return [*part.problems, *found], ids, after, others

    def _read_as_changes(self, store: str, keys: set[str], memory: Memory) -> None:
        """Have the next scan read these sources as changes (their signatures blank, as
        for a file with problems). No article changes: no stamp is taken."""
        taken = Scan(store, changed=[SourceScan(key, None) for key in sorted(keys)])
        with self.engine.begin() as conn:
            self._remember_sources(conn, taken, set(), set())
            generation = uuid.uuid4().hex
            put_meta(conn, {"generation": generation})
        self._remember(taken, memory, set(), set(), generation, 0)

    def reading_done(self, store: str, reading: str) -> None:
        """The store's sources are all read with `reading` now."""
        with self.engine.begin() as conn:
            conn.execute(delete(meta).where(meta.c.name == f"{OWING}{store}"))
            put_meta(conn, {f"{READING}{store}": reading, READINGS: uuid.uuid4().hex})

    def _settle(
        self,
        conn: Connection,
        scan: Scan,
        touched_keys: set[str],
        gone: set[str],
        now: datetime,
        *,
        new_store: bool = False,
        again: bool = False,
    ) -> tuple[list[Problem], set[str], list[FileDated]]:
        """(id conflicts, sources to read again, new articles dated by their files) after
        settling the changed sources. new_store: a part of a store's first reading, whose
        articles can be no row yet (not asked: with no statistics yet, SQLite looked
        rows up by walking the store's, a part at a time). again: a part of a store read
        again (see take_again), whose every article must be its row again, its change
        stamp kept: not news."""
        live_here = articles.c.deleted.is_(None) & (articles.c.store == scan.store)
        touched = (
            []
            if new_store
            else identity.select_in(conn, articles.c.source, touched_keys, live_here)
        )
        fresh = [(s.key, a) for s in scan.changed for a in s.articles]
        refused, problems = identity.conflicts(conn, [a for _k, a in fresh], touched)
        reconciler = identity.Reconciler(conn, scan.store, touched)
        # A refused article is not taken (what it said before leaves the feeds), and its
        # source is read again every run, until the conflict is resolved.
        unsettled = {key for key, a in fresh if (a.store, a.key) in refused}
        fresh = [(key, a) for key, a in fresh if (a.store, a.key) not in refused]
        rows = [None] * len(fresh) if new_store else reconciler.match([a for _k, a in fresh])
        if again and not _each_its_own(refused, [a for _k, a in fresh], rows, touched):
            raise WholeScanNeeded("an article read again is not the one its file held")
        claimed, claims = identity.taken(
            conn, [a for (_k, a), row in zip(fresh, rows, strict=True) if row is None]
        )
        if claimed:  # read again every run, like a conflict, until its id changes
            problems += claims
            unsettled |= {key for key, a in fresh if a.key in claimed}
            kept = [(f, r) for f, r in zip(fresh, rows, strict=True) if f[1].key not in claimed]
            fresh, rows = [f for f, _r in kept], [r for _f, r in kept]
        changed = stamp(conn)
        dated = identity.settle(conn, fresh, rows, now, None if again else changed)
        identity.carry_takedowns(conn, scan.store, [a for _k, a in fresh], rows, reconciler.by_key)
        vanished = sorted(row.id for row in touched if row.id not in reconciler.claimed)
        for chunk in chunks(vanished):
            conn.execute(
                update(articles)
                .where(articles.c.id.in_(chunk))
                .values(deleted=now, changed=changed)
            )
        self._remember_sources(conn, scan, gone, unsettled)
        return problems, unsettled, dated

    @staticmethod
    def _remember_sources(
        conn: Connection, scan: Scan, gone: set[str], unsettled: set[str]
    ) -> None:
        forget = sorted(gone | {s.key for s in scan.changed})
        for chunk in chunks(forget):
            conn.execute(
                delete(sources).where((sources.c.store == scan.store) & sources.c.key.in_(chunk))
            )
        seen = [
            {
                "store": scan.store,
                "key": s.key,
                "signature": "" if s.key in unsettled else s.signature or "",
            }
            for s in scan.changed
        ]
        if seen:
            conn.execute(insert(sources), seen)

    def rename_store(self, old: str, new: str, now: datetime) -> int:
        """The articles of store `old` become store `new`'s, GUIDs and dates kept; an
        article `new` made meanwhile at the same key (a build before the rename was
        declared) is deleted. Their sources are read again, and say which are live.
        Returns how many moved."""
        with self.engine.begin() as conn:
            changed = stamp(conn)
            moving = select(articles.c.key).where(articles.c.store == old)
            twins = (articles.c.store == new) & articles.c.key.in_(moving)
            conn.execute(
                update(articles)
                .where(twins & articles.c.deleted.is_(None))
                .values(deleted=now, changed=changed)
            )
            # Live again, all of them: the scan that follows reads every source, and
            # deletes again those whose source is gone (a build under the new name alone
            # had retired them all).
            moved = conn.execute(
                update(articles)
                .where(articles.c.store == old)
                .values(store=new, deleted=None, changed=changed)
            ).rowcount
            if moved:
                self._forget_store(conn, old)
                self._forget_store(conn, new)
                put_meta(conn, {"generation": uuid.uuid4().hex})
        return moved

    def retire_stores(self, configured: set[str], now: datetime) -> dict[str, int]:
        """Articles of stores no longer configured leave the feeds (deleted now: tombstones
        follow); store -> how many left."""
        with self.engine.begin() as conn:
            # Only a store that was read can hold articles: asked by name, not by a walk
            # of every article each build (9 ms at 200,000).
            read = select(meta.c.name).where(meta.c.name.startswith(READING))
            gone = sorted({name.removeprefix(READING) for name in conn.scalars(read)} - configured)
            if not gone:
                return {}
            live = articles.c.deleted.is_(None) & articles.c.store.in_(gone)
            query = select(articles.c.store, func.count()).where(live).group_by(articles.c.store)
            retired: dict[str, int] = dict(conn.execute(query).all())
            if retired:
                conn.execute(update(articles).where(live).values(deleted=now, changed=stamp(conn)))
            for store in gone:
                self._forget_store(conn, store)
            put_meta(conn, {"generation": uuid.uuid4().hex})
        return retired

    @staticmethod
    def _forget_store(conn: Connection, store: str) -> None:
        """What a store left itself (signatures, notes, the settings it read with): its
        sources are all read again."""
        conn.execute(delete(sources).where(sources.c.store == store))
        conn.execute(delete(store_notes).where(store_notes.c.store == store))
        conn.execute(delete(meta).where(meta.c.name == f"{READING}{store}"))

    def read_stamp(self) -> datetime:
        """A stamp after every change recorded so far: when a build had read the stores
        (feedsvc.state.stamps)."""
        with self.engine.begin() as conn:
            return stamp(conn)

    def changed_after(self, read: datetime) -> bool:
        """Whether a change was recorded after this read stamp (by another process,
        during this one's build: a takedown)."""
        with self.engine.connect() as conn:
            return stamped_after(conn, read)

    def last_change(self) -> datetime | None:
        """The stamp of the last change any process recorded (or later): a build whose
        read stamp is after it published that change (`published_read`)."""
        with self.engine.connect() as conn:
            return newest(conn)

    def reading(self, store: str) -> str | None:
        """The digest of the settings the store's articles were last read with."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == f"{READING}{store}"))

    def readings(self) -> str:
        """Changes each time a store's reading, first or again, is done (see reading):
        every document is made again then."""
        with self.engine.connect() as conn:
            return conn.scalar(select(meta.c.value).where(meta.c.name == READINGS)) or ""

    def analyze(self) -> None:
        """Give SQLite's planner the tables' statistics (PostgreSQL's autovacuum keeps its
        own). Without them it reads a family feed's newest articles by walking every
        visible article in date order, testing each for the label: a cost that grows with
        the store; with them it starts from the label's index."""
        if self.engine.dialect.name != "sqlite":
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
            explicit_ids_are_unique(conn)


def _each_its_own(
    refused: set, fresh: list[SourceArticle], rows: Sequence[Row | None], touched: Sequence[Row]
) -> bool:
    """Whether each article is the row at its key, with the explicit id it had, and every
    row that was there is one of them (nothing refused, nothing new, nothing gone)."""
    return (
        not refused
        and len(rows) == len(touched)
        and all(
            row is not None and row.key == article.key and row.explicit_id == article.explicit_id
            for article, row in zip(fresh, rows, strict=True)
        )
    )
