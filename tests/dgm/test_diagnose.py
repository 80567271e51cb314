import json
import random

import pytest

from archive_db.schema import Evaluation
from dgm.diagnose import (
    CONTEXT,
    EMPTY,
    MAX_KEPT_ANSWER_CHARS,
    RETRY_CHARS,
    STOCHASTIC,
    DiagnosisError,
    agent_code_listing,
    build_messages,
    choose_target,
    clip,
    output_reserve,
    parse_diagnosis,
    prompt_chars,
    retry_messages,
    run_summary,
)

GOOD = {"log_summarization": "s", "potential_improvements": ["a"], "improvement_proposal": "p",
        "implementation_suggestion": "i", "problem_description": "d"}


def _ev(task, resolved=False, empty=False, status="submitted"):
    return Evaluation(task_id=task, resolved=resolved, empty_patch=empty, agent_status=status, patch="" if empty else "diff",
                      test_results_json=json.dumps({"t::x": "FAILED"}),
                      transcript_json=json.dumps([{"role": "user", "content": "hi"}]))


@pytest.mark.parametrize("text", [
    json.dumps(GOOD),
    "Here is my analysis:\n```json\n" + json.dumps(GOOD, indent=2) + "\n```\nThanks.",
    "prose before " + json.dumps(GOOD) + " prose after",
])
def test_parse_is_lenient_about_wrapping(text):
    assert parse_diagnosis(text).problem_description == "d"


@pytest.mark.parametrize("text", ["no json here", json.dumps({"log_summarization": "only"}), "{broken"])
def test_parse_rejects_what_is_not_a_diagnosis(text):
    with pytest.raises(DiagnosisError):
        parse_diagnosis(text)


def test_choose_target_uses_evidence():
    rng = random.Random(0)
    assert choose_target([], rng) == STOCHASTIC
    assert choose_target([_ev("a", resolved=True)], rng) == STOCHASTIC  # nothing failed
    context = [_ev("a", status="context_length"), _ev("b")]
    assert CONTEXT in {choose_target(context, random.Random(i)) for i in range(20)}
    empty = [_ev("a", empty=True), _ev("b")]
    picks = {choose_target(empty, random.Random(i)) for i in range(50)}
    assert EMPTY in picks and "a" in picks and "b" in picks


def test_messages_carry_code_transcript_patch_and_results(tmp_path):
    (tmp_path / "coding_agent.py").write_text("print('agent')\n")
    messages = build_messages("a", tmp_path, [_ev("a")], {})
    user = messages[1]["content"]
    assert "print('agent')" in user and "t::x: FAILED" in user and "[user] hi" in user
    assert "JSON" in messages[0]["content"]
    empty = build_messages(EMPTY, tmp_path, [_ev("a", empty=True)], {})
    assert "without changing any file" in empty[1]["content"]


def test_a_cheating_canary_check_is_never_a_diagnosis_target():
    canary = _ev("vatcalc-cent-rounding")
    canary.canary = True
    solved = [_ev("a", resolved=True), _ev("b", resolved=True)]
    # Unresolved, so it would be the only task target left, were it not a canary.
    targets = {choose_target([*solved, canary], random.Random(seed)) for seed in range(200)}
    assert targets == {STOCHASTIC}
    assert choose_target([canary], random.Random(0)) == STOCHASTIC  # as if the agent had no evaluation
    canary_too = [*solved, _ev("vatcalc-cent-rounding")]
    assert "vatcalc-cent-rounding" in {choose_target(canary_too, random.Random(s)) for s in range(50)}


# -- sizing to the model's context window --------------------------------------------------------------

PROBLEM = "The parser drops the last field of a CSV line when it ends with a quoted comma. " * 25


def _agent(code_dir):
    """An agent whose listing is far past any small window; tools.py is the file its failure names."""
    (code_dir / "tests").mkdir()
    (code_dir / "coding_agent.py").write_text("# the entry point\n" + "step = 1\n" * 6000)
    (code_dir / "tools.py").write_text("# TOOLS-HEAD\n" + "def tool():\n    return 1\n" * 3000 + "# TOOLS-TAIL\n")
    (code_dir / "llm.py").write_text("x = 1\n" * 4000)
    (code_dir / "tests" / "test_tools.py").write_text("def test_x():\n    pass\n" * 2000)
    return code_dir


def _failure():
    transcript = [{"role": "user", "content": "fix the parser " * 500}]
    transcript += [{"role": "assistant", "content": f"step {i}: " + "thinking " * 400,
                    "tool_calls": [{"function": {"name": "bash", "arguments": json.dumps({"command": "cat x " * 300})}}]}
                   for i in range(40)]
    transcript.append({"role": "tool", "content": 'Traceback (most recent call last):\n  File "/agent/tools.py", line 3'})
    ev = _ev("csv-quote")
    ev.transcript_json, ev.patch = json.dumps(transcript), "+changed line\n" * 5000
    ev.test_results_json = json.dumps({f"tests/test_csv.py::test_{i}": "FAILED" for i in range(800)})
    return ev


def _chars(messages):
    return sum(len(m["content"]) for m in messages)


def test_a_small_window_gets_a_prompt_that_fits_with_the_named_file_first(tmp_path):
    task = type("T", (), {"problem": PROBLEM})()
    request = build_messages("csv-quote", _agent(tmp_path), [_failure()], {"csv-quote": task}, context_tokens=8192)
    budget = prompt_chars(8192)  # (8192 - 2048 reserved for the answer) x 2 characters a token
    assert budget == 12_288 and output_reserve(8192) == 2048
    assert _chars(request) <= budget - RETRY_CHARS
    assert _chars([*request, *retry_messages("x" * 50_000, "the reason " * 100)]) <= budget  # the retry fits too
    system, user = request[0]["content"], request[1]["content"]
    assert system == build_messages("csv-quote", tmp_path, [_failure()], {})[0]["content"]  # instructions whole
    assert PROBLEM in user and "Diagnose the failure and answer with the JSON object" in user
    # The file the failure names comes first, its head and tail kept around a marker; the others are named.
    assert user.index("## tools.py") < user.index("## coding_agent.py")
    assert "# TOOLS-HEAD" in user and "# TOOLS-TAIL" in user and "characters of tools.py cut ...]" in user
    assert "## tests/test_tools.py\n(omitted for length: " in user
    # The transcript keeps its start (the plan) and its end (the failure).
    assert "[user] fix the parser" in user and 'File "/agent/tools.py", line 3' in user
    for what in ("the transcript", "the patch", "the test results"):
        assert f"characters of {what} cut ...]" in user
    assert "(agent ended: submitted)" in user


def test_a_large_window_changes_nothing(tmp_path):
    (tmp_path / "coding_agent.py").write_text("print('agent')\n" * 200)
    ev = _ev("a")
    for target in ("a", EMPTY, STOCHASTIC):
        unsized = build_messages(target, tmp_path, [ev], {})
        assert build_messages(target, tmp_path, [ev], {}, context_tokens=200_000) == unsized
    assert "cut ...]" not in unsized[1]["content"] and unsized[1]["content"].count("print('agent')") == 200


@pytest.mark.parametrize("limit", [0, 5, 40, 100, 1000])
def test_clip_keeps_head_and_tail_within_the_limit(limit):
    text = "\n".join(f"line {i}" for i in range(500))
    cut = clip(text, limit, "the log")
    assert len(cut) <= limit
    if limit >= 100:
        assert cut.startswith("line 0\n") and cut.endswith("line 499") and "characters of the log cut ...]" in cut
    assert clip("short", 10, "x") == "short"


def test_a_listing_too_large_even_to_name_its_files_is_one_line(tmp_path):
    for i in range(30):
        (tmp_path / f"module_{i}.py").write_text("x = 1\n" * 100)
    listing = agent_code_listing(tmp_path, limit=300)
    assert len(listing) <= 300 and listing.startswith("## Not shown for length: module_0.py")


# -- reading the answer ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Sure. Here it is:\n\n```\n" + json.dumps(GOOD) + "\n```",
    "<think>A draft: {\"improvement_proposal\": \"draft\", \"problem_description\": \"draft\"}</think>\n" + json.dumps(GOOD),
    "First {an aside} then {\"not\": \"it\"} and then the answer " + json.dumps(GOOD) + " and a {trailing} brace",
    json.dumps({"diagnosis": GOOD}),  # wrapped: the first object with the expected keys
    json.dumps({**GOOD, "potential_improvements": [{"idea": "a"}, "b"], "implementation_suggestion": {"file": "tools.py"}}),
])
def test_parse_finds_the_first_object_with_the_expected_keys(text):
    assert parse_diagnosis(text).problem_description == "d"


def test_parse_says_what_is_wrong():
    with pytest.raises(DiagnosisError, match="problem_description: field required"):
        parse_diagnosis(json.dumps({"improvement_proposal": "p"}))
    with pytest.raises(DiagnosisError, match="improvement_proposal: value error, must not be empty"):
        parse_diagnosis(json.dumps({**GOOD, "improvement_proposal": "  "}))
    with pytest.raises(DiagnosisError, match="no complete JSON object"):
        parse_diagnosis('{"improvement_proposal": "p", "problem_description": "cut off at the outp')
    with pytest.raises(DiagnosisError, match="no JSON object"):
        parse_diagnosis("I would make the agent run the tests.")


def test_kept_answers_are_bounded():
    kept = DiagnosisError("unusable", ["a" * 100_000, "b" * 10]).kept()
    assert len(kept) <= MAX_KEPT_ANSWER_CHARS and "answer 1 of 2" in kept and "answer 2 of 2 ---\nbbbbbbbbbb" in kept


# -- how the agent's run ended ------------------------------------------------------------------------

def test_run_summary_is_one_line_of_what_result_json_says():
    result = {"status": "no_tool_calls", "formats": {"fenced_json": 1, "rejected": 3, "xml": 0}, "nudges": 2,
              "repeated_calls": 0}
    assert run_summary(result) == "agent ended: no_tool_calls; tool-call formats: rejected 3, fenced_json 1; nudges 2"
    assert run_summary({"status": "submitted", "repeated_calls": 4}) == "agent ended: submitted; repeated calls 4"
    assert run_summary({}) == ""


def test_the_prompt_says_how_the_failed_run_ended(tmp_path):
    (tmp_path / "coding_agent.py").write_text("print('agent')\n")
    user = build_messages("a", tmp_path, [_ev("a", status="no_tool_calls")], {})[1]["content"]
    assert "(agent ended: no_tool_calls)\n[user] hi" in user


def test_the_prompt_shows_the_tool_call_formats_the_evaluation_kept(tmp_path):
    (tmp_path / "coding_agent.py").write_text("print('agent')\n")
    evaluation = _ev("a", status="no_tool_calls")
    evaluation.agent_counts = json.dumps({"formats": {"rejected": 3, "doubled_braces": 1}, "nudges": 2})
    user = build_messages("a", tmp_path, [evaluation], {})[1]["content"]
    assert "(agent ended: no_tool_calls; tool-call formats: rejected 3, doubled_braces 1; nudges 2)" in user
    evaluation.agent_counts = "{not json"  # an archive written by hand: the status still shows
    assert "(agent ended: no_tool_calls)" in build_messages("a", tmp_path, [evaluation], {})[1]["content"]
