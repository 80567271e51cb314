"""The lenient parser for tool calls written as text."""

from __future__ import annotations

import pytest

import json

from errors import EchoedTools, FormatError
from text_protocol import SHAPES, ToolCall, decode_json, describe_tools, format_results, parse, read
from tools import SCHEMAS

LS = ToolCall("bash", {"command": "ls"})
PWD = ToolCall("bash", {"command": "pwd"})
LS_JSON = '{"name": "bash", "arguments": {"command": "ls"}}'
PWD_JSON = '{"name": "bash", "arguments": {"command": "pwd"}}'


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


@pytest.mark.parametrize("content,shape", [
    (f"<tool_call>{LS_JSON}</tool_call>", "tool_call_tag"),
    ('<function=bash>{"command": "ls"}</function>', "function_tag"),  # Llama's JSON-body form
    ("<function=bash><parameter=command>ls</parameter></function>", "function_tag"),
    # Qwen3-Coder's template: parameter values on lines of their own, the whole inside <tool_call>.
    ("<tool_call>\n<function=bash>\n<parameter=command>\nls\n</parameter>\n</function>\n</tool_call>", "function_tag"),
    ('Calling it: <function="bash">{"command": "ls"}', "function_tag"),  # quoted name, no closing tag
    (f"```json\n{LS_JSON}\n```", "fenced_json"),
    (f"```\n{LS_JSON}\n```", "fenced_json"),  # no fence language
    (f"```python\n{LS_JSON}\n```", "fenced_json"),  # a wrong one
    (f"```tool_code\n{LS_JSON}", "fenced_json"),  # never closed
    (LS_JSON, "bare_json"),
    (f"I will list the files: {LS_JSON} and then read them.", "bare_json"),
    (f"[TOOL_CALLS][{LS_JSON}]", "bare_json"),  # Mistral's list of calls
    ('{{"name": "bash", "arguments": {"command": "ls"}}}', "doubled_braces"),  # the observed shape
    ('{{"name": "bash", "arguments": {{"command": "ls"}}}}', "doubled_braces"),  # every brace doubled
    ('{{ "name": "bash", "arguments": {"command": "ls"} }}', "doubled_braces"),
    ('<tool_call>{{"name": "bash", "arguments": {"command": "ls"}}}</tool_call>', "doubled_braces"),
    ('```json\n{{"name": "bash", "arguments": {"command": "ls"}}}\n```', "doubled_braces"),
])
def test_each_shape_is_read_and_named(content: str, shape: str) -> None:
    assert shape in SHAPES
    assert read(content) == [(shape, LS)]


@pytest.mark.parametrize("content,shapes", [
    (f"{LS_JSON}\n{PWD_JSON}", ["bare_json", "bare_json"]),
    (f"[{LS_JSON}, {PWD_JSON}]", ["bare_json", "bare_json"]),
    ('<function=bash>{"command": "ls"}</function>\n<function=bash><parameter=command>pwd</parameter></function>',
     ["function_tag", "function_tag"]),
    ("<function=bash><parameter=command>ls</parameter>\n<function=bash><parameter=command>pwd",
     ["function_tag", "function_tag"]),  # closing tags left out
    ("<tool_call><function=bash><parameter=command>ls</tool_call>\n"
     "<tool_call><function=bash><parameter=command>pwd</tool_call>", ["function_tag", "function_tag"]),
    (f"First:\n```json\n{LS_JSON}\n```\nthen {PWD_JSON}", ["fenced_json", "bare_json"]),  # in reply order
    (f"{LS_JSON}\n```json\n{{{PWD_JSON}}}\n```", ["bare_json", "doubled_braces"]),
])
def test_several_calls_keep_their_order(content: str, shapes: list[str]) -> None:
    assert read(content) == list(zip(shapes, [LS, PWD]))


def test_tags_written_inside_a_json_string_are_text() -> None:
    # An agent editing its own parser or prompts writes these tags as file contents.
    edit = {"command": "create", "path": "p.py", "file_text": "A = '<tool_call>x</tool_call>'\nB = '<function=bash>'\n"}
    call = json.dumps({"name": "editor", "arguments": edit})
    for content in (f"<tool_call>{call}</tool_call>", f"<tool_call>{call}", f"```json\n{call}\n```", call):
        assert parse(content) == [ToolCall("editor", edit)], content


def test_parameter_values_are_typed_by_the_schemas() -> None:
    content = ("<function=editor>\n<parameter=command>\ninsert\n</parameter>\n<parameter=path>\na.py\n</parameter>\n"
               "<parameter=insert_line>\n3\n</parameter>\n<parameter=text>\n{\"a\": 1}\n\n</parameter>\n</function>")
    [call] = parse(content, SCHEMAS)
    assert call == ToolCall("editor", {"command": "insert", "path": "a.py", "insert_line": 3, "text": '{"a": 1}\n'})
    view = "<function=editor><parameter=command>view</parameter><parameter=path>a.py</parameter>" \
           "<parameter=view_range>[1, 5]</parameter></function>"
    assert parse(view, SCHEMAS)[0].arguments["view_range"] == [1, 5]
    assert parse(view)[0].arguments["view_range"] == "[1, 5]"  # without schemas every value is text


@pytest.mark.parametrize("content", [
    json.dumps(SCHEMAS),  # the `tools` list as sent
    json.dumps([schema["function"] for schema in SCHEMAS], indent=2),
    "Here are my tools:\n```json\n" + json.dumps(SCHEMAS[0]) + "\n```",
    '{"name": "bash", "description": "Run a command", "parameters": {"command": "string"}}',
    f"<tool_call>{json.dumps(SCHEMAS[1])}</tool_call>",
])
def test_an_echoed_tool_list_is_no_call(content: str) -> None:
    with pytest.raises(EchoedTools, match="tools' descriptions"):
        read(content)


def test_a_call_beside_an_echoed_schema_is_still_a_call() -> None:
    assert parse(f"{json.dumps(SCHEMAS[0])}\n{LS_JSON}") == [LS]


@pytest.mark.parametrize("content", [
    '```json\n{"name": "mypackage", "version": "1.0"}\n```',  # has a name, but no arguments: not a call
    '```python\nrequest = {"name": "bash", "arguments": {"command": "ls"}}\n```',  # code, not JSON
    'The config is {"debug": true, "level": 3}.',
    "Use {{ name }} in the template.",
])
def test_other_json_and_code_are_not_calls(content: str) -> None:
    assert read(content) == []


def test_a_garbled_call_outside_tags_is_a_format_error() -> None:
    truncated = '{"name": "editor", "arguments": {"command": "create", "path": "a.py", "file_text": "unfinished'
    with pytest.raises(FormatError, match="invalid JSON"):
        read(truncated)
    with pytest.raises(FormatError, match="must be a JSON object"):
        read('```json\n{"name": "bash", "arguments": ["ls"]}\n```')
    assert parse(f"{LS_JSON}\n{truncated}") == [LS]  # a good call beside it is used
