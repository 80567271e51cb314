"""The prompt templates render, whatever the problem text holds."""

from __future__ import annotations

import prompts


def test_instance_keeps_dollars_and_braces_of_the_problem() -> None:
    problem = "Price shows ${amount} instead of $5 {sic}"
    text = prompts.render(prompts.INSTANCE, problem=problem, repo="/repo")
    assert problem in text and "/repo" in text


def test_text_system_prompt_explains_the_protocol() -> None:
    text = prompts.render(prompts.SYSTEM_TEXT, tools="### bash", workflow=prompts.WORKFLOW)
    assert "<tool_call>" in text and "<tool_result" in text and "### bash" in text and "$tools" not in text
    assert "How to work" in text and "$workflow" not in text


def test_both_system_prompts_say_how_to_finish() -> None:
    for template in (prompts.SYSTEM_NATIVE, prompts.SYSTEM_TEXT):
        text = prompts.render(template, tools="", workflow=prompts.WORKFLOW)
        assert "without a tool call" in text and "DONE" in text


def test_the_loop_answers_render() -> None:
    assert "DONE" in prompts.NUDGE and "no tool call" in prompts.NUDGE
    note = prompts.render(prompts.REPEAT_NOTE, count="2", same=" and got the same output as last time", limit="3")
    assert "2 times in a row and got the same output" in note and "$" not in note
    refused = prompts.render(prompts.REPEAT_REFUSED, count="3", output="[exit code: 1]")
    assert refused.startswith("Not run") and "[exit code: 1]" in refused and "$" not in refused


def test_format_error_names_the_problem() -> None:
    assert "invalid JSON: x" in prompts.render(prompts.FORMAT_ERROR, error="invalid JSON: x")
