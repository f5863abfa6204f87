"""Articles are labelled with the kinds of media they carry (audio, video), and with
"episode" when one is audio podcast apps play: what a podcast feed takes.

Revision ID: 0007
Revises: 0006
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Audio podcast apps play, as core/podcast.py had it then.
PLAYED = {"audio/mpeg", "audio/x-m4a", "audio/mp4", "audio/aac"}
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
    conn = op.get_bind()
    conn.execute(sa.delete(labels).where(labels.c.kind == "medium"))
    rows = []
    for article_id, data in conn.execute(sa.select(articles.c.id, articles.c.data)):
        types = [media["type"] for media in json.loads(data).get("media") or ()]
        mediums = {kind.partition("/")[0] for kind in types}
        if PLAYED.intersection(types):
            mediums.add("episode")
        rows += [
            {"article_id": article_id, "kind": "medium", "slug": medium, "value": medium}
            for medium in sorted(mediums)
        ]
    if rows:
        conn.execute(sa.insert(labels), rows)


def downgrade() -> None:
    op.get_bind().execute(sa.delete(labels).where(labels.c.kind == "medium"))
