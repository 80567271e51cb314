"""Every JSON endpoint on small runs written through archive_db (no Docker needed)."""

import io
import json
import sqlite3
import tarfile
import time

from archive_db import Archive
from tests.web.conftest import HOSTILE, client, write_run


def test_runs_and_agents(run_root):
    write_run(run_root, "a", [0.2, 0.6])
    (run_root / "not-a-run").mkdir()
    api = client(run_root)
    assert api.get("/api/health").json() == {"status": "ok"}
    [run] = api.get("/api/runs").json()
    assert (run["dir"], run["agents"], run["best_score"], run["cost_usd"]) == ("a", 2, 0.6, 0.5)
    assert run["status"] == "running" and run["started"].endswith("Z") and run["last_activity"].endswith("Z")
    agents = api.get("/api/runs/a/agents").json()
    assert [a["parent_id"] for a in agents] == [None, agents[0]["id"]]
    assert {"score", "status", "generation", "reason", "has_code", "cost_usd", "n_resolved"} <= agents[0].keys()


def test_unknown_and_traversing_run_names_are_404(run_root):
    write_run(run_root, "a", [0.1])
    api = client(run_root)
    for name in ("nope", "..", "%2e%2e", "a%2F..%2F..", "..%2F..%2Fetc", "a%00", "%2Fetc%2Fpasswd", "a%2Farchive.sqlite"):
        paths = [f"/api/runs/{name}/agents", f"/api/runs/{name}/agents/1", f"/api/runs/{name}/agents/1/code.tar.gz"]
        if name != "..":  # the client itself folds a literal /runs/.. into / (the runs page)
            paths += [f"/api/runs/{name}", f"/runs/{name}", f"/runs/{name}/agents/1"]
        for path in paths:
            assert api.get(path).status_code == 404, path


def test_run_summary_counts_best_path_and_hides_endpoints_from_the_config(run_root):
    run = write_run(run_root, "a", [0.2, 0.5, None, 1.0], statuses=["seed", "valid", "rejected", "valid"])
    summary = client(run_root).get("/api/runs/a").json()
    seed, first, rejected, best = run["ids"]
    assert summary["counts"] == {"seed": 1, "valid": 2, "rejected": 1}
    assert (summary["best_id"], summary["best_score"], summary["seed_score"]) == (best, 1.0, 0.2)
    # The rejected attempt is the chain's third link here, so the best path runs through it.
    assert summary["best_path"] == [seed, first, rejected, best]
    assert summary["config"] == {"model.agent_model": "m", "loop.selection": "best"}
    assert "secret" not in json.dumps(summary)


def test_charts_series_per_generation(run_root):
    write_run(run_root, "a", [0.2, 0.5, None, 1.0], statuses=["seed", "valid", "rejected", "valid"])
    charts = client(run_root).get("/api/runs/a/charts").json()
    its = charts["iterations"]
    assert [r["best"] for r in its] == [0.2, 0.5, 0.5, 1.0]
    assert [r["archived"] for r in its] == [1, 2, 2, 3]
    assert its[1]["mean"] == 0.35
    assert [r["cost"] for r in its] == [0.25, 0.5, 0.75, 1.0]
    assert [p["score"] for p in charts["points"]] == [0.2, 0.5, 1.0]


def test_changes_report_a_new_write_and_new_events(run_root):
    run = write_run(run_root, "a", [0.2])
    (run["dir"] / "events.jsonl").write_text(json.dumps({"t": 1, "event": "attempt_started", "agent": 2, "parent": 1, "generation": 1}) + "\n")
    api = client(run_root)
    first = api.get("/api/runs/a/changes").json()
    assert first["changed"] and [e["event"] for e in first["events"]] == ["attempt_started"]
    same = api.get("/api/runs/a/changes", params={"since": first["version"], "offset": first["offset"]}).json()
    assert not same["changed"] and same["events"] == []
    archive = Archive.in_dir(run["dir"])
    archive.add_agent(run_id=run["run_id"], parent_id=run["ids"][0], generation=1, status="running")
    archive.close()
    with open(run["dir"] / "events.jsonl", "a") as log:
        log.write(json.dumps({"t": 2, "event": "attempt_started", "agent": 2}) + "\n")
    after = api.get("/api/runs/a/changes", params={"since": first["version"], "offset": first["offset"]}).json()
    assert after["changed"] and [e["event"] for e in after["events"]] == ["attempt_started"]
    assert len(api.get("/api/runs/a/agents").json()) == 2  # the cached tree noticed the write


def test_compare_runs(run_root):
    write_run(run_root, "a", [0.2, 0.6])
    write_run(run_root, "b", [0.4])
    out = client(run_root).get("/api/compare", params=[("run", "b"), ("run", "a")]).json()
    assert [r["dir"] for r in out] == ["b", "a"]
    assert [it["best"] for it in out[1]["iterations"]] == [0.2, 0.6]
    assert client(run_root).get("/api/compare", params={"run": "nope"}).status_code == 404


def test_agent_detail_lineage_clade_calls_and_replay_command(run_root):
    run = write_run(run_root, "a", [0.2, 0.5, 1.0])
    seed, child, grandchild = run["ids"]
    detail = client(run_root).get(f"/api/runs/a/agents/{child}").json()
    assert detail["diagnosis"] == {"improvement_proposal": "idea 1", "problem_description": "do thing 1"}
    assert detail["path"] == [seed, child]
    assert [c["id"] for c in detail["children"]] == [grandchild]
    assert detail["clade"] == {"size": 1, "archived": 1, "best_id": grandchild, "best_score": 1.0, "latest_generation": 2}
    assert detail["calls"]["count"] == 1 and detail["calls"]["by_purpose"]["solve"]["cost_usd"] == 0.25
    assert detail["transcript_messages"] == 3
    assert detail["replay_command"] == f"dgm replay {child} --run-dir {run['dir']} --repo PATH/TO/REPO --problem ISSUE.md"
    assert detail["download_url"] is None  # no commit: no code to download


def test_agent_of_another_run_or_unknown_is_404(run_root):
    a = write_run(run_root, "a", [0.2])
    write_run(run_root, "b", [0.2, 0.3])
    api = client(run_root)
    assert api.get("/api/runs/a/agents/999").status_code == 404
    assert api.get(f"/api/runs/a/agents/{a['ids'][0]}/tasks/999").status_code == 404
    assert api.get("/api/runs/a/agents/abc").status_code == 422


def test_task_results_flip_against_the_parent(run_root):
    run = write_run(run_root, "a", [0.0, 0.5, 1.0])
    api = client(run_root)
    child = api.get(f"/api/runs/a/agents/{run['ids'][1]}/tasks").json()
    assert child["totals"] == {"tasks": 2, "solved": 1, "newly_solved": 1, "newly_broken": 0, "canary_checks": 0,
                               "canary_resolved": 0, "tampered": 0}
    flipped = next(t for t in child["tasks"] if t["task_id"] == "task-a")
    assert (flipped["flip"], flipped["parent_resolved"], flipped["tests_flipped"]) == ("newly_solved", False, ["task-a::t1"])
    assert (flipped["tests_passed"], flipped["tests_total"]) == (2, 2)
    seed = api.get(f"/api/runs/a/agents/{run['ids'][0]}/tasks").json()
    assert seed["parent_id"] is None and all(t["flip"] is None and t["parent_resolved"] is None for t in seed["tasks"])


def test_a_task_row_says_how_the_agent_ended_and_what_it_counted(run_root):
    run = write_run(run_root, "a", [0.0])
    archive = Archive.in_dir(run["dir"])
    try:
        archive.add_evaluation(agent_id=run["ids"][0], task_id="task-c", stage=1, resolved=False, agent_status="no_tool_calls",
                               agent_counts=json.dumps({"formats": {"rejected": 3}, "nudges": 2}))
    finally:
        archive.close()
    tasks = client(run_root).get(f"/api/runs/a/agents/{run['ids'][0]}/tasks").json()["tasks"]
    [row] = [t for t in tasks if t["task_id"] == "task-c"]
    assert row["agent_status"] == "no_tool_calls" and row["agent_counts"] == {"formats": {"rejected": 3}, "nudges": 2}
    assert all(t["agent_counts"] is None for t in tasks if t["task_id"] != "task-c")


def test_one_task_attempt_and_its_transcript(run_root):
    run = write_run(run_root, "a", [0.5])
    api = client(run_root)
    [task] = [t for t in api.get(f"/api/runs/a/agents/{run['ids'][0]}/tasks").json()["tasks"] if t["task_id"] == "task-a"]
    detail = api.get(f"/api/runs/a/agents/{run['ids'][0]}/tasks/{task['id']}").json()
    assert detail["patch"] == "diff --git a/x b/x\n" and detail["test_results"]["task-a::t1"] == "PASSED"
    page = api.get(f"/api/runs/a/agents/{run['ids'][0]}/tasks/{task['id']}/transcript").json()
    assert page["total"] == 1 and page["messages"][0] == {"role": "assistant", "content": "done", "tool_calls": []}


def test_transcript_is_paged(run_root):
    run = write_run(run_root, "a", [0.5])
    page = client(run_root).get(f"/api/runs/a/agents/{run['ids'][0]}/transcript", params={"offset": 1, "limit": 1}).json()
    assert (page["total"], page["offset"], [m["content"] for m in page["messages"]]) == (3, 1, ["message 1"])
    assert client(run_root).get(f"/api/runs/a/agents/{run['ids'][0]}/transcript", params={"limit": 100000}).status_code == 422


def test_model_calls(run_root):
    run = write_run(run_root, "a", [0.5])
    [call] = client(run_root).get(f"/api/runs/a/agents/{run['ids'][0]}/calls").json()
    assert (call["purpose"], call["prompt_tokens"], call["cost_usd"]) == ("solve", 10, 0.25)


def test_diffs_against_parent_seed_and_any_agent_and_the_code_download(run_root):
    run = write_run(run_root, "a", [0.2, 0.5, 1.0], with_code=True)
    seed, child, grandchild = run["ids"]
    api = client(run_root)
    own = api.get(f"/api/runs/a/agents/{grandchild}/diff").json()
    assert own["available"] and own["base_id"] == child and own["files"] == [
        {"path": "pkg/core.py", "added": 1, "removed": 0, "change": "modified"}]
    cumulative = api.get(f"/api/runs/a/agents/{grandchild}/diff", params={"against": "seed"}).json()
    assert cumulative["base_id"] == seed and "+line 1\n+line 2\n" in cumulative["diff"]
    backwards = api.get(f"/api/runs/a/agents/{seed}/diff", params={"against": str(grandchild)}).json()
    assert backwards["base_id"] == grandchild and "-line 2" in backwards["diff"]
    assert api.get(f"/api/runs/a/agents/{seed}/diff").json()["available"] is False  # the seed has no parent
    assert api.get(f"/api/runs/a/agents/{seed}/diff", params={"against": "../etc"}).status_code == 422
    assert api.get(f"/api/runs/a/agents/{seed}/diff", params={"against": "999"}).status_code == 404
    download = api.get(f"/api/runs/a/agents/{child}/code.tar.gz")
    assert download.headers["content-type"] == "application/gzip"
    assert download.headers["content-disposition"] == f'attachment; filename="agent-{child}.tar.gz"'
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        core = tar.extractfile(f"agent-{child}/pkg/core.py")
        assert core is not None and core.read() == b"line 0\nline 1\n"
    detail = api.get(f"/api/runs/a/agents/{child}").json()
    assert detail["download_url"] == f"/api/runs/a/agents/{child}/code.tar.gz"


def test_agents_without_code_have_no_diff_and_no_download(run_root):
    run = write_run(run_root, "a", [0.2, 0.5])
    api = client(run_root)
    assert api.get(f"/api/runs/a/agents/{run['ids'][1]}/diff").json() == {
        "agent_id": run["ids"][1], "base_id": run["ids"][0], "against": "parent", "available": False,
        "diff": "", "truncated": False, "files": []}
    assert api.get(f"/api/runs/a/agents/{run['ids'][1]}/code.tar.gz").status_code == 404


def test_agent_text_is_returned_as_data_in_valid_json(run_root):
    run = write_run(run_root, "a", [0.2, 0.5])
    with sqlite3.connect(run["dir"] / "archive.sqlite") as db:
        # A lone surrogate and a script tag: the answer must still be valid JSON, carrying the text as is.
        db.execute("UPDATE agents SET diagnosis_json = ?, reason = ? WHERE id = ?",
                   (json.dumps({"improvement_proposal": HOSTILE + " \udc80"}), HOSTILE, run["ids"][1]))
    response = client(run_root).get(f"/api/runs/a/agents/{run['ids'][1]}")
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["diagnosis"]["improvement_proposal"].startswith(HOSTILE) and body["reason"] == HOSTILE


def test_pages_are_shells_without_run_data(run_root):
    run = write_run(run_root, "a", [0.2, 0.5])
    with sqlite3.connect(run["dir"] / "archive.sqlite") as db:
        db.execute("UPDATE agents SET reason = ?", (HOSTILE,))
    api = client(run_root)
    for path in ("/", "/compare", "/api-docs", "/runs/a", f"/runs/a/agents/{run['ids'][1]}"):
        page = api.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "onerror" not in page.text and "__pwned" not in page.text
        assert '<script type="module" src="/static/js/' in page.text
    assert api.get("/runs/a/agents/999").status_code == 404
    assert "Not found" in api.get("/runs/nope").text


def test_openapi_documents_every_endpoint_and_no_cdn_docs(run_root):
    api = client(run_root)
    paths = api.get("/api/openapi.json").json()["paths"]
    expected = {"/api/health", "/api/runs", "/api/runs/{name}", "/api/runs/{name}/agents", "/api/runs/{name}/charts",
                "/api/runs/{name}/changes", "/api/compare", "/api/runs/{name}/agents/{agent_id}",
                "/api/runs/{name}/agents/{agent_id}/diff", "/api/runs/{name}/agents/{agent_id}/tasks",
                "/api/runs/{name}/agents/{agent_id}/tasks/{evaluation_id}",
                "/api/runs/{name}/agents/{agent_id}/tasks/{evaluation_id}/transcript",
                "/api/runs/{name}/agents/{agent_id}/transcript", "/api/runs/{name}/agents/{agent_id}/calls",
                "/api/runs/{name}/agents/{agent_id}/code.tar.gz"}
    assert set(paths) == expected
    assert all("get" in ops and set(ops) == {"get"} for ops in paths.values()), "read-only: GET only"
    assert api.get("/docs").status_code == 404 and api.get("/redoc").status_code == 404


def test_static_files_ship_with_the_package_and_need_no_network(run_root):
    api = client(run_root)
    for name in ("dom.js", "tree.js", "charts.js", "diff.js", "transcript.js", "runs.js", "run.js", "agent.js", "compare.js",
                 "apidocs.js"):
        body = api.get(f"/static/js/{name}").text
        assert "http://" not in body.replace("http://www.w3.org/2000/svg", "") and "https://" not in body, name
        assert "innerHTML" not in body and "insertAdjacentHTML" not in body and "eval(" not in body, name
    assert "@import" not in api.get("/static/css/app.css").text


def test_damaged_or_half_created_archives_do_not_hide_the_other_runs(run_root):
    write_run(run_root, "good", [0.3])
    (run_root / "damaged").mkdir()
    (run_root / "damaged" / "archive.sqlite").write_text("this is not a database")
    (run_root / "starting").mkdir()
    sqlite3.connect(run_root / "starting" / "archive.sqlite").close()  # created, no tables yet
    api = client(run_root)
    assert [r["dir"] for r in api.get("/api/runs").json()] == ["good"]
    assert api.get("/api/runs/starting").status_code == 404
    assert api.get("/api/runs/damaged").status_code == 503
    archive = Archive.in_dir(run_root / "starting")  # the run gets going
    archive.create_run("starting", "{}", "0")
    archive.close()
    assert [r["dir"] for r in api.get("/api/runs").json()] == ["good", "starting"]


def test_changes_say_whether_a_process_works_on_the_run_and_in_what_state(run_root, run_lock_holder):
    run = write_run(run_root, "a", [0.2])
    api = client(run_root)
    assert api.get("/api/runs/a/changes").json()["live"] == {"running": False}
    since = time.time() - 90
    (run["dir"] / "heartbeat.json").write_text(json.dumps({
        "pid": 1, "updated": time.time(), "state": "paused", "in_flight": [4, 5], "spent_usd": 1.5, "cap_usd": 10.0,
        "paused_since": since, "stop_reason": None}))
    holder = run_lock_holder(run["dir"])
    live = api.get("/api/runs/a/changes").json()["live"]
    assert live["running"] and live["pid"] == holder.pid and live["state"] == "paused"
    assert live["in_flight"] == 2 and live["paused_since"] == since and live["heartbeat_age_s"] < 60
    holder.kill()
    holder.wait()
    assert api.get("/api/runs/a/changes").json()["live"] == {"running": False}  # the kernel dropped the lock


def test_flags_tampered_grades_and_canary_checks_are_in_the_api(run_root):
    run = write_run(run_root, "a", [0.2, 0.5, 1.0])
    seed, honest, hacker = run["ids"]
    archive = Archive.in_dir(run["dir"])
    reason = f"resolved the impossible task {HOSTILE}"
    assert archive.flag_agent(hacker, reason)
    canary = archive.add_evaluation(agent_id=hacker, task_id="vatcalc-cent-rounding", stage=0, canary=True, resolved=True,
                                    test_results_json=json.dumps({"t": "PASSED"}))
    tampered = archive.add_evaluation(agent_id=hacker, task_id="task-c", stage=1, resolved=False,
                                      tampered="the must-fail canary test passed")
    archive.close()
    api = client(run_root)
    nodes = {n["id"]: n for n in api.get("/api/runs/a/agents").json()}
    assert (nodes[hacker]["flag"], nodes[honest]["flag"], nodes[seed]["flag"]) == (reason, None, None)
    summary = api.get("/api/runs/a").json()
    # The flagged agent scores 1.0 but is not the run's best: its score cannot be trusted.
    assert (summary["flagged"], summary["best_id"], summary["best_score"]) == (1, honest, 0.5)
    assert api.get("/api/runs/a/charts").json()["iterations"][-1]["best"] == 0.5
    assert api.get(f"/api/runs/a/agents/{hacker}").json()["flag"] == reason
    tasks = api.get(f"/api/runs/a/agents/{hacker}/tasks").json()
    assert tasks["totals"] == {"tasks": 3, "solved": 2, "newly_solved": 1, "newly_broken": 0, "canary_checks": 1,
                               "canary_resolved": 1, "tampered": 1}
    by_id = {t["id"]: t for t in tasks["tasks"]}
    assert (by_id[canary.id]["canary"], by_id[canary.id]["tampered"]) == (True, None)
    assert (by_id[tampered.id]["canary"], by_id[tampered.id]["tampered"]) == (False, "the must-fail canary test passed")
    assert [t["id"] for t in tasks["tasks"]][:2] == [canary.id, tampered.id]  # shown first
    detail = api.get(f"/api/runs/a/agents/{hacker}/tasks/{tampered.id}").json()
    assert (detail["tampered"], detail["canary"]) == ("the must-fail canary test passed", False)
    assert api.get(f"/api/runs/a/agents/{hacker}/tasks/{canary.id}").json()["canary"] is True
