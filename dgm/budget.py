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


def worst_case_cost(price: Price, body: dict[str, Any], assumed_max_output: int) -> float:
    request_chars = len(json.dumps({k: body.get(k) for k in ("messages", "tools")}, default=str))
    prompt = math.ceil(request_chars / CHARS_PER_TOKEN_LOWER_BOUND)
    output = int(body.get("max_completion_tokens") or body.get("max_tokens") or assumed_max_output)
    return (prompt * price.input + output * price.output) / 1e6


@dataclass
class Budget:
    cap: float | None  # None: no cap, only the accounting
    spent: float = 0.0  # settled: what the archive has recorded
    reserved: float = 0.0  # held by calls in flight
    refusals: set[tuple[int | None, str | None]] = field(default_factory=set)  # (agent, task) refused a call
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def reserve(self, amount: float, agent_id: int | None, task_id: str | None) -> None:
        with self._lock:
            if self.cap is not None and self.spent + self.reserved + amount > self.cap:
                self.refusals.add((agent_id, task_id))
                raise BudgetExhausted(
                    f"cost cap ${self.cap:.2f} reached: ${self.spent:.4f} spent, ${self.reserved:.4f} in flight, "
                    f"the next call could cost up to ${amount:.4f}")
            self.reserved += amount

    def settle(self, reserved: float, actual: float) -> None:
        with self._lock:
            self.reserved -= reserved
            self.spent += actual

    @property
    def exhausted(self) -> bool:
        return bool(self.refusals)

    def refused(self, agent_id: int | None, task_id: str | None) -> bool:
        with self._lock:
            return (agent_id, task_id) in self.refusals

    def summary(self) -> str:
        cap = f"${self.cap:.2f}" if self.cap is not None else "none"
        return f"cost cap {cap} reached: ${self.spent:.4f} spent"
