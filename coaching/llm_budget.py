"""Per-purpose LLM budgets and token counting.

A budget is the timeout, `max_tokens` and temperature of one kind of call. The defaults fit a
1–3B instruct model served on 2 CPU cores (10–60 tokens/s, prompt processing a few hundred
tokens/s): short debtor lines, one-line guard verdicts, one small call per grading criterion.
Settings override them as "timeout_s,max_tokens,temperature" (e.g. `60,120,0.8`).

Token counts: `coaching.llm_tokens` (the model's real tokenizer when known, else an estimate).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from coaching.llm_tokens import count_tokens, estimate_tokens, prompt_tokens

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
    "confirm": "guard",  # the one-rule yes/no second key on a major finding
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


# Token counting lives in coaching.llm_tokens; re-exported for existing callers.
__all__ = [
    "DEFAULTS",
    "PURPOSES",
    "Budget",
    "budget_for",
    "count_tokens",
    "estimate_tokens",
    "parse_budget",
    "prompt_tokens",
]
