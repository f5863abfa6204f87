"""Articles are labelled with their language, for language filters and families.

Those that state one get their label here; those that state none get the site's
when the pipeline first tells the state which that is (labels.relanguage).

Revision ID: 0006
Revises: 0005
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As state/labels.py makes them (a migration keeps its own copy of what it needs).
articles = sa.table("articles", sa.column("id", sa.Integer), sa.column("data", sa.Text))
labels = sa.table(
    "labels",
    sa.column("article_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("slug", sa.String),
    sa.column("value", sa.String),
)


def upgrade() -> None:
    from feedsvc.core.text import slugify

    conn = op.get_bind()
    conn.execute(sa.delete(labels).where(labels.c.kind == "language"))
    rows = []
    for article_id, data in conn.execute(sa.select(articles.c.id, articles.c.data)):
        language = json.loads(data).get("language")
        if language:
            rows.append(
                {
                    "article_id": article_id,
                    "kind": "language",
                    "slug": slugify(language),
                    "value": language,
                }
            )
    if rows:
        conn.execute(sa.insert(labels), rows)


def downgrade() -> None:
    op.get_bind().execute(sa.delete(labels).where(labels.c.kind == "language"))
    op.get_bind().execute(sa.text("DELETE FROM meta WHERE name = 'site_language'"))
