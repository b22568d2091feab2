"""Per-purpose LLM budgets and token counting.

A budget is the timeout, `max_tokens` and temperature of one kind of call. The defaults fit a
1–3B instruct model served on 2 CPU cores (10–60 tokens/s, prompt processing a few hundred
tokens/s): short debtor lines, one-line guard verdicts, one small call per grading criterion.
Settings override them as "timeout_s,max_tokens,temperature" (e.g. `60,120,0.8`).

Token counts: `tiktoken` when the model's encoding is known and its file is already on disk
(`TIKTOKEN_CACHE_DIR`; tiktoken would otherwise download it, with no timeout); else an
estimate measured against a small BPE model's tokenizer (see `estimate_tokens`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

PURPOSES = ("debtor", "guard", "grading", "tips")


@dataclass(frozen=True)
class Budget:
    timeout_s: float
    max_tokens: int
    temperature: float
    tries: int = 3  # structured answers: first try + repairs


DEFAULTS: dict[str, Budget] = {
    # A debtor line is at most 60 Chinese characters; the first token can take a while on CPU.
    "debtor": Budget(90.0, 160, 0.8, tries=2),
    "guard": Budget(60.0, 120, 0.0),
    # One call per criterion: a score, a quote and one better line.
    "grading": Budget(120.0, 220, 0.2),
    "tips": Budget(90.0, 300, 0.5),
}

# Which budget each call purpose (the client's `purpose` argument) draws on.
PURPOSE_BUDGET = {
    "debtor": "debtor",
    "summary": "debtor",
    "compliance": "guard",
    "grader": "grading",
    "grader_summary": "grading",
    "coach": "tips",
    "check": "guard",
}


def parse_budget(text: str | None, default: Budget) -> Budget:
    """ "timeout_s,max_tokens,temperature" (validated by the settings pattern)."""
    if not text:
        return default
    t, m, temp = (p.strip() for p in text.split(","))
    return Budget(float(t), int(m), float(temp), default.tries)


def budget_for(settings: Any, purpose: str) -> Budget:
    """The purpose's budget; COACHBOT_LLM_TIMEOUT and COACHBOT_LLM_MAX_TOKENS are ceilings
    on every call."""
    name = PURPOSE_BUDGET.get(purpose, "debtor")
    own = getattr(settings, f"llm_budget_{name}", None)
    b = parse_budget(own, DEFAULTS[name])
    if name == "debtor" and not own:  # the older role-play temperature setting still counts
        b = replace(b, temperature=settings.llm_temperature)
    return replace(
        b,
        timeout_s=min(b.timeout_s, settings.llm_timeout_s),
        max_tokens=min(b.max_tokens, settings.llm_max_tokens),
    )


# --- token counting ------------------------------------------------------------------------

_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_WORD = re.compile(r"[A-Za-z]+")
_DIGIT = re.compile(r"\d")

# Tokens per unit, fitted (least squares) to SmolLM2's BPE tokenizer (49k vocabulary, counted
# with llama.cpp's `tokenize`) on this project's prompts and scenario lines: 1.78 per Han
# character, 1.07 per English word, 1.26 per digit, 1.04 per other character (punctuation,
# JSON syntax). On those texts characters/4 was 1.6x low for the English prompts and 6.6x low
# for Chinese. Tokenizers of larger multilingual models (Qwen, DeepSeek, GPT-4o) need fewer
# tokens for Chinese, so this errs high there.
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


_TIKTOKEN_FILES = {
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
}


@lru_cache(maxsize=16)
def tiktoken_encoding(model: str) -> Any | None:
    """The model's tiktoken encoding if tiktoken knows the model and the file is cached."""
    try:
        import tiktoken
    except ImportError:  # pragma: no cover - a dependency, but keep counting without it
        return None
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return None
    url = _TIKTOKEN_FILES.get(name)
    if url is None:
        return None
    cache = os.environ.get("TIKTOKEN_CACHE_DIR") or os.path.join(
        tempfile.gettempdir(), "data-gym-cache"
    )
    if not os.path.exists(os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())):
        return None  # loading would try the network (no timeout there)
    try:
        return tiktoken.get_encoding(name)
    except Exception:  # a corrupt cache must not break a drill
        return None


def count_tokens(text: str, model: str | None = None) -> int:
    enc = tiktoken_encoding(model) if model else None
    if enc is not None:
        return len(enc.encode(text, disallowed_special=()))
    return estimate_tokens(text)


def prompt_tokens(messages: list[dict[str, str]], model: str | None = None) -> int:
    """Prompt tokens of a chat request (+4 per message for the role framing)."""
    return sum(count_tokens(m["content"], model) + 4 for m in messages)
