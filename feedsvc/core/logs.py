"""One log format for the command and for every worker process it starts."""

import logging
import os

from feedsvc.core.envvars import LEVEL_ENV
from feedsvc.core.text import redacted_url

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class Redacting(logging.Formatter):
    """Every line, traceback included, with the user information of URLs left out: a
    library's message may quote a configured URL with its password."""

    def format(self, record: logging.LogRecord) -> str:
        return redacted_url(super().format(record))


def setup(level: int | None = None) -> None:
    """Log to standard error; `level` None takes the one the command passed on."""
    if level is None:
        level = int(os.environ.get(LEVEL_ENV, logging.INFO))
    os.environ[LEVEL_ENV] = str(level)
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.setFormatter(Redacting(FORMAT))
    # Alembic says which dialect and plugins it found each time the state is opened:
    # not news.
    for name in ("alembic.runtime.migration", "alembic.runtime.plugins"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
