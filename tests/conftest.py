"""Shared fixtures. Docker-backed fixtures skip when no engine answers, unless DGM_REQUIRE_DOCKER=1
(set by .ci/run), where a missing engine is a failure: CI must never pass by skipping."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from dgm.config import SandboxConfig

# The files that take longest, longest first (a 2-core machine, `--durations`; rough order is enough).
# `-n 2 --dist loadfile` hands files to the workers in collection order, so these start first and the
# many short files fill in at the end, and both workers finish together. xdist's default order (files
# with the most tests first) started these last, leaving one worker alone with several minutes of them.
LONGEST_FIRST = [
    "tests/dgm/test_e2e_demo.py",
    "tests/dgm/test_kill_resume.py",
    "tests/web/test_browser.py",
    "tests/dgm/test_budget.py",
    "tests/dgm/test_e2e_benchmarks.py",
    "tests/dgm/test_interrupt.py",
    "tests/security/test_grader_tamper.py",
    "tests/benchmarks/test_polyglot_grading.py",
    "tests/dgm/test_e2e_canaries.py",
    "tests/dgm/test_endpoint_outage.py",
    "tests/dgm/test_policy_hgm_run.py",
    "tests/dgm/test_ray_run.py",
    "tests/dgm/test_postgres_run.py",
    "tests/dgm/test_ray_kill_resume.py",
    "tests/benchmarks/test_builtin_fidelity.py",
    "tests/dgm/test_policy_baselines_run.py",
    "tests/dgm/test_fault_injection.py",
    "tests/dgm/test_ray_node_loss.py",
    "tests/dgm/test_cli_errors.py",
    "tests/benchmarks/test_swebench_grading.py",
]


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist: keep the order below
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


@pytest.fixture(scope="session", autouse=True)
def session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """DGM_HOME for module and session fixtures (they start before a test's own, below), never the user's
    ~/.dgm: one folder for the test session, which the xdist workers share as one machine's runs share
    theirs, so a demo run reuses an earlier one's suite check as it would on that machine."""
    root = tmp_path_factory.getbasetemp()
    home = (root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root) / "session-dgm-home"
    home.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DGM_HOME", str(home))
        yield home


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
