"""Hostile agents against the filesystem boundary: writes outside /repo and /out, and outputs built
to hurt the host when they are copied back (links, FIFOs, devices, hard links, setuid bits)."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import textwrap
import uuid
from pathlib import Path

import pytest

from dgm.agent_run import run_agent
from dgm.agents_repo import AgentRepo
from dgm.diagnose import agent_code_listing
from kernel.patches import patch_stats

pytestmark = pytest.mark.docker

# The agent's own entry point, as an agent would replace it: it writes everywhere it can think of
# (the problem statement carries a marker) and reports what the kernel let it write.
WRITER = textwrap.dedent('''
    import argparse, json, os
    p = argparse.ArgumentParser()
    for flag in ("--problem-file", "--repo", "--outdir", "--max-steps"):
        p.add_argument(flag)
    a = p.parse_args()
    marker = open(a.problem_file).read().split()[0]
    targets = [t.replace("MARK", marker) for t in (
        "/etc/MARK", "/etc/hosts", "/etc/resolv.conf", "/tmp/MARK", "~/MARK", "/var/tmp/MARK", "/dev/shm/MARK",
        "/MARK", "/root/MARK", "/home/MARK", "/agent/MARK", "/agent/coding_agent.py", "/task/MARK",
        "/task/problem.md", "/run/dgm/MARK", "/usr/local/bin/git", "/usr/lib/python3/dist-packages/MARK.pth")]
    report = {}
    for target in targets:
        try:
            with open(os.path.expanduser(target), "a") as f:
                f.write(marker + "\\n")
            report[target] = "written"
        except OSError as exc:
            report[target] = exc.strerror
    open(os.path.join(a.repo, f"kept-{marker}.txt"), "w").write("kept\\n")
    json.dump([{"role": "probe", "content": json.dumps(report)}], open(os.path.join(a.outdir, "transcript.json"), "w"))
''')


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_writes_outside_repo_and_out_never_reach_the_host_nor_the_next_container(
        sandbox, docker_client, model_gateway, tmp_path):
    marker = f"dgm-escape-{uuid.uuid4().hex[:12]}"
    agent_dir, repo_dir = tmp_path / "agent", tmp_path / "repo"
    agent_dir.mkdir()
    (agent_dir / "coding_agent.py").write_text(WRITER)
    repo_dir.mkdir()
    (repo_dir / "main.py").write_text("print('hi')\n")
    agent_before, repo_before = _tree(agent_dir), _tree(repo_dir)
    image_before = docker_client.images.get(sandbox.config.image).id
    config = model_gateway.config.model_copy(update={"sandbox": sandbox.config.model_copy(update={"agent_timeout_s": 60})})

    outcome = run_agent(sandbox, config, agent_dir, repo_dir, f"{marker}\n", model_gateway.gateway.channel, tmp_path / "work")

    assert outcome.run.ok, outcome.run.output
    report = json.loads(outcome.transcript[0]["content"])
    # Its scratch space is writable: the test means something only if some writes landed.
    assert report[f"/tmp/{marker}"] == "written", report
    assert _tree(agent_dir) == agent_before, "the agent rewrote its code on the host"
    assert _tree(repo_dir) == repo_before, "the agent's input repository changed on the host"
    assert (tmp_path / "work" / "task" / "problem.md").read_text() == f"{marker}\n"
    assert os.listdir(model_gateway.gateway.socket_path.parent) == ["model.sock"]
    assert patch_stats(outcome.patch).paths == (f"kept-{marker}.txt",)
    landed = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob(f"*{marker}*"))
    assert landed == [f"work/repo_after/kept-{marker}.txt"], landed
    on_host = [Path(os.path.expanduser(t)) for t in report if marker in t]
    assert [p for p in on_host if p.exists()] == []

    # The image is untouched: the next container starts clean.
    paths = [t for t in report if marker in t] + ["/agent", "/task", "/repo", "/out"]
    probe = "import json, os, sys; print('EXISTS ' + json.dumps([p for p in sys.argv[1:] if os.path.lexists(os.path.expanduser(p))]))"
    after = sandbox.run(["python3", "-c", probe, *paths], timeout_s=60)
    assert after.ok, after.output
    assert json.loads(after.output.split("EXISTS ", 1)[1]) == []
    assert docker_client.images.get(sandbox.config.image).id == image_before


# Everything a hostile /repo can hold, built as uid 1000 in the container. The copy-back must keep
# the plain files and in-tree links, and neither create nor follow anything else on the host.
HOSTILE_TREE = r"""
cd /repo
echo kept > ok.txt && mkdir sub && echo deep > sub/deep.txt
ln -s ok.txt inner && ln -s sub dirlink
ln -s /etc/passwd passwd && ln -s ../../.. up && ln -s / root && ln -s "$1" hostlink
ln -s chain2 chain1 && ln -s chain3 chain2 && ln -s /etc/shadow chain3
ln -s sub/rel2 rel1 && ln -s ../../../../etc sub/rel2
mkfifo fifo
mknod dev c 1 3 2>/dev/null && echo MKNOD-WORKED
echo outside > /tmp/outside.txt && ln /tmp/outside.txt hardout
ln /etc/passwd hardpw 2>/dev/null && echo HARDPW-WORKED
ln ok.txt twin
cp /usr/bin/id suid && chmod 6755 suid && echo w > ww && chmod 666 ww && mkdir sticky && chmod 1777 sticky
ls -la /repo
"""
REFUSED = {"passwd", "up", "root", "hostlink", "chain3", "sub/rel2", "fifo", "dev", "hardpw"}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_hostile_outputs_are_neither_followed_nor_created_on_the_host(sandbox, tmp_path):
    src, out = tmp_path / "src", tmp_path / "work" / "out"
    src.mkdir()
    host_target = tmp_path / "host-target.txt"
    host_target.write_text("host data\n")
    watched = [Path("/etc/passwd"), host_target]
    before = {p: (_sha(p), p.stat().st_mtime_ns) for p in watched}

    result = sandbox.run(["bash", "-c", HOSTILE_TREE, "hostile", str(host_target)],
                         inputs={"/repo": src}, outputs={"/repo": out}, timeout_s=60)

    assert result.ok, (result.output, result.error)  # one bad entry does not void the tree
    assert "MKNOD-WORKED" not in result.output and "HARDPW-WORKED" not in result.output
    assert (out / "ok.txt").read_text() == "kept\n" and (out / "sub" / "deep.txt").read_text() == "deep\n"
    assert os.readlink(out / "inner") == "ok.txt" and os.readlink(out / "dirlink") == "sub"
    assert (out / "hardout").read_text() == "outside\n"  # a copy of the container's file, not a link
    names = set()
    for dirpath, dirnames, filenames in os.walk(out):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            names.add(str(path.relative_to(out)))
            mode = path.lstat().st_mode
            assert stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode), f"{name}: mode {oct(mode)}"
            if stat.S_ISLNK(mode):
                assert Path(os.path.realpath(path)).is_relative_to(out.resolve()), f"{name} -> {os.readlink(path)}"
            else:
                assert mode & (stat.S_ISUID | stat.S_ISGID | stat.S_ISVTX | stat.S_IWGRP | stat.S_IWOTH) == 0, \
                    f"{name}: mode {oct(mode)}"
            if stat.S_ISREG(mode):
                assert path.lstat().st_nlink == 1, f"{name} shares its inode with another file"
    assert names & REFUSED == set(), names & REFUSED
    assert {"ok.txt", "sub/deep.txt", "inner", "dirlink", "hardout", "suid", "ww", "sticky"} <= names
    assert {p: (_sha(p), p.stat().st_mtime_ns) for p in watched} == before
    assert sorted(os.listdir(tmp_path)) == ["host-target.txt", "src", "work"]
    assert os.listdir(tmp_path / "work") == ["out"]


# Links that each point inside the tree when they are checked, one at a time in the archive's order
# (a name that does not exist yet resolves as plain text), but that together climb out of it:
# a00 -> a01/.., a01 -> a02/.., ..., a15 -> . makes a00 the destination's 15th parent: "/" from any
# destination up to 15 levels deep (the kernel follows at most 40 links in one lookup).
CLIMB = 16
CLIMBING_LINKS = " && ".join(f"ln -s a{i + 1:02d}/.. a{i:02d}" for i in range(CLIMB - 1)) + f" && ln -s . a{CLIMB - 1:02d}"


def test_copy_back_creates_no_chain_of_links_that_leaves_the_tree(sandbox, tmp_path):
    src, out = tmp_path / "src", tmp_path / "work" / "out"
    src.mkdir()
    result = sandbox.run(["bash", "-c", f"cd /repo && echo kept > ok.txt && {CLIMBING_LINKS}"],
                         inputs={"/repo": src}, outputs={"/repo": out}, timeout_s=60)
    assert (out / "ok.txt").read_text() == "kept\n", (result.output, result.error)
    leaving = {p.name: os.path.realpath(p) for p in out.iterdir()
               if p.is_symlink() and not Path(os.path.realpath(p)).is_relative_to(out.resolve())}
    assert leaving == {}, f"links on the host that resolve outside {out}: {leaving}"


# What a hostile agent does with such a chain through run_agent: a link named NAME in its /repo or
# /out (the problem says which, and the host file to reach) climbs out of the tree to that file.
LINKER = textwrap.dedent(f'''
    import argparse, json, os
    p = argparse.ArgumentParser()
    for flag in ("--problem-file", "--repo", "--outdir", "--max-steps"):
        p.add_argument(flag)
    a = p.parse_args()
    plan = json.load(open(a.problem_file))
    os.chdir(a.repo if plan["dir"] == "repo" else a.outdir)
    for i in range({CLIMB} - 1):
        os.symlink(f"zz{{i + 1:02d}}/..", f"zz{{i:02d}}")
    os.symlink(".", f"zz{{{CLIMB} - 1:02d}}")
    os.symlink("zz00/" + plan["target"].lstrip("/"), plan["name"])
''')


def _run_linker(sandbox, model_gateway, tmp_path: Path, plan: dict[str, str]):
    agent_dir, repo_dir = tmp_path / "agent", tmp_path / "repo"
    agent_dir.mkdir()
    (agent_dir / "coding_agent.py").write_text(LINKER)
    repo_dir.mkdir()
    (repo_dir / "coding_agent.py").write_text("print('the agent under self-improvement')\n")
    config = model_gateway.config.model_copy(update={"sandbox": sandbox.config.model_copy(update={"agent_timeout_s": 60})})
    outcome = run_agent(sandbox, config, agent_dir, repo_dir, json.dumps(plan), model_gateway.gateway.channel, tmp_path / "work")
    assert outcome.run.ok, outcome.run.output
    return outcome


def _host_secret(tmp_path: Path, text: str) -> tuple[Path, str]:
    secret = "HOST-ONLY-" + uuid.uuid4().hex
    path = tmp_path / "elsewhere" / "host-only.json"
    path.parent.mkdir()
    path.write_text(text.replace("SECRET", secret))
    return path, secret


def test_a_linked_transcript_never_reads_a_host_file(sandbox, model_gateway, tmp_path):
    path, secret = _host_secret(tmp_path, '[{"role": "host", "content": "SECRET"}]')
    outcome = _run_linker(sandbox, model_gateway, tmp_path, {"dir": "out", "name": "transcript.json", "target": str(path)})
    assert secret not in json.dumps(outcome.transcript), "the host read one of its own files as the transcript"


def test_a_self_edit_cannot_bring_a_host_file_into_the_diagnosis_prompt(sandbox, model_gateway, tmp_path):
    path, secret = _host_secret(tmp_path, "SECRET = 1\n")
    outcome = _run_linker(sandbox, model_gateway, tmp_path, {"dir": "repo", "name": "leak.py", "target": str(path)})
    assert outcome.repo_after is not None and outcome.patch, outcome.run.error
    repo = AgentRepo(tmp_path / "agents.git")  # what self_modify does with the returned tree
    child = repo.export(repo.commit_tree(outcome.repo_after, None, "child"), tmp_path / "child")
    assert secret not in agent_code_listing(child), "a host file reached the diagnosis prompt"
