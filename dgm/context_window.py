"""How many tokens the diagnosis model's context window holds: the diagnosis prompt is sized to it.

`model.context_tokens` when configured; otherwise asked of the server once per run, best effort (a
short timeout, never fatal), in the shapes local servers answer:

- llama.cpp: `GET <base without /v1>/props`, `default_generation_settings.n_ctx` (one slot's window,
  what one request gets), or `n_ctx` at the top level in newer versions;
- vLLM: `GET <base>/models`, `data[i].max_model_len`;
- LM Studio: `GET <base without /v1>/api/v0/models`, `loaded_context_length` (else `max_context_length`);
- llama.cpp's `GET <base>/models`, `data[i].meta.n_ctx_train` (what the model was trained with: the
  last resort, as the server may run it with less).

A server that says none of these gets CONTEXT_TOKENS_ASSUMED, and the run says so in its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from dgm.config import ModelConfig

# The context assumed when neither the config nor the server says. Hosted models have 128k or more,
# and a 64k window holds the largest diagnosis prompt (a 60,000-character code listing, a 30,000-
# character transcript) with its answer: runs against them see no cut. A smaller local server answers
# the probe, or is named in model.context_tokens.
CONTEXT_TOKENS_ASSUMED = 65_536
PROBE_TIMEOUT_S = 5.0
CONFIGURED, ASSUMED = "model.context_tokens", "assumed"


@dataclass(frozen=True)
class ContextWindow:
    """The diagnosis model's window in tokens and where the figure came from (CONFIGURED, ASSUMED, or
    the server's route that said it)."""

    tokens: int
    source: str

    @property
    def from_server(self) -> bool:
        """The server said it: a llama.cpp, vLLM or LM Studio server, each of which takes max_tokens."""
        return self.source not in (CONFIGURED, ASSUMED)

    def describe(self) -> str:
        if self.source == ASSUMED:
            return (f"the diagnosis model's context window is unknown (model.context_tokens is not set and the "
                    f"server did not say): assuming {self.tokens:,} tokens")
        return f"the diagnosis model's context window: {self.tokens:,} tokens ({self.source})"


def context_window(config: ModelConfig, api_key: str | None, timeout_s: float = PROBE_TIMEOUT_S) -> ContextWindow:
    """The window the diagnosis prompt is sized to: configured, probed, or assumed."""
    if config.context_tokens is not None:
        return ContextWindow(config.context_tokens, CONFIGURED)
    found = probe(config.base_url, config.diagnosis_model, api_key, timeout_s)
    return ContextWindow(*found) if found else ContextWindow(CONTEXT_TOKENS_ASSUMED, ASSUMED)


def probe(base_url: str, model: str, api_key: str | None, timeout_s: float = PROBE_TIMEOUT_S) -> tuple[int, str] | None:
    """(tokens, the route that said it) from the first server route that answers, or None. Never raises."""
    base = base_url.rstrip("/")
    root = base[: -len("/v1")] if base.endswith("/v1") else base
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    routes = (("llama.cpp /props", f"{root}/props", _llama_props),
              ("vLLM /v1/models", f"{base}/models", lambda data: _listed(data, model, ("max_model_len",))),
              ("LM Studio /api/v0/models", f"{root}/api/v0/models", lambda data: _lm_studio(data, model)),
              ("llama.cpp /v1/models n_ctx_train", f"{base}/models", lambda data: _listed(data, model, ("meta", "n_ctx_train"))))
    answers: dict[str, Any] = {}
    try:  # one timeout or refused connection ends the probe: the server will not say
        with httpx.Client(timeout=timeout_s, headers=headers, follow_redirects=False) as client:
            for source, url, read in routes:
                if url not in answers:
                    answers[url] = _get(client, url)
                tokens = read(answers[url]) if answers[url] is not None else None
                if tokens is not None:
                    return tokens, source
    except httpx.HTTPError:
        pass
    return None


def _get(client: httpx.Client, url: str) -> Any:
    """The JSON a route answers, or None (an error status, not JSON)."""
    response = client.get(url)
    if response.status_code != 200:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _tokens(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _llama_props(data: Any) -> int | None:
    return _tokens(_dig(data, ("default_generation_settings", "n_ctx"))) or _tokens(_dig(data, ("n_ctx",)))


def _entries(data: Any, model: str) -> list[dict[str, Any]]:
    """The listed models: only the one named `model` when it is listed (another model's window says
    nothing of it), else all (llama.cpp lists its one model under its file name)."""
    listed = data.get("data") if isinstance(data, dict) else data
    entries = [e for e in listed if isinstance(e, dict)] if isinstance(listed, list) else []
    named = [e for e in entries if e.get("id") == model]
    return named or entries


def _listed(data: Any, model: str, path: tuple[str, ...]) -> int | None:
    return next((t for e in _entries(data, model) if (t := _tokens(_dig(e, path))) is not None), None)


def _lm_studio(data: Any, model: str) -> int | None:
    entries = sorted(_entries(data, model), key=lambda e: e.get("state") != "loaded")  # a loaded model first
    return _listed(entries, model, ("loaded_context_length",)) or _listed(entries, model, ("max_context_length",))
