"""The built-in hub's subscriptions, in the state database."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from feedsvc.state.schema import chunks, subscriptions


@dataclass(frozen=True)
class Subscription:
    id: int
    topic: str
    callback: str
    secret: str
    expires: datetime
    failures: int
    delivered: str  # sha256 of the last body it took ("" none yet)


class Subscriptions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def subscribe(self, topic: str, callback: str, secret: str, expires: datetime) -> None:
        """Add a subscription, or renew one: a new lease and secret, failures forgiven."""
        values = {"secret": secret, "expires": expires, "failures": 0}
        match = (subscriptions.c.topic == topic) & (subscriptions.c.callback == callback)
        with self.engine.begin() as conn:
            if conn.execute(update(subscriptions).where(match).values(values)).rowcount:
                return
            try:
                with conn.begin_nested():
                    conn.execute(
                        subscriptions.insert().values(topic=topic, callback=callback, **values)
                    )
            except IntegrityError:  # another worker added it meanwhile
                conn.execute(update(subscriptions).where(match).values(values))

    def unsubscribe(self, topic: str, callback: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(subscriptions).where(
                    (subscriptions.c.topic == topic) & (subscriptions.c.callback == callback)
                )
            )

    def active(self, topics: Iterable[str], now: datetime) -> list[Subscription]:
        """Subscriptions to these topics whose lease runs; expired ones are removed."""
        found = []
        with self.engine.begin() as conn:
            conn.execute(delete(subscriptions).where(subscriptions.c.expires <= now))
            for part in chunks(sorted(set(topics))):
                rows = conn.execute(
                    select(subscriptions).where(subscriptions.c.topic.in_(part))
                ).all()
                found += [Subscription(**row._mapping) for row in rows]
        return found

    def delivered(self, taken: dict[int, str]) -> None:
        """These subscriptions (id: digest) took the body with that digest: failures
        forgiven, and that body is not to be sent to them again."""
        query = (
            update(subscriptions)
            .where(subscriptions.c.id == bindparam("subscription"))
            .values(failures=0, delivered=bindparam("digest"))
        )
        with self.engine.begin() as conn:
            conn.execute(query, [{"subscription": i, "digest": d} for i, d in taken.items()])

    def failed(self, subscription_id: int, max_failures: int) -> bool:
        """Count a failed delivery; True when the subscription was removed for it."""
        row = subscriptions.c.id == subscription_id
        with self.engine.begin() as conn:
            conn.execute(
                update(subscriptions).where(row).values(failures=subscriptions.c.failures + 1)
            )
            gone = conn.execute(
                delete(subscriptions).where(row & (subscriptions.c.failures >= max_failures))
            )
            return bool(gone.rowcount)

    def remove(self, subscription_id: int) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))

    def callbacks(self, topic: str, now: datetime) -> list[str]:
        """The callbacks whose lease of this topic runs."""
        with self.engine.connect() as conn:
            query = select(subscriptions.c.callback).where(
                (subscriptions.c.topic == topic) & (subscriptions.c.expires > now)
            )
            return list(conn.execute(query).scalars())

    def count(self, now: datetime) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).where(subscriptions.c.expires > now)
            return conn.execute(query).scalar_one()
