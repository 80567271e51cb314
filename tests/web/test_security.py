"""Safe by default: loopback-only without a token, every request checked with one, strict headers,
no write to a run and no file outside a run directory reachable."""

import os
import sqlite3

import pytest

from tests.web.conftest import client, write_run
from web.security import COOKIE, CSP, is_loopback, session_value

TOKEN = "s3cret-token"
EVERY_KIND = ("/", "/runs/a", "/api/runs", "/api/runs/a/agents", "/api/openapi.json", "/static/js/dom.js", "/static/css/app.css")


@pytest.fixture()
def run_dir(run_root):
    return write_run(run_root, "a", [0.2, 0.5], with_code=True)["dir"]


def test_loopback_names():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.4", "example.com", ""))


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "localhost"])
def test_without_a_token_loopback_hosts_are_served(run_root, run_dir, host):
    assert client(run_root).get("/api/runs", headers={"host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "127.0.0.1.evil.example", "192.168.1.4:8765"])
def test_without_a_token_other_hosts_are_refused_against_dns_rebinding(run_root, run_dir, host):
    response = client(run_root).get("/api/runs", headers={"host": host})
    assert response.status_code == 400 and "loopback" in response.text


def test_with_a_token_every_kind_of_request_needs_it(run_root, run_dir):
    api = client(run_root, TOKEN)
    for path in EVERY_KIND:
        assert api.get(path).status_code == 401, path
        assert api.get(path, headers={"authorization": "Bearer wrong"}).status_code == 401, path
        assert api.get(path, params={"token": "wrong"}).status_code == 401, path
        assert api.get(path, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200, path
    refused = api.get("/api/runs")
    assert refused.headers["www-authenticate"] == "Bearer" and "token" in refused.text


def test_with_a_token_any_host_may_ask(run_root, run_dir):
    api = client(run_root, TOKEN)
    assert api.get("/api/runs", headers={"host": "dgm.example:8765", "authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_a_token_in_the_address_becomes_a_cookie_that_is_not_the_token(run_root, run_dir):
    api = client(run_root, TOKEN)
    first = api.get("/runs/a", params={"token": TOKEN})
    assert first.status_code == 200
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={session_value(TOKEN)};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert TOKEN not in cookie
    # The page's own requests then carry only the cookie (the TestClient keeps it like a browser).
    assert api.get("/api/runs/a/agents").status_code == 200
    assert api.get("/static/js/run.js").status_code == 200
    api.cookies.clear()
    api.cookies.set(COOKIE, TOKEN)  # the raw token is not a valid session cookie
    assert api.get("/api/runs").status_code == 401
    # A wrong ?token= beside a right header earns no cookie.
    mixed = api.get("/api/runs", params={"token": "wrong"}, headers={"authorization": f"Bearer {TOKEN}"})
    assert mixed.status_code == 200 and "set-cookie" not in mixed.headers


def test_security_headers_on_every_answer(run_root, run_dir):
    api = client(run_root)
    answers = [api.get(path) for path in EVERY_KIND] + [api.get("/api/runs/nope"), api.get("/runs/nope"),
                                                         api.get("/api/runs", headers={"host": "evil.example"})]
    answers.append(client(run_root, TOKEN).get("/api/runs"))
    for answer in answers:
        assert answer.headers["content-security-policy"] == CSP
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP and "default-src 'none'" in CSP
    assert api.get("/api/runs").headers["cache-control"] == "no-store"


def _files(run_dir):
    return {str(p.relative_to(run_dir)): (p.stat().st_mtime_ns, p.stat().st_size) for p in run_dir.rglob("*") if p.is_file()}


def test_serving_never_writes_to_the_run(run_root, run_dir):
    before = _files(run_dir)
    api = client(run_root)
    agents = api.get("/api/runs/a/agents").json()
    for path in ["/api/runs", "/api/runs/a", "/api/runs/a/charts", "/api/runs/a/changes"] + [
            f"/api/runs/a/agents/{a['id']}{suffix}" for a in agents
            for suffix in ("", "/diff", "/tasks", "/transcript", "/calls", "/code.tar.gz")]:
        assert api.get(path).status_code == 200, path
    # Not even SQLite's own files: no -wal or -shm made, no read mark written (archive_db.reader).
    assert _files(run_dir) == before
    for method in ("post", "put", "delete", "patch"):
        assert getattr(api, method)("/api/runs/a").status_code == 405


def test_the_database_is_opened_read_only(run_root, run_dir):
    api = client(run_root)
    api.get("/api/runs/a")
    reader = api.app.state.run_root.reader(api.app.state.run_root.find(run_dir.name))
    with reader.engine.connect() as conn, pytest.raises(Exception, match="readonly|read-only|query_only"):
        conn.exec_driver_sql("DELETE FROM agents")


def test_files_linked_from_outside_a_run_are_not_served(tmp_path, run_root):
    outside = write_run(tmp_path, "outside", [0.9])["dir"]
    linked = run_root / "linked"
    linked.mkdir()
    os.symlink(outside / "archive.sqlite", linked / "archive.sqlite")
    sneaky = write_run(run_root, "sneaky", [0.1])["dir"]
    (tmp_path / "secret.txt").write_text("not yours")
    os.symlink(tmp_path / "secret.txt", sneaky / "events.jsonl")
    api = client(run_root)
    assert [r["dir"] for r in api.get("/api/runs").json()] == []
    for name in ("linked", "sneaky"):
        assert api.get(f"/api/runs/{name}/changes").status_code == 404


def test_static_files_cannot_leave_their_folder(run_root):
    api = client(run_root)
    for path in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2Fapp.py",
                 "/static/%2e%2e/%2e%2e/archive_db/schema.py"):
        response = api.get(path)
        assert response.status_code == 404 and "create_app" not in response.text, path


def test_tampered_commit_never_reaches_git_as_an_option(run_root, run_dir):
    with sqlite3.connect(run_dir / "archive.sqlite") as db:
        db.execute("UPDATE agents SET `commit` = '--output=/tmp/pwned' WHERE id = 2")
    api = client(run_root)
    assert api.get("/api/runs/a/agents/2/code.tar.gz").status_code == 404
    assert api.get("/api/runs/a/agents/2/diff").json()["available"] is False
    assert not os.path.exists("/tmp/pwned")
