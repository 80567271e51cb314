"""The host side of copy-back, without an engine: each bound of a returned tree refuses it with its
reason before anything is written, and no tree, however deep, wide or locked, stops the copy, the
diff or the removal of scratch folders (Python 3.11's shutil.rmtree and copytree recurse)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dgm.recovery import repair
from kernel.patches import PatchTooLarge, diff_trees
from kernel.trees import copy_tree
from sandbox.tario import OutputLimits, OutputRefused, extract_tar, remove_tree, scratch_dir

DEPTH = 1500


def _tar(names: list[str], size: int = 1) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name in names:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(b"x" * size))
    return buf.getvalue()


@pytest.mark.parametrize(("names", "limits", "reason"), [
    ([f"./f{i}" for i in range(11)], OutputLimits(files=10), "more than 10 files (sandbox.max_output_files)"),
    (["./" + "d/" * 65 + "f"], OutputLimits(), "a path more than 64 levels deep (sandbox.max_output_depth)"),
    (["./" + "/".join(c * 250 for c in "nmopq") + "/f"], OutputLimits(), "a path longer than 1,024 bytes"),
    (["./big"], OutputLimits(bytes=4096), "larger than 4.0 KiB (sandbox.max_output_bytes)"),
    (["./f"], OutputLimits(seconds=-1), "took longer than -1 s"),
], ids=["files", "depth", "path-length", "bytes", "time"])
def test_each_bound_refuses_the_tree_with_its_reason_and_writes_nothing(tmp_path, names, limits, reason):
    data = _tar(names, size=8192 if names == ["./big"] else 1)
    with pytest.raises(OutputRefused, match=reason.replace("(", r"\(").replace(")", r"\)")):
        extract_tar([data[i:i + 1000] for i in range(0, len(data), 1000)], tmp_path / "out", limits)
    assert not (tmp_path / "out").exists()


def _deep_tree(root: Path, depth: int = DEPTH, name: str = "d") -> None:
    """A chain of ``depth`` folders with a file at the bottom, built in a child process by walking
    down with chdir (the way a container makes one deeper than PATH_MAX allows to name)."""
    root.mkdir(parents=True, exist_ok=True)
    build = ("import os, sys\nos.chdir(sys.argv[1])\nfor _ in range(int(sys.argv[2])):\n"
             "    os.mkdir(sys.argv[3]); os.chdir(sys.argv[3])\nopen('leaf', 'w').write('bottom')\n")
    subprocess.run([sys.executable, "-c", build, str(root), str(depth), name], check=True)


def test_removal_takes_any_tree_deep_past_path_max_locked_or_linked_out(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours to remove")
    work = tmp_path / "work"
    _deep_tree(work / "deep", depth=2100, name="dd")  # 6,300 bytes of path: past PATH_MAX
    locked = work / "locked"
    (locked / "inner").mkdir(parents=True)
    (locked / "inner" / "f").write_text("x")
    (locked / "inner").chmod(0)
    locked.chmod(0o500)
    (work / "link-out").symlink_to(outside, target_is_directory=True)
    with pytest.raises(RecursionError):  # what the run's scratch folders met before
        import shutil
        shutil.rmtree(work / "deep")
    remove_tree(work)
    assert not os.path.lexists(work)
    assert (outside / "keep.txt").read_text() == "not ours to remove"


def test_scratch_folders_of_a_run_and_its_repair_remove_deep_trees(tmp_path):
    run_dir = tmp_path / "run"
    (run_dir / "work").mkdir(parents=True)
    with scratch_dir("job-", run_dir / "work") as work:  # what each job works in (dgm/job_work.py)
        _deep_tree(work / "repo_after")
    assert list((run_dir / "work").iterdir()) == []
    _deep_tree(run_dir / "work" / "job-left-by-a-kill" / "repo_after")  # what a kill -9 leaves
    assert repair(run_dir) == ["removed leftover scratch folders in work/"]
    assert not (run_dir / "work").exists()
    with scratch_dir("dgm-test-", tmp_path) as folder:
        _deep_tree(folder)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_copy_and_diff_walk_a_1500_level_tree(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    (before / "a.txt").write_text("a\n")
    _deep_tree(after)
    (after / "a.txt").write_text("b\n")
    patch = diff_trees(before, after)
    assert "-a\n+b" in patch and "/".join(["d"] * DEPTH) + "/leaf" in patch and "+bottom" in patch
    copy = tmp_path / "copy"
    copy_tree(after, copy)
    assert (copy / Path(*["d"] * DEPTH) / "leaf").read_text() == "bottom"
    remove_tree(after)
    remove_tree(copy)


def test_a_patch_past_the_limit_is_refused_without_reading_it_all(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    (after / "big.txt").write_text("line\n" * 600_000)  # a 3.6 MB patch
    with pytest.raises(PatchTooLarge, match=r"the patch is larger than 2\.0 MiB \(sandbox.max_patch_bytes\)"):
        diff_trees(before, after, max_bytes=2 * 1024 * 1024)
    assert len(diff_trees(before, after, max_bytes=4 * 1024 * 1024)) > 3_000_000


def test_copy_replaces_a_planted_link_instead_of_writing_through_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "test_x.py").write_text("host file")
    dest = tmp_path / "repo"
    (dest / "tests").mkdir(parents=True)
    (dest / "tests" / "test_x.py").symlink_to(outside / "test_x.py")  # planted by a patch
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    hidden = tmp_path / "hidden"
    (hidden / "tests").mkdir(parents=True)
    (hidden / "tests" / "test_x.py").write_text("hidden test")
    (hidden / "sub").mkdir()
    (hidden / "sub" / "test_x.py").write_text("hidden test")
    copy_tree(hidden, dest)
    assert (outside / "test_x.py").read_text() == "host file"
    assert not (dest / "tests" / "test_x.py").is_symlink() and not (dest / "sub").is_symlink()
    assert (dest / "sub" / "test_x.py").read_text() == "hidden test"
