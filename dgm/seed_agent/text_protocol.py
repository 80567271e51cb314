"""Tool calls written as text, for servers and models without native tool calling.

The agent asks for `<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>`, but
models drift, so the parser forgives: ```json or ```tool_call fences, a whole reply that is one call
object, arguments given as a JSON string, other key names (tool/function, args/parameters/input),
a missing closing tag at the very end, trailing commas and raw newlines inside strings.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from errors import FormatError

TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.DOTALL)
FENCE = re.compile(r"```(json|tool_call)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
TRAILING_COMMA = re.compile(r"\s*[}\]]")
NAME_KEYS = ("name", "tool", "function", "tool_name")
ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")


class ToolCall(NamedTuple):
    name: str
    arguments: dict[str, Any]


def parse(content: str) -> list[ToolCall]:
    """The tool calls written in a reply; [] when there are none; FormatError when one is garbled."""
    if "<tool_call>" in content:
        return [call for block in TAG.findall(content) for call in _calls(block)]
    calls = []
    for kind, block in FENCE.findall(content):
        if kind == "tool_call":
            calls += _calls(block)
        else:  # a json fence may hold any JSON; only call-shaped objects count
            calls += _calls_or_nothing(block)
    if not calls and content.lstrip().startswith("{"):
        calls = _calls_or_nothing(content)
    return calls


def format_results(results: list[tuple[str, str]]) -> str:
    """The user message that carries tool outputs back to the model."""
    return "\n\n".join(f'<tool_result name="{name}">\n{output}\n</tool_result>' for name, output in results)


def describe_tools(schemas: list[dict[str, Any]]) -> str:
    """The tools' schemas as text, for the system prompt of text mode."""
    parts = []
    for schema in schemas:
        function = schema["function"]
        parameters = json.dumps(function["parameters"]["properties"], indent=1)
        required = ", ".join(function["parameters"].get("required", []))
        parts.append(f"### {function['name']}\n{function['description']}\n"
                     f"Required arguments: {required}\nArguments:\n{parameters}")
    return "\n\n".join(parts)


def _calls_or_nothing(block: str) -> list[ToolCall]:
    try:
        return _calls(block)
    except FormatError:
        return []


def _calls(block: str) -> list[ToolCall]:
    value = decode_json(block)
    items = value if isinstance(value, list) else [value]
    return [_tool_call(item) for item in items]


def _tool_call(item: Any) -> ToolCall:
    if not isinstance(item, dict):
        raise FormatError("a tool call must be a JSON object")
    if isinstance(item.get("function"), dict):  # the OpenAI shape {"type": "function", "function": {...}}
        item = item["function"]
    name = next((item[k] for k in NAME_KEYS if isinstance(item.get(k), str)), None)
    if not name:
        raise FormatError('a tool call needs a "name"')
    arguments = next((item[k] for k in ARGUMENT_KEYS if k in item), {})
    if isinstance(arguments, str):
        arguments = decode_json(arguments) if arguments.strip() else {}
    if not isinstance(arguments, dict):
        raise FormatError(f'the "arguments" of {name} must be a JSON object')
    return ToolCall(name, arguments)


def decode_json(text: str) -> Any:
    """The first JSON object or array in ``text``, forgiving trailing commas and raw newlines.

    Text around it (a fence, a sentence) is ignored.
    """
    starts = sorted(i for i in (text.find("{"), text.find("[")) if i >= 0)
    if not starts:
        raise FormatError("no JSON object found")
    decoder = json.JSONDecoder(strict=False)  # strict=False: raw newlines inside strings are fine
    error: ValueError | None = None
    for start in starts:
        for candidate in (text[start:], _drop_trailing_commas(text[start:])):
            try:
                return decoder.raw_decode(candidate)[0]
            except ValueError as exc:
                error = error or exc
    raise FormatError(f"invalid JSON: {error}")


def _drop_trailing_commas(text: str) -> str:
    out, in_string, escaped = [], False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "," and TRAILING_COMMA.match(text, i + 1):
            continue
        out.append(ch)
    return "".join(out)
