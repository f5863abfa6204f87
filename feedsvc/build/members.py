"""Which feeds there are: the named ones, and each family's members (one feed per
category, tag, author or region that visible articles have)."""

from datetime import datetime

from feedsvc.build import plan
from feedsvc.build.plan import FeedSpec
from feedsvc.config import Settings
from feedsvc.labels import Where
from feedsvc.state import State


class FamilyMembers:
    """Every feed, with each family's members: asked of the database in full once, then
    only for the labels that changed (a full ask reads every label of every article)."""

    def __init__(self, settings: Settings, state: State) -> None:
        self.settings = settings
        self.state = state
        self._known: dict[tuple[str, Where], dict[str, str]] = {}  # (kind, where) -> slug: value

    def expand(self, now: datetime, asked: set[tuple[str, str]] | None) -> list[FeedSpec] | None:
        """The feeds; `asked`: the (kind, slug) members that may have changed, None for
        all. None when none of the asked ones came, went or changed its name: the feeds
        are those of the last call (and the index and OPML can stay as they were)."""
        changed = asked is None
        for feed in self.settings.feeds:
            if feed.per:
                where = Where.of(feed.filters(), feed.match)
                changed |= self._refresh(feed.per, where, now, asked)
        if not changed:
            return None
        return plan.expand(
            self.settings.feeds,
            self.settings.site,
            lambda kind, where: sorted(self._known[kind, where].items()),
        )

    def _refresh(
        self, kind: str, where: Where, now: datetime, asked: set[tuple[str, str]] | None
    ) -> bool:
        """Ask again for the asked members of one family; whether any changed."""
        known = self._known.get((kind, where))
        if known is None or asked is None:
            self._known[kind, where] = dict(self.state.label_values(kind, where, now))
            return True
        slugs = {slug for of_kind, slug in asked if of_kind == kind}
        if not slugs:
            return False
        before = {slug: known.pop(slug) for slug in slugs if slug in known}
        fresh = dict(self.state.label_values(kind, where, now, slugs))
        known.update(fresh)
        return fresh != before
