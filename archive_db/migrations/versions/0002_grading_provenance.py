"""grading provenance: which task content was graded, the test command's exit code, cache hits

Revision ID: 0002_grading_provenance
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_grading_provenance"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.add_column(sa.Column("task_hash", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("exit_code", sa.Integer, nullable=True))
        batch.add_column(sa.Column("grade_cached", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("grade_cached")
        batch.drop_column("exit_code")
        batch.drop_column("task_hash")
