"""Which feeds there are: the named ones, and each family's members (one feed per
category, tag, author or region that visible articles have).

A process starts from the members the state's history says the last build
published (asking the labels of every article took 7 s at 200,000 articles, most of
a one-article `feedsvc build` or `feedsvc takedown`); then only the members the
changed articles have or had are asked again. Where the history does not yet hold
every member (a state from before it), the labels are read in full once."""

from datetime import datetime

from feedsvc.core.config import LabelKind, Settings
from feedsvc.feeds import specs
from feedsvc.feeds.documents import layout_digest
from feedsvc.feeds.specs import FeedDefinition, FeedSpec
from feedsvc.state.database import State
from feedsvc.state.history import FeedHistory
from feedsvc.state.labels import Where


class FamilyMembers:
    """Every feed, with each family's members: asked of the database in full once, then
    only for the labels that changed (a full ask reads every label of every article)."""

    def __init__(self, settings: Settings, state: State, history: FeedHistory) -> None:
        self.settings = settings
        self.state = state
        self.history = history
        self.definitions = [FeedDefinition.of(feed) for feed in settings.feeds]
        self._known: dict[tuple[str, Where], dict[str, str]] = {}  # (kind, where) -> slug: value

    def seeded(self, now: datetime) -> list[FeedSpec]:
        """The feeds as the last build published them (read in full when the history
        cannot say)."""
        # Only while the feeds are configured as when the folder was last laid out: a
        # family added or refiltered since has members the history cannot know.
        complete = self.history.complete() and (
            self.state.layout() == layout_digest(self.settings.feeds, self.settings.server.brotli)
        )
        self._known.clear()
        for feed in self.definitions:
            if feed.per and complete:
                members = self._known.setdefault((feed.per, feed.where), {})
                for key, past in self.history.known().items():
                    family, _, slug = key.partition("/")
                    if family == feed.name and past.value is not None and past.emptied is None:
                        members[slug] = past.value
        if not complete:
            return self.expand(now, None) or []
        return self._specs()

    def expand(self, now: datetime, asked: set[tuple[str, str]] | None) -> list[FeedSpec] | None:
        """The feeds; `asked`: the (kind, slug) members that may have changed, None for
        all. None when none of the asked ones came, went or changed its name: the feeds
        are those of the last call (and the index and OPML can stay as they were)."""
        changed = asked is None
        for feed in self.definitions:
            if feed.per:
                changed |= self._refresh(feed.per, feed.where, now, asked)
        if not changed:
            return None
        return self._specs()

    def _specs(self) -> list[FeedSpec]:
        return specs.expand(
            self.definitions,
            self.settings.site,
            lambda kind, where: sorted(self._known[kind, where].items()),
        )

    def _refresh(
        self, kind: LabelKind, where: Where, now: datetime, asked: set[tuple[str, str]] | None
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
