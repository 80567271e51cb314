from web import lineage


def node(id, parent, status="valid", score=0.5, generation=0):
    return {"id": id, "parent_id": parent, "status": status, "score": score, "generation": generation}


NODES = [node(1, None, "seed", 0.2), node(2, 1, "valid", 0.6, 1), node(3, 1, "rejected", None, 1),
         node(4, 2, "valid", 0.9, 2), node(5, 2, "valid", 0.9, 2), node(6, 4, "failed", None, 3)]


def test_best_agent_is_archived_and_earliest_on_a_tie():
    assert lineage.best_agent(NODES)["id"] == 4
    assert lineage.best_agent([node(1, None, "rejected", 1.0)]) is None  # a rejected agent is not in the archive


def test_path_to_root_and_a_cycle_does_not_hang():
    by_id = {n["id"]: n for n in NODES}
    assert lineage.path_to_root(by_id, 6) == [1, 2, 4, 6]
    looped = {1: node(1, 2), 2: node(2, 1)}
    assert lineage.path_to_root(looped, 1) == [2, 1]


def test_descendants_and_clade():
    assert lineage.descendants(lineage.children_map(NODES), 2) == [4, 5, 6]
    assert lineage.clade(NODES, 2) == {"size": 3, "archived": 2, "best_id": 4, "best_score": 0.9, "latest_generation": 3}
    assert lineage.clade(NODES, 6) == {"size": 0, "archived": 0, "best_id": None, "best_score": None, "latest_generation": None}


def test_a_deep_chain_needs_no_recursion():
    chain = [node(1, None, "seed")] + [node(i, i - 1, generation=i) for i in range(2, 20001)]
    assert len(lineage.descendants(lineage.children_map(chain), 1)) == 19999
    assert len(lineage.path_to_root({n["id"]: n for n in chain}, 20000)) == 20000


def test_a_flagged_agent_is_never_the_best():
    flagged = [*NODES[:3], {**NODES[3], "flag": "resolved the impossible task x"}, {**NODES[4], "flag": "tampered"}, NODES[5]]
    assert lineage.best_agent(flagged)["id"] == 2
    assert lineage.best_agent([{**NODES[0], "flag": "x"}]) is None
    assert lineage.clade(flagged, 1)["best_id"] == 2
