"""Readers: subscriber counts aggregators report, distinct direct clients a day.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.state.schema import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audience_reports",
        sa.Column("feed", sa.String(400), primary_key=True),
        sa.Column("aggregator", sa.String(100), primary_key=True),
        sa.Column("feed_id", sa.String(100), primary_key=True),
        sa.Column("subscribers", sa.Integer, nullable=False),
        sa.Column("seen", UTCDateTime, nullable=False),
    )
    op.create_table(
        "audience_days",
        sa.Column("feed", sa.String(400), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("clients", sa.Integer, nullable=False),
        sa.Column("sketch", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audience_days")
    op.drop_table("audience_reports")
