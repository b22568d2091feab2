"""(~410 lines: the client is one choke point; errors and helpers are in llm_support.py.)

The LLM client: any OpenAI-compatible Chat Completions server (OpenAI, DeepSeek, Qwen,
vLLM, Ollama, llama.cpp).

- Every outgoing message passes `LLMClient._prepare`, the single choke point that redacts PII
  (`coaching.redact`) and records a token count; nothing reaches the server around it.
- Budgets per purpose (`coaching.llm_budget`): timeout, max tokens, temperature.
- `stream()` yields text deltas and raises `StreamCut` when the server ended the stream
  without a finish reason (llama.cpp does when another request interrupts it).
- `structured()` negotiates the response format per (endpoint, model): `json_schema`, then
  `json_object` with the schema attached (a grammar on llama.cpp), then plain `json_object`
  (the schema is always described in the prompt too), then plain text with JSON
  extraction. Any
  4xx/5xx (but 429) or unparseable output moves to the next format; the one that produced a
  valid answer is remembered for the life of the process (`formats()`). Every answer is
  checked semantically (`coaching.llm_validate` plus the caller's `check`); a rejected one
  is retried with a short repair message at a higher temperature, and after the last try
  `MalformedOutput` is raised — a rejected answer is never returned.
- Network trouble (timeout, 429, connection refused, 5xx on plain calls) becomes
  `LLMUnavailable` with a `kind` the handlers turn into a friendly message with a retry button.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from coaching.llm_budget import Budget, budget_for
from coaching.llm_config import LLMSettings
from coaching.llm_support import (
    MODES,
    LLMUnavailable,
    MalformedOutput,
    StreamCut,
    _append,
    _first_line,
    _json_block,
    _modes_from,
    _repair,
    _skeleton,
    _strict_schema,
    _unavailable,
)
from coaching.llm_tokens import (
    Counter,
    counter_for,
    estimate_tokens,
    prompt_tokens,
    tokenizer_setting,
)
from coaching.llm_validate import is_refusal, placeholder_problems
from coaching.redact import redact

log = logging.getLogger(__name__)

__all__ = [
    "MODES",
    "LLMClient",
    "LLMUnavailable",
    "MalformedOutput",
    "StreamCut",
    "estimate_tokens",
    "prompt_tokens",
]

M = TypeVar("M", bound=BaseModel)
Message = dict[str, str]
CONNECT_TIMEOUT_S = 5.0
# json_object+schema: JSON mode with the schema attached (llama-cpp-python turns it into a
# grammar: right keys and types even from a tiny model; others reject or ignore it).
# (the order of MODES, in coaching/llm_support.py)
ENFORCED = {"json_schema", "json_object+schema"}  # the server holds the answer to the schema
REFUSED = "REFUSAL:"  # marks the SDK's `refusal` field in a raw answer
REPAIR_STEP = 0.3  # temperature added per repair (a retry at 0 returns the same answer)

# What worked / failed per (endpoint, model), for the life of the process.
_WORKING: dict[tuple[str, str], str] = {}
_FAILED: dict[tuple[str, str], dict[str, str]] = {}


def formats() -> dict[tuple[str, str], dict[str, Any]]:
    """Negotiated response formats: {(endpoint, model): {"mode": …, "failed": {mode: why}}}."""
    keys = set(_WORKING) | set(_FAILED)
    return {k: {"mode": _WORKING.get(k), "failed": dict(_FAILED.get(k, {}))} for k in keys}


def reset_formats() -> None:
    _WORKING.clear()
    _FAILED.clear()


@dataclass
class SentPrompt:
    purpose: str
    messages: list[Message]
    tokens: int


@dataclass
class PurposeStats:
    calls: int = 0
    valid: int = 0  # answers that passed every check (complete stream, validated object)
    retries: int = 0  # repairs and stream retries
    fallbacks: int = 0  # response formats given up
    failures: int = 0
    seconds: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0


@dataclass
class LLMClient:
    settings: LLMSettings
    # Observers of every prepared prompt (bench and tests use it; never logs content).
    on_prompt: list[Callable[[SentPrompt], None]] = field(default_factory=list)
    # Seconds spent waiting for the server (the bench subtracts it from a turn's wall time).
    busy_s: float = 0.0
    stats: dict[str, PurposeStats] = field(default_factory=dict)
    _client: AsyncOpenAI | None = None

    def __post_init__(self) -> None:
        s = self.settings
        self._client = AsyncOpenAI(
            # Local servers (vLLM, Ollama, llama.cpp) accept any key; the SDK insists on one.
            api_key=s.openai_api_key or "not-needed",
            base_url=s.openai_base_url or None,
            timeout=openai.Timeout(
                s.llm_timeout_s, connect=min(CONNECT_TIMEOUT_S, s.llm_timeout_s)
            ),
            max_retries=s.llm_max_retries,
        )

    @property
    def client(self) -> AsyncOpenAI:
        assert self._client is not None
        return self._client

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.client.base_url).rstrip("/"), self.settings.llm_model)

    @property
    def mode(self) -> str | None:
        """The response format in use: the override, or what negotiation found (or None)."""
        if self.settings.llm_structured != "auto":
            return self.settings.llm_structured
        return _WORKING.get(self.key)

    def budget(self, purpose: str) -> Budget:
        return budget_for(self.settings, purpose)

    @property
    def counter(self) -> Counter:
        """Token counter of the configured model (its real tokenizer when known)."""
        return counter_for(self.settings.llm_model, tokenizer_setting(self.settings))

    def stat(self, purpose: str) -> PurposeStats:
        return self.stats.setdefault(purpose, PurposeStats())

    async def close(self) -> None:
        await self.client.close()

    # --- the choke point -----------------------------------------------------------------

    def _prepare(
        self, purpose: str, messages: list[Message], keep: Sequence[str] = ()
    ) -> list[Message]:
        """`keep`: fixed fictional names (the scenario's persona, e.g. "王先生") that reach
        the model as written; every other name and identifier is redacted."""
        clean = [{"role": m["role"], "content": redact(m["content"], keep=keep)} for m in messages]
        sent = SentPrompt(purpose, clean, self.counter.prompt(clean))
        for fn in self.on_prompt:
            fn(sent)
        log.debug("llm %s prompt ~%d tokens", purpose, sent.tokens)
        return clean

    def _account(self, purpose: str, t0: float, usage: Any, clean: list[Message], out: str) -> None:
        st = self.stat(purpose)
        dt = time.perf_counter() - t0
        st.calls += 1
        st.seconds += dt
        self.busy_s += dt
        p = getattr(usage, "prompt_tokens", None) if usage else None
        c = getattr(usage, "completion_tokens", None) if usage else None
        st.prompt_tokens += p if p else self.counter.prompt(clean)
        st.completion_tokens += c if c else self.counter.count(out)

    def _common(self, purpose: str, clean: list[Message], **over: Any) -> dict[str, Any]:
        b = self.budget(purpose)
        return {
            "model": self.settings.llm_model,
            "messages": clean,
            "max_tokens": over.get("max_tokens") or b.max_tokens,
            "temperature": b.temperature
            if over.get("temperature") is None
            else over["temperature"],
            "timeout": openai.Timeout(b.timeout_s, connect=min(CONNECT_TIMEOUT_S, b.timeout_s)),
        }

    # --- calls ---------------------------------------------------------------------------

    async def stream(
        self,
        purpose: str,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        keep: Sequence[str] = (),
    ) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives; StreamCut if it ends without finish_reason."""
        clean = self._prepare(purpose, messages, keep)
        common = self._common(purpose, clean, max_tokens=max_tokens, temperature=temperature)
        t0 = time.perf_counter()
        text, finish, usage = "", None, None
        waited = 0.0  # the consumer's time is not the server's
        try:
            resp = await self.client.chat.completions.create(stream=True, **common)
            async for chunk in resp:
                usage = chunk.usage or usage
                if not chunk.choices:
                    continue
                ch = chunk.choices[0]
                finish = ch.finish_reason or finish
                if ch.delta.content:
                    text += ch.delta.content
                    t1 = time.perf_counter()
                    yield ch.delta.content
                    waited += time.perf_counter() - t1
        except openai.APIError as exc:
            self.stat(purpose).failures += 1
            raise _unavailable(exc) from exc
        finally:
            self._account(purpose, t0 + waited, usage, clean, text)
        if finish is None:
            self.stat(purpose).failures += 1
            log.info("llm: %s stream ended without a finish reason", purpose)
            raise StreamCut(text)
        self.stat(purpose).valid += 1

    async def complete(
        self,
        purpose: str,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        keep: Sequence[str] = (),
    ) -> str:
        clean = self._prepare(purpose, messages, keep)
        common = self._common(purpose, clean, max_tokens=max_tokens, temperature=temperature)
        t0 = time.perf_counter()
        try:
            resp = await self.client.chat.completions.create(**common)
        except openai.APIError as exc:
            self.stat(purpose).failures += 1
            self._account(purpose, t0, None, clean, "")
            raise _unavailable(exc) from exc
        out = (resp.choices[0].message.content or "") if resp.choices else ""
        self._account(purpose, t0, resp.usage, clean, out)
        self.stat(purpose).valid += 1
        return out

    async def structured(
        self,
        purpose: str,
        messages: list[Message],
        model: type[M],
        *,
        check: Callable[[M], list[str]] | None = None,
        examples: Iterable[str] = (),
        temperature: float | None = None,
        max_tokens: int | None = None,
        tries: int | None = None,
        keep: Sequence[str] = (),
    ) -> M:
        """A validated, semantically checked `model` instance, or MalformedOutput."""
        b = self.budget(purpose)
        tries = tries or b.tries
        temp = b.temperature if temperature is None else temperature
        ex = list(examples)
        skeleton = json.dumps(_skeleton(model), ensure_ascii=False, separators=(",", ":"))
        hints = {
            # The server enforces the shape: name the keys only. A skeleton with type names
            # is what small models copy verbatim ("string" values).
            "enforced": "\n\nAnswer with one JSON object with the keys "
            + ", ".join(model.model_fields)
            + ", each filled in for this case.",
            # Otherwise the prompt is the only description of the shape.
            "described": "\n\nAnswer with one JSON object only, with exactly these keys and "
            "value types (all required; replace each type with real content):\n" + skeleton,
        }
        prepared: dict[str, list[Message]] = {}

        def clean_for(mode: str) -> list[Message]:
            kind = "enforced" if mode in ENFORCED else "described"
            if kind not in prepared:
                hinted = [*messages[:-1], _append(messages[-1], hints[kind])]
                prepared[kind] = self._prepare(purpose, hinted, keep)
            return prepared[kind]

        override = self.settings.llm_structured != "auto"
        modes = [self.mode] if override else _modes_from(_WORKING.get(self.key))
        mi, attempt = 0, 0
        repair: list[Message] = []
        problems: list[str] = []
        while attempt < tries:
            mode = modes[mi]
            clean = clean_for(mode)
            t0 = time.perf_counter()
            try:
                raw, usage = await self._structured_call(
                    [*clean, *repair], model, mode, purpose, temp, max_tokens
                )
            except (openai.RateLimitError, openai.APITimeoutError, openai.APIConnectionError) as e:
                self.stat(purpose).failures += 1
                self._account(purpose, t0, None, clean, "")
                raise _unavailable(e) from e
            except openai.APIStatusError as exc:
                # Any other 4xx/5xx: this server cannot do this response format (llama.cpp
                # answers json_schema with 500); fall back without spending a try.
                self._account(purpose, t0, None, clean, "")
                self._fail(mode, f"HTTP {exc.status_code}")
                if not override and mi + 1 < len(modes):
                    self.stat(purpose).fallbacks += 1
                    log.info("llm: %s answered %s, falling back", mode, exc.status_code)
                    mi += 1
                    continue
                self.stat(purpose).failures += 1
                raise _unavailable(exc) from exc
            self._account(purpose, t0, usage, clean, raw)
            attempt += 1
            try:
                obj = model.model_validate_json(_json_block(raw))
            except (ValidationError, ValueError) as exc:
                problems = [f"not a JSON object of the requested shape ({_first_line(exc)})"]
                if raw.startswith(REFUSED) or ("{" not in raw and is_refusal(raw)):
                    problems = ["a refusal: this is a training exercise, answer the task"]
                elif not override and mi + 1 < len(modes):
                    self._fail(mode, "unparseable answer")
                    self.stat(purpose).fallbacks += 1
                    mi += 1  # the server ignored this format; the next one may work
            else:
                problems = placeholder_problems(obj, examples=ex) + (check(obj) if check else [])
                if not problems:
                    if not override:
                        _WORKING[self.key] = mode
                    self.stat(purpose).valid += 1
                    return obj
            log.warning(
                "llm: unusable %s answer (try %d/%d, %s): %s",
                purpose,
                attempt,
                tries,
                mode,
                "; ".join(problems)[:300],
            )
            if attempt < tries:
                self.stat(purpose).retries += 1
                repair = _repair(raw, problems)
                temp = min(1.5, temp + REPAIR_STEP)
        self.stat(purpose).failures += 1
        raise MalformedOutput(problems)

    def _fail(self, mode: str, why: str) -> None:
        _FAILED.setdefault(self.key, {})[mode] = why

    async def _structured_call(
        self,
        clean: list[Message],
        model: type[BaseModel],
        mode: str,
        purpose: str,
        temperature: float,
        max_tokens: int | None,
    ) -> tuple[str, Any]:
        common = self._common(purpose, clean, max_tokens=max_tokens, temperature=temperature)
        if mode == "json_schema":
            common["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": model.__name__,
                    "schema": _strict_schema(model),
                    "strict": True,
                },
            }
        elif mode == "json_object+schema":
            common["response_format"] = {"type": "json_object", "schema": _strict_schema(model)}
        elif mode == "json_object":
            common["response_format"] = {"type": "json_object"}
        resp = await self.client.chat.completions.create(**common)
        msg = resp.choices[0].message if resp.choices else None
        if msg is not None and getattr(msg, "refusal", None):
            return f"{REFUSED} {msg.refusal}", resp.usage
        return (msg.content or "") if msg else "", resp.usage


def get_llm(ctx: Any) -> LLMClient | None:
    """The context's LLM client, built on first use; None in offline mode."""
    if not ctx.settings.llm_configured:
        return None
    client = ctx.extras.get("llm")
    if client is None:
        client = LLMClient(ctx.settings)
        ctx.extras["llm"] = client
    return client
