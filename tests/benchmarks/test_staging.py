"""The graded tree, built on the host: the patch applied, checked without trusting any patch parser,
and packed root-owned for the container. No Docker needed."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from benchmarks.runners import runner_for
from benchmarks.staging import PatchRejected, stage, tar_staged
from benchmarks.task import Task


def _task(tmp_path: Path, **overrides) -> Task:
    repo, hidden = tmp_path / "task" / "repo", tmp_path / "task" / "hidden"
    (repo / "lib").mkdir(parents=True)
    (repo / "tests").mkdir()
    (hidden / "tests").mkdir(parents=True)
    (repo / "lib" / "core.py").write_text("x = 1\n")
    (repo / "tests" / "test_core.py").write_text("def test_core():\n    pass\n")
    (hidden / "tests" / "test_hidden.py").write_text("def test_hidden():\n    assert False\n")
    task = Task(id="t", title="t", difficulty="easy", kind="bug", problem="p", root=tmp_path / "task",
                test_command="python3 -m pytest tests", fail_to_pass=("tests/test_hidden.py::test_hidden",),
                pass_to_pass=(), repo_dir=repo, hidden_dir=hidden)
    return dataclasses.replace(task, **overrides)


def _stage(task: Task, patch: str, root: Path):
    root.mkdir(parents=True, exist_ok=True)
    return stage(task, patch, root, runner_for(task).prepare)


EDIT = "diff --git a/lib/core.py b/lib/core.py\n--- a/lib/core.py\n+++ b/lib/core.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n"


def test_the_patch_is_applied_on_the_host_with_hidden_tests_and_canaries(tmp_path):
    task = _task(tmp_path)
    staged = _stage(task, EDIT, tmp_path / "stage")
    assert (staged.repo / "lib" / "core.py").read_text() == "x = 2\n"
    assert (staged.repo / "tests" / "test_hidden.py").read_text().startswith("def test_hidden")
    assert staged.canaries is not None and (staged.repo / staged.canaries.module).is_file()
    assert len(staged.nonce) == 32 and (task.repo_dir / "lib" / "core.py").read_text() == "x = 1\n"


def test_a_patch_that_does_not_apply_is_rejected_without_a_container(tmp_path):
    with pytest.raises(PatchRejected, match="patch does not apply"):
        _stage(_task(tmp_path), EDIT.replace("-x = 1", "-x = 9"), tmp_path / "stage")


def test_git_never_applies_to_a_repository_above_the_scratch_folder(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    task = _task(tmp_path)
    patch = "diff --git a/new.py b/new.py\nnew file mode 100644\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1 @@\n+y = 1\n"
    staged = _stage(task, patch, tmp_path / "stage")
    assert (staged.repo / "new.py").is_file() and not (tmp_path / "new.py").exists()


# Patches the parser-based stripping would catch, handed straight to staging: the check of the
# applied tree must refuse them on its own.
SYMLINK = ("diff --git a/lib/link b/lib/link\nnew file mode 120000\n--- /dev/null\n+++ b/lib/link\n@@ -0,0 +1 @@\n"
           "+/etc/passwd\n\\ No newline at end of file\n")
RENAME = "diff --git a/lib/core.py b/conftest.py\nsimilarity index 100%\nrename from lib/core.py\nrename to conftest.py\n"
DELETE = ("diff --git a/tests/test_core.py b/tests/test_core.py\ndeleted file mode 100644\n--- a/tests/test_core.py\n"
          "+++ /dev/null\n@@ -1,2 +0,0 @@\n-def test_core():\n-    pass\n")
WEAKEN = ("diff --git a/tests/test_core.py b/tests/test_core.py\n--- a/tests/test_core.py\n+++ b/tests/test_core.py\n"
          "@@ -1,2 +1,2 @@\n def test_core():\n-    pass\n+    return\n")


@pytest.mark.parametrize(("patch", "why"), [(SYMLINK, "symbolic link"), (RENAME, "changes conftest.py"),
                                           (DELETE, "removes tests/test_core.py"), (WEAKEN, "changes tests/test_core.py")])
def test_the_applied_tree_is_checked_whatever_the_patch_parser_said(tmp_path, patch, why):
    with pytest.raises(PatchRejected, match=why):
        _stage(_task(tmp_path), patch, tmp_path / "stage")


def test_a_very_deep_tree_is_staged_without_recursion_limits(tmp_path):
    deep = "/".join(["d"] * 1200) + "/x.py"
    patch = f"diff --git a/{deep} b/{deep}\nnew file mode 100644\n--- /dev/null\n+++ b/{deep}\n@@ -0,0 +1 @@\n+z = 1\n"
    try:
        staged = _stage(_task(tmp_path), patch, tmp_path / "stage")
        with tarfile.open(fileobj=io.BytesIO(tar_staged(staged, ())), mode="r") as tar:
            assert f"repo/{deep}" in tar.getnames()
    finally:  # pytest's own clean-up of old temporary folders recurses, and would fail on this one
        subprocess.run(["rm", "-rf", str(tmp_path / "stage")], check=True)


def test_the_tree_is_packed_root_owned_and_read_only_to_the_tests(tmp_path):
    task = _task(tmp_path)
    (task.repo_dir / "run.sh").write_text("#!/bin/sh\n")
    (task.repo_dir / "run.sh").chmod(0o775)
    staged = _stage(task, EDIT, tmp_path / "stage")
    with tarfile.open(fileobj=io.BytesIO(tar_staged(staged, runner_for(task).runner_files)), mode="r") as tar:
        members = {m.name: m for m in tar.getmembers()}
        nonce = tar.extractfile(members["grade/secret/nonce"]).read().decode()
    assert members["repo"].mode == 0o1777 and members["repo"].uid == 0  # sticky: new files only
    for name, m in members.items():
        if name.startswith("repo/"):
            assert m.uid == 0 and m.gid == 0, name
            assert m.mode == (0o755 if m.isdir() or name == "repo/run.sh" else 0o644), name
    assert {"grade/runner/pytest_main.py", "grade/runner/pytest_report.py", "grade/runner/pytest.ini"} <= set(members)
    assert members["grade/secret"].uid == 1000 and members["grade/secret"].mode == 0o700
    assert members["grade/secret/nonce"].mode == 0o600 and nonce == staged.nonce
    assert f"repo/{staged.canaries.module}" in members
