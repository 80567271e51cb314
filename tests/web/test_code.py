from archive_db.agents_repo import AgentRepo
from web import code


def commit(repo, tmp_path, name, files, parent=None):
    tree = tmp_path / name
    tree.mkdir()
    for rel, data in files.items():
        (tree / rel).write_bytes(data)
    return repo.commit_tree(tree, parent, name)


def test_diff_of_bytes_that_are_not_utf8_and_of_added_files(tmp_path):
    run_dir = tmp_path / "run"
    repo = AgentRepo(run_dir / "agents.git")
    a = commit(repo, tmp_path, "a", {"x.txt": b"hello\n"})
    b = commit(repo, tmp_path, "b", {"x.txt": b"hello \xff\xfe\n", "new.py": b"print(1)\n"}, a)
    out = code.diff(run_dir, a, b)
    out["diff"].encode("utf-8")  # no lone surrogates left: the API can always send it
    assert "+hello ??\n" in out["diff"] and not out["truncated"]
    assert {f["path"]: f["change"] for f in out["files"]} == {"x.txt": "modified", "new.py": "added"}


def test_a_huge_diff_is_cut_on_a_line_boundary(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    repo = AgentRepo(run_dir / "agents.git")
    a = commit(repo, tmp_path, "a", {"x.txt": b""})
    b = commit(repo, tmp_path, "b", {"x.txt": b"".join(b"line %d\n" % i for i in range(1000))}, a)
    monkeypatch.setattr(code, "MAX_DIFF_CHARS", 500)
    code._diff.cache_clear()
    out = code.diff(run_dir, a, b)
    assert out["truncated"] and len(out["diff"]) <= 500 and out["diff"].endswith("\n")


def test_no_repository_or_unknown_commits_mean_no_code(tmp_path):
    assert code.diff(tmp_path, "a" * 40, "b" * 40) is None
    assert not (tmp_path / "agents.git").exists()  # never created by looking
    repo = AgentRepo(tmp_path / "agents.git")
    a = commit(repo, tmp_path, "a", {"x": b"1"})
    assert code.diff(tmp_path, a, "c" * 40) is None
    assert code.tarball(tmp_path, "c" * 40, "agent-1") is None
    assert code.tarball(tmp_path, "HEAD", "agent-1") is None and not code.valid_commit("-x")
