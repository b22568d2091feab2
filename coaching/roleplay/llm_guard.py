"""The LLM compliance check: a structured verdict on every collector line (when an LLM is
configured), added to what the rule layer (`guard.check_rules`) found.

A finding counts only when the verdict passed its checks: a known rule, the offending words
quoted from the line itself (the confirmation), a reason that is not a placeholder. Severity
is the code's (`guard.SEVERITY`), not the model's. A confirmed major finding fails the drill
exactly like a rule-layer one (`major_findings`)."""

from __future__ import annotations

import logging
from typing import Any

from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput, Message
from coaching.llm_validate import in_transcript, is_refusal, snap_quote
from coaching.redact import redact
from coaching.roleplay.grading import ComplianceVerdict
from coaching.roleplay.guard import SEVERITY, Violation
from coaching.roleplay.prompting import clip, render_prompt
from coaching.roleplay.scenarios import Scenario, persona_names

log = logging.getLogger(__name__)

LLM_RULES = {*SEVERITY, "misleading"}


def verdict_problems(v: ComplianceVerdict, line: str) -> list[str]:
    rule = v.rule.strip().lower()
    if not v.violation:
        return [] if rule in ("", "none") else [f"violation=false but rule={rule!r}"]
    p: list[str] = []
    if rule not in LLM_RULES:
        p.append(f"rule {rule!r} is not one of the rule ids")
    if v.severity.strip().lower() not in ("minor", "major"):
        p.append("severity must be minor or major")
    if v.quote.strip() and in_transcript(v.quote, [line]):
        # Stored without the marks models wrap quotes in (<<<…>>>, “…”). Only an exact copy
        # confirms a finding: unlike a grading quote, a near-copy is not snapped to the line.
        v.quote = snap_quote(v.quote, [line]) or v.quote
    if not v.quote.strip():
        p.append("quote the offending words from the line")
    elif not in_transcript(v.quote, [line]):
        p.append("quote does not occur in the line; copy the words exactly")
    if not v.reason.strip() or is_refusal(v.reason):
        p.append("reason is empty")
    return p


async def check_line(
    llm: LLMClient, sc: Scenario, text: str, already: list[dict[str, Any]]
) -> list[Violation]:
    """Confirmed findings the rules did not already flag; [] when the check is unavailable
    (logged: a server failure never blocks the drill)."""
    line = clip(redact(text, keep=persona_names()))
    msgs: list[Message] = [
        {
            "role": "system",
            "content": render_prompt(
                "compliance_check", third_party=sc.third_party, crisis=sc.crisis
            ),
        },
        {"role": "user", "content": f"Collector's line:\n<<<{line}>>>"},
    ]
    try:
        v = await llm.structured(
            "compliance",
            msgs,
            ComplianceVerdict,
            check=lambda v: verdict_problems(v, line),
            keep=persona_names(),
        )
    except (LLMUnavailable, MalformedOutput) as exc:
        log.warning("llm compliance check unavailable: %s", exc)
        return []
    rule = v.rule.strip().lower()
    if not v.violation or rule in {x["rule"] for x in already}:
        return []
    sev = SEVERITY.get(rule, "minor")
    return [Violation(rule, sev, "llm", clip(redact(v.quote.strip()), 80))]


def major_findings(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings that veto the drill: every major one, rule layer or confirmed LLM check."""
    return [
        v
        for v in violations
        if v["severity"] == "major" and v["layer"] in ("rules", "model", "llm")
    ]
