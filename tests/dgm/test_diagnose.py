import json
import random

import pytest

from archive_db.schema import Evaluation
from dgm.diagnose import CONTEXT, EMPTY, STOCHASTIC, DiagnosisError, build_messages, choose_target, parse_diagnosis

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
