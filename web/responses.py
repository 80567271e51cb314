"""JSON that is always valid: ASCII-escaped (agents may produce lone surrogates and odd bytes) and
compact. Whole-run answers are serialised once per change of the run and then served as bytes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse, Response

from archive_db.reader import RunReader


def dumps(content: Any) -> bytes:
    return json.dumps(content, ensure_ascii=True, separators=(",", ":"), default=str).encode("ascii")


class SafeJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return dumps(content)


def cached_json(reader: RunReader, key: str, compute: Callable[[], Any]) -> Response:
    """``compute()`` as JSON, rendered once per archive change (a 5,000-agent tree is 1.6 MB)."""
    return Response(reader.cached(f"{key}.json", lambda: dumps(compute())), media_type="application/json")
