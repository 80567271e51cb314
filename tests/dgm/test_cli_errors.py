"""Bad input: one clear line on stderr and a non-zero exit, never a traceback."""

import os
import socket
import subprocess
import sys

from archive_db import Archive


def dgm(*args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dgm", *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **(env or {})}, cwd=cwd)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode != 0, proc.stdout
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_docker_engine(tmp_path):
    line = one_error_line(dgm("cleanup", env={"DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}))
    assert line.startswith("error: no Docker engine answers") and "dgm setup" in line


def test_unknown_agent_id(tmp_path):
    archive = Archive.in_dir(tmp_path)
    run = archive.create_run("r", "{}", "0")
    archive.add_agent(run_id=run.id, parent_id=None, generation=0, status="seed", commit="0" * 40)
    archive.close()
    assert one_error_line(dgm("diff", "1", "42", "--run-dir", str(tmp_path))) == "error: no agent with id 42"
    assert "error: no agent with id 7" == one_error_line(dgm("replay", "7", "--repo", str(tmp_path), "--problem",
                                                           str(tmp_path / "archive.sqlite"), "--run-dir", str(tmp_path)))


def test_not_a_run_directory(tmp_path):
    assert "holds no dgm run" in one_error_line(dgm("status", "--run-dir", str(tmp_path)))


def test_malformed_config(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[loop]\nworkers = 'two'\n")
    line = one_error_line(dgm("run", "--config", str(bad), "--run-dir", str(tmp_path / "r")))
    assert line.startswith(f"error: {bad}: loop.workers:")


def test_unreachable_model_endpoint(tmp_path):
    url = f"http://127.0.0.1:{_free_port()}/v1"
    line = one_error_line(dgm("run", "--base-url", url, "--run-dir", str(tmp_path / "r")))
    assert line.startswith(f"error: model endpoint {url} is unreachable")
    assert not (tmp_path / "r" / "archive.sqlite").exists()  # nothing half-created


def test_task_folder_missing_its_tests(tmp_path):
    task = tmp_path / "tasks" / "t1"
    (task / "repo").mkdir(parents=True)
    (task / "problem.md").write_text("x")
    (task / "task.toml").write_text('test_command = "pytest"\nfail_to_pass = ["t::x"]\n')
    line = one_error_line(dgm("run", "--benchmark-path", str(tmp_path / "tasks"), "--run-dir", str(tmp_path / "r")))
    assert "missing its hidden tests" in line


def test_bad_flag_values(tmp_path):
    line = one_error_line(dgm("run", "--stage-sizes", "3,x", "--run-dir", str(tmp_path / "r")))
    assert "comma-separated integers" in line
    assert "loop.selection" in one_error_line(dgm("run", "--selection", "greedy", "--run-dir", str(tmp_path / "r")))


def test_usage_errors_are_short_and_exit_2(tmp_path):
    # Whatever click typer brings (its own vendored copy in newer releases), no traceback.
    for args, expected in ((["run", "--no-such-flag"], "No such option"), (["diff", "1"], "Missing argument")):
        proc = dgm(*args)
        assert proc.returncode == 2 and expected in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_a_non_positive_cost_cap_is_refused(tmp_path):
    assert "budget.max_cost_usd" in one_error_line(dgm("run", "--max-cost", "0", "--run-dir", str(tmp_path / "r")))


def test_a_malformed_wall_time_budget(tmp_path):
    line = one_error_line(dgm("run", "--demo", "--run-dir", str(tmp_path / "r"), "--max-time", "5 weeks"))
    assert line == "error: expected a duration like 90m, 12h or 3d, got '5 weeks'"


def test_a_run_directory_another_process_works_on(tmp_path, run_lock_holder):
    holder = run_lock_holder(tmp_path)
    line = one_error_line(dgm("run", "--demo", "--run-dir", str(tmp_path), "--resume"))
    assert line == f"error: {tmp_path} is in use by a running dgm (pid {holder.pid}); stop it first"


def test_image_flags_need_images():
    assert one_error_line(dgm("cleanup", "--dry-run")) == "error: --older-than-days and --dry-run go with --images"
