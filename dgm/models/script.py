"""The scripted model's script: rules that map a chat request to a canned answer.

A script is plain data (TOML, JSON or a dict; format in docs/SCRIPTED_MODEL.md). Loading validates
it completely, so a typo fails at load time with the field named, not as a silent non-match later.
The objects here are immutable: per-server counters (times, rotation) live in the server, so one
script can back several servers.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

BUILTIN_DEFAULT_TEXT = "(scripted model: no rule matched this request)"
_SCRIPT_KEYS = {"default", "rule", "models", "faults", "context_tokens"}
_RULE_KEYS = {"name", "match", "times", "delay", "hang", "reply", "replies", "error", "usage"}
_MATCH_KEYS = {"contains", "last_contains", "system_contains", "not_contains", "regex", "turn",
               "has_tools", "model"}
_REPLY_KEYS = {"content", "tool_calls", "usage", "finish_reason"}
_TOOL_CALL_KEYS = {"name", "arguments", "arguments_raw"}
_ERROR_KEYS = {"status", "message", "type", "code", "retry_after"}
_FAULT_KEYS = {"rate", "seed", "kinds", "timeout_s", "models"}
FAULT_KINDS = ("429", "500", "timeout", "malformed")
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                404: "not_found_error", 429: "rate_limit_error"}


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # always a string on the wire; may be deliberately malformed (arguments_raw)


@dataclass(frozen=True)
class Reply:
    content: str | None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: dict[str, int] | None = None  # overrides the estimate, key by key
    finish_reason: str | None = None  # None: "tool_calls" if there are tool calls, else "stop"


@dataclass(frozen=True)
class ErrorReply:
    status: int
    message: str
    type: str
    code: str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Match:
    """All given criteria must hold; an empty Match matches every request."""

    contains: tuple[str, ...] = ()
    last_contains: str | None = None
    system_contains: str | None = None
    not_contains: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    turn: tuple[int, int] | None = None  # inclusive range of assistant messages already present
    has_tools: bool | None = None
    model: str | None = None

    def holds(self, body: dict[str, Any]) -> bool:
        messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        texts = [message_text(m) for m in messages]
        system = "\n".join(t for m, t in zip(messages, texts, strict=True) if m.get("role") in ("system", "developer"))
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        return all((
            all(any(needle in t for t in texts) for needle in self.contains),
            self.last_contains is None or (bool(texts) and self.last_contains in texts[-1]),
            self.system_contains is None or self.system_contains in system,
            not any(needle in t for needle in self.not_contains for t in texts),
            self.regex is None or self.regex.search("\n".join(texts)) is not None,
            self.turn is None or self.turn[0] <= turn <= self.turn[1],
            self.has_tools is None or self.has_tools == bool(body.get("tools")),
            self.model is None or self.model == body.get("model"),
        ))


@dataclass(frozen=True)
class Rule:
    name: str
    match: Match
    replies: tuple[Reply, ...] = ()  # one reply, or several used in rotation
    error: ErrorReply | None = None
    times: int | None = None
    delay: float = 0.0
    hang: bool = False


@dataclass(frozen=True)
class Faults:
    """Random faults injected instead of a request's scripted answer (the `[faults]` table)."""

    rate: float  # probability that a request gets a fault, 0..1
    seed: int = 0  # the fault sequence (which requests, which kind) is reproducible per seed
    kinds: tuple[str, ...] = FAULT_KINDS
    timeout_s: float = 30.0  # how long a "timeout" fault holds the connection before dropping it
    models: tuple[str, ...] = ()  # only requests for these models get faults; empty: all


@dataclass(frozen=True)
class Script:
    rules: tuple[Rule, ...]
    default: Reply
    models: tuple[str, ...]  # what GET /v1/models lists
    faults: Faults | None = None
    context_tokens: int | None = None  # the context window GET /props reports, as llama.cpp's server does


def message_text(message: dict[str, Any]) -> str:
    """A message's content as text: a string, or the text parts of a content-part list."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return ""


def load_script(source: Script | dict[str, Any] | str | Path) -> Script:
    """Load and validate a script from a dict or a .toml/.json file; ValueError names the bad field."""
    if isinstance(source, Script):
        return source
    if isinstance(source, dict):
        return _parse_script(source)
    path = Path(source)
    if path.suffix not in (".toml", ".json"):
        raise ValueError(f"{path}: a script must be a .toml or .json file")
    text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the script must be a table/object at the top level")
    try:
        return _parse_script(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _parse_script(data: dict[str, Any]) -> Script:
    _check_keys(data, _SCRIPT_KEYS, "script")
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise ValueError("rule: must be a list of tables ([[rule]] in TOML)")
    rules = tuple(_parse_rule(r, f"rule[{i}]") for i, r in enumerate(raw_rules))
    seen: set[str] = set()
    for rule in rules:
        if rule.name == "default":
            raise ValueError("rule 'default': the name is reserved for the default reply")
        if rule.name in seen:
            raise ValueError(f"rule '{rule.name}': name is not unique")
        seen.add(rule.name)
    default = _parse_reply(data["default"], "default") if "default" in data else Reply(BUILTIN_DEFAULT_TEXT)
    models = _str_list(data.get("models", []), "models")
    if not models:
        models = tuple(dict.fromkeys(r.match.model for r in rules if r.match.model)) or ("scripted",)
    faults = _parse_faults(data["faults"], "faults") if "faults" in data else None
    context_tokens = _optional(data, "context_tokens", int, "script")
    if context_tokens is not None and context_tokens < 1:
        raise ValueError("context_tokens: must be at least 1")
    return Script(rules, default, models, faults, context_tokens)


def _parse_faults(raw: Any, where: str) -> Faults:
    _check_keys(_typed(raw, dict, where), _FAULT_KEYS, where)
    if "rate" not in raw:
        raise ValueError(f"{where}.rate: required, a number from 0 to 1")
    rate = float(_typed(raw["rate"], (int, float), f"{where}.rate"))
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"{where}.rate: must be from 0 to 1, got {rate:g}")
    kinds = _str_list(raw.get("kinds", list(FAULT_KINDS)), f"{where}.kinds")
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not kinds:
        raise ValueError(f"{where}.kinds: must be a non-empty subset of {', '.join(FAULT_KINDS)}"
                         + (f", got {unknown[0]!r}" if unknown else ""))
    timeout_s = float(_typed(raw.get("timeout_s", 30.0), (int, float), f"{where}.timeout_s"))
    if timeout_s <= 0:
        raise ValueError(f"{where}.timeout_s: must be positive")
    return Faults(rate=rate, seed=_typed(raw.get("seed", 0), int, f"{where}.seed"),
                  kinds=tuple(dict.fromkeys(kinds)), timeout_s=timeout_s,
                  models=_str_list(raw.get("models", []), f"{where}.models"))


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.name: required, a non-empty string")
    where = f"rule '{name}'"
    _check_keys(raw, _RULE_KEYS, where)
    hang = _typed(raw.get("hang", False), bool, f"{where}.hang")
    answers = [k for k in ("reply", "replies", "error") if k in raw]
    if hang and answers:
        raise ValueError(f"{where}: a hang rule never answers, so it takes no {answers[0]}")
    if not hang and len(answers) != 1:
        raise ValueError(f"{where}: needs exactly one of reply, replies, error (has {answers or 'none'})")
    replies: tuple[Reply, ...] = ()
    if "reply" in raw:
        replies = (_parse_reply(raw["reply"], f"{where}.reply"),)
    if "replies" in raw:
        if not isinstance(raw["replies"], list) or not raw["replies"]:
            raise ValueError(f"{where}.replies: must be a non-empty list of replies")
        replies = tuple(_parse_reply(r, f"{where}.replies[{i}]") for i, r in enumerate(raw["replies"]))
    if "usage" in raw:  # a rule-level usage is the default for each of its replies
        if not replies:
            raise ValueError(f"{where}.usage: only a rule with reply or replies reports usage")
        usage = _parse_usage(raw["usage"], f"{where}.usage")
        replies = tuple(replace(r, usage={**usage, **(r.usage or {})}) for r in replies)
    times = raw.get("times")
    if times is not None and (_typed(times, int, f"{where}.times") < 1):
        raise ValueError(f"{where}.times: must be at least 1")
    delay = _typed(raw.get("delay", 0.0), (int, float), f"{where}.delay")
    if delay < 0:
        raise ValueError(f"{where}.delay: must not be negative")
    return Rule(name=name, match=_parse_match(raw.get("match", {}), f"{where}.match"), replies=replies,
                error=_parse_error(raw["error"], f"{where}.error") if "error" in raw else None,
                times=times, delay=float(delay), hang=hang)


def _parse_match(raw: Any, where: str) -> Match:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    _check_keys(raw, _MATCH_KEYS, where)
    regex = None
    if "regex" in raw:
        try:
            regex = re.compile(_typed(raw["regex"], str, f"{where}.regex"))
        except re.error as exc:
            raise ValueError(f"{where}.regex: invalid regular expression: {exc}") from None
    return Match(contains=_str_list(raw.get("contains", []), f"{where}.contains"),
                 last_contains=_optional(raw, "last_contains", str, where),
                 system_contains=_optional(raw, "system_contains", str, where),
                 not_contains=_str_list(raw.get("not_contains", []), f"{where}.not_contains"),
                 regex=regex, turn=_parse_turn(raw["turn"], f"{where}.turn") if "turn" in raw else None,
                 has_tools=_optional(raw, "has_tools", bool, where),
                 model=_optional(raw, "model", str, where))


def _parse_turn(raw: Any, where: str) -> tuple[int, int]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw, raw
    if (isinstance(raw, list) and len(raw) == 2
            and all(isinstance(n, int) and not isinstance(n, bool) for n in raw) and raw[0] <= raw[1]):
        return raw[0], raw[1]
    raise ValueError(f"{where}: must be an integer or [min, max] with min <= max, got {raw!r}")


def _parse_reply(raw: Any, where: str) -> Reply:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    _check_keys(raw, _REPLY_KEYS, where)
    content = _optional(raw, "content", str, where)
    raw_calls = raw.get("tool_calls", [])
    if not isinstance(raw_calls, list):
        raise ValueError(f"{where}.tool_calls: must be a list")
    calls = tuple(_parse_tool_call(c, f"{where}.tool_calls[{i}]") for i, c in enumerate(raw_calls))
    if content is None and not calls:
        raise ValueError(f"{where}: needs content or tool_calls")
    usage = _parse_usage(raw["usage"], f"{where}.usage") if "usage" in raw else None
    return Reply(content, calls, usage, _optional(raw, "finish_reason", str, where))


def _parse_usage(raw: Any, where: str) -> dict[str, int]:
    _check_keys(_typed(raw, dict, where), {"prompt_tokens", "completion_tokens", "total_tokens"}, where)
    for key, value in raw.items():
        if _typed(value, int, f"{where}.{key}") < 0:
            raise ValueError(f"{where}.{key}: must not be negative")
    return dict(raw)


def _parse_tool_call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    _check_keys(raw, _TOOL_CALL_KEYS, where)
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where}.name: required, a non-empty string")
    if "arguments" in raw and "arguments_raw" in raw:
        raise ValueError(f"{where}: give arguments or arguments_raw, not both")
    if "arguments_raw" in raw:
        return ToolCall(name, _typed(raw["arguments_raw"], str, f"{where}.arguments_raw"))
    return ToolCall(name, json.dumps(_typed(raw.get("arguments", {}), dict, f"{where}.arguments")))


def _parse_error(raw: Any, where: str) -> ErrorReply:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: must be a table")
    _check_keys(raw, _ERROR_KEYS, where)
    status = _typed(raw.get("status"), int, f"{where}.status")
    if not 400 <= status <= 599:
        raise ValueError(f"{where}.status: must be an HTTP error status (400-599), got {status}")
    retry_after = raw.get("retry_after")
    if retry_after is not None:
        retry_after = float(_typed(retry_after, (int, float), f"{where}.retry_after"))
    return ErrorReply(
        status=status,
        message=_typed(raw.get("message", f"scripted error {status}"), str, f"{where}.message"),
        type=_typed(raw.get("type", _ERROR_TYPES.get(status, "server_error")), str, f"{where}.type"),
        code=_optional(raw, "code", str, where),
        retry_after=retry_after,
    )


def _check_keys(raw: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


def _typed(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    # bool is an int subclass; a `true` where a number belongs is a mistake, not 1.
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
        names = " or ".join(k.__name__ for k in _as_tuple(kind))
        raise ValueError(f"{where}: must be {names}, got {value!r}")
    return value


def _optional(raw: dict[str, Any], key: str, kind: type, where: str) -> Any:
    return _typed(raw[key], kind, f"{where}.{key}") if key in raw else None


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _str_list(raw: Any, where: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return tuple(raw)
    raise ValueError(f"{where}: must be a string or a list of strings, got {raw!r}")
