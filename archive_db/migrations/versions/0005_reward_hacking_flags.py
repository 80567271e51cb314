"""reward hacking: tampered grades, cheating-canary evaluations and flagged agents

evaluations.tampered says why a grade cannot be trusted (a grader canary test came out wrong);
evaluations.canary marks the evaluation of a cheating-canary task (no honest patch resolves one; it
never counts); agents.flag says why an agent is suspected of reward hacking. The lineage tree shows
the flag, so the covering index of the tree's columns (0003) is rebuilt with it: the tree query
stays index-only.

Revision ID: 0005_reward_hacking_flags
Revises: 0004_compressed_texts
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_reward_hacking_flags"
down_revision = "0004_compressed_texts"
branch_labels = None
depends_on = None

# Kept in step with archive_db.schema.AGENT_TREE_COLUMNS; 0003's list plus "flag".
TREE_0003 = ["run_id", "id", "parent_id", "generation", "status", "score", "n_tasks", "n_resolved", "cost_usd",
             "files_changed", "lines_added", "lines_removed", "created_at", "finished_at", "commit", "target_task", "reason"]
TREE = [*TREE_0003, "flag"]


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("flag", sa.Text, nullable=True))
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("tampered", sa.Text, nullable=True))
        batch.add_column(sa.Column("canary", sa.Boolean, nullable=False, server_default=sa.false()))
    op.drop_index("ix_agents_tree", table_name="agents")
    op.create_index("ix_agents_tree", "agents", TREE)


def downgrade() -> None:
    op.drop_index("ix_agents_tree", table_name="agents")
    op.create_index("ix_agents_tree", "agents", TREE_0003)
    # In place (SQLite >= 3.35): recreating the table would trip the foreign keys pointing at it.
    with op.batch_alter_table("evaluations", recreate="never") as batch:
        batch.drop_column("canary")
        batch.drop_column("tampered")
    with op.batch_alter_table("agents", recreate="never") as batch:
        batch.drop_column("flag")
