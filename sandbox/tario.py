"""Moving directory trees in and out of containers as tar streams, without trusting what comes out.

What a container hands back was written by untrusted code: we drop .git folders (hooks would run
on the host), device files, links that leave the tree and absolute paths, and cap the total size.
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Iterable

from dgm.errors import SandboxError

MAX_EXTRACT_BYTES = 200 * 1024 * 1024


def tar_directory(source: Path, arcname: str, uid: int) -> bytes:
    """Tar ``source`` as ``arcname/...`` owned by ``uid``, leaving out any .git directory."""
    buf = io.BytesIO()

    def owned(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        if ".git" in Path(info.name).parts or "__pycache__" in Path(info.name).parts:
            return None
        info.uid = info.gid = uid
        info.uname = info.gname = ""
        return info

    with tarfile.open(fileobj=buf, mode="w") as tar:
        tar.add(str(source), arcname=arcname, filter=owned)
    return buf.getvalue()


class _StreamReader(io.RawIOBase):
    """A file object over docker's chunk iterator that refuses to read past a size cap."""

    def __init__(self, chunks: Iterable[bytes], limit: int) -> None:
        self._chunks = iter(chunks)
        self._buf = b""
        self._seen = 0
        self._limit = limit

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[override]
        while not self._buf:
            try:
                self._buf = next(self._chunks)
            except StopIteration:
                return 0
            self._seen += len(self._buf)
            if self._seen > self._limit:
                raise SandboxError(f"container output exceeds {self._limit // (1024 * 1024)} MiB")
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _safe_members(tar: tarfile.TarFile) -> Iterable[tarfile.TarInfo]:
    for member in tar:
        parts = Path(member.name).parts
        if ".git" in parts or "__pycache__" in parts:
            continue
        if not (member.isfile() or member.isdir() or member.issym()):
            continue
        yield member


def extract_tar(chunks: Iterable[bytes], dest: Path, limit: int = MAX_EXTRACT_BYTES) -> list[str]:
    """Extract a tar stream into ``dest`` with Python's 'data' filter plus our own exclusions.

    Returns the names of members skipped as unsafe (e.g. a link to /etc/passwd): the rest of the
    tree is still worth having, so one bad entry does not void the whole output.
    """
    skipped: list[str] = []
    dest.mkdir(parents=True, exist_ok=True)
    reader = io.BufferedReader(_StreamReader(chunks, limit), buffer_size=1024 * 1024)
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in _safe_members(tar):
                # 'data' rejects absolute names, '..', links leaving dest, and strips modes/owners.
                try:
                    tar.extract(member, dest, filter="data")
                except tarfile.FilterError:
                    skipped.append(member.name)
    except tarfile.TarError as exc:
        raise SandboxError(f"unsafe or broken archive from container: {exc}") from None
    return skipped
