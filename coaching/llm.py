"""The LLM client: any OpenAI-compatible Chat Completions server (OpenAI, DeepSeek, Qwen,
vLLM, Ollama, llama.cpp).

- Every outgoing message passes `LLMClient._prepare`, the single choke point that redacts PII
  (`coaching.redact`) and records a token estimate; nothing reaches the server around it.
- Bot-sized timeouts (connect 5 s) and a deliberate retry count instead of the SDK's
  10 minutes / 2 retries.
- `stream()` yields text deltas (`create(stream=True)`); `structured()` asks for a pydantic
  model with a strict JSON schema (`chat.completions.parse`), falls back to JSON mode and then
  to plain text with the schema described in the prompt, always validates with pydantic and
  retries once on malformed output before raising `MalformedOutput`.
- Network trouble (timeout, 429, 5xx, connection refused) becomes `LLMUnavailable` with a
  `kind` the handlers turn into a friendly message with a retry button.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import openai
from openai import AsyncOpenAI
from pydantic import BaseModel, ValidationError

from bot.settings import Settings
from coaching.redact import redact

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
Message = dict[str, str]
CONNECT_TIMEOUT_S = 5.0
MODES = ("json_schema", "json_object", "text")


class LLMUnavailable(RuntimeError):
    """The server could not answer now (timeout / rate_limit / server / connection / refused)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class MalformedOutput(RuntimeError):
    """The model's structured answer did not validate, even after one retry."""


_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def estimate_tokens(text: str) -> int:
    """A tokenizer-free estimate: one token per CJK character (GPT-4o/Qwen/DeepSeek tokenizers
    give roughly 0.7–1.2 per common Han character), one per 4 other characters."""
    cjk = len(_CJK.findall(text))
    return cjk + (len(text) - cjk + 3) // 4


def prompt_tokens(messages: list[Message]) -> int:
    """Estimated prompt tokens of a chat request (+4 per message for the role framing)."""
    return sum(estimate_tokens(m["content"]) + 4 for m in messages)


@dataclass
class SentPrompt:
    purpose: str
    messages: list[Message]
    tokens: int


@dataclass
class LLMClient:
    settings: Settings
    # Observers of every prepared prompt (bench and tests use it; never logs content).
    on_prompt: list[Callable[[SentPrompt], None]] = field(default_factory=list)
    # Seconds spent waiting for the server (the bench subtracts it from a turn's wall time).
    busy_s: float = 0.0
    _mode: str | None = None
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
        if s.llm_structured != "auto":
            self._mode = s.llm_structured

    @property
    def client(self) -> AsyncOpenAI:
        assert self._client is not None
        return self._client

    async def close(self) -> None:
        await self.client.close()

    # --- the choke point -----------------------------------------------------------------

    def _prepare(self, purpose: str, messages: list[Message]) -> list[Message]:
        clean = [{"role": m["role"], "content": redact(m["content"])} for m in messages]
        sent = SentPrompt(purpose, clean, prompt_tokens(clean))
        for fn in self.on_prompt:
            fn(sent)
        log.debug("llm %s prompt ~%d tokens", purpose, sent.tokens)
        return clean

    # --- calls ---------------------------------------------------------------------------

    async def stream(
        self,
        purpose: str,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> AsyncIterator[str]:
        """Yield the reply's text as it arrives."""
        clean = self._prepare(purpose, messages)
        t0 = time.perf_counter()
        try:
            resp = await self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=clean,  # type: ignore[arg-type]
                stream=True,
                max_tokens=max_tokens or self.settings.llm_max_tokens,
                temperature=self.settings.llm_temperature if temperature is None else temperature,
            )
            async for chunk in resp:
                if chunk.choices and chunk.choices[0].delta.content:
                    self.busy_s += time.perf_counter() - t0
                    yield chunk.choices[0].delta.content
                    t0 = time.perf_counter()  # the consumer's time is not the server's
        except openai.APIError as exc:
            raise _unavailable(exc) from exc
        finally:
            self.busy_s += time.perf_counter() - t0

    async def complete(
        self,
        purpose: str,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> str:
        clean = self._prepare(purpose, messages)
        t0 = time.perf_counter()
        try:
            resp = await self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=clean,  # type: ignore[arg-type]
                max_tokens=max_tokens or self.settings.llm_max_tokens,
                temperature=self.settings.llm_temperature if temperature is None else temperature,
            )
        except openai.APIError as exc:
            raise _unavailable(exc) from exc
        finally:
            self.busy_s += time.perf_counter() - t0
        return (resp.choices[0].message.content or "") if resp.choices else ""

    async def structured(
        self,
        purpose: str,
        messages: list[Message],
        model: type[M],
        *,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> M:
        """A validated `model` instance; one retry on malformed output, then MalformedOutput.

        In auto mode, a server that rejects json_schema (400/422) is asked again in JSON mode,
        then in plain text; the mode that worked is remembered for the next calls."""
        # Described in the prompt too, for servers that ignore response_format; a compact
        # skeleton costs far fewer tokens than the full JSON schema.
        skeleton = json.dumps(_skeleton(model), ensure_ascii=False, separators=(",", ":"))
        hinted = [
            *messages[:-1],
            {
                "role": messages[-1]["role"],
                "content": messages[-1]["content"]
                + "\n\nAnswer with one JSON object only, with exactly these keys and types "
                + "(all required):\n"
                + skeleton,
            },
        ]
        clean = self._prepare(purpose, hinted)
        modes = [self._mode] if self._mode else list(MODES)
        last_error = ""
        for attempt in range(2):
            for i, mode in enumerate(modes):
                try:
                    result = await self._structured_once(
                        clean, model, mode, temperature, max_tokens
                    )
                except openai.BadRequestError as exc:
                    # 400/422: the server does not support this response_format; try the next.
                    if i + 1 < len(modes) and self._mode is None:
                        log.info("llm: %s rejected (%s), falling back", mode, exc.status_code)
                        continue
                    raise _unavailable(exc) from exc
                except openai.UnprocessableEntityError as exc:
                    if i + 1 < len(modes) and self._mode is None:
                        continue
                    raise _unavailable(exc) from exc
                except openai.APIError as exc:
                    raise _unavailable(exc) from exc
                except (ValidationError, ValueError) as exc:
                    last_error = str(exc).splitlines()[0][:200]
                    log.warning(
                        "llm: malformed %s output (attempt %d): %s",
                        purpose,
                        attempt + 1,
                        last_error,
                    )
                    modes = [mode]  # the mode works; the content was bad — retry once
                    break
                self._mode = self._mode or mode
                return result
        raise MalformedOutput(last_error or "malformed output")

    async def _structured_once(
        self,
        clean: list[Message],
        model: type[M],
        mode: str,
        temperature: float,
        max_tokens: int | None,
    ) -> M:
        t0 = time.perf_counter()
        try:
            return await self._structured_call(clean, model, mode, temperature, max_tokens)
        finally:
            self.busy_s += time.perf_counter() - t0

    async def _structured_call(
        self,
        clean: list[Message],
        model: type[M],
        mode: str,
        temperature: float,
        max_tokens: int | None,
    ) -> M:
        common: dict[str, Any] = {
            "model": self.settings.llm_model,
            "messages": clean,
            "temperature": temperature,
            "max_tokens": max_tokens or self.settings.llm_max_tokens,
        }
        if mode == "json_schema":
            resp = await self.client.chat.completions.parse(response_format=model, **common)
            parsed = resp.choices[0].message.parsed if resp.choices else None
            if parsed is None:
                raise ValueError("no parsed content")
            return model.model_validate(parsed.model_dump())
        if mode == "json_object":
            common["response_format"] = {"type": "json_object"}
        resp2 = await self.client.chat.completions.create(**common)
        content = (resp2.choices[0].message.content or "") if resp2.choices else ""
        return model.model_validate_json(_json_block(content))


def _skeleton(model: type[BaseModel]) -> dict[str, Any]:
    """{"field": <example of its type>} for a pydantic model, nested models expanded."""
    out: dict[str, Any] = {}
    for name, f in model.model_fields.items():
        t = f.annotation
        origin = getattr(t, "__origin__", None)
        if isinstance(t, type) and issubclass(t, BaseModel):
            out[name] = _skeleton(t)
        elif origin is list:
            out[name] = ["string"]
        else:
            out[name] = {int: 0, float: 0.0, bool: False}.get(t, "string")  # type: ignore[call-overload]
    return out


def _json_block(text: str) -> str:
    """The JSON object in a plain-text answer (models like to wrap it in ``` fences)."""
    m = re.search(r"\{.*\}", text, re.DOTALL)
    if not m:
        raise ValueError("no JSON object in the answer")
    return m.group(0)


def _unavailable(exc: openai.APIError) -> LLMUnavailable:
    if isinstance(exc, openai.APITimeoutError):
        return LLMUnavailable("timeout")
    if isinstance(exc, openai.APIConnectionError):
        return LLMUnavailable("connection")
    if isinstance(exc, openai.RateLimitError):
        return LLMUnavailable("rate_limit")
    if isinstance(exc, openai.APIStatusError):
        kind = "server" if exc.status_code >= 500 else "refused"
        return LLMUnavailable(kind, str(exc.status_code))
    return LLMUnavailable("server", type(exc).__name__)


def get_llm(ctx: Any) -> LLMClient | None:
    """The context's LLM client, built on first use; None in offline mode."""
    if not ctx.settings.llm_configured:
        return None
    client = ctx.extras.get("llm")
    if client is None:
        client = LLMClient(ctx.settings)
        ctx.extras["llm"] = client
    return client
