"""The expand job's diagnosis call, for real: through a gateway socket and the model client to the
scripted OpenAI-compatible server. An unusable answer is asked for once more, with the reason shown;
a second unusable one rejects the attempt and keeps what the model said."""

from __future__ import annotations

import json

import pytest

from archive_db import Archive
from dgm.config import LimitsConfig, ModelConfig
from dgm.diagnose import STOCHASTIC, brief
from dgm.gateway import Gateway
from dgm.job_work import Outcome, _diagnose
from dgm.jobs import Channel, ExpandJob
from dgm.model_client import CallContext, ModelClient
from dgm.models.scripted import ScriptedModelServer

GOOD = {"log_summarization": "s", "potential_improvements": ["a"], "improvement_proposal": "verify edits",
        "implementation_suggestion": "i", "problem_description": "Make the agent verify its edits."}
PROSE = "The agent should verify its edits before it finishes."


@pytest.fixture()
def archive(tmp_path):
    a = Archive.in_dir(tmp_path / "run")
    a.run_id = a.create_run("t", "{}", "0").id  # type: ignore[attr-defined]
    yield a
    a.close()


def diagnose_through_gateway(replies: list[dict] | dict, archive, code_dir, **sizing) -> tuple[object, list[dict]]:
    """What _diagnose returns (or the Outcome it raises) when the diagnosis model answers ``replies`` in
    turn (or a rule's ``{"error": ...}``); and the requests the model received."""
    (code_dir / "coding_agent.py").write_text("print('agent')\n")
    answer = replies if isinstance(replies, dict) else {"replies": replies}
    script = {"rule": [{"name": "diagnose", "match": {"model": "diag"}, **answer}]}
    with ScriptedModelServer(script) as server:
        client = ModelClient(ModelConfig(base_url=server.base_url, diagnosis_model="diag", max_retries=0), None, archive)
        ctx = CallContext(archive.run_id, None, None, "diagnose")
        with Gateway(client, ctx, "diag", LimitsConfig()) as gateway:
            channel = Channel(gateway.channel.socket_dir, "diag")
            job = ExpandJob(1, "parent", "parent", brief(STOCHASTIC, [], {}, **sizing), None, None, channel, channel)
            try:
                result: object = _diagnose(job, code_dir)
            except Outcome as end:
                result = end
        client.close()
        return result, server.requests


def test_an_unusable_answer_is_asked_for_again_with_the_reason(archive, tmp_path):
    replies = [{"content": PROSE}, {"content": "Here you are:\n```json\n" + json.dumps(GOOD) + "\n```"}]
    diagnosis, requests = diagnose_through_gateway(replies, archive, tmp_path, context_tokens=8192, send_cap=True)
    assert diagnosis.problem_description == "Make the agent verify its edits."
    first, second = requests
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert second["messages"][:2] == first["messages"]
    echo, follow_up = second["messages"][2:]
    assert echo == {"role": "assistant", "content": PROSE}
    assert follow_up["role"] == "user" and "could not be used: the answer holds no JSON object" in follow_up["content"]
    # The server said its window: the answer's reserve goes as the call's output cap.
    assert first["max_tokens"] == second["max_tokens"] == 2048
    assert [c.purpose for c in archive.calls(run_id=archive.run_id)] == ["diagnose", "diagnose"]


def test_a_second_unusable_answer_rejects_the_attempt_and_keeps_the_text(archive, tmp_path):
    replies = [{"content": PROSE}, {"content": '{"improvement_proposal": "verify edits"}'}]
    end, requests = diagnose_through_gateway(replies, archive, tmp_path, context_tokens=8192)
    assert isinstance(end, Outcome) and end.outcome == "rejected"
    assert end.reason == ("diagnosis unusable: the diagnosis was unusable, also when asked again: "
                          "the JSON object's problem_description: field required")
    assert PROSE in end.diagnosis_text and '{"improvement_proposal": "verify edits"}' in end.diagnosis_text
    assert "answer 2 of 2" in end.diagnosis_text
    assert len(requests) == 2 and all("max_tokens" not in r for r in requests)  # a window not from the server: no cap


def test_a_cut_off_answer_is_told_to_be_shorter(archive, tmp_path):
    cut = {"content": '{"improvement_proposal": "verify', "finish_reason": "length"}
    end, requests = diagnose_through_gateway([cut, cut], archive, tmp_path)
    assert isinstance(end, Outcome) and "cut off at the output limit" in end.reason
    assert "keep it shorter" in requests[1]["messages"][-1]["content"]


def test_a_prompt_the_server_refuses_as_too_long_names_the_setting(archive, tmp_path):
    overflow = {"error": {"status": 400, "message": "This model's maximum context length is 8192 tokens",
                          "type": "invalid_request_error"}}
    end, requests = diagnose_through_gateway(overflow, archive, tmp_path, context_tokens=65_536)
    assert isinstance(end, Outcome) and end.outcome == "rejected" and len(requests) == 1  # never retried
    assert end.reason == ("the diagnosis prompt does not fit the model's context (it was sized for 65,536 tokens: "
                          "set model.context_tokens to the server's window)")
