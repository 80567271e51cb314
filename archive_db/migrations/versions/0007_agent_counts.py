"""what an agent's run reported about its model's tool calls

evaluations.agent_counts is the part of the agent's result.json beyond its status, as JSON: each
tool-call format it recovered (or rejected) and how often, the nudges it sent and the repeated calls
it noticed (dgm.agent_run.AgentOutcome.counts, checked and bounded there). The diagnosis shows it,
so a child can be evolved to read its model better.

Revision ID: 0007_agent_counts
Revises: 0006_search_policies
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_agent_counts"
down_revision = "0006_search_policies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("agent_counts", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("agent_counts")
