"""Prompt templates (prompts/*.j2) and the clipping shared by the drill's LLM calls."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
LINE_CHARS = 240  # a collector line is cut to this in prompts


@lru_cache(maxsize=1)
def _prompt_env() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(PROMPTS_DIR)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,  # prompts are plain text
    )


def render_prompt(name: str, **kw: Any) -> str:
    return _prompt_env().get_template(f"{name}.j2").render(**kw).strip()


def clip(text: str, n: int = LINE_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
