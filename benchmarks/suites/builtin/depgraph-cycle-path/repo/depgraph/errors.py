"""Exceptions raised by depgraph."""


class DepGraphError(Exception):
    """Base class for depgraph errors."""


class UnknownNodeError(DepGraphError, KeyError):
    def __init__(self, node):
        self.node = node
        super().__init__(node)

    def __str__(self):
        return f"unknown node: {self.node!r}"


class CycleError(DepGraphError):
    """The graph cannot be ordered because of a dependency cycle.

    ``nodes`` lists, sorted, every node that could not be ordered: the nodes
    on a cycle and the nodes that depend on them.
    """

    def __init__(self, nodes):
        self.nodes = sorted(nodes)
        super().__init__(f"dependency cycle among: {', '.join(self.nodes)}")
