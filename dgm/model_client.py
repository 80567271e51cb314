"""The one place that talks to the configured model endpoint (through the `openai` package): every
try recorded, every call's worst-case cost and tokens reserved against the run's budgets first
(budget.py), retries, pauses on a down endpoint and context overflows classified (retry.py).
Shared by the run's worker threads and every attempt's gateway (gateway.py)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import openai

from archive_db import Archive
from dgm.budget import Budget, requested_output_tokens, worst_case_prompt_tokens
from dgm.config import ModelConfig
from dgm.errors import ContextOverflow, ModelEndpointError
from dgm.retry import Backoff, Fault, Outage, Turn, classify, describe, redact, retry_after_s, scrub, upstream_message

# An API key shorter than this is not redacted from texts (it would match ordinary words).
MIN_SECRET_CHARS = 8
# After a timed-out request, the next try waits as long as the request ran (at most this long).
TIMEOUT_WAIT_MAX_S = 600.0


@dataclass(frozen=True)
class CallContext:
    """Who a model call is for: every recorded call carries it."""

    run_id: int | None
    agent_id: int | None
    task_id: str | None
    purpose: str


class ModelClient:
    """The one place that talks to the configured endpoint (through the `openai` package).

    Retries are ours (the package's are off), so every try is recorded: rate limits, 5xx, timeouts
    and dropped connections are retried with backoff (retry.py); a call that runs out of retries marks
    the endpoint down, and then every call waits, paused, until a probe gets an answer. Thread-safe:
    the run's worker threads and every gateway share one client.

    `on_event(kind, data)` reports `model_retry` {model, attempt, error, wait_s, hint}, `endpoint_down`
    {base_url, error, since} and `endpoint_up` {base_url, down_s}; `on_call(ctx)` is told of every try.
    `sleep` and `rng` are the backoff's wait and jitter, replaceable in tests.
    """

    def __init__(self, config: ModelConfig, api_key: str | None, archive: Archive | None,
                 budget: Budget | None = None, assumed_max_output: int = 16_384, *,
                 sleep: Callable[[float], None] | None = None, rng: random.Random | None = None) -> None:
        self.config = config
        self.archive = archive
        self.budget = budget or Budget(cap=None)
        self.assumed_max_output = assumed_max_output
        self.backoff = Backoff.from_config(config)
        self.outage = Outage(config.base_url, config.pause_probe_s, config.max_pause_s)
        self.on_event: Callable[[str, dict[str, Any]], None] = lambda kind, data: None
        self.on_call: Callable[[CallContext], None] = lambda ctx: None
        self._sleep = sleep or self.outage.sleep
        self._rng = rng or random.Random()
        # Redacted from every upstream text we keep. A key this short is no secret worth the name, and
        # replacing it everywhere would garble the text.
        self._secret = api_key if api_key and len(api_key) >= MIN_SECRET_CHARS else None
        self._client = openai.OpenAI(
            base_url=config.base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=httpx.Timeout(config.request_timeout_s, connect=10.0),
        )

    @property
    def paused(self) -> bool:
        """The endpoint is down: calls wait for it instead of failing."""
        return self.outage.down

    @property
    def outage_started(self) -> float | None:
        """When the current outage began (time.time()), or None."""
        return self.outage.started

    @property
    def outages(self) -> int:
        """How many outages have begun: an agent run that spans a change of it may have been cut off."""
        return self.outage.count

    @property
    def gave_up(self) -> bool:
        """An outage outlasted max_pause_s: calls raise EndpointDown; the run should stop (resumable)."""
        return self.outage.gave_up

    @property
    def cancelled(self) -> bool:
        return self.outage.cancelled

    def cancel(self) -> None:
        """Wake every waiting call and make it, and every later call, raise ClientCancelled. A request
        already on the wire is not cut: it ends within request_timeout_s."""
        self.outage.cancel()

    def close(self) -> None:
        self.cancel()
        self._client.close()

    def check_reachable(self) -> None:
        """Fail fast with one line when the endpoint cannot be reached at all."""
        try:
            self._client.with_options(timeout=10.0).models.list()
        except (openai.APIConnectionError, openai.APITimeoutError) as exc:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} is unreachable: {exc}") from None
        except openai.AuthenticationError:
            raise ModelEndpointError(f"model endpoint {self.config.base_url} rejected the API key "
                                     f"(set ${self.config.api_key_env})") from None
        except openai.APIStatusError:
            pass  # some servers lack /models; reaching them is all we check

    def chat(self, ctx: CallContext, model: str, **body: Any) -> dict[str, Any]:
        """One chat completion; each try recorded with tokens, cost and latency, or with its error.

        Raises BudgetExhausted, without sending anything, when the call could pass the dollar cap (the
        reservation covers the call with all its retries); ContextOverflow when the request does not
        fit the model; EndpointDown when the endpoint stayed down past max_pause_s; ClientCancelled
        after cancel(); the `openai` error of a request the endpoint refuses (401, 404, ...), the API key
        redacted from what it says.
        """
        return self.complete(ctx, model, body, worst_case_prompt_tokens(body))

    def complete(self, ctx: CallContext, model: str, body: dict[str, Any], prompt_tokens: int) -> dict[str, Any]:
        """chat() for a request whose worst-case prompt is already known: the gateway sizes each agent
        request once, for the attempt's limits and the run's budgets alike."""
        output = requested_output_tokens(body) or self.assumed_max_output
        worst, worst_tokens = self.cost_of(model, prompt_tokens, output), prompt_tokens + output
        self.budget.reserve(worst, ctx.agent_id, ctx.task_id, tokens=worst_tokens)
        cost, tokens = 0.0, 0
        try:
            response, cost = self._call(ctx, model, body)
            usage = response.get("usage") or {}
            tokens = int(usage.get("prompt_tokens") or 0) + int(usage.get("completion_tokens") or 0)
            return response
        finally:
            self.budget.settle(worst, cost, worst_tokens, tokens)

    def redact(self, text: str) -> str:
        """`text` without the API key."""
        return redact(text, self._secret)

    def cost_of(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        price = self.config.price(model)
        return (prompt_tokens * price.input + completion_tokens * price.output) / 1e6

    def _call(self, ctx: CallContext, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """Tries until one succeeds or the failure is final. A round of retries that runs out while
        the endpoint answered other requests, sent after this call first failed, blames this request,
        not the endpoint: it raises instead of pausing everyone (a poison request, a generation that
        always outlasts the timeout). Answers to requests sent before then prove nothing (they were
        on their way when the endpoint went). A rate limit always counts against the endpoint."""
        retry, first_failed = 0, None
        while True:
            turn = self.outage.wait_turn()
            if turn is not Turn.GO:
                retry, first_failed = 0, None
            failure = None
            sent = time.monotonic()
            try:
                result = self._try(ctx, model, body)
            except openai.APIError as exc:
                failure = exc
                fault = classify(exc)
            finally:
                if turn is Turn.PROBE:
                    self.outage.probe_done(self.describe(failure) if failure is not None else None)
            if failure is None:
                self._answered(sent)
                return result
            if fault in (Fault.OVERFLOW, Fault.FATAL):
                self._answered(sent)
                if fault is Fault.OVERFLOW:
                    raise ContextOverflow(self.redact(upstream_message(failure))) from failure
                raise scrub(failure, self._secret)
            first_failed = sent if first_failed is None else first_failed
            if self.outage.cancelled or turn is Turn.PROBE:
                continue  # wait_turn raises ClientCancelled, or waits for the next probe
            if fault is Fault.TRANSIENT and retry < self.backoff.retries:
                wait = self.backoff.wait_s(retry, self._rng, retry_after_s(failure))
                hint = None
                if isinstance(failure, openai.APITimeoutError):
                    # A local server is likely still working on the request we gave up on: sending
                    # it again at once only queues a second copy behind the first.
                    wait = max(wait, min(self.config.request_timeout_s, TIMEOUT_WAIT_MAX_S))
                    hint = (f"no answer within model.request_timeout_s = {self.config.request_timeout_s:g} s; "
                            "a slow (CPU) server needs a larger one")
                retry += 1
                self.on_event("model_retry", {"model": model, "attempt": retry, "error": self.describe(failure),
                                              "wait_s": round(wait, 3), "hint": hint})
                self._sleep(wait)
                continue
            rate_limited = isinstance(failure, openai.APIStatusError) and failure.status_code == 429
            if fault is Fault.TRANSIENT and not rate_limited and self.outage.last_answer_sent > first_failed:
                raise scrub(failure, self._secret)
            if self.outage.mark_down(self.describe(failure)):
                self.on_event("endpoint_down", {"base_url": self.config.base_url, "error": self.describe(failure),
                                                "since": self.outage.started})

    def _try(self, ctx: CallContext, model: str, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """One request, recorded; raises the `openai` error of a failed one."""
        start = time.monotonic()
        try:
            resp = self._client.chat.completions.create(model=model, stream=False, **body)
        except openai.APIError as exc:
            self._record(ctx, model, 0, 0, time.monotonic() - start, self.describe(exc))
            raise
        finally:
            self.on_call(ctx)
        usage = resp.usage
        prompt, completion = (usage.prompt_tokens, usage.completion_tokens) if usage else (0, 0)
        self._record(ctx, model, prompt, completion, time.monotonic() - start, None)
        return resp.model_dump(exclude_none=True), self.cost_of(model, prompt, completion)

    def describe(self, exc: BaseException) -> str:
        """An error in one line for the record, the API key redacted."""
        return describe(exc, self._secret)

    def _answered(self, sent_at: float) -> None:
        down_s = self.outage.answered(sent_at)
        if down_s is not None:
            self.on_event("endpoint_up", {"base_url": self.config.base_url, "down_s": round(down_s, 3)})

    def _record(self, ctx: CallContext, model: str, prompt: int, completion: int, latency: float, error: str | None) -> None:
        if self.archive is None:
            return
        self.archive.record_call(
            run_id=ctx.run_id, agent_id=ctx.agent_id, task_id=ctx.task_id, purpose=ctx.purpose, model=model,
            prompt_tokens=prompt, completion_tokens=completion, cost_usd=self.cost_of(model, prompt, completion),
            latency_s=latency, error=error,
        )
