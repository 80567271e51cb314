"""Several trusted steps in one container (sandbox/steps.py): each sees only its own files, runs as the
sandbox user with no capabilities, gets its own time limit and output, and nothing the step before it
left; the container is removed afterwards."""

import io
import json
import tarfile
from pathlib import Path

import pytest

from sandbox.container import LOG_TAIL_LINES
from sandbox.steps import Step, read_results, steps_archive


def _tree(top: str, text: str, mode: int = 0o1777) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        folder = tarfile.TarInfo(top)
        folder.type, folder.mode = tarfile.DIRTYPE, mode
        tar.addfile(folder)
        data = text.encode()
        info = tarfile.TarInfo(f"{top}/a.txt")
        info.size, info.mode = len(data), 0o644
        tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo(f"{top}/b.txt")
        link.type, link.linkname = tarfile.LNKTYPE, f"{top}/a.txt"
        tar.addfile(link)
    return buf.getvalue()


def _bash(script: str, archive: bytes, timeout_s: float = 60) -> Step:
    return Step(["bash", "-c", script], archive, timeout_s)


def test_steps_archive_puts_each_step_under_its_own_root_only_folder():
    archive = steps_archive([_bash("true", _tree("repo", "one")), _bash("true", _tree("repo", "two"))])
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert tar.extractfile(members["dgm-steps/1/repo/a.txt"]).read() == b"two"
        assert members["dgm-steps/0/repo/b.txt"].linkname == "dgm-steps/0/repo/a.txt"  # hard links follow
    assert {members[n].mode for n in ("dgm-steps", "dgm-steps/out", "dgm-steps/0", "dgm-steps/1")} == {0o700}
    assert members["dgm-steps/0/repo"].mode == 0o1777


def test_results_of_steps_never_reached_are_none(tmp_path: Path):
    (tmp_path / "results.json").write_text(json.dumps([{"exit_code": 3, "timed_out": False, "duration_s": 1.5,
                                                        "error": None}]))
    (tmp_path / "0.log").write_bytes(b"out \xff")
    first, second = read_results(tmp_path, 2)
    assert first == {"exit_code": 3, "timed_out": False, "duration_s": 1.5, "error": None, "output": "out \ufffd"}
    assert second is None
    (tmp_path / "results.json").write_text("{not json")
    assert read_results(tmp_path, 1) == [None]


@pytest.mark.docker
def test_each_step_sees_its_own_files_and_nothing_the_last_one_left(sandbox, docker_client):
    probe = ("id -u; grep CapEff /proc/self/status; cat /repo/a.txt; echo; ls /tmp; ls /dgm-steps; "
             "pgrep -c sleep; (sleep 300 &); echo left > /tmp/left; mkdir -p /tmp/ro/sub; chmod 555 /tmp/ro; exit 3")
    results = sandbox.run_steps([_bash(probe, _tree("repo", "one")), _bash(probe, _tree("repo", "two"))],
                                labels={"dgm.case": "steps"})
    for result, text in zip(results, ("one", "two"), strict=True):
        assert result.exit_code == 3 and not result.timed_out and result.error is None, result
        lines = result.output.splitlines()
        assert lines[:3] == ["1000", "CapEff:\t0000000000000000", text], result.output
        assert "left" not in result.output and "ro" not in lines  # the first step's files are gone
        assert "/dgm-steps': Permission denied" in result.output  # no step reads another's files
        assert lines[-1] == "0"  # and its background process was killed
    assert docker_client.containers.list(all=True, filters={"label": "dgm.case=steps"}) == []


@pytest.mark.docker
def test_a_step_past_its_time_limit_is_stopped_and_the_next_still_runs(sandbox):
    many = f"for i in $(seq 1 {LOG_TAIL_LINES + 100}); do echo line$i; done"
    slow, last = sandbox.run_steps([_bash(f"{many}; sleep 300", _tree("repo", "x"), timeout_s=2),
                                    _bash("cat /repo/a.txt", _tree("repo", "y"))])
    assert slow.timed_out and slow.exit_code is None and 2 <= slow.duration_s < 30
    kept = slow.output.splitlines()
    assert len(kept) == LOG_TAIL_LINES and kept[-1] == f"line{LOG_TAIL_LINES + 100}"  # the tail, as logs keep it
    assert last.exit_code == 0 and last.output == "y"  # the file has no newline


@pytest.mark.docker
def test_a_step_may_replace_an_empty_folder_of_the_image_but_nothing_else(sandbox):
    # Debian's /mnt is an empty folder (as a SWE-bench image's /repo is); /etc is not.
    mounted, refused, after = sandbox.run_steps([
        _bash("cat /mnt/a.txt", _tree("mnt", "mnt", 0o755)),
        _bash("echo ran", _tree("etc", "etc", 0o755)),
        _bash("test -s /etc/passwd && echo passwd", _tree("repo", "z")),
    ])
    assert mounted.exit_code == 0 and mounted.output == "mnt"
    assert refused.exit_code is None and "/etc exists in the image" in refused.error and refused.output == ""
    assert after.exit_code == 0 and after.output == "passwd\n"  # the refused step changed nothing


@pytest.mark.docker
def test_a_failing_command_reports_its_exit_code(sandbox):
    missing, killed = sandbox.run_steps([Step(["no-such-command"], _tree("repo", "x"), 30),
                                         _bash("kill -9 $$", _tree("repo", "y"))])
    assert missing.exit_code == 127 and "cannot run no-such-command" in missing.output
    assert killed.exit_code == 137 and not killed.timed_out
