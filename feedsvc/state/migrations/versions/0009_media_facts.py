"""Media facts: the length and duration of audio found in article bodies, learned once.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.state.schema import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_facts",
        sa.Column("url", sa.String(2000), primary_key=True),
        sa.Column("length", sa.BigInteger),
        sa.Column("duration", sa.Integer),
        sa.Column("tried", UTCDateTime, nullable=False),
        sa.Column("tries", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("media_facts")
