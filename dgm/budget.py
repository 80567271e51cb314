"""The run's dollar cap, enforced before money is spent.

Every model call first reserves its worst-case cost (a generous token estimate of the request at the
model's input price, plus the most output tokens the call may produce at the output price). If the
money already spent, plus what calls in flight have reserved, plus this reservation would pass the
cap, the call is refused and never sent. After the call, the reservation is replaced by the real
cost. So the recorded spend never passes the cap, however many attempts run in parallel.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass, field
from typing import Any

from dgm.config import Price
from dgm.errors import DgmError

# Tokenizers average 3-4 characters per token on English and code; assuming 2 over-estimates the
# prompt on purpose: a reservation must not come out below the real cost.
CHARS_PER_TOKEN_LOWER_BOUND = 2


class BudgetExhausted(DgmError):
    """The dollar cap would be passed; the run stops, resumable with a higher cap."""


def worst_case_prompt_tokens(body: dict[str, Any]) -> int:
    """The most prompt tokens a request could be billed. The whole body counts, not only messages and
    tools: a response_format schema or a stop list reaches the model's input too."""
    return math.ceil(len(json.dumps(body, default=str)) / CHARS_PER_TOKEN_LOWER_BOUND)


def requested_output_tokens(body: dict[str, Any]) -> int | None:
    """The output cap the request sets, or None. With both max_tokens and max_completion_tokens the
    larger one: which of them a server honours is its own choice."""
    caps = [int(body[k]) for k in ("max_tokens", "max_completion_tokens") if body.get(k)]
    return max(caps) if caps else None


def worst_case_tokens(body: dict[str, Any], assumed_max_output: int) -> tuple[int, int]:
    """(prompt, completion) tokens a request could use at most."""
    output = requested_output_tokens(body)
    return worst_case_prompt_tokens(body), assumed_max_output if output is None else output


def worst_case_cost(price: Price, body: dict[str, Any], assumed_max_output: int) -> float:
    prompt, output = worst_case_tokens(body, assumed_max_output)
    return (prompt * price.input + output * price.output) / 1e6


@dataclass
class Budget:
    cap: float | None  # None: no cap, only the accounting
    spent: float = 0.0  # settled: what the archive has recorded
    reserved: float = 0.0  # held by calls in flight
    refusals: set[tuple[int | None, str | None]] = field(default_factory=set)  # (agent, task) refused a call
    # The token budget works the same way: worst-case tokens reserved, real tokens settled.
    token_cap: int | None = None
    tokens_spent: int = 0
    tokens_reserved: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def reserve(self, amount: float, agent_id: int | None, task_id: str | None, tokens: int = 0) -> None:
        with self._lock:
            if self.cap is not None and self.spent + self.reserved + amount > self.cap:
                self.refusals.add((agent_id, task_id))
                raise BudgetExhausted(
                    f"cost cap ${self.cap:.2f} reached: ${self.spent:.4f} spent, ${self.reserved:.4f} in flight, "
                    f"the next call could cost up to ${amount:.4f}")
            if self.token_cap is not None and self.tokens_spent + self.tokens_reserved + tokens > self.token_cap:
                self.refusals.add((agent_id, task_id))
                raise BudgetExhausted(
                    f"token budget {self.token_cap:,} reached: {self.tokens_spent:,} used, {self.tokens_reserved:,} in flight, "
                    f"the next call could use up to {tokens:,}")
            self.reserved += amount
            self.tokens_reserved += tokens

    def settle(self, reserved: float, actual: float, reserved_tokens: int = 0, actual_tokens: int = 0) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += actual
            self.tokens_reserved -= reserved_tokens
            self.tokens_spent += actual_tokens

    @property
    def exhausted(self) -> bool:
        return bool(self.refusals)

    def refused(self, agent_id: int | None, task_id: str | None) -> bool:
        with self._lock:
            return (agent_id, task_id) in self.refusals

    def summary(self) -> str:
        if self.token_cap is not None and (self.cap is None or self.tokens_spent / self.token_cap > self.spent / self.cap):
            return f"token budget {self.token_cap:,} reached: {self.tokens_spent:,} tokens used"
        cap = f"${self.cap:.2f}" if self.cap is not None else "none"
        return f"cost cap {cap} reached: ${self.spent:.4f} spent"
