import shutil

import pytest

from benchmarks.task import load_suite, load_task
from dgm.errors import TaskError


def _task(root, **meta_overrides):
    (root / "repo").mkdir(parents=True)
    (root / "repo" / "lib.py").write_text("x = 1\n")
    (root / "hidden" / "tests").mkdir(parents=True)
    (root / "hidden" / "tests" / "test_x.py").write_text("def test_x():\n    assert False\n")
    (root / "problem.md").write_text("fix it")
    meta = {"id": f'"{root.name}"', "test_command": '"python3 -m pytest -q tests"', "fail_to_pass": '["tests/test_x.py::test_x"]'}
    meta.update(meta_overrides)
    (root / "task.toml").write_text("".join(f"{k} = {v}\n" for k, v in meta.items() if v is not None))
    return root


def test_a_valid_task_loads(tmp_path):
    task = load_task(_task(tmp_path / "t1"))
    assert task.hidden_files == ("tests/test_x.py",)
    assert task.fail_to_pass == ("tests/test_x.py::test_x",) and task.difficulty == "medium"
    assert len(task.content_hash()) == 64


def test_missing_hidden_tests_is_a_clear_error(tmp_path):
    root = _task(tmp_path / "t1")
    shutil.rmtree(root / "hidden")
    with pytest.raises(TaskError, match="missing its hidden tests"):
        load_task(root)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("test_command", None, "missing required field 'test_command'"),
    ("fail_to_pass", "[]", "fail_to_pass is empty"),
    ("difficulty", '"extreme"', "difficulty must be one of"),
])
def test_bad_metadata(tmp_path, field, value, message):
    with pytest.raises(TaskError, match=message):
        load_task(_task(tmp_path / "t1", **{field: value}))


def test_hidden_file_visible_in_repo_is_refused(tmp_path):
    root = _task(tmp_path / "t1")
    (root / "repo" / "tests").mkdir()
    (root / "repo" / "tests" / "test_x.py").write_text("")
    with pytest.raises(TaskError, match="also visible"):
        load_task(root)


def test_suite_selection_and_unknown_names(tmp_path):
    _task(tmp_path / "a")
    _task(tmp_path / "b")
    assert [t.id for t in load_suite(path=tmp_path)] == ["a", "b"]
    assert [t.id for t in load_suite(path=tmp_path, only=["b"])] == ["b"]
    with pytest.raises(TaskError, match="unknown task id"):
        load_suite(path=tmp_path, only=["zzz"])
    with pytest.raises(TaskError, match="unknown benchmark 'nope'"):
        load_suite("nope")
