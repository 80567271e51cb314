"""Several trusted commands, one after another, in one container: what `DockerSandbox.run_steps` runs.

A container costs the engine about 0.4 s of CPU to create, start and remove, as much as a whole Go or
Python grade. `bench check` grades each task three times (untouched once, reference twice), all with
the benchmark's own files, so it runs the three in one container. Each step still sees what a fresh
container would show it: its own files at their own paths (its `/repo` and `/grade`), run as the
sandbox user with no capabilities, its own time limit, its own output, and nothing the step before
left behind (that step's processes are killed and its files in the writable temporary folders
removed). Only for trusted commands: the steps share one container, and the cleaning between them is
thorough for honest commands, not a wall against hostile ones. Agent code always gets a fresh one.

The container's first process (under the seccomp wrapper) is DRIVER, run as root with no capability
but SETUID and SETGID: it moves each step's files into place (renames, owned by root), forks the step
as the sandbox user (which drops every capability), keeps the tail of its output, and writes each
step's output and result under OUT, which the sandbox copies back. Trees are renamed, never copied.
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

ROOT = "dgm-steps"  # /dgm-steps/<i>/ holds step i's files until its turn; root-only (0700)
OUT = f"/{ROOT}/out"
RESULTS = "results.json"
# What a step writes may stay behind only here (and in its own /repo, which is moved away after it).
WRITABLE = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")


@dataclass(frozen=True)
class Step:
    """One trusted command and the files it runs with: ``archive`` is a tar whose top-level entries
    appear at / for this step only. Each must be absent from the image or an empty folder there (a
    SWE-bench image's /repo), which is then removed for good: later steps bring their own."""

    command: list[str]
    archive: bytes
    timeout_s: float
    workdir: str = "/"


def steps_archive(steps: list[Step]) -> bytes:
    """One tar holding every step's files under /dgm-steps/<i>/ (root-only), and the output folder."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as out:
        for name in (ROOT, f"{ROOT}/out", *(f"{ROOT}/{i}" for i in range(len(steps)))):
            info = tarfile.TarInfo(name)
            info.type, info.mode = tarfile.DIRTYPE, 0o700
            out.addfile(info)
        for i, step in enumerate(steps):
            with tarfile.open(fileobj=io.BytesIO(step.archive), mode="r") as src:
                for member in src.getmembers():
                    data = src.extractfile(member) if member.isreg() else None
                    member.name = f"{ROOT}/{i}/{member.name.lstrip('/')}"
                    if member.islnk():  # a hard link names another member of the archive
                        member.linkname = f"{ROOT}/{i}/{member.linkname.lstrip('/')}"
                    out.addfile(member, data)
    return buf.getvalue()


def driver_command(steps: list[Step], uid: int, tail_lines: int, tail_bytes: int) -> list[str]:
    spec = {"uid": uid, "tail_lines": tail_lines, "tail_bytes": tail_bytes, "root": f"/{ROOT}", "out": OUT,
            "results": RESULTS, "writable": WRITABLE, "steps": [{"command": s.command, "timeout_s": s.timeout_s, "workdir": s.workdir} for s in steps]}
    return ["python3", "-I", "-S", "-c", DRIVER, json.dumps(spec)]


def read_results(out: Path, count: int) -> list[dict | None]:
    """Each step's {exit_code, timed_out, duration_s, error, output} as the driver wrote them; None for
    a step it never reached (the container ended first, or its results could not be copied back)."""
    try:
        written = json.loads((out / RESULTS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = []
    results: list[dict | None] = []
    for i in range(count):
        entry = written[i] if isinstance(written, list) and i < len(written) else None
        if not isinstance(entry, dict):
            results.append(None)
            continue
        log = out / f"{i}.log"
        results.append({"exit_code": entry.get("exit_code"), "timed_out": bool(entry.get("timed_out")),
                        "duration_s": float(entry.get("duration_s") or 0.0), "error": entry.get("error"),
                        "output": log.read_bytes().decode("utf-8", "replace") if log.is_file() else ""})
    return results


# Runs in the container as root, with SETUID and SETGID only. Python's own start ignores SIGPIPE and
# SIGXFSZ, and an exec keeps what is ignored: the steps get them back.
DRIVER = r'''
import json, os, select, shutil, signal, stat, sys, time
spec = json.loads(sys.argv[1])
UID, ROOT, OUT, RESULTS, WRITABLE = spec["uid"], spec["root"], spec["out"], spec["results"], spec["writable"]


def become_user():
    os.setgroups([])
    os.setresgid(UID, UID, UID)
    os.setresuid(UID, UID, UID)  # from root to another user: every capability goes


def as_user(work):
    pid = os.fork()
    if pid == 0:
        try:
            become_user()
            work()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def writable(path):
    for root, dirs, files in os.walk(path):
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o700)
            except OSError:
                pass


def sweep():
    # What a step leaves behind: every process of the user (all but this one), then its files.
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass
    for top in WRITABLE:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != UID:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    os.chmod(entry.path, 0o700)
                    writable(entry.path)
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                pass


def move(src, dst):
    # A folder that changes parent must be writable (its ".." changes): root owns these ones.
    mode = os.lstat(src).st_mode
    if stat.S_ISDIR(mode) and not mode & 0o200:
        os.chmod(src, stat.S_IMODE(mode) | 0o200)
        os.rename(src, dst)
        os.chmod(dst, stat.S_IMODE(mode))
    else:
        os.rename(src, dst)


def place(folder):
    names = sorted(os.listdir(folder))
    for name in names:
        target = "/" + name
        if os.path.lexists(target):
            if os.path.isdir(target) and not os.path.islink(target) and not os.listdir(target):
                os.rmdir(target)  # the image's empty folder (a SWE-bench image's /repo)
            else:
                raise OSError(f"/{name} exists in the image; a step's files cannot replace it")
        move(os.path.join(folder, name), target)
    return names


def tail(data, lines, size):
    # The last lines, then the last bytes of those: what the engine's log keeps of a container.
    parts = data.split(b"\n")
    end = parts.pop() if parts[-1] == b"" and len(parts) > 1 else None
    kept = b"\n".join(parts[-lines:]) + (b"\n" if end is not None else b"")
    return kept[-size:]


def run(step):
    r, w = os.pipe()
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.dup2(w, 1)
            os.dup2(w, 2)
            os.close(w)
            null = os.open("/dev/null", os.O_RDONLY)
            os.dup2(null, 0)
            os.setsid()
            become_user()
            os.chdir(step["workdir"])
            signal.signal(signal.SIGPIPE, signal.SIG_DFL)
            signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
            os.execvp(step["command"][0], step["command"])
        except BaseException as exc:
            os.write(2, f"dgm: cannot run {step['command'][0]}: {exc}\n".encode())
        os._exit(127)
    os.close(w)
    keep = spec["tail_bytes"] * 2
    data, status, timed_out, eof = b"", None, False, False
    deadline = start + step["timeout_s"]
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        if eof:
            time.sleep(min(left, 0.05))  # its output is closed, the step not ended yet
        elif select.select([r], [], [], min(left, 0.1))[0]:
            chunk = os.read(r, 65536)
            data, eof = (data + chunk)[-keep:], not chunk
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = code  # as in a container: its first process ended, so does everything else
            break
    duration = time.monotonic() - start
    as_user(sweep)
    if status is None:
        status = os.waitpid(pid, 0)[1]
    ends = time.monotonic() + 10
    while time.monotonic() < ends and select.select([r], [], [], 1)[0]:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        data = (data + chunk)[-keep:]
    os.close(r)
    code = os.waitstatus_to_exitcode(status)
    return {"exit_code": None if timed_out else (128 - code if code < 0 else code), "timed_out": timed_out,
            "duration_s": duration, "error": None}, tail(data, spec["tail_lines"], spec["tail_bytes"])


def write(name, data):
    with open(f"{OUT}/{name}.tmp", "wb") as f:
        f.write(data)
    os.rename(f"{OUT}/{name}.tmp", f"{OUT}/{name}")


results = []
for i, step in enumerate(spec["steps"]):
    folder = f"{ROOT}/{i}"
    try:
        names = place(folder)
    except OSError as exc:
        results.append({"exit_code": None, "timed_out": False, "duration_s": 0.0,
                        "error": f"cannot put the step's files in place: {exc}"})
        write(RESULTS, json.dumps(results).encode())
        continue
    result, output = run(step)
    write(f"{i}.log", output)
    results.append(result)
    write(RESULTS, json.dumps(results).encode())
    for name in names:
        move("/" + name, os.path.join(folder, name))
'''
