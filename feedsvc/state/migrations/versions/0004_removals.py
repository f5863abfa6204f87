"""Removals reach readers: feed inputs, emptied feeds, tombstones, takedowns.

feed_members.inputs: a digest of every input of a feed's documents but its articles.
feed_history: every feed published, and since when it is empty.
removals: articles that left a feed, for RFC 6721 tombstones.
articles.taken_down, articles.takedown_reason: `feedsvc takedown`.
archive_entries by article: the archive pages a changed article is on.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.state.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _columns(table: str) -> set[str]:
    return {c["name"] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    op.create_table(
        "feed_history",
        sa.Column("feed", sa.String(400), primary_key=True),
        sa.Column("value", sa.Text, nullable=True),
        sa.Column("emptied", UTCDateTime, nullable=True),
    )
    op.create_table(
        "removals",
        sa.Column("feed", sa.String(400), primary_key=True),
        sa.Column("guid", sa.String(500), primary_key=True),
        sa.Column("removed", UTCDateTime, nullable=False),
    )
    # A state from before versions got these with its tables, as declared now.
    if "inputs" not in _columns("feed_members"):
        op.add_column(
            "feed_members", sa.Column("inputs", sa.String(64), nullable=False, server_default="")
        )
    if "taken_down" not in _columns("articles"):
        op.add_column("articles", sa.Column("taken_down", UTCDateTime, nullable=True))
        op.add_column("articles", sa.Column("takedown_reason", sa.Text, nullable=True))
    indexes = {i["name"] for i in sa.inspect(op.get_bind()).get_indexes("archive_entries")}
    if "ix_archive_entries_article" not in indexes:
        op.create_index("ix_archive_entries_article", "archive_entries", ["article_id"])


def downgrade() -> None:
    op.drop_index("ix_archive_entries_article", "archive_entries")
    op.drop_column("articles", "takedown_reason")
    op.drop_column("articles", "taken_down")
    op.drop_column("feed_members", "inputs")
    op.drop_table("removals")
    op.drop_table("feed_history")
