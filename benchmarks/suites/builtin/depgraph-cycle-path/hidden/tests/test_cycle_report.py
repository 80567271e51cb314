import pytest

from depgraph import CycleError, Graph, batches, topo_sort


def chain_with_cycle():
    # app -> a -> b -> c -> a, plus an unrelated acyclic part.
    return Graph.from_dict({
        "app": ["a", "log"],
        "a": ["b"],
        "b": ["c"],
        "c": ["a", "log"],
        "log": [],
    })


def test_cycle_error_reports_the_cycle():
    with pytest.raises(CycleError) as excinfo:
        topo_sort(chain_with_cycle())
    assert excinfo.value.cycle == ["a", "b", "c", "a"]


def test_cycle_error_message_shows_the_path():
    with pytest.raises(CycleError) as excinfo:
        topo_sort(chain_with_cycle())
    assert str(excinfo.value) == "dependency cycle: a -> b -> c -> a"


def test_cycle_error_still_lists_all_unordered_nodes():
    with pytest.raises(CycleError) as excinfo:
        topo_sort(chain_with_cycle())
    assert excinfo.value.nodes == ["a", "app", "b", "c"]


def test_batches_reports_the_cycle_too():
    with pytest.raises(CycleError) as excinfo:
        batches(chain_with_cycle())
    assert excinfo.value.cycle == ["a", "b", "c", "a"]
    assert excinfo.value.nodes == ["a", "app", "b", "c"]


def test_self_dependency():
    g = Graph.from_dict({"x": ["x"], "y": ["x"]})
    with pytest.raises(CycleError) as excinfo:
        topo_sort(g)
    assert excinfo.value.cycle == ["x", "x"]
    assert str(excinfo.value) == "dependency cycle: x -> x"


def test_cycle_starts_at_its_smallest_node():
    g = Graph.from_dict({"zeta": ["mid"], "mid": ["beta"], "beta": ["zeta"], "alpha": ["zeta"]})
    with pytest.raises(CycleError) as excinfo:
        topo_sort(g)
    assert excinfo.value.cycle == ["beta", "zeta", "mid", "beta"]
    assert str(excinfo.value) == "dependency cycle: beta -> zeta -> mid -> beta"


def test_several_cycles_report_the_one_with_the_smallest_node():
    g = Graph.from_dict({"d": ["e"], "e": ["d"], "c": ["b"], "b": ["c"], "a": ["d"]})
    with pytest.raises(CycleError) as excinfo:
        topo_sort(g)
    assert excinfo.value.cycle == ["b", "c", "b"]


def test_find_cycle():
    assert chain_with_cycle().find_cycle() == ["a", "b", "c", "a"]
    acyclic = Graph.from_dict({"app": ["db", "web"], "web": ["db"]})
    assert acyclic.find_cycle() is None
    assert Graph().find_cycle() is None


def test_acyclic_graph_still_sorts():
    g = Graph.from_dict({"app": ["a", "log"], "a": ["b"], "b": ["c"], "c": ["log"]})
    assert topo_sort(g) == ["log", "c", "b", "a", "app"]
    assert batches(g) == [["log"], ["c"], ["b"], ["a"], ["app"]]
