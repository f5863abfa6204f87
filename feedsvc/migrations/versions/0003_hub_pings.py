"""hub_pings: publish pings a hub did not take, sent again until it does.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.schema import UTCDateTime

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


def downgrade() -> None:
    op.drop_table("hub_pings")
