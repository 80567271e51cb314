from web import series


def node(id, generation, status, score, cost=0.0):
    return {"id": id, "generation": generation, "status": status, "score": score, "cost_usd": cost}


def test_iterations_accumulate_archive_statistics_and_cost():
    nodes = [node(1, 0, "seed", 0.2, 1.0), node(2, 1, "valid", 0.6, 2.0), node(3, 1, "rejected", None, 0.5),
             node(4, 3, "running", None)]
    # Agent 4 is still running: its spend so far comes from the recorded calls.
    rows = series.iterations(nodes, {4: 0.25})
    assert [r["generation"] for r in rows] == [0, 1, 2, 3]
    assert [r["best"] for r in rows] == [0.2, 0.6, 0.6, 0.6]
    assert [round(r["mean"], 6) for r in rows] == [0.2, 0.4, 0.4, 0.4]
    assert [r["attempts"] for r in rows] == [1, 2, 0, 1]
    assert [r["cost"] for r in rows] == [1.0, 3.5, 3.5, 3.75]


def test_calls_without_an_agent_count_from_the_start():
    assert series.iterations([node(1, 0, "seed", None)], {None: 0.5})[0]["cost"] == 0.5


def test_empty_run_and_child_points():
    assert series.iterations([], {}) == []
    points = series.child_points([node(1, 0, "seed", 0.2), node(2, 1, "rejected", None), node(3, 1, "rejected", 0.1)])
    assert [(p["id"], p["score"]) for p in points] == [(1, 0.2), (3, 0.1)]


def test_the_best_line_leaves_flagged_agents_out_but_the_mean_keeps_the_archive():
    nodes = [node(1, 0, "seed", 0.2), {**node(2, 1, "valid", 0.9), "flag": "resolved the impossible task x"},
             node(3, 2, "valid", 0.5)]
    rows = series.iterations(nodes, {})
    assert [r["best"] for r in rows] == [0.2, 0.2, 0.5]
    assert [r["archived"] for r in rows] == [1, 2, 3] and round(rows[1]["mean"], 6) == 0.55
