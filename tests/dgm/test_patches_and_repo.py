import pytest

from dgm.agents_repo import AgentRepo
from dgm.errors import NotFoundError
from kernel.git import git
from kernel.patches import diff_trees, patch_stats


def _tree(path, files):
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    return path


def test_diff_trees_sees_edits_new_and_deleted_files_but_not_git(tmp_path):
    before = _tree(tmp_path / "a", {"x.py": "a = 1\n", "gone.py": "bye\n"})
    after = _tree(tmp_path / "b", {"x.py": "a = 2\n", "pkg/new.py": "hello\n", ".git/HEAD": "evil\n"})
    patch = diff_trees(before, after)
    stats = patch_stats(patch)
    assert set(stats.paths) == {"x.py", "gone.py", "pkg/new.py"}
    assert (stats.files, stats.added, stats.removed) == (3, 2, 2)
    assert diff_trees(before, before) == ""


def test_children_are_commits_on_their_parents(tmp_path):
    repo = AgentRepo(tmp_path / "agents.git")
    seed = repo.add_seed()
    child_tree = repo.export(seed, tmp_path / "child")
    (child_tree / "coding_agent.py").write_text((child_tree / "coding_agent.py").read_text() + "\n# improved\n")
    child = repo.commit_tree(child_tree, seed, "child")
    repo.pin(1, child)
    assert git("rev-parse", f"{child}^", cwd=repo.path).strip() == seed
    assert repo.changed_files(seed, child) == ["coding_agent.py"]
    assert "+# improved" in repo.diff(seed, child)
    assert (repo.export(child, tmp_path / "out") / "coding_agent.py").read_text().endswith("# improved\n")
    assert git("rev-parse", "refs/agents/1", cwd=repo.path).strip() == child


def test_unknown_commit_is_a_clear_error(tmp_path):
    repo = AgentRepo(tmp_path / "agents.git")
    with pytest.raises(NotFoundError, match="not in"):
        repo.export("0" * 40, tmp_path / "x")


def test_two_edits_that_reach_the_same_code_have_the_same_tree(tmp_path):
    """What duplicate detection compares: trees, so different commits (messages, parents) of equal code match."""
    repo = AgentRepo(tmp_path / "agents.git")
    seed = repo.add_seed()
    code = repo.export(seed, tmp_path / "code")
    (code / "extra.py").write_text("X = 1\n")
    patch = diff_trees(repo.export(seed, tmp_path / "seed"), code)
    first, second = repo.commit_patch(seed, patch, "one edit"), repo.commit_patch(seed, patch, "another edit, same code")
    (code / "extra.py").write_text("X = 2\n")
    other = repo.commit_tree(code, seed, "different code")
    trees = repo.trees([first, second, other, seed])
    assert first != second and trees[first] == trees[second]
    assert len({trees[first], trees[other], trees[seed]}) == 3
    assert trees[seed] == git("rev-parse", f"{seed}^{{tree}}", cwd=repo.path).strip()
    assert repo.trees([]) == {}
    with pytest.raises(NotFoundError, match="not in"):
        repo.trees([seed, "0" * 40])
