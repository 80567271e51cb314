"""The exceptions that steer the agent loop.

The loop is a plain `while True`; every way out of it is an exception. An `AgentStop` ends the run in
an orderly way and its `status` is what result.json reports. A `FormatError` does not end anything:
its message goes back to the model, which gets another try.
"""

from __future__ import annotations


class AgentStop(Exception):
    """Ends the run in an orderly way; `status` is written to result.json."""

    status = "error"


class Submitted(AgentStop):
    """The model replied without a tool call after changing the repository: it considers the work done."""

    status = "submitted"


class NoChange(AgentStop):
    """The model stopped calling tools, having used them, and the repository is unchanged."""

    status = "no_change"


class NoToolCalls(AgentStop):
    """The model stopped without ever making a usable tool call (the repository is unchanged)."""

    status = "no_tool_calls"


class StepLimit(AgentStop):
    """The run used all of its --max-steps model calls."""

    status = "max_steps"


class LimitReached(AgentStop):
    """The gateway refused further calls (its per-attempt token, call or cost limit)."""

    status = "limit"


class ContextTooLong(AgentStop):
    """The conversation no longer fits into the model's context window."""

    status = "context_length"


class ModelError(AgentStop):
    """The model endpoint failed for good (after retries) or rejected the request."""

    status = "error"

    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


class FormatError(Exception):
    """The model's reply could not be understood; the message tells the model what to fix."""


class EchoedTools(FormatError):
    """The reply repeats the tools' schemas instead of calling one."""
