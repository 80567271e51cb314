"""compressed texts: the lengths of transcripts and patches in their own columns

From this revision on, transcripts, patches and test output longer than 1 KB are stored compressed
(archive_db.compressed), so SQL's length() no longer measures them: the dashboard reads these columns
instead. Rows already there are plain text, so SQL measures them here. The downgrade turns compressed
values back into plain text, which older code expects.

Revision ID: 0004_compressed_texts
Revises: 0003_dashboard_indexes
"""

import sqlalchemy as sa
from alembic import op

from archive_db.compressed import MARKER, decode

revision = "0004_compressed_texts"
down_revision = "0003_dashboard_indexes"
branch_labels = None
depends_on = None

# table -> the compressed columns; the measured ones are named in MEASURED.
COMPRESSED = {"agents": ("transcript_json",), "evaluations": ("patch", "test_output", "transcript_json")}
MEASURED = {"agents": {"transcript_chars": "transcript_json"},
            "evaluations": {"patch_chars": "patch", "transcript_chars": "transcript_json"}}


def upgrade() -> None:
    bind = op.get_bind()
    length = sa.func.char_length if bind.dialect.name == "mysql" else sa.func.length  # characters, not bytes
    for table, measured in MEASURED.items():
        with op.batch_alter_table(table) as batch:
            for column in measured:
                batch.add_column(sa.Column(column, sa.Integer, nullable=False, server_default="0"))
        t = sa.table(table, *(sa.column(c) for c in (*measured, *measured.values())))
        op.execute(t.update().values({c: sa.func.coalesce(length(t.c[text]), 0) for c, text in measured.items()}))


def downgrade() -> None:
    bind = op.get_bind()
    for table, columns in COMPRESSED.items():
        t = sa.table(table, sa.column("id"), *(sa.column(c, sa.Text) for c in columns))
        for column in columns:
            rows = bind.execute(sa.select(t.c.id, t.c[column]).where(t.c[column].startswith(MARKER, autoescape=True))).all()
            for row_id, stored in rows:
                bind.execute(t.update().where(t.c.id == row_id).values({column: decode(stored)}))
    for table, measured in MEASURED.items():
        # In place (SQLite >= 3.35): recreating the table would trip the foreign keys pointing at it.
        with op.batch_alter_table(table, recreate="never") as batch:
            for column in measured:
                batch.drop_column(column)
