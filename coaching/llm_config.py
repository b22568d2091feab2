"""What the LLM client reads from configuration, as a structural type: the wiring's settings
object satisfies it, and tests may pass any object with these attributes. The domain does
not import the wiring's settings class."""

from __future__ import annotations

from typing import Protocol


class LLMSettings(Protocol):
    openai_api_key: str | None
    openai_base_url: str | None
    llm_model: str
    llm_timeout_s: float
    llm_max_tokens: int
    llm_temperature: float
    llm_max_retries: int
    llm_structured: str
    llm_budget_debtor: str | None
    llm_budget_guard: str | None
    llm_budget_grading: str | None
    llm_budget_tips: str | None
