"""Alembic's environment: run on the connection feedsvc hands over (`feedsvc.state.migrate`),
or, for `alembic revision --autogenerate` while developing, on `sqlalchemy.url`."""

from alembic import context
from sqlalchemy import create_engine

from feedsvc.state.schema import metadata


def run(connection) -> None:
    # Batch mode: SQLite alters a table by copying it, and Alembic does that for us.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if (given := context.config.attributes.get("connection")) is not None:
    run(given)
else:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None, "alembic.ini names the database (sqlalchemy.url)"
    with create_engine(url).begin() as connection:
        run(connection)
