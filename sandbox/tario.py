"""Moving directory trees in and out of containers as tar streams, without trusting what comes out.

What a container hands back was written by untrusted code: we drop .git folders (hooks would run
on the host), device files, links that leave the tree and absolute paths; and we refuse the whole
tree, before writing any of it, past a file count, a total size, a path depth or a time limit, so
nothing after it (the diff, the commit, the removal) ever meets a tree it cannot handle. Scratch
trees are removed without recursion, whatever is in them.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from kernel.config import human_size
from kernel.errors import SandboxError

# Removal and scratch folders are kernel's (any tree on the host); still named here for sandbox.tario's callers.
from kernel.trees import folder_entries
from kernel.trees import remove_tree as remove_tree
from kernel.trees import scratch_dir as scratch_dir

MAX_EXTRACT_BYTES = 200 * 1024 * 1024
# Far below PATH_MAX (4096) whatever folder the tree is copied under later (work dirs, temp dirs).
MAX_PATH_BYTES = 1024
SKIPPED_PARTS = {".git", "__pycache__"}
SPOOL_IN_MEMORY = 16 * 1024 * 1024  # a copy-back up to this size is checked in memory, past it in a temp file


class OutputRefused(SandboxError):
    """A tree handed back by a container is past one of its bounds; the message says which."""


@dataclass(frozen=True)
class OutputLimits:
    """Bounds on one tree copied back from a container (``SandboxConfig.max_output_*``)."""

    files: int = 50_000
    bytes: int = MAX_EXTRACT_BYTES
    depth: int = 64  # path components below the copied folder
    seconds: float = 120.0  # the whole copy-back, from the first byte to the last file written


def tar_directory(source: Path, arcname: str, uid: int) -> bytes:
    """Tar ``source`` as ``arcname/...`` owned by ``uid``, leaving out any .git directory."""
    buf = io.BytesIO()

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if SKIPPED_PARTS & set(Path(info.name).parts):
            return None
        info.uid = info.gid = uid
        info.uname = info.gname = ""
        return info

    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(source), arcname=arcname, filter=owned)
    return buf.getvalue()


def _too_big(limits: OutputLimits) -> OutputRefused:
    return OutputRefused(f"the output is larger than {human_size(limits.bytes)} (sandbox.max_output_bytes)")


def _check_deadline(deadline: float, limits: OutputLimits) -> None:
    if time.monotonic() > deadline:
        raise OutputRefused(f"copying the output back took longer than {limits.seconds:.0f} s")


def _check_member(member: tarfile.TarInfo, count: int, limits: OutputLimits) -> None:
    if count > limits.files:
        raise OutputRefused(f"the output has more than {limits.files:,} files (sandbox.max_output_files)")
    depth = len([p for p in PurePosixPath(member.name).parts if p not in (".", "/")])
    if depth > limits.depth:
        raise OutputRefused(f"the output has a path more than {limits.depth} levels deep (sandbox.max_output_depth)")
    if len(member.name.encode("utf-8", "surrogateescape")) > MAX_PATH_BYTES:
        raise OutputRefused(f"the output has a path longer than {MAX_PATH_BYTES:,} bytes")


class _Tee(io.RawIOBase):
    """Reads docker's chunks within the byte and time bounds, keeping a copy of each in ``spool``."""

    def __init__(self, chunks: Iterable[bytes], spool: IO[bytes], limits: OutputLimits, deadline: float) -> None:
        self._chunks = iter(chunks)
        self._spool = spool
        self._limits = limits
        self._deadline = deadline
        self._buf = b""
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf:
            _check_deadline(self._deadline, self._limits)
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
            self._seen += len(self._buf)
            if self._seen > self._limits.bytes:
                raise _too_big(self._limits)
            self._spool.write(self._buf)
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _receive_checked(chunks: Iterable[bytes], spool: IO[bytes], limits: OutputLimits, deadline: float) -> None:
    """Receive the stream into ``spool``, checking each header as it comes in: a tree past a bound
    is refused at the header that passes it, not after the engine has packed all of it (packing
    150,000 files took the engine 50 s)."""
    tee = _Tee(chunks, spool, limits, deadline)
    with tarfile.open(fileobj=io.BufferedReader(tee, buffer_size=1024 * 1024), mode="r|") as tar:
        for count, member in enumerate(tar, start=1):
            _check_member(member, count, limits)
    while tee.read(1024 * 1024):  # the end-of-archive blocks, so the copy is whole
        pass


def _safe(member: tarfile.TarInfo) -> bool:
    if SKIPPED_PARTS & set(PurePosixPath(member.name).parts):
        return False
    return member.isfile() or member.isdir() or member.issym()


def extract_tar(chunks: Iterable[bytes], dest: Path, limits: OutputLimits = OutputLimits()) -> list[str]:
    """Extract a tar stream into ``dest`` with Python's 'data' filter plus our own exclusions.

    The whole stream is received first (in memory, or in a temporary file past SPOOL_IN_MEMORY)
    within the byte and time bounds, its headers checked against the file count, depth and path
    length as they come in, before a single file is written: a refused tree (OutputRefused) leaves
    nothing in ``dest``.

    Returns the names of members skipped as unsafe (e.g. a link to /etc/passwd): the rest of the
    tree is still worth having, so one bad entry does not void the whole output.
    """
    deadline = time.monotonic() + limits.seconds
    try:
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
            _receive_checked(chunks, spool, limits, deadline)
            spool.seek(0)
            with tarfile.open(fileobj=spool, mode="r:") as tar:
                return _extract(tar, dest, limits, deadline)
    except tarfile.TarError as exc:
        raise SandboxError(f"unsafe or broken archive from container: {exc}") from None
    except OSError as exc:  # the host side: a name the file system refuses, a full disk
        raise SandboxError(f"cannot write the container's output: {exc.strerror or exc}") from None


def _extract(tar: tarfile.TarFile, dest: Path, limits: OutputLimits, deadline: float) -> list[str]:
    skipped: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    for member in tar:
        _check_deadline(deadline, limits)
        if not _safe(member):
            continue
        # 'data' rejects absolute names, '..', links leaving dest, and strips modes/owners.
        try:
            tar.extract(member, dest, filter="data")
        except tarfile.FilterError:
            skipped.append(member.name)
    return skipped + _remove_escaping_links(dest)


def _remove_escaping_links(dest: Path) -> list[str]:
    """Links that resolve outside ``dest`` now that the whole tree exists. The 'data' filter checks
    each link alone as it is extracted, when the links it goes through may not exist yet: a chain
    (a -> b/.., b -> c/.., c -> .) passes it link by link, then leads out of the tree. Removing one
    such link can only leave others dangling, never make one escape, so one pass is enough."""
    root = os.path.realpath(dest)
    escaping: list[str] = []
    stack = [os.fspath(dest)]
    while stack:
        for entry in folder_entries(stack.pop()):
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if real != root and not real.startswith(root + os.sep):
                    escaping.append(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
    for path in escaping:
        os.unlink(path)
    return [os.path.relpath(path, dest) for path in escaping]
