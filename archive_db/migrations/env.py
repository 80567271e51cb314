"""Alembic environment: always called programmatically by archive_db.migrate with a live connection."""

from alembic import context

from archive_db.schema import Base

connection = context.config.attributes["connection"]
# render_as_batch lets the same migrations ALTER tables on SQLite (which lacks most ALTERs).
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
