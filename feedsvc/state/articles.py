"""Questions about the articles: what feeds select, what changed, headlines, takedowns."""

import itertools
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import (
    Engine,
    func,
    insert,
    select,
    true,
    update,
)
from sqlalchemy.engine import Connection, Row

from feedsvc.core.config import LabelKind
from feedsvc.core.model import Article, Moment, SourceArticle, TakenDown
from feedsvc.core.text import article_link, headline_key
from feedsvc.state.identity import owner
from feedsvc.state.labels import EVERY, Where
from feedsvc.state.schema import (
    any_article,
    articles,
    chunks,
    headlines,
    labels,
    new_guid,
    visible,
)
from feedsvc.state.stamps import stamp


@dataclass(frozen=True)
class HeadlineIdentity:
    guid: str
    first_seen: datetime


PARSED = 8192  # articles kept parsed between builds (a few KB each)


LATEST_PAGES_STEP = 100  # pages with a latest-news section looked at a time


class ArticleQueries:
    """The part of State that answers for the articles."""

    engine: Engine
    _parsed: OrderedDict[int, tuple[str, Article]]

    def changed_since(self, since: Moment, now: datetime) -> set[int]:
        """Articles a scan inserted, updated or deleted after the last feeds build read the
        stores, and those that became visible with time alone since it selected them."""
        changed = select(articles.c.id).where(articles.c.changed > since.read)
        due = select(articles.c.id).where(visible(now) & (articles.c.published > since.now))
        with self.engine.connect() as conn:
            return set(conn.scalars(changed)) | set(conn.scalars(due))

    def label_keys(self, ids: set[int]) -> set[tuple[str, str]]:
        """(kind, slug) of every label these articles have."""
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(labels.c.kind, labels.c.slug).where(labels.c.article_id.in_(chunk))
                found.update((kind, slug) for kind, slug in conn.execute(query))
        return found

    def any_match(self, ids: set[int], where: Where, since: datetime | None = None) -> bool:
        """Whether any of these articles (visible or not) is one `where` selects;
        since: published then or later."""
        newer = true() if since is None else articles.c.published >= since
        return any_article(self.engine, ids, where.clause(few=True) & newer)

    def nth_newest(self, ids: frozenset[int], n: int) -> datetime | None:
        """The publication date of the n-th newest of these articles (None: fewer)."""
        if len(ids) < n:
            return None
        with self.engine.connect() as conn:
            dates = []
            for chunk in chunks(sorted(ids)):
                query = select(articles.c.published).where(articles.c.id.in_(chunk))
                dates += [date for date in conn.scalars(query) if date is not None]
        dates.sort(reverse=True)
        return dates[n - 1] if len(dates) >= n else None

    def _articles(self, query, article_url: str) -> list[Article]:
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [self._article(row, article_url) for row in rows]

    @staticmethod
    def _article(row: Row, article_url: str) -> Article:
        source = SourceArticle.from_json(row.data)
        return Article(
            id=row.id,
            source=source,
            guid=row.guid,
            link=source.url or article_link(article_url, row.slug),
            published=row.published,
            updated=row.updated,
        )

    def newest(
        self, limit: int, now: datetime, article_url: str, where: Where = EVERY
    ) -> list[Article]:
        return self.these(self.newest_ids(limit, now, where), now, article_url)

    def newest_ids(self, limit: int, now: datetime, where: Where = EVERY) -> list[int]:
        """The ids of the newest `limit` articles `where` selects, visible at `now`."""
        # Ids first, then those rows: sorting a category's thousand matches with their
        # whole stored text took twice as long as sorting their ids.
        order = (
            select(articles.c.id)
            .where(visible(now) & where.clause())
            # Ties (a first import shares one time) go to the later row: the index's order.
            .order_by(articles.c.published.desc(), articles.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return list(conn.scalars(order))

    def newest_per_member(self, limit: int, now: datetime, where: Where) -> dict[str, list[int]]:
        """The ids `newest` would find for every member of a family (`where.family`
        names the kind; its slug is ignored), newest first: one query ranking each
        label's articles, where a query per member was most of a whole-site build's
        selection (3,801 feeds at 20,000 articles). `these` reads them."""
        assert where.family is not None
        rank = (
            func.row_number()
            .over(
                partition_by=labels.c.slug,
                order_by=(articles.c.published.desc(), articles.c.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            select(labels.c.slug, articles.c.id, rank)
            .join(articles, articles.c.id == labels.c.article_id)
            .where(
                (labels.c.kind == where.family[0])
                & visible(now)
                & replace(where, family=None).clause()
            )
            .subquery()
        )
        query = select(ranked.c.slug, ranked.c.id).where(ranked.c.rank <= limit)
        members: dict[str, list[int]] = {}
        with self.engine.connect() as conn:
            for slug, article_id in conn.execute(query.order_by(ranked.c.slug, ranked.c.rank)):
                members.setdefault(slug, []).append(article_id)
        return members

    def these(self, ids: Sequence[int], now: datetime, article_url: str) -> list[Article]:
        """These articles, in this order (those visible at `now`)."""
        with self.engine.connect() as conn:
            found = self._parsed_articles(conn, ids, article_url, now)
        return [found[article_id] for article_id in ids if article_id in found]

    def _parsed_articles(
        self, conn: Connection, ids: Sequence[int], article_url: str, now: datetime
    ) -> dict[int, Article]:
        """These articles, those visible at `now`, by id: parsed ones from memory, the
        others read. What a build changed was forgotten (`forget_parsed`) before it."""
        found: dict[int, Article] = {}
        missing = []
        for article_id in ids:
            url, known = self._parsed.get(article_id, ("", None))
            if known is None or url != article_url:
                missing.append(article_id)
            elif known.published <= now:
                found[article_id] = known
                self._parsed.move_to_end(article_id)
        for chunk in chunks(sorted(missing)):
            query = select(articles).where(articles.c.id.in_(chunk) & visible(now))
            for row in conn.execute(query):
                found[row.id] = article = self._article(row, article_url)
                self._parsed[row.id] = article_url, article
        while len(self._parsed) > PARSED:
            self._parsed.popitem(last=False)
        return found

    def forget_parsed(self, ids: Iterable[int] | None) -> None:
        """These articles changed (None: any may have): parse them again when asked."""
        if ids is None:
            self._parsed.clear()
            return
        for article_id in ids:
            self._parsed.pop(article_id, None)

    def by_key(self, store: str, key: str, article_url: str) -> Article | None:
        """The article a store holds at `key` (a file path), as the last scan left it."""
        query = select(articles).where(
            (articles.c.store == store) & (articles.c.key == key) & articles.c.deleted.is_(None)
        )
        found = self._articles(query, article_url)
        return found[0] if found else None

    def ids_at(self, places: Iterable[tuple[str, str]]) -> set[int]:
        """The ids of the articles these stores hold at these keys (store, key)."""
        found: set[int] = set()
        with self.engine.connect() as conn:
            for store, key in places:
                query = select(articles.c.id).where(
                    (articles.c.store == store)
                    & (articles.c.key == key)
                    & articles.c.deleted.is_(None)
                )
                found.update(conn.execute(query).scalars())
        return found

    def held_by_another(self, store: str, key: str, article_id: str) -> str | None:
        """Who else holds `article_id` (as its explicit id in `store`, or as its GUID in
        any store), deleted or not; None when no source but `key` of `store` does."""
        mine = (articles.c.store == store) & (articles.c.key == key)
        named = ((articles.c.store == store) & (articles.c.explicit_id == article_id)) | (
            articles.c.guid == article_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(select(articles).where(named & ~mine).limit(1)).first()
        return None if row is None else owner(row)

    def among(self, ids: Sequence[int], where: Where) -> list[int]:
        """Those of these articles (visible or not) that `where` selects."""
        if where == EVERY:
            return list(ids)
        found: list[int] = []
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(ids)):
                query = select(articles.c.id).where(
                    articles.c.id.in_(chunk) & where.clause(few=True)
                )
                found += conn.scalars(query)
        return found

    def by_ids(self, ids: Iterable[int], now: datetime, article_url: str) -> list[Article]:
        """Those of these articles still visible, newest first."""
        with self.engine.connect() as conn:
            found = self._parsed_articles(conn, list(set(ids)), article_url, now)
        return sorted(found.values(), key=lambda a: (a.published, a.guid), reverse=True)

    def label_values(
        self, kind: LabelKind, where: Where, now: datetime, slugs: Iterable[str] | None = None
    ) -> list[tuple[str, str]]:
        """(slug, value) of every `kind` label the visible articles `where` selects have
        (of those with these slugs, if given)."""
        query = (
            select(labels.c.slug, func.min(labels.c.value))
            .join(articles, articles.c.id == labels.c.article_id)
            .where((labels.c.kind == kind) & visible(now) & where.clause())
            .group_by(labels.c.slug)
            .order_by(labels.c.slug)
        )
        with self.engine.connect() as conn:
            if slugs is None:
                return [(slug, value) for slug, value in conn.execute(query)]
            found: list[Row] = []
            for chunk in chunks(sorted(slugs)):
                found += conn.execute(query.where(labels.c.slug.in_(chunk))).all()
            return [(slug, value) for slug, value in found]

    def by_headline(
        self, keys: Iterable[str], now: datetime, article_url: str
    ) -> dict[str, Article]:
        """The newest visible article for each headline key."""
        found: dict[str, Article] = {}
        for chunk in chunks(sorted(set(keys))):
            query = (
                select(articles)
                .where(visible(now) & articles.c.title_key.in_(chunk))
                .order_by(articles.c.published, articles.c.id)
            )
            for article in self._articles(query, article_url):
                found[headline_key(article.source.title)] = article
        return found

    def newest_page_with_latest(self, now: datetime, article_url: str) -> Article | None:
        """The newest visible page with a latest-news section. The pages that have one are
        walked newest first by their own (partial) index, a hundred at a time, and then
        asked whether they are visible: given both conditions at once, SQLite walked
        every visible article when no page had a section (its statistics know nothing
        of an empty partial index), 0.2 s a build at 200,000 articles."""
        newest_first = (articles.c.first_seen.desc(), articles.c.id.desc())
        pages = select(articles.c.id).where(articles.c.has_latest == true())
        for offset in itertools.count(0, LATEST_PAGES_STEP):
            with self.engine.connect() as conn:
                query = pages.order_by(*newest_first).limit(LATEST_PAGES_STEP).offset(offset)
                ids = list(conn.scalars(query))
            if not ids:
                return None
            query = select(articles).where(articles.c.id.in_(ids) & visible(now))
            found = self._articles(query.order_by(*newest_first).limit(1), article_url)
            if found:
                return found[0]
        return None

    def count_by_store(self) -> dict[str, tuple[int, int]]:
        """store -> (articles kept, of which deleted)."""
        deleted = func.count(articles.c.deleted)
        query = select(articles.c.store, func.count(), deleted).group_by(articles.c.store)
        with self.engine.connect() as conn:
            return {store: (total, gone) for store, total, gone in conn.execute(query)}

    def count_visible(self, now: datetime) -> int:
        with self.engine.connect() as conn:
            return conn.scalar(select(func.count()).where(visible(now))) or 0

    def resolve_headlines(
        self, found: Iterable[str], now: datetime
    ) -> dict[str, HeadlineIdentity | None]:
        """A lasting GUID and date for each latest-news headline without a visible
        article (by key); None for one whose article was taken down (it is withheld).

        A headline keeps its GUID for life: that of its article when it has or had one
        (deleted, a draft), else one given the first time it was listed, which an
        article later written with that headline takes as its own."""
        keys = {headline_key(h) for h in found}
        with self.engine.begin() as conn:
            listed = {
                r.key: HeadlineIdentity(r.guid, r.first_seen)
                for r in conn.execute(select(headlines).where(headlines.c.key.in_(keys)))
            }
            newest: dict[str, Row] = {}
            query = (
                select(
                    articles.c.title_key,
                    articles.c.guid,
                    articles.c.published,
                    articles.c.first_seen,
                    articles.c.taken_down,
                )
                .where(articles.c.title_key.in_(keys))
                .order_by(articles.c.published, articles.c.id)
            )
            for row in conn.execute(query):
                newest[row.title_key] = row
            known: dict[str, HeadlineIdentity | None] = {}
            for key in sorted(keys):
                seen = newest.get(key)
                if seen is not None and seen.taken_down is not None:
                    known[key] = None
                elif key in listed:
                    known[key] = listed[key]
                elif seen is not None:  # deleted, a draft or not yet due: never a future date
                    known[key] = HeadlineIdentity(seen.guid, min(seen.published, seen.first_seen))
                else:
                    made = known[key] = HeadlineIdentity(new_guid(), now)
                    conn.execute(insert(headlines).values(key=key, guid=made.guid, first_seen=now))
        return known

    def takedown(
        self, ref: str, reason: str, now: datetime, *, undo: bool = False
    ) -> list[TakenDown]:
        """Take down (or, `undo`, restore) the article whose GUID, id or store key is `ref`:
        out of every document until undone, whatever its store says later (a re-export
        keeps its row, so the takedown holds). Returns the articles it applies to."""
        match = (articles.c.guid == ref) | (articles.c.explicit_id == ref) | (articles.c.key == ref)
        with self.engine.begin() as conn:
            found = conn.execute(select(articles).where(match)).all()
            if found:
                conn.execute(
                    update(articles)
                    .where(articles.c.id.in_([row.id for row in found]))
                    .values(
                        taken_down=None if undo else now,
                        takedown_reason=None if undo else reason,
                        changed=stamp(conn),  # what the next build looks at
                    )
                )
        self.forget_parsed(row.id for row in found)
        return [TakenDown(row.guid, row.key, row.taken_down is not None) for row in found]

    def taken_down(self) -> Sequence[Row]:
        """Every article taken down, newest takedown first."""
        query = select(articles).where(articles.c.taken_down.is_not(None))
        with self.engine.connect() as conn:
            return conn.execute(query.order_by(articles.c.taken_down.desc())).all()
