"""The one LLM check, shared by `coachbot llm check` and `coachbot doctor`: a plain call, a
stream and a structured call (the compliance verdict, through format negotiation), then what
was negotiated and how prompts are counted. Raises nothing: failures are rows."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

FAILED = "FAILED"


@dataclass
class LLMCheck:
    rows: list[tuple[str, str, str]] = field(default_factory=list)  # (step, result, detail)
    stats: dict[str, Any] = field(default_factory=dict)  # per purpose, PurposeStats fields
    mode: str | None = None  # the negotiated response format
    failed_modes: dict[str, str] = field(default_factory=dict)
    tokenizer: str = ""

    @property
    def reachable(self) -> bool:
        return not any(r[0] == "reachable" for r in self.rows)

    @property
    def ok(self) -> bool:
        return not any(r[1] == FAILED for r in self.rows)


async def llm_check(settings: Any) -> LLMCheck:
    from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput, StreamCut, formats
    from coaching.roleplay.grading import ComplianceVerdict
    from coaching.roleplay.prompting import render_prompt

    llm = LLMClient(settings)
    out = LLMCheck(tokenizer=llm.counter.name)
    hello = [{"role": "user", "content": "用一句中文打个招呼。"}]
    try:
        t0 = time.perf_counter()
        text = await llm.complete("check", hello, max_tokens=40)
        out.rows.append(("plain", "ok", f"{time.perf_counter() - t0:.1f} s: {text.strip()[:60]}"))
        t0 = time.perf_counter()
        parts = [p async for p in llm.stream("check", hello, max_tokens=40)]
        out.rows.append(("stream", "ok", f"{time.perf_counter() - t0:.1f} s, {len(parts)} chunks"))
    except StreamCut:
        out.rows.append(("stream", "cut", "ended without a finish reason"))
    except LLMUnavailable as exc:
        out.rows.append(("reachable", FAILED, exc.kind))
        await llm.close()
        return out
    verdict = [
        {
            "role": "system",
            "content": render_prompt("compliance_check", third_party=False, crisis=False),
        },
        {"role": "user", "content": "Collector's line:\n<<<您好，请问现在方便说话吗？>>>"},
    ]
    try:
        t0 = time.perf_counter()
        await llm.structured("check", verdict, ComplianceVerdict)
        out.rows.append(("structured", "ok", f"{time.perf_counter() - t0:.1f} s"))
    except (LLMUnavailable, MalformedOutput) as exc:
        out.rows.append(("structured", FAILED, str(exc)[:120]))
    info = formats().get(llm.key, {})
    out.failed_modes = dict(info.get("failed", {}))
    out.mode = llm.mode
    failed = ", ".join(f"{m}: {why}" for m, why in out.failed_modes.items()) or "none"
    mode = out.mode or "none yet (no valid answer)"
    out.rows.append(("response format", mode, f"failed: {failed}"))
    kind = "real tokenizer" if llm.counter.exact else "estimate (no tokenizer known for the model)"
    out.rows.append(("prompt tokens", llm.counter.name, kind))
    await llm.close()
    out.stats = {k: v.__dict__ for k, v in llm.stats.items()}
    return out
