"""Grading a drill: the LLM's scorecard or a rule-based one, then code decides.

"The model scores, code decides": whatever the model says, rule-layer violations cap the
compliance score, a major one zeroes the total and fails the drill, quotes must be the
collector's own words, and scores are clamped to 0–100.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from coaching.roleplay.scenarios import CRITERIA, Scenario

PASS_MARK = 60.0
MINOR_CAP = 60


class Criterion(BaseModel):
    score: int
    quote: str
    better_line: str


class Scorecard(BaseModel):
    """What the grader model must return (strict JSON schema)."""

    compliance: Criterion
    empathy: Criterion
    negotiation: Criterion
    problem_solving: Criterion
    outcome: Criterion
    summary: str


class CriterionGrade(BaseModel):
    """One grading call's answer (one criterion per call keeps each answer small)."""

    score: int
    quote: str
    better_line: str


class GradeSummary(BaseModel):
    summary: str


class ComplianceVerdict(BaseModel):
    """The LLM guard's verdict on one collector line; `quote` must be the line's own words."""

    violation: bool
    rule: str
    severity: str
    quote: str
    reason: str


@dataclass
class Report:
    criteria: dict[str, dict[str, Any]]
    total: float
    passed: bool
    failed_reason: str
    summary: str
    graded_by: str  # llm / rules

    def to_dict(self) -> dict[str, Any]:
        return {"criteria": self.criteria, "summary": self.summary}


_EMPATHY = re.compile(
    r"理解|抱歉|不好意思|辛苦|不容易|担心|别着急|体谅|感谢|谢谢|关心|安全|understand|sorry|"
    r"appreciate|thank|difficult",
    re.I,
)
_NEGOTIATION = re.compile(
    r"\d{2,}\s*(元|块)|[一二三四五六七八九十两千百万]+\s*(元|块)|分期|首期|每月|每个月|\d+\s*号|"
    r"明天|后天|下周|月底|方案|instal+ment|plan|\$\s?\d+|\d+\s*(yuan|rmb)",
    re.I,
)
_QUESTION = re.compile(r"[？?]|吗|怎么|什么|方便说|能不能|是否|how|what|why|when|could you", re.I)


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _first(lines: list[str], pattern: re.Pattern[str]) -> str:
    return next((ln for ln in lines if pattern.search(ln)), "")


def rule_scorecard(scenario: Scenario, collector_lines: list[str], outcome: str) -> Scorecard:
    """A transparent keyword-based scorecard (offline mode, or when the grader failed)."""
    emp = sum(1 for ln in collector_lines if _EMPATHY.search(ln))
    neg = sum(1 for ln in collector_lines if _NEGOTIATION.search(ln))
    qs = sum(1 for ln in collector_lines if _QUESTION.search(ln))
    text = "".join(collector_lines)
    facts = sum(1 for f in scenario.hidden_facts if any(k in text for k in f.reveal_when))
    out_score = {"success": 90, "hangup": 20}.get(outcome, 40)
    if scenario.crisis or scenario.third_party:
        neg = 2 if outcome == "success" else neg  # the goal there is not a payment
    ml = scenario.model_lines

    def c(name: str, score: int, quote: str) -> Criterion:
        return Criterion(score=max(0, min(100, score)), quote=quote, better_line=ml[name])

    last = collector_lines[-1] if collector_lines else ""
    return Scorecard(
        compliance=c("compliance", 100, collector_lines[0] if collector_lines else ""),
        empathy=c("empathy", 35 + 20 * emp, _first(collector_lines, _EMPATHY)),
        negotiation=c("negotiation", 35 + 20 * neg, _first(collector_lines, _NEGOTIATION)),
        problem_solving=c(
            "problem_solving", 30 + 12 * qs + 15 * facts, _first(collector_lines, _QUESTION)
        ),
        outcome=c("outcome", out_score, last),
        summary="",
    )


def decide(
    card: Scorecard,
    collector_lines: list[str],
    rule_violations: list[dict[str, Any]],
    graded_by: str,
) -> Report:
    """Apply the code's rules to a model's (or the rule-based) scorecard."""
    criteria: dict[str, dict[str, Any]] = {}
    normed = [(_norm(ln), ln) for ln in collector_lines]
    for name in CRITERIA:
        cr: Criterion = getattr(card, name)
        quote = cr.quote.strip().strip("“”\"'")
        if quote and not any(_norm(quote) in n for n, _ in normed):
            # Not the collector's own words: show their closest line instead.
            q = set(_norm(quote))
            quote = max(normed, key=lambda p: len(q & set(p[0])))[1] if normed else ""
        criteria[name] = {
            "score": max(0, min(100, int(cr.score))),
            "quote": quote[:200],
            "better_line": cr.better_line.strip()[:200],
        }
    majors = sorted({v["rule"] for v in rule_violations if v["severity"] == "major"})
    minors = [v for v in rule_violations if v["severity"] == "minor"]
    comp = criteria["compliance"]
    if majors:
        comp["score"] = 0
    elif minors:
        comp["score"] = min(comp["score"], max(30, MINOR_CAP - 10 * (len(minors) - 1)))
    if rule_violations:
        comp["quote"] = next(
            (ln for ln in collector_lines if any(v["excerpt"] in ln for v in rule_violations)),
            comp["quote"],
        )
    total = round(sum(c["score"] for c in criteria.values()) / len(CRITERIA), 1)
    failed_reason = ""
    if majors:
        total = 0.0  # compliance is a veto, not a weight
        failed_reason = ",".join(majors)
    passed = not majors and total >= PASS_MARK and comp["score"] >= PASS_MARK
    return Report(criteria, total, passed, failed_reason, card.summary.strip()[:300], graded_by)
