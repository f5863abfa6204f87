"""One log format for the command and for every worker process it starts."""

import logging
import os

LEVEL_ENV = "FEEDSVC_LOG_LEVEL"  # how the command tells its worker processes


def setup(level: int | None = None) -> None:
    """Log to standard error; `level` None takes the one the command passed on."""
    if level is None:
        level = int(os.environ.get(LEVEL_ENV, logging.INFO))
    os.environ[LEVEL_ENV] = str(level)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic says which dialect it found each time the state is opened: not news.
    logging.getLogger("alembic.runtime.migration").setLevel(max(level, logging.WARNING))
