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
        assert "without a tool call" in prompts.render(template, tools="", workflow=prompts.WORKFLOW)


def test_format_error_names_the_problem() -> None:
    assert "invalid JSON: x" in prompts.render(prompts.FORMAT_ERROR, error="invalid JSON: x")
