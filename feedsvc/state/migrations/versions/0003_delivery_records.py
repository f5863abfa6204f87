"""Delivery records: what subscribers and hubs are still owed after a build.

hub_pings: publish pings a hub did not take, sent again until it does.
announcements: changed feeds a build had not finished telling of (it died).
subscriptions.delivered: the digest of the body each subscriber last took.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.state.schema import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_pings",
        sa.Column("hub", sa.String(2000), primary_key=True),
        sa.Column("topic", sa.String(2000), primary_key=True),
        sa.Column("since", UTCDateTime, nullable=False),
    )
    op.create_table(
        "announcements",
        sa.Column("topic", sa.String(2000), primary_key=True),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("since", UTCDateTime, nullable=False),
    )
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("subscriptions")}
    if "delivered" not in columns:  # a state from before versions got it with its table
        op.add_column(
            "subscriptions",
            sa.Column("delivered", sa.String(64), nullable=False, server_default=""),
        )


def downgrade() -> None:
    op.drop_column("subscriptions", "delivered")
    op.drop_table("announcements")
    op.drop_table("hub_pings")
