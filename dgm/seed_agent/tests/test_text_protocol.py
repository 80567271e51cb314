"""The lenient parser for tool calls written as text."""

from __future__ import annotations

import pytest

from errors import FormatError
from text_protocol import ToolCall, decode_json, describe_tools, format_results, parse
from tools import SCHEMAS

LS = ToolCall("bash", {"command": "ls"})


@pytest.mark.parametrize("content", [
    '<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>',
    'Let me look.\n<tool_call>\n{"name": "bash", "arguments": {"command": "ls"}}\n</tool_call>\nThen more.',
    '<tool_call>{"name": "bash", "arguments": "{\\"command\\": \\"ls\\"}"}</tool_call>',  # arguments as a string
    '<tool_call>{"tool": "bash", "args": {"command": "ls"}}</tool_call>',
    '<tool_call>{"function": "bash", "parameters": {"command": "ls"}}</tool_call>',
    '<tool_call>{"name": "bash", "input": {"command": "ls"}}</tool_call>',
    '<tool_call>{"type": "function", "function": {"name": "bash", '
    '"arguments": "{\\"command\\": \\"ls\\"}"}}</tool_call>',  # the OpenAI shape
    '<tool_call>{"name": "bash", "arguments": {"command": "ls",},}</tool_call>',  # trailing commas
    'I will list files.\n<tool_call>{"name": "bash", "arguments": {"command": "ls"}}',  # no closing tag
    '<tool_call>\n```json\n{"name": "bash", "arguments": {"command": "ls"}}\n```\n</tool_call>',  # fence in a tag
    'Sure:\n```json\n{"name": "bash", "arguments": {"command": "ls"}}\n```',
    '```tool_call\n{"name": "bash", "arguments": {"command": "ls"}}\n```',
    '{"name": "bash", "arguments": {"command": "ls"}}',  # the whole reply is the call
])
def test_one_call_in_many_spellings(content: str) -> None:
    assert parse(content) == [LS]


def test_several_calls_in_one_reply() -> None:
    content = ('First <tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call> and '
               '<tool_call>{"name": "editor", "arguments": {"command": "view", "path": "a.py"}}</tool_call>')
    assert parse(content) == [LS, ToolCall("editor", {"command": "view", "path": "a.py"})]


def test_a_tag_missing_its_closing_before_the_next_tag() -> None:
    content = ('<tool_call>{"name": "bash", "arguments": {"command": "ls"}}\n'
               '<tool_call>{"name": "bash", "arguments": {"command": "pwd"}}</tool_call>')
    assert parse(content) == [LS, ToolCall("bash", {"command": "pwd"})]


def test_a_list_of_calls_in_one_tag() -> None:
    content = ('<tool_call>[{"name": "bash", "arguments": {"command": "ls"}}, '
               '{"name": "bash", "arguments": {}}]</tool_call>')
    assert parse(content) == [LS, ToolCall("bash", {})]


def test_raw_newlines_and_braces_inside_strings() -> None:
    content = ('<tool_call>{"name": "editor", "arguments": {"command": "create", "path": "f.py", '
               '"file_text": "def f():\n    return {1: 2,}\n"}}</tool_call>')
    [call] = parse(content)
    assert call.arguments["file_text"] == "def f():\n    return {1: 2,}\n"


def test_trailing_comma_inside_a_string_is_kept() -> None:
    content = '<tool_call>{"name": "bash", "arguments": {"command": "echo \\"a,}\\"",},}</tool_call>'
    assert parse(content) == [ToolCall("bash", {"command": 'echo "a,}"'})]


@pytest.mark.parametrize("content", [
    "I have fixed the bug; the tests pass.",
    "",
    "Here is the config:\n```json\n{\"debug\": true}\n```",  # JSON that is not a call
    "```python\nprint({'name': 'bash'})\n```",
    "{not json at all",
])
def test_replies_without_tool_calls(content: str) -> None:
    assert parse(content) == []


@pytest.mark.parametrize("content,message", [
    ("<tool_call>{\"name\": \"bash\", \"arguments\": {\"command\": </tool_call>", "invalid JSON"),
    ("<tool_call>no json here</tool_call>", "no JSON object"),
    ('<tool_call>{"arguments": {"command": "ls"}}</tool_call>', 'needs a "name"'),
    ('<tool_call>{"name": "bash", "arguments": ["ls"]}</tool_call>', "must be a JSON object"),
    ('<tool_call>"bash"</tool_call>', "no JSON object"),
    ('```tool_call\n{"name": 3}\n```', 'needs a "name"'),
])
def test_garbled_calls_are_format_errors(content: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        parse(content)


def test_decode_json_skips_text_around_the_object() -> None:
    assert decode_json('Here: {"a": [1, 2,],} and after') == {"a": [1, 2]}


def test_results_and_tool_descriptions() -> None:
    text = format_results([("bash", "out"), ("editor", "Created f.py")])
    assert text == ('<tool_result name="bash">\nout\n</tool_result>\n\n'
                    '<tool_result name="editor">\nCreated f.py\n</tool_result>')
    docs = describe_tools(SCHEMAS)
    assert "### bash" in docs and "### editor" in docs and "str_replace" in docs
