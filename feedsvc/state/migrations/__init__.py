"""Alembic revisions of the state database's schema, in a line (run by feedsvc/state/migrate.py)."""
