"""Hostile agents against the sandbox's limits: processes, memory, CPU and privileges.

Each test runs hostile code the way an agent's code runs (``DockerSandbox.run``) with small limits,
and checks the containment from the host: the engine's events, the container's cgroup files and its
processes in the host's /proc (conftest.WatchedRun). Filesystem and copy-back attacks are in
test_containment_fs.py, the network and the API key in test_containment_net.py.
"""

from __future__ import annotations

import json
import signal
import uuid
from datetime import UTC, datetime

import pytest

pytestmark = pytest.mark.docker

# Every process of the bomb forks for ever; the first refusal each one meets is reported once.
FORK_BOMB = r"""
import os
refused = False
while True:
    try:
        os.fork()
    except OSError as exc:
        if not refused:
            refused = True
            print("fork refused", exc.errno, flush=True)
"""


def test_fork_bomb_stops_at_the_pid_limit_and_leaves_nothing_behind(make_sandbox, watch_run, host_view):
    limit = 32
    box = make_sandbox(pids=limit, cpus=0.5, memory="512m")
    before = host_view.task_count()
    run = watch_run(box, ["python3", "-c", FORK_BOMB], timeout_s=6)
    run.wait_for_line("fork refused")
    tasks = sum(p.threads for p in run.processes())
    host_tasks = host_view.task_count()
    pids_max = run.cgroup_file("pids", "pids.max")
    limit_hits = run.cgroup_file("pids", "pids.events").read_text().split()  # "max N"
    assert pids_max.read_text().strip() == str(limit)
    result = run.finish()

    assert int(limit_hits[1]) > 0, "the kernel refused no fork at the container's pid limit"
    assert 0 < tasks <= limit
    # Other work on the machine moves the count a little; an uncontained bomb adds thousands.
    assert host_tasks - before <= limit + 300, (before, host_tasks)
    assert result.timed_out, "the bomb never ends on its own: the wall-time kill must end it"
    assert run.statuses()[-1] == "destroy"
    assert run.processes() == [], "bomb processes outlived their container"
    assert not pids_max.parent.exists(), "the container's cgroup outlived it"
    assert box.run(["true"], timeout_s=30).ok, "the host cannot start a container after the bomb"


# Four children each try to hold 96 MiB at once (384 MiB under a 128 MiB limit: only a limit on the
# container as a whole stops them, no per-process one). A child reports on `ready` once it holds its
# share, or dies; the parent then releases the survivors and reports how each child ended.
MEMORY_BOMB = r"""
import json, os
ready_r, ready_w = os.pipe()
release_r, release_w = os.pipe()
children = []
for n in range(4):
    pid = os.fork()
    if pid == 0:
        os.close(ready_r); os.close(release_w)
        hoard = [b"x" * (16 << 20) for _ in range(6)]
        os.write(ready_w, b"h"); os.close(ready_w)
        os.read(release_r, 1)
        os._exit(0)
    children.append(pid)
os.close(ready_w); os.close(release_r)
held = b""
while chunk := os.read(ready_r, 8):
    held += chunk
os.close(release_w)
ends = [os.waitpid(pid, 0)[1] for pid in children]
print("REPORT " + json.dumps({"held": len(held), "killed": [os.WIFSIGNALED(e) and os.WTERMSIG(e) for e in ends]}), flush=True)
"""


def test_memory_bomb_is_oom_killed_inside_the_container(make_sandbox, watch_run):
    box = make_sandbox(memory="128m", pids=64)
    run = watch_run(box, ["python3", "-c", MEMORY_BOMB], timeout_s=60)
    result = run.finish()

    assert not result.timed_out and result.exit_code == 0, result.output
    report = json.loads(result.output.split("REPORT ", 1)[1])
    assert report["held"] <= 1, f"{report['held']} children held 96 MiB each under a 128 MiB limit"
    assert report["killed"].count(signal.SIGKILL) == 4 - report["held"], report
    assert "oom" in run.statuses(), "the engine saw no OOM kill in the container's cgroup"
    assert run.statuses()[-1] == "destroy"
    assert run.processes() == []


# Four threads hashing megabyte blocks: hashlib drops the GIL, so they really use four cores.
CPU_SPIN = r"""
import hashlib, threading
block = bytes(1 << 20)
def spin():
    while True:
        hashlib.sha256(block).digest()
for _ in range(4):
    threading.Thread(target=spin).start()
print("spinning", flush=True)
"""


def _stamp_ns(text: str) -> int:
    """An engine timestamp (RFC 3339 with nanoseconds) as integer nanoseconds."""
    whole, _, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC).timestamp()
    return int(seconds) * 10**9 + int(fraction.ljust(9, "0")[:9])


def test_cpu_spin_on_several_threads_stays_within_the_cpu_limit(make_sandbox, watch_run, docker_client):
    cpus = 0.1
    box = make_sandbox(cpus=cpus)
    run = watch_run(box, ["python3", "-c", CPU_SPIN], timeout_s=6)
    run.wait_for_line("spinning")
    samples = []  # the engine's one-per-second readings of the container's cgroup, until it is gone
    for sample in docker_client.api.stats(run.container_id, stream=True, decode=True):
        if sample["precpu_stats"].get("cpu_usage", {}).get("total_usage") and sample["pids_stats"].get("current"):
            samples.append(sample)
    run.finish()

    assert len(samples) >= 2, f"too few readings while it ran: {len(samples)}"
    first, last = samples[0], samples[-1]
    used_ns = last["cpu_stats"]["cpu_usage"]["total_usage"] - first["precpu_stats"]["cpu_usage"]["total_usage"]
    wall_ns = _stamp_ns(last["read"]) - _stamp_ns(first["preread"])
    cores = used_ns / wall_ns
    assert cores <= cpus * 1.25 + 0.05, f"four spinning threads used {cores:.2f} cores under a limit of {cpus}"
    assert cores >= cpus * 0.3, f"the spin got {cores:.2f} cores: the measurement measured nothing"
    assert last["cpu_stats"]["throttling_data"]["throttled_periods"] > 0, "the kernel never throttled the spin"


# Three daemons: double fork, setsid, nohup, stdio on /dev/null, SIGTERM/SIGHUP/SIGINT ignored. Each
# says it is ready on an inherited pipe; the parent then exits at once or waits to be killed.
DAEMON = r"""
import os, signal, sys
for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(sig, signal.SIG_IGN)
os.write(int(sys.argv[1]), b"d")
while True:
    signal.pause()
"""
DAEMONISE = r"""
import os, signal, sys
marker, parent, daemon = sys.argv[1:4]
ready_r, ready_w = os.pipe()
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.close(ready_r)
            os.set_inheritable(ready_w, True)
            null = os.open("/dev/null", os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            os.execvp("nohup", ["nohup", "python3", "-c", daemon, str(ready_w), "daemon-" + marker])
        os._exit(0)
    os.wait()
os.close(ready_w)
ready = b""
while len(ready) < 3 and (chunk := os.read(ready_r, 3)):
    ready += chunk
print("daemons up", len(ready), flush=True)
if parent == "waits":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        signal.pause()
"""


@pytest.mark.parametrize("parent", ["waits", "exits"])
def test_daemonised_children_do_not_survive_the_run(make_sandbox, watch_run, host_view, parent):
    marker = uuid.uuid4().hex
    box = make_sandbox()
    run = watch_run(box, ["python3", "-c", DAEMONISE, marker, parent, DAEMON], timeout_s=5)

    def daemons():
        return host_view.processes(lambda pid, argv, cgroup: "daemon-" + marker in argv)

    assert "daemons up 3" in run.wait_for_line("daemons up")
    if parent == "waits":
        seen = daemons()
        assert len(seen) == 3, seen
        assert all(p.uid == 1000 and p.status["PPid"] == str(run.host_pid) for p in seen), \
            "the daemons should be orphans of the container's init, running as uid 1000"
        assert {p.pid for p in seen} <= {p.pid for p in run.processes()}
    result = run.finish()

    assert result.timed_out == (parent == "waits"), result
    assert daemons() == [], "a daemonised child outlived its container"
    assert run.processes() == []
    assert run.statuses()[-1] == "destroy"


# su is setuid root; under no-new-privileges its exec must not raise the effective uid. It waits for
# a password on a pipe that is never written, so the host can look at it.
PRIVILEGE = r"""
import json, os, signal, subprocess, sys
def attempt(path):
    try:
        with open(path, "w") as f:
            f.write("1")
        return "written"
    except OSError as exc:
        return exc.strerror
report = {
    "ids": [os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()],
    "writes": {path: attempt(path) for path in sys.argv[1:]},
    "commands": {" ".join(argv): subprocess.run(argv, capture_output=True).returncode for argv in (
        ["unshare", "--user", "--map-root-user", "true"], ["unshare", "--mount", "true"],
        ["mount", "-t", "tmpfs", "none", "/tmp"], ["python3", "-c", "import os; os.setuid(0)"])},
    # mount point -> [its options, the file system type]
    "mounts": {line.split()[4]: [line.split()[5], line.split(" - ")[1].split()[0]] for line in open("/proc/self/mountinfo")},
}
su = subprocess.Popen(["su", "-c", "id -u", "root"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
report["su_prompt"] = os.read(su.stdout.fileno(), 100).decode()
print("REPORT " + json.dumps(report), flush=True)
print("REPORT-END", flush=True)
while True:
    signal.pause()
"""
KERNEL_WRITES = [
    "/proc/sys/kernel/core_pattern", "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger", "/sys/kernel/uevent_helper",
    "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
    "/sys/fs/cgroup/pids/cgroup.procs", "/sys/fs/cgroup/pids.max", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/cpu.max",
    "/sys/fs/cgroup/cgroup.procs",
]


def test_unprivileged_no_capabilities_no_new_privileges_and_read_only_kernel_files(make_sandbox, watch_run):
    box = make_sandbox()
    run = watch_run(box, ["python3", "-c", PRIVILEGE, *KERNEL_WRITES], timeout_s=6)
    report = json.loads(run.wait_for_line("REPORT-END").split("REPORT ", 1)[1].splitlines()[0])
    seen = run.processes()
    result = run.finish()

    assert result.timed_out
    assert report["su_prompt"].startswith("Password"), report["su_prompt"]
    assert any(p.argv[:1] == ["su"] for p in seen), "su was not running when the host looked"
    for proc in seen:  # the host's view, which the contained code cannot dress up
        assert proc.status["Uid"].split() == ["1000"] * 4, (proc.argv, proc.status["Uid"])
        assert proc.status["Gid"].split() == ["1000"] * 4, (proc.argv, proc.status["Gid"])
        for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(proc.status[caps], 16) == 0, (proc.argv, caps, proc.status[caps])
        assert proc.status["NoNewPrivs"] == "1" and proc.status["Seccomp"] == "2", proc.argv
    assert report["ids"][:4] == [1000] * 4 and set(report["ids"][4]) <= {1000}, report["ids"]
    assert all(outcome != "written" for outcome in report["writes"].values()), report["writes"]
    assert all(code != 0 for code in report["commands"].values()), report["commands"]
    mounts = report["mounts"]
    cgroups = [m for m, (_, kind) in mounts.items() if kind in ("cgroup", "cgroup2")]
    assert cgroups, mounts
    kernel_mounts = {m: mounts[m][0] for m in ["/proc/sys", "/sys", *cgroups]}
    assert all(options.split(",")[0] == "ro" for options in kernel_mounts.values()), kernel_mounts
