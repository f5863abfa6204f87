"""Baseline: the tables of the first release with versioned migrations.

A new database is made from the current tables and stamped with the newest
revision (`feedsvc.state.migrate`); a database older than migrations is brought to
this revision by `feedsvc.state.upgrade`'s checks and stamped with it. So this step
itself has nothing to do: later revisions change the schema from here.
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
