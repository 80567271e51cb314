"""The disk watch: a container's files, measured while it runs, and a kill past ``sandbox.disk``.

Docker's own per-container quota (`storage_opt size`) needs overlay2 on XFS with project quotas,
btrfs or zfs; most engines have none (sandbox/container.py uses it where they do). So the sandbox
limits every single file (RLIMIT_FSIZE), refuses fallocate (sandbox/seccomp.py), and measures what a
container wrote: on the host when its writable layer is a folder this process can read, else by
the engine's SizeRw. Past the limit its processes are killed at once.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker

# The disk watch. Several writers in one 1-CPU container wrote 2.5 GiB/s on average and up to
# 5 GiB/s over 0.1 s on the reference machine; the watch assumes 4 GiB/s, or the rate it saw.
ASSUMED_WRITE_RATE = 4 * 1024**3
MIN_POLL_S = 0.01
MAX_POLL_S = 1.0
COST_FACTOR = 2.0  # the next look waits at least this many times the last one's duration
KILL_ROUNDS = 20
ENTRY_BYTES = 4096  # what one file, folder or link costs at least (a block), so empty ones count
WALK_MAX_ENTRIES = 5000  # past this, a layer is measured by find(1) instead of in this process
CGROUP_ROOT = Path("/sys/fs/cgroup")
LOCAL_ENGINE = "http+docker://localhost"  # docker-py's base_url for a Unix-socket engine


def stop_for_disk(container: Any, meter: Callable[[], int]) -> None:
    if isinstance(meter, HostMeter):
        # At once, from here: the engine's kill took up to 0.7 s to land on a busy machine, time
        # in which fast writers added 600 MiB.
        meter.kill_processes()
    try:
        container.kill()
    except Exception:  # noqa: BLE001 - exited or removed already
        pass


# -- the disk watch ----------------------------------------------------------------------------

class DiskWatch:
    """Kills a running container once ``measure()`` (bytes of its files) passes ``limit``.

    One thread per container, asleep between looks: a shared one would serialise the looks, so a
    container with a huge tree would delay another's kill. The next look is due when a container
    writing at ASSUMED_WRITE_RATE (or at the rate it showed, if faster) could reach the limit: rare
    far from it (every MAX_POLL_S at most), every MIN_POLL_S close to it, and never sooner than
    COST_FACTOR times the last look took, so a tree that is slow to measure costs a third of a core.

    That floor would let a container whose tree is slow to measure (a flood of empty folders: each
    look walks them all) run past the limit while it waits and while it is measured: 178 MiB past
    64 MiB on a fast machine. So when the floor is what stands between it and the limit, the watch
    freezes it (``freeze``/``thaw``, the engine's pause) for each look and waits only as long as the
    limit allows: near its limit such a container runs in slivers, and is measured standing still.

    Polling alone could not outrun fallocate(2), which reserves a file's blocks (up to RLIMIT_FSIZE
    each) in about a millisecond: measured 2.9 GiB past a 256 MiB limit before the first look. The
    sandbox's seccomp filter refuses it (sandbox/seccomp.py), so every block is written, at a rate
    the watch keeps up with.
    """

    def __init__(self, limit: int, measure: Callable[[], int], kill: Callable[[], None],
                 freeze: Callable[[], None] | None = None, thaw: Callable[[], None] | None = None) -> None:
        self.limit = limit
        self.exceeded: int | None = None  # the size that made it kill
        self.frozen_looks = 0
        self._measure = measure
        self._kill = kill
        self._freeze, self._thaw = (freeze, thaw) if freeze and thaw else (None, None)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="dgm-disk-watch", daemon=True)

    def start(self) -> DiskWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def final(self) -> int:
        """The size now (after the kill), for the record; the size that made it kill if unknown."""
        try:
            return max(self._measure(), self.exceeded or 0)
        except Exception:  # noqa: BLE001 - a report, not a decision
            return self.exceeded or 0

    def _watch(self) -> None:
        used, ran_since, rate = 0, time.monotonic(), float(ASSUMED_WRITE_RATE)
        delay, freeze_next = self._delay(used, rate, cost=0.0), False
        while not self._stopped.wait(delay):
            began = time.monotonic()
            frozen = freeze_next and self._try(self._freeze)
            try:
                now = self._measure()
            except Exception:  # noqa: BLE001 - the container is going, or the engine is slow: look again later
                if frozen:
                    self._try(self._thaw)
                delay, freeze_next = MAX_POLL_S, False
                continue
            cost = time.monotonic() - began
            # The rate over the time it could write: since the last look began, or since its thaw.
            rate = max(float(ASSUMED_WRITE_RATE), (now - used) / max(began - ran_since, 1e-3))
            used = now
            if used > self.limit:
                self.exceeded = used  # before the kill: the run reads it once its wait returns
                self._kill()
                if frozen:  # the kill is pending in frozen processes: it lands once they thaw
                    self._try(self._thaw)
                    self._kill()
                return
            delay = self._delay(used, rate, cost)
            room = (self.limit - used) / rate
            freeze_next = self._freeze is not None and cost > MIN_POLL_S and delay > room
            if freeze_next:
                delay = max(MIN_POLL_S, room)
            if frozen:
                self.frozen_looks += 1
                self._try(self._thaw)
            ran_since = time.monotonic() if frozen else began

    def _delay(self, used: int, rate: float, cost: float) -> float:
        return max(MIN_POLL_S, COST_FACTOR * cost, min(MAX_POLL_S, (self.limit - used) / rate))

    @staticmethod
    def _try(step: Callable[[], None] | None) -> bool:
        if step is None:
            return False
        try:
            step()
            return True
        except Exception:  # noqa: BLE001 - exited, or already paused or running: the look goes on without it
            return False


def layer_meter(client: docker.DockerClient, container: Any) -> Callable[[], int]:
    """How to measure a container's files: on the host when its writable layer is a folder this
    process can read (a local overlay2 engine), else the engine's SizeRw (any engine)."""
    upper = ((container.attrs.get("GraphDriver") or {}).get("Data") or {}).get("UpperDir")
    if client.api.base_url == LOCAL_ENGINE and upper and os.path.isdir(upper) and os.access(upper, os.R_OK | os.X_OK):
        return HostMeter(upper, client.api, container.id)
    return lambda: engine_size(client.api, container.id)


def engine_size(api: Any, container_id: str) -> int:
    """SizeRw, the engine's size of a container's writable layer: the bytes of its regular files
    (folders, empty files and files deleted while held open count nothing)."""
    [entry] = api.containers(all=True, size=True, filters={"id": container_id})
    return int(entry.get("SizeRw") or 0)


@dataclass
class HostMeter:
    """A container's disk use as the host sees it: the data blocks of its writable layer (folders
    included, sparse holes not) plus ENTRY_BYTES per file, folder or link (a flood of empty files
    would otherwise use up the host's inodes unseen), plus the files it deleted but holds open (gone
    from the layer, still on the disk). A small layer is walked here (a fraction of a millisecond);
    a big or odd one (past WALK_MAX_ENTRIES, or paths past PATH_MAX) by find(1), which holds no GIL
    and walks any depth. Neither follows links."""

    upper: str
    api: Any
    container_id: str
    _way: str = "walk"
    _pid: int | None = None

    def __call__(self) -> int:
        return self._layer_bytes() + held_deleted_bytes(self._pids())

    def _layer_bytes(self) -> int:
        """By the cheapest way that still sees everything: this process's walk, then find(1) (a
        big tree, paths past PATH_MAX), then the engine's SizeRw (a folder we may not read, no find)."""
        if self._way == "walk":
            try:
                return walk_layer(self.upper, WALK_MAX_ENTRIES)
            except _TooManyEntries:
                self._way = "find"
            except OSError as exc:
                self._way = "find" if exc.errno == errno.ENAMETOOLONG else "engine"
        if self._way == "find":
            try:
                return find_layer(self.upper)
            except (OSError, subprocess.SubprocessError):
                self._way = "engine"
        return engine_size(self.api, self.container_id)

    def kill_processes(self) -> None:
        """SIGKILL every process of the container, in rounds: one forked while a round was being
        dealt out is in the next (a killed process forks no more; pids are bounded)."""
        for _ in range(KILL_ROUNDS):
            pids = self._pids()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass  # exited already

    def _pids(self) -> list[int]:
        if self._pid is None:
            self._pid = int(self.api.inspect_container(self.container_id)["State"]["Pid"])
        return cgroup_pids(self._pid, self.container_id) if self._pid else []


class _TooManyEntries(Exception):
    pass


def walk_layer(root: str, max_entries: int) -> int:
    """Data blocks plus ENTRY_BYTES per entry below ``root``, walked without recursion."""
    total, entries, folders = 0, 0, [root]
    while folders:
        try:
            with os.scandir(folders.pop()) as it:
                listed = list(it)
        except FileNotFoundError:
            continue  # deleted while we looked: the container is running
        entries += len(listed)
        if entries > max_entries:
            raise _TooManyEntries
        for entry in listed:
            try:
                info = entry.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
            total += info.st_blocks * 512 + ENTRY_BYTES
            if stat.S_ISDIR(info.st_mode):
                folders.append(entry.path)
    return total


def find_layer(root: str) -> int:
    """walk_layer's measure by find(1): one line of 512-byte blocks per entry."""
    proc = subprocess.run(["find", root, "-mindepth", "1", "-printf", "%b\\n"], capture_output=True, timeout=120)
    # find says so and exits 1 when a file vanishes under it (the container is running); the rest
    # stands. A folder it may not read would go uncounted: that is a failure.
    errors = proc.stderr.decode(errors="replace")
    if proc.returncode not in (0, 1) or "Permission denied" in errors:
        raise OSError(f"find failed: {errors.strip()[:200]}")
    blocks = proc.stdout.split()
    return sum(map(int, blocks)) * 512 + ENTRY_BYTES * len(blocks)


def cgroup_pids(init_pid: int, container_id: str) -> list[int]:
    """Host pids of every process in the container's cgroup (cgroup v1's pids controller, or v2),
    found from its init; none unless that cgroup names the container (its init may be gone and its
    pid reused: these pids may be killed)."""
    try:
        lines = Path(f"/proc/{init_pid}/cgroup").read_text().splitlines()
    except OSError:
        return []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if container_id not in path:
            continue
        if "pids" in controllers.split(","):
            procs = CGROUP_ROOT / "pids" / path.lstrip("/") / "cgroup.procs"
        elif controllers == "":
            procs = CGROUP_ROOT / path.lstrip("/") / "cgroup.procs"
        else:
            continue
        try:
            return [int(pid) for pid in procs.read_text().split()]
        except OSError:
            continue
    return []


def held_deleted_bytes(pids: list[int]) -> int:
    """Blocks of regular files that ``pids`` hold open after deleting them (each file once)."""
    held: dict[tuple[int, int], int] = {}
    for pid in pids:
        fd_dir = f"/proc/{pid}/fd"
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue  # exited
        for fd in fds:
            try:
                info = os.stat(f"{fd_dir}/{fd}")
            except OSError:
                continue
            if stat.S_ISREG(info.st_mode) and info.st_nlink == 0:
                held[(info.st_dev, info.st_ino)] = info.st_blocks * 512
    return sum(held.values())
