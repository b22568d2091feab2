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

from coaching.roleplay.scenarios import CRITERIA

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
    weakest: str = ""  # the lowest-scoring criterion

    def to_dict(self) -> dict[str, Any]:
        return {"criteria": self.criteria, "summary": self.summary, "weakest": self.weakest}


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def weakest_criterion(criteria: dict[str, dict[str, Any]]) -> str:
    """The lowest-scoring criterion (ties: the fixed CRITERIA order): the one the grade card,
    /coach and the trainer views name."""
    if not criteria:
        return ""
    return min(
        (n for n in CRITERIA if n in criteria),
        key=lambda n: (criteria[n]["score"], CRITERIA.index(n)),
    )


def decide(
    card: Scorecard,
    collector_lines: list[str],
    rule_violations: list[dict[str, Any]],
    graded_by: str,
    notes: dict[str, str] | None = None,
) -> Report:
    """Apply the code's rules to a model's (or the rule-based) scorecard. `notes`: why a
    rule-based criterion scored as it did (shown on the card)."""
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
        if notes and notes.get(name):
            criteria[name]["note"] = notes[name]
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
        comp.pop("note", None)
        comp["note"] = "violation"
    total = round(sum(c["score"] for c in criteria.values()) / len(CRITERIA), 1)
    failed_reason = ""
    if majors:
        total = 0.0  # compliance is a veto, not a weight
        failed_reason = ",".join(majors)
    passed = not majors and total >= PASS_MARK and comp["score"] >= PASS_MARK
    return Report(
        criteria,
        total,
        passed,
        failed_reason,
        card.summary.strip()[:300],
        graded_by,
        weakest_criterion(criteria),
    )
