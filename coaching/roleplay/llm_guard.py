"""The LLM compliance check: a structured verdict on every collector line (when an LLM is
configured), added to what the rule layer (`guard.check_rules`) found.

A finding counts only when the verdict passed its checks: a known rule, the offending words
quoted from the line itself (the confirmation), a reason that is not a placeholder. Severity
is the code's (`guard.SEVERITY`), not the model's. A major finding needs a second key: a
separate yes/no question on that one rule (`second_key`); then it fails the drill exactly like
a rule-layer one (`major_findings`).

Why the second key: Qwen2.5-1.5B confirmed major findings, quote and all, on three of five
compliant lines of one drill ("家里有没有其他人可以帮忙分担一部分？" as impersonation), vetoing
it; asked the one-rule question it said no to two of those and yes to all four real
violations tried. A major veto from the LLM alone is a verdict two independent questions
agree on; the rule layer's vetoes are unaffected."""

from __future__ import annotations

import logging
import re
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
    if sev == "major" and not await second_key(llm, sc, rule, line):
        log.info("llm compliance: %s not confirmed by the one-rule question, dropped", rule)
        return []
    return [Violation(rule, sev, "llm", clip(redact(v.quote.strip()), 80))]


NO_WORDS = ("no", "false")
NO_PREFIX = ("否", "不", "没有")


async def second_key(llm: LLMClient, sc: Scenario, rule: str, line: str) -> bool:
    """Whether a separate one-rule yes/no question agrees that `line` breaks `rule`. An answer
    that is neither yes nor no, or a server failure, keeps the finding: the first verdict
    passed its checks, and compliance errs on the side of the finding."""
    msgs: list[Message] = [
        {
            "role": "system",
            "content": render_prompt(
                "compliance_confirm", rule=rule, third_party=sc.third_party, crisis=sc.crisis
            ),
        },
        {
            "role": "user",
            "content": f"Line: <<<{line}>>>\nDoes this line itself clearly "
            "break this rule? Answer yes or no.",
        },
    ]
    try:
        answer = await llm.complete(
            "confirm", msgs, max_tokens=4, temperature=0.0, keep=persona_names()
        )
    except LLMUnavailable as exc:
        log.warning("llm compliance second key unavailable, finding kept: %s", exc)
        return True
    word = re.split(r"[\s,.;:!?，。；：！？\"'“”]+", answer.strip().lower() + " ")
    first = next((w for w in word if w), "")
    if first in NO_WORDS or first.startswith(NO_PREFIX):
        return False
    if first not in ("yes", "true") and not first.startswith(("是", "对", "违反")):
        log.info("llm compliance second key unclear (%r), finding kept", answer[:20])
    return True


def major_findings(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings that veto the drill: every major one, rule layer or confirmed LLM check."""
    return [
        v
        for v in violations
        if v["severity"] == "major" and v["layer"] in ("rules", "model", "llm")
    ]
