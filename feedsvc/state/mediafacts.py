"""The length and duration of audio files, learned once and kept (feedsvc.site.probe)."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, insert, select

from feedsvc.state.schema import media_facts


@dataclass(frozen=True)
class Facts:
    """What is known of one file: its length (None until learned), how long it plays,
    and when it was last tried and how often."""

    length: int | None
    duration: int | None
    tried: datetime
    tries: int


class MediaFacts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def of(self, urls: Iterable[str]) -> dict[str, Facts]:
        wanted = sorted(set(urls))
        found: dict[str, Facts] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                query = select(media_facts).where(
                    media_facts.c.url.in_(wanted[start : start + 500])
                )
                for row in conn.execute(query):
                    found[row.url] = Facts(row.length, row.duration, row.tried, row.tries)
        return found

    def keep(self, learned: Mapping[str, Facts]) -> None:
        if not learned:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(media_facts).where(media_facts.c.url.in_(list(learned))))
            conn.execute(
                insert(media_facts),
                [
                    {"url": url, "length": f.length, "duration": f.duration, "tried": f.tried,
                     "tries": f.tries}
                    for url, f in learned.items()
                ],
            )  # fmt: skip
