"""archive_db stores: runs, agents (the lineage tree), per-task evaluations, model calls and the
search policy's decisions.

SQLite by default (one file per run directory) through SQLAlchemy 2; the schema is created and
upgraded only by Alembic migrations. Storage never decides: selection lives in ``dgm.selection``.
"""

from archive_db.schema import Agent, Decision, Evaluation, ModelCall, Run
from archive_db.store import Archive

__all__ = ["Agent", "Archive", "Decision", "Evaluation", "ModelCall", "Run"]
