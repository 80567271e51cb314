"""The dashboard over PostgreSQL-backed runs: a run directory whose database.json names a server
database shows under its run root like any other, and `dgm serve --db-url` lists every run of that
database, live as rows are written, with the same answers as an SQLite run of the same content."""

from __future__ import annotations

from fastapi.testclient import TestClient

from archive_db import Archive
from tests.web.conftest import client, write_run
from web.app import create_app

# What differs between two runs of the same content: times, names, places.
VARYING = ("started", "updated", "last_activity", "version", "created_at", "finished_at", "run_dir", "dir", "name", "commit")


def _same(a, b):
    strip = lambda d: {k: v for k, v in d.items() if k not in VARYING}  # noqa: E731
    return [strip(x) for x in a] == [strip(x) for x in b] if isinstance(a, list) else strip(a) == strip(b)


def test_a_server_backed_run_directory_shows_under_its_run_root(run_root, postgres_url, monkeypatch, postgres_role):
    monkeypatch.setenv("PGPASSWORD", postgres_role["password"])  # database.json holds no password: libpq's way
    write_run(run_root, "lite", [0.5, 1.0], with_code=True)
    write_run(run_root, "pg", [0.5, 1.0], with_code=True, db_url=postgres_url)
    api = client(run_root)
    listed = {r["dir"]: r for r in api.get("/api/runs").json()}
    assert set(listed) == {"lite", "pg"} and listed["pg"]["best_score"] == 1.0
    assert _same(listed["lite"], listed["pg"])
    assert _same(api.get("/api/runs/lite/agents").json(), api.get("/api/runs/pg/agents").json())
    child = api.get("/api/runs/pg/agents").json()[1]["id"]
    diff = api.get(f"/api/runs/pg/agents/{child}/diff").json()
    assert diff["available"] and "+line 1" in diff["diff"]  # the code comes from the run directory's agents.git
    assert api.get(f"/api/runs/pg/agents/{child}/calls").json()[0]["cost_usd"] == 0.25


def test_serve_db_url_lists_the_database_runs_live(tmp_path, postgres_url):
    write_run(tmp_path, "one", [0.5], db_url=postgres_url)
    moved = write_run(tmp_path / "elsewhere", "two", [0.5, 0.0], db_url=postgres_url)
    (moved["dir"] / "database.json").unlink()  # its directory no longer names it: pages show the database only
    api = TestClient(create_app(tmp_path / "unused", None, postgres_url), base_url="http://127.0.0.1:8765")
    runs = {r["dir"]: r for r in api.get("/api/runs").json()}
    assert set(runs) == {"run-1", "run-2"} and runs["run-2"]["agents"] == 2
    assert runs["run-1"]["run_dir"] == str((tmp_path / "one").resolve()) and runs["run-2"]["run_dir"] is None
    agent = api.get("/api/runs/run-1/agents").json()[0]
    page = api.get(f"/api/runs/run-1/agents/{agent['id']}").json()
    assert "--db-url postgresql://" in page["replay_command"] and ":" not in page["replay_command"].split("@")[0][-12:]
    first = api.get("/api/runs/run-2/changes").json()
    assert first["live"] == {"running": False} and first["events"] == []
    # A row written by the run (another process in real life) shows on the next poll.
    archive = Archive(postgres_url)
    archive.add_agent(run_id=2, parent_id=moved["ids"][-1], generation=2, status="running")
    archive.close()
    after = api.get("/api/runs/run-2/changes", params={"since": first["version"]}).json()
    assert after["changed"] and len(api.get("/api/runs/run-2/agents").json()) == 3
    assert api.get("/api/runs/run-3").status_code == 404


def test_dgm_serve_db_url_serves_the_database_and_a_dead_server_is_one_line(tmp_path, postgres_url, postgres_role):
    import os
    import subprocess
    import sys

    import httpx

    write_run(tmp_path, "one", [0.5], db_url=postgres_url)
    bare = postgres_url.replace(f":{postgres_role['password']}@", "@")
    env = {**os.environ, "PGPASSWORD": postgres_role["password"]}
    proc = subprocess.Popen([sys.executable, "-m", "dgm", "serve", "--db-url", bare, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()  # "dgm lineage browser for postgresql://... at http://127.0.0.1:PORT/ ..."
        assert f"for {bare} at http://127.0.0.1:" in line, line + proc.stderr.read() if proc.poll() is not None else line
        url = line.split(" at ")[1].split()[0]
        assert [r["dir"] for r in httpx.get(url + "api/runs", timeout=30).json()] == ["run-1"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    dead = subprocess.run([sys.executable, "-m", "dgm", "serve", "--db-url", "postgresql://nobody@127.0.0.1:9/none", "--port", "0"],
                          capture_output=True, text=True, timeout=60)
    assert dead.returncode == 1 and dead.stderr.startswith("error: cannot read the archive at postgresql://nobody@127.0.0.1:9/none")
    assert dead.stderr.count("\n") == 1
