"""The run's agents repository lives in ``archive_db.agents_repo`` (it is part of a run's archive, and
the dashboard reads it); dgm adds the one thing only dgm knows: where the seed agent's code is."""

from __future__ import annotations

from pathlib import Path

from archive_db.agents_repo import AgentRepo as _ArchiveAgentRepo

SEED_DIR = Path(__file__).parent / "seed_agent"


def add_seed(repo: _ArchiveAgentRepo, seed_dir: Path = SEED_DIR) -> str:
    """Commit the seed agent's code as the root of the lineage tree."""
    return repo.commit_tree(seed_dir, None, "seed agent")


class AgentRepo(_ArchiveAgentRepo):
    """archive_db's AgentRepo (what readers open) plus ``add_seed()``, which only dgm can do."""

    def add_seed(self, seed_dir: Path = SEED_DIR) -> str:
        return add_seed(self, seed_dir)


__all__ = ["SEED_DIR", "AgentRepo", "add_seed"]
