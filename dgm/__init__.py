"""dgm: a Darwin Gödel Machine.

An open-ended loop that improves a coding agent by letting the agent rewrite its own source:
select parents from the archive, diagnose a failure, let the parent edit its own code in a
sandbox, evaluate the child on coding benchmarks, and file it in the lineage tree.

The parts talk through small Protocols (see ``dgm.protocols``): the loop never knows which
model server, sandbox or archive backend it drives.
"""

from kernel import __version__  # one version for every package

__all__ = ["__version__"]
