"""depgraph: dependency graphs and topological sorting."""

from .errors import CycleError, DepGraphError, UnknownNodeError
from .graph import Graph
from .toposort import batches, topo_sort

__all__ = ["CycleError", "DepGraphError", "Graph", "UnknownNodeError", "batches", "topo_sort"]
