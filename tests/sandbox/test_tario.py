import io
import tarfile

import pytest

from dgm.errors import SandboxError
from sandbox.tario import OutputLimits, extract_tar, tar_directory


def _tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _file(name, data=b"x"):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def _link(name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def test_hostile_members_are_skipped(tmp_path):
    fifo = tarfile.TarInfo("./fifo")
    fifo.type = tarfile.FIFOTYPE
    data = _tar([_file("./ok.txt"), _file("./.git/hooks/pre-commit"), _file("../escape.txt"), _link("./abs", "/etc/passwd"),
                 _link("./up", "../../etc/passwd"), _link("./fine", "ok.txt"), (fifo, None), _file("/abs.txt")])
    skipped = extract_tar([data[i:i + 100] for i in range(0, len(data), 100)], tmp_path / "out")
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["abs.txt", "fine", "ok.txt"]  # "/abs.txt" lands inside dest, never at /
    assert not (tmp_path / "escape.txt").exists()
    assert "./abs" in skipped and "./up" in skipped


def test_size_cap(tmp_path):
    data = _tar([_file("./big", b"0" * 10_000)])
    with pytest.raises(SandboxError, match="larger than"):
        extract_tar([data], tmp_path / "out", OutputLimits(bytes=5_000))


def test_tar_directory_leaves_out_git_and_sets_owner(tmp_path):
    (tmp_path / "src" / ".git").mkdir(parents=True)
    (tmp_path / "src" / ".git" / "config").write_text("x")
    (tmp_path / "src" / "a.py").write_text("a")
    with tarfile.open(fileobj=io.BytesIO(tar_directory(tmp_path / "src", "repo", uid=1000))) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert set(members) == {"repo", "repo/a.py"}
    assert members["repo/a.py"].uid == 1000
