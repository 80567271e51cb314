"""End to end: coding_agent.py as a subprocess, exactly as dgm runs it, against a fake model server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import prompts
from coding_agent import FORMATS, git_head, repo_changed
from fake_model import FakeModel, error, reply
from tools import SCHEMAS

AGENT_ROOT = Path(__file__).resolve().parent.parent
FIX = {"command": "str_replace", "path": "hello.py", "old_str": "return 'helo'", "new_str": "return 'hello'"}
TEXT_FIX = f"I will fix the typo.\n<tool_call>{json.dumps({'name': 'editor', 'arguments': FIX})}</tool_call>"


def formats(**counts: int) -> dict[str, int]:
    """result.json's "formats", zero but for ``counts``."""
    return {**dict.fromkeys(FORMATS, 0), **counts}


def result_of(status: str, steps: int, tool_mode: str, error: str | None = None, **counts: int) -> dict:
    return {"status": status, "steps": steps, "error": error, "tool_mode": tool_mode,
            "formats": formats(**counts), "nudges": 0, "repeated_calls": 0}


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "hello.py").write_text("def greet():\n    return 'helo'\n")
    return repo


@pytest.fixture()
def git_repo(repo: Path) -> Path:
    """The repository as dgm hands it over: a git repository with its untouched state committed."""
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "original")
    return repo


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@localhost", *args], cwd=repo,
                          check=True, capture_output=True, text=True).stdout


def bash(command: str):
    return reply(tool_calls=[("bash", {"command": command})])


def run_agent(server: FakeModel | None, repo: Path, *flags: str, env: dict[str, str] | None = None):
    """Runs the agent; returns (exit code, result.json, transcript.json, stderr)."""
    work = repo.parent
    (work / "problem.md").write_text("greet() returns 'helo' instead of 'hello'.")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DGM_")}
    proc = subprocess.run(
        [sys.executable, str(AGENT_ROOT / "coding_agent.py"), "--problem-file", str(work / "problem.md"),
         "--repo", str(repo), "--outdir", str(work / "out"), *flags],
        env={**clean, **(server.env() if server else {}), **(env or {})},
        capture_output=True, text=True, timeout=60,
    )
    result = json.loads((work / "out" / "result.json").read_text()) if (work / "out" / "result.json").exists() else None
    transcript_path = work / "out" / "transcript.json"
    transcript = json.loads(transcript_path.read_text()) if transcript_path.exists() else None
    return proc.returncode, result, transcript, proc.stderr


def test_native_tool_calls_fix_the_repo(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(tool_calls=[("editor", FIX)]),
                          reply(tool_calls=[("bash", {"command": "cat hello.py"})]),
                          reply("Fixed the typo.")]
    code, result, transcript, stderr = run_agent(fake_model, repo, "--tool-mode", "native")
    assert code == 0, stderr
    assert (repo / "hello.py").read_text() == "def greet():\n    return 'hello'\n"
    assert result == result_of("submitted", 3, "native", native=2)
    assert [m["role"] for m in transcript] == ["system", "user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert transcript[2]["tool_calls"][0]["function"]["name"] == "editor"
    assert transcript[3]["tool_call_id"] == "call_0" and transcript[3]["content"].startswith("Edited")
    assert "return 'hello'" in transcript[5]["content"] and "[exit code: 0]" in transcript[5]["content"]
    first = fake_model.bodies[0]
    assert [t["function"]["name"] for t in first["tools"]] == ["bash", "editor"] and first["tool_choice"] == "auto"
    assert "helo" in first["messages"][1]["content"] and str(repo) in first["messages"][1]["content"]
    # The transcript's "name" note on tool messages is not sent.
    sent = fake_model.bodies[1]["messages"][3]
    assert sent == {"role": "tool", "tool_call_id": "call_0", "content": transcript[3]["content"]}


def test_over_a_unix_socket(unix_fake_model: FakeModel, repo: Path) -> None:
    unix_fake_model.answers = [reply(tool_calls=[("editor", FIX)]), reply("Done.")]
    code, result, _, stderr = run_agent(unix_fake_model, repo)
    assert code == 0, stderr
    assert result["status"] == "submitted" and "'hello'" in (repo / "hello.py").read_text()


def test_auto_mode_switches_to_text_when_the_model_writes_text_calls(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(TEXT_FIX), reply("Fixed.")]
    code, result, transcript, stderr = run_agent(fake_model, repo)
    assert code == 0, stderr
    assert (repo / "hello.py").read_text().endswith("return 'hello'\n")
    assert result == result_of("submitted", 2, "text", tool_call_tag=1)
    assert transcript[2]["parsed_tool_calls"] == [{"name": "editor", "arguments": FIX}]
    assert transcript[3]["role"] == "user" and transcript[3]["content"].startswith('<tool_result name="editor">')
    second = fake_model.bodies[1]
    assert "tools" not in second and "<tool_call>" in second["messages"][0]["content"]
    assert all("parsed_tool_calls" not in m for m in second["messages"])


def test_auto_mode_falls_back_to_text_when_tools_are_refused(fake_model: FakeModel, repo: Path) -> None:
    refused = error(400, "'tools' is not supported", "invalid_request_error")
    fake_model.answers = [refused, reply(TEXT_FIX), reply("Done.")]
    code, result, _, stderr = run_agent(fake_model, repo)
    assert code == 0, stderr
    assert result["status"] == "submitted" and result["tool_mode"] == "text" and result["steps"] == 2
    assert "tools" in fake_model.bodies[0] and "tools" not in fake_model.bodies[1]
    assert (repo / "hello.py").read_text().endswith("return 'hello'\n")


def test_text_mode_never_sends_tools(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(TEXT_FIX), reply("Done.")]
    code, result, _, _ = run_agent(fake_model, repo, "--tool-mode", "text")
    assert code == 0 and result["tool_mode"] == "text"
    assert all("tools" not in body for body in fake_model.bodies)


def test_native_mode_does_not_read_text_calls(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(TEXT_FIX)]
    code, result, _, _ = run_agent(fake_model, repo, "--tool-mode", "native")
    assert code == 0 and result == result_of("submitted", 1, "native")
    assert "helo" in (repo / "hello.py").read_text()


def test_garbled_text_call_gets_a_format_error_and_another_try(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply('<tool_call>{"name": "editor", "arguments": {'), reply(TEXT_FIX), reply("Done.")]
    code, result, transcript, _ = run_agent(fake_model, repo)
    assert code == 0 and result["status"] == "submitted" and result["steps"] == 3
    assert transcript[3]["role"] == "user" and "could not be read as tool calls" in transcript[3]["content"]
    assert result["formats"] == formats(rejected=1, tool_call_tag=1) and result["nudges"] == 0
    assert (repo / "hello.py").read_text().endswith("return 'hello'\n")


def test_bad_native_arguments_come_back_as_a_tool_error(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(tool_calls=[("bash", "{not json"), ("nope", {})]), reply("Done.")]
    code, result, transcript, _ = run_agent(fake_model, repo)
    assert code == 0 and result["status"] == "submitted"
    assert "not valid JSON" in transcript[3]["content"] and "unknown tool 'nope'" in transcript[4]["content"]


def test_max_steps(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(tool_calls=[("bash", {"command": "echo again"})])]
    code, result, transcript, _ = run_agent(fake_model, repo, "--max-steps", "2")
    assert code == 0 and result["status"] == "max_steps" and result["steps"] == 2
    assert len(fake_model.requests) == 2 and transcript[-1]["role"] == "tool"


@pytest.mark.parametrize("answer,status", [
    (error(429, "dgm: attempt limit reached (60 calls)", "limit_exceeded"), "limit"),
    (error(400, "maximum context length is 4096 tokens", "invalid_request_error"), "context_length"),
    (error(401, "bad key", "authentication_error"), "error"),
])
def test_model_side_endings_are_orderly(fake_model: FakeModel, repo: Path, answer, status: str) -> None:
    fake_model.answers = [answer]
    code, result, transcript, _ = run_agent(fake_model, repo)
    assert code == 0 and result["status"] == status and result["steps"] == 1
    assert result["error"] and len(fake_model.requests) == 1
    assert [m["role"] for m in transcript] == ["system", "user"]


def test_no_endpoint_is_reported_not_crashed(repo: Path) -> None:
    code, result, _, _ = run_agent(None, repo)
    assert code == 0 and result["status"] == "error" and "DGM_MODEL_SOCKET" in result["error"]


def test_transcript_survives_a_kill(fake_model: FakeModel, repo: Path) -> None:
    # The second command kills the agent itself (bash's parent) mid-step.
    fake_model.answers = [reply(tool_calls=[("bash", {"command": "echo first-step-output"})]),
                          reply(tool_calls=[("bash", {"command": "kill -9 $PPID"})])]
    code, _, transcript, _ = run_agent(fake_model, repo)
    assert code != 0
    assert "first-step-output" in transcript[3]["content"]


def test_import_has_no_side_effects_and_help_works() -> None:
    proc = subprocess.run([sys.executable, "-c", "import coding_agent"], cwd=AGENT_ROOT, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    helped = subprocess.run([sys.executable, "coding_agent.py", "--help"], cwd=AGENT_ROOT,
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "--problem-file" in helped.stdout and "--tool-mode" in helped.stdout


def test_sigterm_still_writes_the_result(fake_model: FakeModel, repo: Path) -> None:
    # The command outlives any scheduling delay: only the agent's SIGTERM handler can end this step.
    token = f"sigterm-test-{os.getpid()}"
    fake_model.answers = [reply(tool_calls=[("bash", {"command": f"kill -TERM $PPID; sleep 120; : {token}"})])]
    code, result, transcript, _ = run_agent(fake_model, repo)
    assert code == 128 + 15
    # SIGKILL is sent before the agent exits, but a loaded machine may take a moment to reap the group.
    deadline = time.monotonic() + 10
    while _processes_mentioning(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _processes_mentioning(token), "the stopped agent left its bash command running"
    assert result["status"] == "error" and "SystemExit" in result["error"] and result["steps"] == 1
    assert transcript[-1]["role"] == "assistant"


# -- replies without a call, end statuses ----------------------------------------------------------

def test_a_reply_without_a_call_before_any_change_gets_a_nudge(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [reply(""), reply(TEXT_FIX), reply("Fixed the typo.")]
    code, result, transcript, stderr = run_agent(fake_model, git_repo)
    assert code == 0, stderr
    assert result == {**result_of("submitted", 3, "text", tool_call_tag=1), "nudges": 1}
    assert transcript[3] == {"role": "user", "content": prompts.NUDGE}
    assert (git_repo / "hello.py").read_text().endswith("return 'hello'\n")


def test_a_model_that_never_calls_a_tool_ends_as_no_tool_calls(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [reply("I would change hello.py.")]
    code, result, transcript, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result["status"] == "no_tool_calls" and result["steps"] == 3 and result["nudges"] == 2
    assert result["error"] == "3 replies in a row without a tool call; no usable tool call in the whole run"
    assert [m["role"] for m in transcript] == ["system", "user", "assistant", "user", "assistant", "user", "assistant"]


def test_done_ends_the_run_without_a_nudge(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [reply("Nothing needs changing.\n**DONE**")]
    code, result, _, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result == result_of(
        "no_tool_calls", 1, "native", "the model said DONE; no usable tool call in the whole run")


def test_tools_used_but_nothing_changed_is_no_change(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [bash("cat hello.py"), reply("It looks right to me.\nDone.")]
    code, result, _, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result == result_of("no_change", 2, "native", "the model said DONE; the repository is unchanged",
                                             native=1)


def test_nudges_are_bounded_per_stretch_without_calls(fake_model: FakeModel, git_repo: Path) -> None:
    hmm = reply("Hmm.")
    fake_model.answers = [hmm, hmm, bash("ls"), hmm, hmm, hmm]
    code, result, _, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result["status"] == "no_change" and result["steps"] == 6 and result["nudges"] == 4


def test_a_commit_of_its_own_is_a_change(fake_model: FakeModel, git_repo: Path) -> None:
    commit = "sed -i s/helo/hello/ hello.py && git -c user.name=a -c user.email=a@localhost commit -qam fix"
    fake_model.answers = [bash(commit), reply("Fixed and committed.")]
    code, result, _, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result == result_of("submitted", 2, "native", native=1)
    assert git(git_repo, "status", "--porcelain") == ""


def test_repo_changed_asks_git_about_the_repository_itself(git_repo: Path) -> None:
    head = git_head(git_repo)
    assert head and not repo_changed(git_repo, head)
    (git_repo / "new.py").write_text("")
    assert repo_changed(git_repo, head)
    sub = git_repo / "sub"  # inside a repository, but none itself: git cannot tell, so it counts as changed
    sub.mkdir()
    assert git_head(sub) is None and repo_changed(sub, None)


# -- what the model writes: shapes, echoed tools ----------------------------------------------------

def test_every_shape_is_run_and_counted(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [
        bash("echo one"),
        reply("<function=bash>\n<parameter=command>\necho two\n</parameter>\n</function>"),
        reply('```\n{"name": "bash", "arguments": {"command": "echo three"}}\n```'),
        reply('{"name": "bash", "arguments": {"command": "echo four"}}\n{"name": "bash", "arguments": {"command": "echo five"}}'),
        reply("{" + json.dumps({"name": "editor", "arguments": FIX}) + "}"),  # doubled braces
        reply('<tool_call>{"name": "bash", "arguments": {"command": "echo six"}}</tool_call>'),
        reply("Fixed."),
    ]
    code, result, transcript, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result["status"] == "submitted" and result["steps"] == 7
    assert result["formats"] == formats(native=1, function_tag=1, fenced_json=1, bare_json=2, doubled_braces=1,
                                        tool_call_tag=1)
    outputs = "\n".join(m["content"] for m in transcript if m["role"] in ("tool", "user"))
    assert all(word in outputs for word in ("one", "two", "three", "four", "five", "six"))
    assert (git_repo / "hello.py").read_text().endswith("return 'hello'\n")


def test_an_echoed_tool_list_gets_a_corrective_message(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [reply(json.dumps(SCHEMAS)), reply(TEXT_FIX), reply("Fixed.")]
    code, result, transcript, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result == result_of("submitted", 3, "text", echoed_tools=1, tool_call_tag=1)
    assert "repeats the tools' descriptions" in transcript[3]["content"]


# -- the same call again and again -------------------------------------------------------------------

def test_a_repeated_call_gets_a_note_then_is_refused(fake_model: FakeModel, git_repo: Path) -> None:
    fake_model.answers = [bash("echo ran >> runs.log; false")]
    code, result, transcript, _ = run_agent(fake_model, git_repo, "--max-steps", "5")
    assert code == 0 and result["status"] == "max_steps" and result["repeated_calls"] == 4
    outputs = [m["content"] for m in transcript if m["role"] == "tool"]
    assert outputs[0] == "[exit code: 1]"
    assert all("this exact call" in out and "the same output as last time" in out for out in outputs[1:3])
    assert "3 times in a row" in outputs[2]
    assert all(out.startswith("Not run") and "[exit code: 1]" in out for out in outputs[3:])
    assert (git_repo / "runs.log").read_text() == "ran\n" * 3  # run three times, not five


def test_only_calls_in_a_row_are_repeats(fake_model: FakeModel, git_repo: Path) -> None:
    echo_a = '<tool_call>{"name": "bash", "arguments": {"command": "echo a"}}</tool_call>'
    fake_model.answers = [bash("echo a"), reply(echo_a), bash("echo b"), bash("echo a"), reply("Done.")]
    code, result, transcript, _ = run_agent(fake_model, git_repo)
    assert code == 0 and result["repeated_calls"] == 1  # the same call in another shape is still the same call
    outputs = [m["content"] for m in transcript if m["role"] in ("tool", "user")][1:]
    assert ["this exact call" in out for out in outputs] == [False, True, False, False]


# -- settings from the environment --------------------------------------------------------------------

def test_tool_mode_and_max_tokens_from_the_environment(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(TEXT_FIX), reply("Done.")]
    code, result, _, _ = run_agent(fake_model, repo, env={"DGM_TOOL_MODE": "text", "DGM_MODEL_MAX_TOKENS": "256"})
    assert code == 0 and result["tool_mode"] == "text"
    assert all("tools" not in body and body["max_tokens"] == 256 for body in fake_model.bodies)


def test_the_command_line_wins_and_a_bad_setting_is_ignored(fake_model: FakeModel, repo: Path) -> None:
    fake_model.answers = [reply(TEXT_FIX)]
    code, result, _, _ = run_agent(fake_model, repo, "--tool-mode", "native",
                                   env={"DGM_TOOL_MODE": "text", "DGM_MODEL_MAX_TOKENS": "lots"})
    assert code == 0 and result == result_of("submitted", 1, "native")
    [body] = fake_model.bodies
    assert "tools" in body and "max_tokens" not in body


def _processes_mentioning(token: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if token in text:
            found.append(text)
    return found
