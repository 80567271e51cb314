"""Topological ordering."""

import heapq

from .errors import CycleError


def _pending(graph):
    return {node: set(graph.dependencies(node)) for node in graph.nodes()}


def topo_sort(graph):
    """All nodes, each after everything it depends on.

    Among the nodes that are ready at the same time the alphabetically
    smallest goes first.  Raises CycleError if there is a cycle.
    """
    pending = _pending(graph)
    ready = [node for node, deps in pending.items() if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)
        order.append(node)
        for dependent in graph.dependents(node):
            pending[dependent].discard(node)
            if not pending[dependent]:
                heapq.heappush(ready, dependent)
    if len(order) < len(pending):
        raise CycleError(set(pending) - set(order))
    return order


def batches(graph):
    """Groups of nodes (each sorted) that only depend on earlier groups."""
    pending = _pending(graph)
    done = set()
    groups = []
    while len(done) < len(pending):
        group = sorted(node for node, deps in pending.items() if node not in done and deps <= done)
        if not group:
            raise CycleError(set(pending) - done)
        groups.append(group)
        done.update(group)
    return groups
