"""Tool calls written as text, for servers and models without native tool calling.

The agent asks for `<tool_call>{"name": "bash", "arguments": {"command": "ls"}}</tool_call>`, but
models write what their chat template taught them, so `read` forgives. It finds calls written as
(the shape names are what result.json counts):

- `function_tag`: `<function=bash>{"command": "ls"}</function>` or, Qwen3-Coder's way,
  `<function=bash><parameter=command>ls</parameter></function>`, inside <tool_call> tags or not;
- `tool_call_tag`: a JSON call between <tool_call> and </tool_call> (Qwen's and Hermes' templates);
- `fenced_json`: calls in a ``` fence of any language or none, when the fence holds JSON;
- `bare_json`: call objects written straight into the reply, one or several;
- `doubled_braces`: any JSON call above written `{{ ... }}`, a prompt template's escaping copied.

A call may use other key names (tool/function, args/parameters/input), give its arguments as a JSON
string, miss its closing tag at the very end, and have trailing commas or raw newlines inside
strings. Outside tags only call-shaped objects (a name and arguments) count, so other JSON in a
reply is left alone; tags written inside a JSON call's strings are text. A reply that only repeats
the tools' schemas is no call: EchoedTools.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from errors import EchoedTools, FormatError

SHAPES = ("tool_call_tag", "function_tag", "fenced_json", "bare_json", "doubled_braces")
TAG = re.compile(r"<tool_call>(.*?)(?:</tool_call>|(?=<tool_call>)|\Z)", re.DOTALL)
FUNCTION = re.compile(r"<function=[\"']?([\w.-]+)[\"']?>(.*?)(?:</function>|(?=<function=|</tool_call>)|\Z)",
                      re.DOTALL)
PARAMETER = re.compile(r"<parameter=[\"']?([\w.-]+)[\"']?>(.*?)(?:</parameter>|(?=<parameter=|</tool_call>)|\Z)",
                       re.DOTALL)
FENCE = re.compile(r"```([\w-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
JSON_START = re.compile(r"\{\s*[\"{]|\[\s*\{")  # where a call object (or a list of them) may begin
CALL_HINT = re.compile(r'"(?:name|tool|tool_name|function)"\s*:\s*["{]')  # a JSON call (maybe garbled) is here
TRAILING_COMMA = re.compile(r"\s*[}\]]")
NAME_KEYS = ("name", "tool", "function", "tool_name")
ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")


class ToolCall(NamedTuple):
    name: str
    arguments: dict[str, Any]


def parse(content: str, schemas: list[dict[str, Any]] | None = None) -> list[ToolCall]:
    """The tool calls written in a reply; [] when there are none; FormatError when one is garbled."""
    return [call for _, call in read(content, schemas)]


def read(content: str, schemas: list[dict[str, Any]] | None = None) -> list[tuple[str, ToolCall]]:
    """The calls in a reply, in order, each with the shape it was written in (one of SHAPES).

    `schemas` (the tools' OpenAI schemas) type the values of <parameter=...> tags. Raises FormatError
    for a garbled call in tags, or outside them when nothing else in the reply is a call; EchoedTools
    when the reply holds tool schemas and no call.
    """
    calls, echoed, error = [], False, None
    for _, shape, block, strict in sorted(_blocks(content), key=lambda b: b[0]):
        try:
            found, schema_seen = _block_calls(block, strict, shape, schemas or [])
        except FormatError as exc:
            if strict:
                raise
            error = error or exc
            continue
        doubled = shape != "function_tag" and block[block.find("{"):].startswith("{{")
        calls += [("doubled_braces" if doubled else shape, call) for call in found]
        echoed = echoed or schema_seen
    if not calls and echoed:
        raise EchoedTools("your reply repeats the tools' descriptions (their schemas); that is not a call")
    if not calls and error:
        raise error
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


# -- finding the blocks that may hold calls: (position, shape, text, strict) ------------------------

def _blocks(content: str) -> list[tuple[int, str, str, bool]]:
    """<tool_call> tags, else <function=...> tags, else JSON in fences and in the text. Tags count only
    before the first JSON call: inside its strings (a file being written) they are text."""
    hint = CALL_HINT.search(content)
    json_at = hint.start() if hint else len(content)
    tag, function = content.find("<tool_call>"), FUNCTION.search(content)
    if 0 <= tag < json_at:
        return [(at, "function_tag" if body.lstrip().startswith("<function=") else "tool_call_tag", body, True)
                for at, body in _tag_bodies(content)]
    if function and function.start() < json_at:
        return [(function.start(), "function_tag", content[function.start():], True)]
    return _fenced_blocks(content) + _bare_blocks(content)


def _tag_bodies(content: str) -> list[tuple[int, str]]:
    """What each <tool_call> tag holds. A JSON body ends where its brackets close (strings skipped, so a
    tag written inside a string cuts nothing); any other runs to </tool_call>, the next tag or the end."""
    bodies, i = [], 0
    while (tag := content.find("<tool_call>", i)) >= 0:
        start = tag + len("<tool_call>")
        first = len(content) - len(content[start:].lstrip())
        if content[first:first + 1] in ("{", "["):
            end = _span_end(content, first)
            bodies.append((tag, content[first:end]))
        else:
            body = TAG.match(content, tag)
            bodies.append((tag, body.group(1)))
            end = body.end()
        i = end
    return bodies


def _fenced_blocks(content: str) -> list[tuple[int, str, str, bool]]:
    blocks = []
    for fence in FENCE.finditer(content):
        language, body = fence.group(1), fence.group(2)
        if language == "tool_call":  # says it is a call: garbled JSON in it is an error
            blocks.append((fence.start(), "fenced_json", body, True))
        elif body.lstrip()[:1] in ("{", "["):  # a fence of JSON, whatever its label; code is left alone
            blocks += [(fence.start(), "fenced_json", span, False) for _, span in _json_spans(body)]
    return blocks


def _bare_blocks(content: str) -> list[tuple[int, str, str, bool]]:
    # Fences are blanked (same length, so positions stay true): their JSON is theirs, their code no call.
    outside = FENCE.sub(lambda m: " " * len(m.group(0)), content)
    return [(start, "bare_json", span, False) for start, span in _json_spans(outside)]


def _json_spans(text: str) -> list[tuple[int, str]]:
    """Every top-level {...} or [{...}] in text, brackets matched outside strings; an unclosed one runs to the end."""
    spans, i = [], 0
    while match := JSON_START.search(text, i):
        end = _span_end(text, match.start())
        spans.append((match.start(), text[match.start():end]))
        i = end
    return spans


def _scan(text: str, start: int = 0):
    """Each (index, character, inside a JSON string?) of ``text`` from ``start``; quotes count as inside."""
    in_string, escaped = False, False
    for i in range(start, len(text)):
        ch = text[i]
        quoted = in_string or ch == '"'
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        yield i, ch, quoted


def _span_end(text: str, start: int) -> int:
    depth = 0
    for i, ch, quoted in _scan(text, start):
        if quoted:
            continue
        if ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


# -- reading calls out of a block --------------------------------------------------------------------

def _block_calls(block: str, strict: bool, shape: str, schemas: list[dict[str, Any]]) -> tuple[list[ToolCall], bool]:
    """The calls in one block, and whether it held tool schemas. Not strict: JSON that is no call is
    skipped, and undecodable JSON is an error only when it looks like a call."""
    if shape == "function_tag":
        return [_function_call(name, body, schemas) for name, body in FUNCTION.findall(block)], False
    try:
        value = decode_json(block)
    except FormatError:
        if strict or CALL_HINT.search(block):
            raise
        return [], False
    items = value if isinstance(value, list) else [value]
    schemas = [_is_schema(item) for item in items]
    calls = [call for item, schema in zip(items, schemas) if not schema and (call := _tool_call(item, strict))]
    return calls, any(schemas)


def _is_schema(item: Any) -> bool:
    """A tool's description, as in the `tools` list, rather than a call of it."""
    if isinstance(item, dict) and isinstance(item.get("function"), dict):
        item = item["function"]
    if not isinstance(item, dict) or "arguments" in item or not isinstance(item.get("name"), str):
        return False
    parameters = item.get("parameters")
    return "description" in item or (isinstance(parameters, dict) and ("properties" in parameters
                                                                        or parameters.get("type") == "object"))


def _tool_call(item: Any, strict: bool = True) -> ToolCall | None:
    if isinstance(item, dict) and isinstance(item.get("function"), dict):  # the OpenAI shape
        item = item["function"]
    if not isinstance(item, dict):
        if strict:
            raise FormatError("a tool call must be a JSON object")
        return None
    name = next((item[k] for k in NAME_KEYS if isinstance(item.get(k), str)), None)
    if not strict and not (name and any(k in item for k in ARGUMENT_KEYS)):
        return None  # some other JSON object
    if not name:
        raise FormatError('a tool call needs a "name"')
    arguments = next((item[k] for k in ARGUMENT_KEYS if k in item), {})
    if isinstance(arguments, str):
        arguments = decode_json(arguments) if arguments.strip() else {}
    if not isinstance(arguments, dict):
        raise FormatError(f'the "arguments" of {name} must be a JSON object')
    return ToolCall(name, arguments)


def _function_call(name: str, body: str, schemas: list[dict[str, Any]]) -> ToolCall:
    parameters = PARAMETER.findall(body)
    if parameters:
        types = _parameter_types(schemas, name)
        return ToolCall(name, {key: _parameter_value(value, types.get(key)) for key, value in parameters})
    if not body.strip():
        return ToolCall(name, {})
    arguments = decode_json(body)
    if not isinstance(arguments, dict):
        raise FormatError(f"the arguments of {name} must be a JSON object or <parameter=NAME>value</parameter> tags")
    return ToolCall(name, arguments)


def _parameter_types(schemas: list[dict[str, Any]], name: str) -> dict[str, str]:
    for schema in schemas:
        function = schema.get("function") or {}
        if function.get("name") == name:
            return {k: v.get("type") for k, v in function.get("parameters", {}).get("properties", {}).items()}
    return {}


def _parameter_value(text: str, kind: str | None) -> Any:
    """A <parameter> tag's text (the newline after the tag and before its end are layout, not value);
    JSON when the schema declares a type other than string and the text is such JSON."""
    text = text[1:] if text.startswith("\n") else text
    text = text[:-1] if text.endswith("\n") else text
    if kind in (None, "string"):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def decode_json(text: str) -> Any:
    """The first JSON object or array in ``text``, forgiving trailing commas, raw newlines and
    doubled braces. Text around it (a fence, a sentence) is ignored.
    """
    starts = sorted(i for i in (text.find("{"), text.find("[")) if i >= 0)
    if not starts:
        raise FormatError("no JSON object found")
    decoder = json.JSONDecoder(strict=False)  # strict=False: raw newlines inside strings are fine
    error: ValueError | None = None
    for start in starts:
        for candidate in _candidates(text[start:]):
            try:
                return decoder.raw_decode(candidate)[0]
            except ValueError as exc:
                error = error or exc
    raise FormatError(f"invalid JSON: {error}")


def _candidates(text: str) -> list[str]:
    """The spellings of a JSON text worth a try: as written, then repaired."""
    texts = [text]
    if text.startswith("{{"):  # {{"name": ..., "arguments": {...}}}: the outer braces doubled, or all of them
        texts += [text[1:], text.replace("{{", "{").replace("}}", "}")]
    return [variant for t in texts for variant in (t, _drop_trailing_commas(t))]


def _drop_trailing_commas(text: str) -> str:
    return "".join(ch for i, ch, quoted in _scan(text)
                   if quoted or not (ch == "," and TRAILING_COMMA.match(text, i + 1)))
