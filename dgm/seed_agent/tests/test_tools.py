"""The bash tool and the editor, run for real in a temporary repository."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tools import MAX_OUTPUT, SCHEMAS, Toolbox, truncate


@pytest.fixture()
def box(tmp_path: Path) -> Toolbox:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
    return Toolbox(tmp_path, bash_timeout=5)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie is dead, merely not yet reaped


def test_schemas_name_both_tools() -> None:
    assert [s["function"]["name"] for s in SCHEMAS] == ["bash", "editor"]
    assert all(s["type"] == "function" and s["function"]["parameters"]["type"] == "object" for s in SCHEMAS)


# -- bash ------------------------------------------------------------------------------------------

def test_bash_runs_in_the_repo_and_reports_the_exit_code(box: Toolbox) -> None:
    out = box.run("bash", {"command": "pwd; echo oops >&2; exit 3"})
    assert str(box.repo) in out and "oops" in out and out.endswith("[exit code: 3]")


def test_bash_timeout_kills_the_whole_process_group(box: Toolbox, tmp_path: Path) -> None:
    # Wide margins (2 s limit against 60 s sleeps): these tests also run inside dgm's validity gate
    # on a loaded machine, where a tight bound would reject a sound agent.
    box.bash_timeout = 2
    pidfile = tmp_path / "child.pid"
    start = time.monotonic()
    out = box.run("bash", {"command": f"sleep 60 & echo $! > {pidfile}; echo started; sleep 60"})
    assert time.monotonic() - start < 30
    assert "started" in out and "timed out after 2 s" in out and "killed" in out
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_bash_does_not_wait_for_background_processes(box: Toolbox) -> None:
    start = time.monotonic()
    out = box.run("bash", {"command": "sleep 30 & echo quick"})
    assert time.monotonic() - start < 15
    assert "quick" in out and "[exit code: 0]" in out


def test_bash_truncates_long_output_keeping_head_and_tail(box: Toolbox) -> None:
    out = box.run("bash", {"command": "seq 1 20000"})
    assert out.startswith("1\n2\n3\n") and out.endswith("20000\n[exit code: 0]")
    assert "characters truncated ...]" in out
    assert len(out) < MAX_OUTPUT + 200


def test_bash_keeps_both_ends_of_output_larger_than_the_capture(box: Toolbox, monkeypatch) -> None:
    monkeypatch.setattr("tools.CAPTURE_BYTES", 1000)
    out = box.run("bash", {"command": "echo FIRST; head -c 50000 /dev/zero | tr '\\0' x; echo; echo LAST"})
    assert out.startswith("FIRST") and "LAST\n[exit code: 0]" in out
    omitted = int(out.split("[... ")[1].split(" characters")[0])
    assert omitted == len("FIRST\n") + 50000 + len("\nLAST\n") - 2000


def test_truncate_reports_how_much_was_cut() -> None:
    assert truncate("short") == "short"
    cut = truncate("a" * 50 + "b" * 50, limit=20)
    assert cut == "a" * 10 + "\n[... 80 characters truncated ...]\n" + "b" * 10


def test_bash_needs_a_command(box: Toolbox) -> None:
    assert box.run("bash", {}).startswith("Error: missing or invalid argument 'command'")


def test_unknown_tool_and_bad_arguments_are_errors_not_exceptions(box: Toolbox) -> None:
    assert "unknown tool 'python'" in box.run("python", {"code": "1"})
    assert box.run("bash", ["ls"]).startswith("Error:")  # type: ignore[arg-type]
    assert box.run("editor", {"command": "view", "path": "x", "bogus": 1}).startswith("Error:")
    assert box.run("editor", {"path": "x"}).startswith("Error: bad arguments for editor")


# -- editor: view ----------------------------------------------------------------------------------

def test_view_numbers_lines(box: Toolbox) -> None:
    assert box.run("editor", {"command": "view", "path": "pkg/mod.py"}) == "     1\ta = 1\n     2\tb = 2\n     3\tc = 3"


def test_view_range_and_end_of_file(box: Toolbox) -> None:
    assert box.run("editor", {"command": "view", "path": "pkg/mod.py", "view_range": [2, 2]}) == "     2\tb = 2"
    out = box.run("editor", {"command": "view", "path": str(box.repo / "pkg/mod.py"), "view_range": [2, -1]})
    assert out == "     2\tb = 2\n     3\tc = 3"


@pytest.mark.parametrize("bad", [[0, 2], [2, 9], [3, 2], [1], "1-2"])
def test_view_range_errors(box: Toolbox, bad) -> None:
    out = box.run("editor", {"command": "view", "path": "pkg/mod.py", "view_range": bad})
    assert out.startswith("Error: view_range")


def test_view_lists_a_directory_two_levels_deep_without_git(box: Toolbox) -> None:
    (box.repo / ".git").mkdir()
    (box.repo / ".git" / "HEAD").write_text("ref")
    (box.repo / "pkg" / "deep" / "deeper").mkdir(parents=True)
    (box.repo / "pkg" / "deep" / "deeper" / "hidden.py").write_text("")
    (box.repo / "top.txt").write_text("")
    out = box.run("editor", {"command": "view", "path": "."})
    listed = out.splitlines()[1:]
    assert listed == ["pkg/", "pkg/deep/", "pkg/mod.py", "top.txt"]


def test_view_missing_file(box: Toolbox) -> None:
    assert box.run("editor", {"command": "view", "path": "nope.py"}).startswith("Error:")


# -- editor: create, str_replace, insert -------------------------------------------------------------

def test_create_makes_parent_directories(box: Toolbox) -> None:
    out = box.run("editor", {"command": "create", "path": "new/dir/f.py", "file_text": "x = 1\n"})
    assert out.startswith("Created") and (box.repo / "new/dir/f.py").read_text() == "x = 1\n"
    assert box.run("editor", {"command": "create", "path": "new/dir/f.py", "file_text": ""}).startswith("Overwrote")
    assert box.run("editor", {"command": "create", "path": "g.py"}).startswith("Error: create needs file_text")


def test_str_replace_once(box: Toolbox) -> None:
    out = box.run("editor", {"command": "str_replace", "path": "pkg/mod.py", "old_str": "b = 2", "new_str": "b = 20"})
    assert out.startswith("Edited") and "b = 20" in out
    assert (box.repo / "pkg/mod.py").read_text() == "a = 1\nb = 20\nc = 3\n"


def test_str_replace_with_nothing_deletes(box: Toolbox) -> None:
    box.run("editor", {"command": "str_replace", "path": "pkg/mod.py", "old_str": "b = 2\n"})
    assert (box.repo / "pkg/mod.py").read_text() == "a = 1\nc = 3\n"


def test_str_replace_must_match_exactly_once(box: Toolbox) -> None:
    path = box.repo / "pkg/mod.py"
    missing = box.run("editor", {"command": "str_replace", "path": "pkg/mod.py", "old_str": "zzz", "new_str": ""})
    assert "does not occur" in missing
    many = box.run("editor", {"command": "str_replace", "path": "pkg/mod.py", "old_str": " = ", "new_str": "="})
    assert "occurs 3 times" in many and "exactly once" in many
    assert path.read_text() == "a = 1\nb = 2\nc = 3\n"
    assert box.run("editor", {"command": "str_replace", "path": "pkg/mod.py"}).startswith("Error: str_replace needs")


@pytest.mark.parametrize("line,expected", [
    (0, "new\na = 1\nb = 2\nc = 3\n"),
    (1, "a = 1\nnew\nb = 2\nc = 3\n"),
    (3, "a = 1\nb = 2\nc = 3\nnew\n"),
])
def test_insert_after_line(box: Toolbox, line: int, expected: str) -> None:
    out = box.run("editor", {"command": "insert", "path": "pkg/mod.py", "insert_line": line, "text": "new"})
    assert out.startswith(f"Inserted after line {line}")
    assert (box.repo / "pkg/mod.py").read_text() == expected


def test_insert_errors_and_new_str_alias(box: Toolbox) -> None:
    bad = box.run("editor", {"command": "insert", "path": "pkg/mod.py", "insert_line": 9, "text": "x"})
    assert "between 0 and 3" in bad
    assert box.run("editor", {"command": "insert", "path": "pkg/mod.py", "text": "x"}).startswith("Error: insert needs")
    box.run("editor", {"command": "insert", "path": "pkg/mod.py", "insert_line": 0, "new_str": "# top\n"})
    assert (box.repo / "pkg/mod.py").read_text().startswith("# top\na = 1")


def test_insert_at_the_end_of_a_file_without_final_newline(box: Toolbox) -> None:
    (box.repo / "f.txt").write_text("one")
    box.run("editor", {"command": "insert", "path": "f.txt", "insert_line": 1, "text": "two"})
    assert (box.repo / "f.txt").read_text() == "one\ntwo\n"


def test_unknown_editor_command(box: Toolbox) -> None:
    out = box.run("editor", {"command": "delete", "path": "pkg/mod.py"})
    assert "unknown editor command 'delete'" in out and os.path.exists(box.repo / "pkg/mod.py")


def test_bash_does_not_see_secrets(box: Toolbox, monkeypatch) -> None:
    monkeypatch.setenv("DGM_API_KEY", "sk-secret-1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-2")
    monkeypatch.setenv("HARMLESS", "visible")
    out = box.run("bash", {"command": "env"})
    assert "sk-secret" not in out and "HARMLESS=visible" in out
