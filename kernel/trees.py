"""Directory trees on the host: copied without recursion or following links, removed whatever is
in them, and scratch folders that are removed that way afterwards.

Every tree here may have been written by untrusted code in a container: deep, with links, with
folders we may not list. ``shutil.copytree`` and ``shutil.rmtree`` recurse (and Python 3.11's gave up
half way on a deep tree), so neither is used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

COPY_SKIPPED = {".git", "__pycache__", ".pytest_cache"}


def copy_tree(src: Path, dest: Path) -> None:
    """Copy ``src`` into ``dest`` (which may exist): links as links, no .git or caches, and no
    recursion (shutil.copytree recurses; a tree from a container may be as deep as it likes).
    A link already in ``dest`` is replaced, never written through (a patch may have planted one
    where a hidden test goes). Anything but files, folders and links is left out. Raises OSError
    on a conflict (a folder where a file goes)."""
    pending: list[tuple[str, str, bool]] = [(os.fspath(src), os.fspath(dest), False)]
    while pending:
        source, target, filled = pending.pop()
        if filled:  # after its contents, as copytree does: a read-only folder is filled first
            shutil.copystat(source, target, follow_symlinks=False)
            continue
        os.makedirs(target, exist_ok=True)
        pending.append((source, target, True))
        with os.scandir(source) as entries:
            for entry in entries:
                if entry.name in COPY_SKIPPED:
                    continue
                to = os.path.join(target, entry.name)
                if entry.is_symlink():
                    _unlink_unless_folder(to)
                    os.symlink(os.readlink(entry.path), to)
                elif entry.is_dir():
                    if os.path.islink(to):
                        os.unlink(to)
                    pending.append((entry.path, to, False))
                elif entry.is_file():
                    _unlink_unless_folder(to)
                    shutil.copyfile(entry.path, to)  # not copy2: onto a folder it would copy into it
                    shutil.copystat(entry.path, to)


def _unlink_unless_folder(path: str) -> None:
    if os.path.islink(path) or os.path.isfile(path):
        os.unlink(path)


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything below it, whatever a container put there.

    Iterative (Python 3.11's shutil.rmtree recurses, and a deep tree raised RecursionError half way,
    leaving a folder nothing could remove), never follows links, and opens up folders it may not
    list. Falls back on `rm -rf` for what it cannot reach (a path past PATH_MAX). Missing is fine;
    raises OSError when something is left.
    """
    try:
        _remove_iteratively(os.fspath(path))
    except OSError:
        subprocess.run(["rm", "-rf", "--", os.fspath(path)], capture_output=True, check=False)
    if os.path.lexists(path):
        raise OSError(f"could not remove {path}")


def _remove_iteratively(root: str) -> None:
    if not os.path.lexists(root):
        return
    if os.path.islink(root) or not os.path.isdir(root):
        os.unlink(root)
        return
    stack: list[tuple[str, bool]] = [(root, False)]
    while stack:
        folder, emptied = stack.pop()
        if emptied:
            _missing_ok(os.rmdir, folder)
            continue
        stack.append((folder, True))
        for entry in folder_entries(folder):
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, False))
            else:
                _missing_ok(os.unlink, entry.path)


def folder_entries(folder: str) -> list[os.DirEntry]:
    """The entries of ``folder`` (none when it is gone), opening it up first if we may not list it."""
    try:
        with os.scandir(folder) as it:
            return list(it)
    except FileNotFoundError:
        return []
    except PermissionError:  # a folder without read or search rights (we run as its owner)
        os.chmod(folder, 0o700)
        with os.scandir(folder) as it:
            return list(it)


def _missing_ok(remove, path: str) -> None:
    try:
        remove(path)
    except FileNotFoundError:
        pass
    except PermissionError:  # its folder is not writable for us: make it so, then try once more
        os.chmod(os.path.dirname(path), 0o700)
        remove(path)


@contextmanager
def scratch_dir(prefix: str, parent: Path | None = None) -> Iterator[Path]:
    """A new empty folder removed afterwards with remove_tree (tempfile's own cleanup recurses)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    try:
        yield path
    except BaseException:
        try:
            remove_tree(path)
        except OSError:
            pass  # the error on its way out is the one to report; recovery.repair() tries again
        raise
    remove_tree(path)
