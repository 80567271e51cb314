"""The Graph type."""

from .errors import UnknownNodeError


class Graph:
    """Nodes and "depends on" edges between them."""

    def __init__(self):
        self._deps = {}  # node -> set of the nodes it depends on

    @classmethod
    def from_dict(cls, mapping):
        graph = cls()
        for node, deps in mapping.items():
            graph.add(node, depends_on=deps)
        return graph

    def add(self, node, depends_on=()):
        """Add *node* (if new) and an edge to each of its dependencies."""
        deps = self._deps.setdefault(node, set())
        for dep in depends_on:
            deps.add(dep)
            self._deps.setdefault(dep, set())

    def remove(self, node):
        """Remove *node* and every edge to or from it."""
        self._check(node)
        del self._deps[node]
        for deps in self._deps.values():
            deps.discard(node)

    def _check(self, node):
        if node not in self._deps:
            raise UnknownNodeError(node)

    def __contains__(self, node):
        return node in self._deps

    def __len__(self):
        return len(self._deps)

    def nodes(self):
        return sorted(self._deps)

    def dependencies(self, node):
        """What *node* depends on, sorted."""
        self._check(node)
        return sorted(self._deps[node])

    def dependents(self, node):
        """The nodes that depend on *node*, sorted."""
        self._check(node)
        return sorted(other for other, deps in self._deps.items() if node in deps)
