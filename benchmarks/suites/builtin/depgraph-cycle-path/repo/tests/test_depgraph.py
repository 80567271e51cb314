import pytest

from depgraph import CycleError, Graph, UnknownNodeError, batches, topo_sort


def build():
    return Graph.from_dict({"app": ["db", "web"], "web": ["http"], "db": [], "http": []})


def test_topo_sort_puts_dependencies_first():
    assert topo_sort(build()) == ["db", "http", "web", "app"]


def test_ties_are_broken_alphabetically():
    g = Graph()
    for node in ["zeta", "alpha", "mid"]:
        g.add(node)
    assert topo_sort(g) == ["alpha", "mid", "zeta"]


def test_batches():
    assert batches(build()) == [["db", "http"], ["web"], ["app"]]
    assert batches(Graph()) == []


def test_dependencies_are_added_as_nodes():
    g = Graph()
    g.add("a", depends_on=["b"])
    assert g.nodes() == ["a", "b"]
    assert g.dependencies("a") == ["b"]
    assert g.dependents("b") == ["a"]


def test_remove_node():
    g = build()
    g.remove("web")
    assert "web" not in g
    assert g.dependencies("app") == ["db"]
    with pytest.raises(UnknownNodeError):
        g.remove("web")


def test_cycle_raises():
    g = Graph.from_dict({"a": ["b"], "b": ["a"], "c": []})
    with pytest.raises(CycleError) as excinfo:
        topo_sort(g)
    assert excinfo.value.nodes == ["a", "b"]
    with pytest.raises(CycleError):
        batches(g)


def test_unknown_node_errors():
    with pytest.raises(UnknownNodeError) as excinfo:
        Graph().dependencies("ghost")
    assert str(excinfo.value) == "unknown node: 'ghost'"
