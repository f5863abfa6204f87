"""What each upload target last received, and how its last attempt went."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, delete, select

from feedsvc.state.schema import replace_row, target_status, uploads


@dataclass(frozen=True)
class TargetStatus:
    error: str  # empty: the last attempt worked
    since: datetime


class UploadRecords:
    """One target's record: path -> digest of the body it took, so that after a restart
    a file is uploaded only when it changed."""

    def __init__(self, engine: Engine, target: str) -> None:
        self.engine = engine
        self.target = target

    def sent(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            query = select(uploads.c.path, uploads.c.digest).where(uploads.c.target == self.target)
            return dict(conn.execute(query).all())

    def of(self, path: str) -> str | None:
        """What the target took at `path` last, whichever process sent it."""
        mine = (uploads.c.target == self.target) & (uploads.c.path == path)
        with self.engine.connect() as conn:
            return conn.scalar(select(uploads.c.digest).where(mine))

    def record(self, path: str, digest: str) -> None:
        with self.engine.begin() as conn:
            replace_row(conn, uploads, {"target": self.target, "path": path}, digest=digest)

    def forget(self, path: str) -> None:
        with self.engine.begin() as conn:
            mine = (uploads.c.target == self.target) & (uploads.c.path == path)
            conn.execute(delete(uploads).where(mine))

    def record_status(self, error: str) -> None:
        with self.engine.begin() as conn:
            key = {"target": self.target}
            replace_row(conn, target_status, key, error=error, since=datetime.now(UTC))


def target_statuses(engine: Engine) -> dict[str, TargetStatus]:
    """Each upload target's last outcome, as its own process recorded it."""
    with engine.connect() as conn:
        rows = conn.execute(select(target_status)).all()
    return {row.target: TargetStatus(row.error, row.since) for row in rows}
