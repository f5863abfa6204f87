"""Archive placement remembers which articles it selected: a feed whose filters change
has every article of its open page asked again, and every matching one placed.

archive_feeds.selects: a digest of the filters the feed's articles were placed by.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("archive_feeds")}
    if "selects" not in columns:  # a state from before versions got it with its table
        # Empty: no feed's filters are known, so each is placed afresh once.
        op.add_column(
            "archive_feeds",
            sa.Column("selects", sa.String(64), nullable=False, server_default=""),
        )


def downgrade() -> None:
    op.drop_column("archive_feeds", "selects")
