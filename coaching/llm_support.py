"""The LLM client's errors and its small pure helpers (schema shaping, repair prompts,
JSON extraction, SDK errors to `LLMUnavailable`)."""

from __future__ import annotations

import re
from typing import Any

import openai
from pydantic import BaseModel

Message = dict[str, str]
# Response formats, most to least enforced (llm.py negotiates them in this order).
MODES = ("json_schema", "json_object+schema", "json_object", "text")


class LLMUnavailable(RuntimeError):
    """The server could not answer now (timeout / rate_limit / server / connection / refused
    / cut / unusable)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


class StreamCut(LLMUnavailable):
    """The stream ended without a finish reason: the text so far is incomplete."""

    def __init__(self, partial: str) -> None:
        super().__init__("cut")
        self.partial = partial


class MalformedOutput(RuntimeError):
    """No usable structured answer after the last try (parse or semantic problems)."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else problems
        super().__init__("; ".join(self.problems)[:300] or "malformed output")


def _modes_from(remembered: str | None) -> list[str]:
    return list(MODES[MODES.index(remembered) :]) if remembered in MODES else list(MODES)


def _append(m: Message, extra: str) -> Message:
    return {"role": m["role"], "content": m["content"] + extra}


def _repair(raw: str, problems: list[str]) -> list[Message]:
    """The rejected answer and a short note on what to fix (the model sees its own mistake)."""
    return [
        {"role": "assistant", "content": raw[:600]},
        {
            "role": "user",
            "content": "That answer cannot be used: "
            + "; ".join(problems[:5])
            + ". Answer again with one JSON object, real content in every field, "
            "no placeholders or type names.",
        },
    ]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0][:160]


def _strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema in OpenAI's strict form (no extra keys, all required)."""
    schema = model.model_json_schema()

    def fix(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            for v in node.values():
                fix(v)
        elif isinstance(node, list):
            for v in node:
                fix(v)

    fix(schema)
    return schema


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
