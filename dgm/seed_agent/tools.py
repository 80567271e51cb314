"""The agent's two tools: `bash` and a file `editor`, each with its OpenAI function schema.

A tool never raises into the loop: whatever goes wrong becomes text the model can read and act on.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

MAX_OUTPUT = 10_000  # characters of tool output shown to the model
CAPTURE_BYTES = 1_000_000  # bytes kept of each end of a command's output while it runs
OUTPUT_GRACE_S = 1.0  # how long to wait for output still held open by background processes
VIEW_DEPTH = 2
# Never handed to commands: the model could print them into the transcript.
SECRET_NAME = re.compile(r"API_KEY|TOKEN|SECRET|PASSWORD", re.IGNORECASE)

BASH_SCHEMA = {"type": "function", "function": {
    "name": "bash",
    "description": "Run a bash command in the repository (the working directory) and see its combined "
                   "stdout and stderr and exit code. Each call is a fresh shell; state such as `cd` does "
                   "not carry over. Long-running commands are killed at the timeout.",
    "parameters": {"type": "object", "required": ["command"], "properties": {
        "command": {"type": "string", "description": "The bash command to run."},
    }},
}}

EDITOR_SCHEMA = {"type": "function", "function": {
    "name": "editor",
    "description": "View, create and edit files. `view` shows a file with line numbers (or lists a "
                   "directory two levels deep); `create` writes a whole file; `str_replace` replaces "
                   "old_str, which must occur exactly once, by new_str; `insert` inserts text after line "
                   "insert_line (0 = at the top). Paths are absolute or relative to the repository.",
    "parameters": {"type": "object", "required": ["command", "path"], "properties": {
        "command": {"type": "string", "enum": ["view", "create", "str_replace", "insert"]},
        "path": {"type": "string", "description": "File or directory path."},
        "view_range": {"type": "array", "items": {"type": "integer"},
                       "description": "view: [start, end] lines, 1-based and inclusive; end -1 = end of file."},
        "file_text": {"type": "string", "description": "create: the content of the file."},
        "old_str": {"type": "string", "description": "str_replace: the exact text to replace."},
        "new_str": {"type": "string", "description": "str_replace: the replacement (empty to delete)."},
        "insert_line": {"type": "integer", "description": "insert: the line after which to insert."},
        "text": {"type": "string", "description": "insert: the text to insert."},
    }},
}}

SCHEMAS = [BASH_SCHEMA, EDITOR_SCHEMA]


class ToolError(Exception):
    """A mistake in a tool call; its message is shown to the model."""


class Toolbox:
    """Runs tool calls against one repository."""

    def __init__(self, repo: Path, bash_timeout: float = 60.0) -> None:
        self.repo = repo.resolve()
        self.bash_timeout = bash_timeout

    @property
    def schemas(self) -> list[dict[str, Any]]:
        return SCHEMAS

    def run(self, name: str, arguments: dict[str, Any]) -> str:
        """The tool's output, or an error message: never an exception."""
        try:
            if not isinstance(arguments, dict):
                raise ToolError("the arguments must be a JSON object")
            if name == "bash":
                return self.bash(_required(arguments, "command", str))
            if name == "editor":
                return self.editor(**arguments)
            raise ToolError(f"unknown tool {name!r}; the tools are bash and editor")
        except ToolError as exc:
            return f"Error: {exc}"
        except TypeError as exc:  # unexpected or missing keyword arguments
            return f"Error: bad arguments for {name}: {exc}"
        except (OSError, UnicodeError, ValueError) as exc:
            return f"Error: {type(exc).__name__}: {exc}"

    # -- bash --------------------------------------------------------------------------------------

    def bash(self, command: str) -> str:
        proc: subprocess.Popen[bytes] | None = None
        try:
            with _sigterm_deferred():  # a stop arriving mid-Popen would lose the pid we must kill
                proc = subprocess.Popen(
                    ["bash", "-c", command], cwd=self.repo, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT, start_new_session=True,  # its own process group, to kill it whole
                    env={k: v for k, v in os.environ.items() if not SECRET_NAME.search(k)},
                )
            capture = _Capture(proc.stdout)
            code: int | None = proc.wait(timeout=self.bash_timeout)
        except subprocess.TimeoutExpired:
            assert proc is not None
            _kill_group(proc.pid)
            proc.wait()
            code = None
        except BaseException:  # the agent itself is being stopped: leave no command running behind it
            if proc is not None:
                _kill_group(proc.pid)
            raise
        held_open = not capture.done.wait(OUTPUT_GRACE_S)  # by a background process
        parts = [capture.text().rstrip("\n")]
        if held_open:
            parts.append("[background processes still hold the output open; later output is not shown]")
        if code is None:
            parts.append(f"[timed out after {self.bash_timeout:g} s: the command and its children were killed]")
        else:
            parts.append(f"[exit code: {code}]")
        return "\n".join(part for part in parts if part)

    # -- editor ------------------------------------------------------------------------------------

    def editor(self, command: str, path: str, **kwargs: Any) -> str:
        actions = {"view": self.view, "create": self.create, "str_replace": self.str_replace, "insert": self.insert}
        if command not in actions:
            raise ToolError(f"unknown editor command {command!r}; use one of {', '.join(actions)}")
        if not isinstance(path, str) or not path:
            raise ToolError("path must be a non-empty string")
        return actions[command](self.resolve(path), **kwargs)

    def resolve(self, path: str) -> Path:
        return Path(path) if os.path.isabs(path) else self.repo / path

    def view(self, path: Path, view_range: list[int] | None = None, **_: Any) -> str:
        if path.is_dir():
            return _listing(path)
        lines = _read(path).splitlines()
        start, end = 1, len(lines)
        if view_range is not None:
            start, end = _check_range(view_range, len(lines))
        numbered = [f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1)]
        return truncate("\n".join(numbered) or "(empty file)")

    def create(self, path: Path, file_text: str | None = None, **_: Any) -> str:
        if not isinstance(file_text, str):
            raise ToolError("create needs file_text (the whole content of the file)")
        existed = path.exists()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text)
        return f"{'Overwrote' if existed else 'Created'} {path} ({len(file_text.splitlines())} lines)."

    def str_replace(self, path: Path, old_str: str | None = None, new_str: str | None = None, **_: Any) -> str:
        if not isinstance(old_str, str) or not old_str:
            raise ToolError("str_replace needs a non-empty old_str")
        text = _read(path)
        count = text.count(old_str)
        if count != 1:
            where = "does not occur" if count == 0 else f"occurs {count} times"
            raise ToolError(f"old_str {where} in {path}; it must occur exactly once (add surrounding lines "
                            "to make it unique, and copy whitespace exactly)")
        before = text[: text.index(old_str)]
        path.write_text(before + (new_str or "") + text[len(before) + len(old_str):])
        first = before.count("\n") + 1
        return f"Edited {path}. Lines around the change:\n" + _snippet(path, first, (new_str or "").count("\n"))

    def insert(self, path: Path, insert_line: int | None = None, text: str | None = None,
               new_str: str | None = None, **_: Any) -> str:
        text = text if text is not None else new_str  # models trained on other editors say new_str
        if not isinstance(text, str) or not isinstance(insert_line, int):
            raise ToolError("insert needs insert_line (an integer) and text")
        lines = _read(path).splitlines(keepends=True)
        if not 0 <= insert_line <= len(lines):
            raise ToolError(f"insert_line must be between 0 and {len(lines)} (the file's line count)")
        if lines and not lines[-1].endswith("\n") and insert_line == len(lines):
            lines[-1] += "\n"
        lines.insert(insert_line, text if text.endswith("\n") else text + "\n")
        path.write_text("".join(lines))
        return f"Inserted after line {insert_line} of {path}:\n" + _snippet(path, insert_line + 1, text.count("\n"))


class _Capture:
    """Reads a pipe in a thread, keeping both ends of huge outputs without holding it all."""

    def __init__(self, pipe: Any) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.done = threading.Event()
        threading.Thread(target=self._read, args=(pipe,), daemon=True).start()

    def _read(self, pipe: Any) -> None:
        try:
            while chunk := pipe.read1(65536):
                self.total += len(chunk)
                room = CAPTURE_BYTES - len(self.head)
                self.head += chunk[:room]
                self.tail += chunk[room:] if room > 0 else chunk
                del self.tail[:-CAPTURE_BYTES]
        finally:
            pipe.close()
            self.done.set()

    def text(self) -> str:
        head, tail = bytes(self.head), bytes(self.tail)
        dropped = self.total - len(head) - len(tail)
        if dropped <= 0:
            return truncate((head + tail).decode("utf-8", "replace"))
        return truncate(head.decode("utf-8", "replace") + tail.decode("utf-8", "replace"), extra=dropped)


def truncate(text: str, limit: int = MAX_OUTPUT, extra: int = 0) -> str:
    """Keep the head and the tail; the middle of a long output is rarely what matters."""
    if len(text) <= limit and not extra:
        return text
    keep = min(limit, len(text)) // 2
    omitted = len(text) - 2 * keep + extra
    return f"{text[:keep]}\n[... {omitted} characters truncated ...]\n{text[len(text) - keep:]}"


@contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """Hold back SIGTERM for the duration of the block, then deliver it to the usual handler."""
    received: list[int] = []
    try:
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: received.append(signum))
    except ValueError:  # not the main thread: signals are not ours to manage
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if received:
            signal.raise_signal(signal.SIGTERM)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _required(arguments: dict[str, Any], key: str, kind: type) -> Any:
    value = arguments.get(key)
    if not isinstance(value, kind):
        raise ToolError(f"missing or invalid argument {key!r}")
    return value


def _read(path: Path) -> str:
    if not path.exists():
        raise ToolError(f"{path} does not exist")
    if path.is_dir():
        raise ToolError(f"{path} is a directory")
    return path.read_text()


def _check_range(view_range: Any, count: int) -> tuple[int, int]:
    if not (isinstance(view_range, list) and len(view_range) == 2 and all(isinstance(n, int) for n in view_range)):
        raise ToolError("view_range must be two integers [start, end]")
    start, end = view_range
    end = count if end == -1 else end
    if not 1 <= start <= max(count, 1) or not start <= end <= count:
        raise ToolError(f"view_range {view_range} is outside the file's {count} lines (1-based, end -1 = last)")
    return start, end


def _snippet(path: Path, first: int, extra_lines: int, context: int = 3) -> str:
    lines = path.read_text().splitlines()
    start, end = max(1, first - context), min(len(lines), first + extra_lines + context)
    return "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1))


def _listing(root: Path) -> str:
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel = Path(dirpath).relative_to(root)
        entries += [f"{rel / d}/" for d in dirnames] + [str(rel / f) for f in filenames]
        if len(rel.parts) + 1 >= VIEW_DEPTH:
            dirnames[:] = []  # listed, but not entered
    body = "\n".join(sorted(entries)) or "(empty directory)"
    return truncate(f"{root} (up to {VIEW_DEPTH} levels deep):\n{body}")
