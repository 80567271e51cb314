"""What dgm keeps of an agent's result.json: the agent wrote it, so it is hostile input, bounded
before it reaches the archive (evaluations.agent_status, evaluations.agent_counts)."""

from __future__ import annotations

from dgm.agent_run import COUNT_KEYS, MAX_COUNT, STATUS_CHARS, AgentOutcome
from sandbox.container import RunResult

DONE = RunResult(exit_code=0, output="", timed_out=False, duration_s=1.0)


def outcome(result: object) -> AgentOutcome:
    return AgentOutcome(patch="", transcript=[], result=result, run=DONE, repo_after=None)  # type: ignore[arg-type]


def test_the_seed_agents_counts_are_kept_as_they_are():
    result = {"status": "no_tool_calls", "formats": {"native": 0, "fenced_json": 2, "rejected": 3}, "nudges": 2,
              "repeated_calls": 1}
    assert outcome(result).counts == {"formats": {"native": 0, "fenced_json": 2, "rejected": 3}, "nudges": 2,
                                      "repeated_calls": 1}
    assert outcome(result).status == "no_tool_calls"


def test_hostile_counts_keep_only_short_names_and_bounded_non_negative_integers():
    formats = {"ok": 1, "x" * 33: 1, "Upper": 1, "neg": -1, "flt": 1.5, "flag": True, "huge": 10**30, "s": "7"}
    formats.update({f"k{'a' * i}": i for i in range(40)})
    counts = outcome({"formats": formats, "nudges": "many", "repeated_calls": 10**12}).counts
    assert counts is not None and len(counts["formats"]) <= COUNT_KEYS
    assert counts["formats"]["ok"] == 1 and counts["formats"]["huge"] == MAX_COUNT
    assert not {"x" * 33, "Upper", "neg", "flt", "flag", "s"} & set(counts["formats"])
    assert "nudges" not in counts and counts["repeated_calls"] == MAX_COUNT


def test_nothing_usable_is_no_counts_and_a_hostile_status_is_cut():
    assert outcome({"formats": ["a"], "nudges": None}).counts is None
    assert outcome({}).counts is None
    long = outcome({"status": "submitted\x1b[2J" + "x" * 500})
    assert long.status.startswith("submitted[2J") and len(long.status) == STATUS_CHARS
