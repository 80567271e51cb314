"""Shared fixtures. Docker-backed fixtures skip when no engine answers, unless DGM_REQUIRE_DOCKER=1
(set by .ci/run), where a missing engine is a failure: CI must never pass by skipping."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dgm.config import SandboxConfig


@pytest.fixture(autouse=True)
def _dgm_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DGM_HOME", str(tmp_path_factory.mktemp("dgm-home")))


@pytest.fixture(scope="session")
def docker_client():
    import docker
    from docker.errors import DockerException

    from sandbox.image import default_tag, image_exists

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except DockerException as exc:
        if os.environ.get("DGM_REQUIRE_DOCKER") == "1":
            pytest.fail(f"DGM_REQUIRE_DOCKER=1 but no Docker engine answers: {exc}")
        pytest.skip("no Docker engine (run `dgm setup`)")
    if not image_exists(client, default_tag()):
        if os.environ.get("DGM_REQUIRE_DOCKER") == "1":
            pytest.fail(f"DGM_REQUIRE_DOCKER=1 but the sandbox image {default_tag()} is missing")
        pytest.skip("sandbox image missing (run `dgm setup`)")
    return client


@pytest.fixture(scope="session")
def polyglot_image(docker_client) -> str:
    """The six-toolchain image from `dgm setup --polyglot`: skipped without it, unless required."""
    from sandbox.image import POLYGLOT, image_exists

    if not image_exists(docker_client, POLYGLOT.tag):
        if os.environ.get("DGM_REQUIRE_DOCKER") == "1":
            pytest.fail(f"DGM_REQUIRE_DOCKER=1 but the polyglot image {POLYGLOT.tag} is missing (dgm setup --polyglot)")
        pytest.skip("polyglot image missing (run `dgm setup --polyglot`)")
    return POLYGLOT.tag


@pytest.fixture()
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(agent_timeout_s=180, grade_timeout_s=180, memory="1g")


@pytest.fixture()
def sandbox(docker_client, sandbox_config):
    from sandbox.container import DockerSandbox

    box = DockerSandbox(docker_client, sandbox_config, labels={"dgm.test": "1"})
    yield box
    box.close()


@pytest.fixture()
def fixture_dir() -> Path:
    return Path(__file__).parent / "fixtures"


HOLD_RUN_LOCK = ("import sys, time; from pathlib import Path; from dgm.recovery import RunLock; "
                 "lock = RunLock(Path(sys.argv[1])).acquire(); print('locked', flush=True); time.sleep(600)")


@pytest.fixture()
def run_lock_holder():
    """Start another process that holds a run directory's lock (as a live `dgm run` does); killed after."""
    import subprocess
    import sys

    started = []

    def hold(run_dir: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLD_RUN_LOCK, str(run_dir)], stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="session")
def postgres_role() -> dict[str, str]:
    """A login role (with CREATEDB) on this machine's PostgreSQL server: Debian's postgresql, which
    .ci/run installs and starts. Made through the `postgres` superuser's peer login, one per xdist
    worker. Skips when no server answers, unless DGM_REQUIRE_POSTGRES=1 (set by .ci/run)."""
    import secrets
    import subprocess

    role = f"dgm_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    password = secrets.token_hex(12)
    sql = (f"DO $$ BEGIN CREATE ROLE {role} LOGIN CREATEDB PASSWORD '{password}'; "
           f"EXCEPTION WHEN duplicate_object THEN ALTER ROLE {role} LOGIN CREATEDB PASSWORD '{password}'; END $$;")
    try:
        made = subprocess.run(["runuser", "-u", "postgres", "--", "psql", "-v", "ON_ERROR_STOP=1", "-qc", sql],
                              capture_output=True, text=True, timeout=60)
        problem = made.stderr.strip() if made.returncode else None
    except (OSError, subprocess.TimeoutExpired) as exc:
        problem = str(exc)
    if problem:
        if os.environ.get("DGM_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"DGM_REQUIRE_POSTGRES=1 but no PostgreSQL server takes a role: {problem}")
        pytest.skip("no PostgreSQL server (apt-get install postgresql; pg_ctlcluster 15 main start)")
    return {"user": role, "password": password, "host": "127.0.0.1"}


@pytest.fixture()
def postgres_url(postgres_role: dict[str, str]):
    """A fresh, empty database of its own for one test, dropped afterwards: its URL, password included
    (tests that need the password elsewhere set PGPASSWORD from ``postgres_role``)."""
    import secrets

    import psycopg

    name = f"dgm_{secrets.token_hex(6)}"
    admin = f"host={postgres_role['host']} user={postgres_role['user']} password={postgres_role['password']} dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://{postgres_role['user']}:{postgres_role['password']}@{postgres_role['host']}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
