"""published_files: the files each build wrote, for replicas sharing a PostgreSQL state.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from feedsvc.state.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_files",
        sa.Column("path", sa.String(1000), primary_key=True),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("written", UTCDateTime, nullable=False),
    )
    op.create_index("ix_published_files_generation", "published_files", ["generation"])


def downgrade() -> None:
    op.drop_table("published_files")
