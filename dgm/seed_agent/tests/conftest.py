"""Puts the agent's own modules (`import tools`, `import llm`, ...) and the test helpers on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
AGENT_ROOT = TESTS.parent
for path in (str(AGENT_ROOT), str(TESTS)):
    if path not in sys.path:
        sys.path.insert(0, path)

from fake_model import FakeModel  # noqa: E402  (needs the path above)


@pytest.fixture()
def fake_model():
    """A fake OpenAI-compatible server on 127.0.0.1 (a free port); set `.answers` before use."""
    with FakeModel() as server:
        yield server


@pytest.fixture()
def unix_fake_model():
    """The same fake server on a Unix socket."""
    with FakeModel(unix=True) as server:
        yield server
