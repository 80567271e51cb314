"""Transcripts (lists of chat messages) made uniform and paged for the browser.

Everything here is text a model or an agent wrote: it is passed on as plain strings, never
interpreted, and the page renders it with textContent.
"""

from __future__ import annotations

import json
from typing import Any

MAX_PAGE = 200


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # multi-part content: keep the text parts, name the others
        parts = [p.get("text", "") if isinstance(p, dict) and "text" in p
                 else f"[{p.get('type', 'part') if isinstance(p, dict) else 'part'}]" for p in content]
        return "\n".join(str(p) for p in parts)
    return json.dumps(content, indent=2, default=str)


def _tool_call(call: Any) -> dict[str, str]:
    if not isinstance(call, dict):
        return {"name": "?", "arguments": _text(call)}
    fn = call.get("function") if isinstance(call.get("function"), dict) else call
    args = fn.get("arguments", "")
    if isinstance(args, str):
        try:  # arguments arrive as a JSON string; pretty-print it when it is one
            args = json.dumps(json.loads(args), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    else:
        args = json.dumps(args, indent=2, ensure_ascii=False, default=str)
    return {"name": str(fn.get("name", "?")), "arguments": str(args)}


def message(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {"role": "?", "content": _text(raw), "tool_calls": []}
    out: dict[str, Any] = {
        "role": str(raw.get("role", "?")),
        "content": _text(raw.get("content")),
        "tool_calls": [_tool_call(c) for c in raw.get("tool_calls") or []],
    }
    for key in ("name", "tool_call_id"):
        if raw.get(key):
            out[key] = str(raw[key])
    return out


def parse(transcript_json: str | None) -> list[Any]:
    if not transcript_json:
        return []
    try:
        data = json.loads(transcript_json)
    except ValueError:
        return [{"role": "?", "content": transcript_json}]  # kept as text rather than lost
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return data["messages"]
    return data if isinstance(data, list) else [data]


def page(transcript_json: str | None, offset: int, limit: int) -> dict[str, Any]:
    messages = parse(transcript_json)
    offset = max(0, offset)
    limit = max(1, min(limit, MAX_PAGE))
    return {"total": len(messages), "offset": offset, "limit": limit,
            "messages": [message(m) for m in messages[offset:offset + limit]]}
