"""Rule-based grading (offline mode, or when the grader failed): every criterion is scored
from evidence in the collector's own lines, and the line that earned (or cost) the score is
quoted; a criterion without evidence quotes nothing rather than an unrelated line. The rules
agree with the scenario's model lines: graded as a transcript, those score well on every
criterion (tests/test_roleplay_offline_grading.py)."""

from __future__ import annotations

import re

from coaching.roleplay import scripted
from coaching.roleplay.grading import Criterion, Scorecard
from coaching.roleplay.offers import is_empathic, read_offer
from coaching.roleplay.scenarios import CRITERIA, Scenario

GENERIC = {
    "compliance": r"公司|机构|专员|委托|录音|官方|正规|依规|政策|流程|规定|核实|如实|记录|"
    r"投诉的权利|有权|渠道",
    "negotiation": r"方案|先还|一部分|先安排|分期",
    "problem_solving": r"怎么|什么|哪|多少|方便说|情况|原因|为什么|是不是|有没有",
    "outcome": r"确认|约定|那就|我会|记录|上报|回电|转告",
}
# Scenarios whose goal is not a payment: money talk there is itself a mistake.
_MONEY_TALK = re.compile(r"还款|还钱|欠款|逾期|\d{3,}\s*(元|块)")

OUTCOME_SCORE = {"success": 90, "deal": 60, "hangup": 20}


def _pattern(sc: Scenario, name: str) -> re.Pattern[str]:
    return re.compile(sc.evidence.get(name) or GENERIC[name], re.I)


def _first(lines: list[str], pat: re.Pattern[str]) -> str:
    return next((ln for ln in lines if pat.search(ln)), "")


def _compliance(sc: Scenario, lines: list[str]) -> tuple[int, str, str]:
    line = _first(lines, _pattern(sc, "compliance"))
    # Violations cap this later (decide); here: did they state who they are / the rules?
    return (100, line, "") if line else (75, "", "no_evidence")


def _empathy(lines: list[str]) -> tuple[int, str, str]:
    hits = [ln for ln in lines if is_empathic(ln)]
    if not hits:
        return 35, "", "no_evidence"
    return (75 if len(hits) == 1 else 90), hits[0], ""


def _negotiation(sc: Scenario, lines: list[str]) -> tuple[int, str, str]:
    if sc.terms is None:  # crisis / third party: the right move is not to negotiate money
        right = _pattern(sc, "negotiation")
        wrong = next((ln for ln in lines if _MONEY_TALK.search(ln) and not right.search(ln)), "")
        if wrong:
            return 30, wrong, "money_talk"
        line = _first(lines, right)
        return (85, line, "") if line else (35, "", "no_evidence")
    t = sc.terms
    best, best_score = "", 0
    for ln in lines:
        o = read_offer(ln, t.today, t.weekday)
        if t.discount_red_line and o.discount and not o.discount_proper:
            return 40, ln, "discount_promised"
        score = 0
        if o.first is not None and o.when is not None:
            score = 85 + (5 if o.monthly is not None else 0)
        elif o.first is not None or o.when is not None or o.instalments:
            score = 65
        elif _pattern(sc, "negotiation").search(ln):
            score = 55
        if score > best_score:
            best, best_score = ln, score
    if not best:
        return 35, "", "no_evidence"
    deal = scripted.settled(sc, lines)
    if deal is not None and deal.first >= t.goal_first and best_score < 85:
        best, best_score = deal.line, max(best_score, 85)
    return best_score, best, ""


def _problem_solving(sc: Scenario, lines: list[str]) -> tuple[int, str, str]:
    open_q = _pattern(sc, "problem_solving")
    questions = [ln for ln in lines if read_offer(ln).question and open_q.search(ln)]
    uncovering = [
        ln for ln in lines if any(k in ln for f in sc.hidden_facts for k in f.reveal_when)
    ]
    facts = sum(1 for f in sc.hidden_facts if any(k in ln for ln in lines for k in f.reveal_when))
    if not questions and not facts:
        return 30, "", "no_evidence"
    quote = next((ln for ln in questions if ln in uncovering), "") or (
        questions[0] if questions else uncovering[0]
    )
    return min(100, (55 if questions else 40) + 15 * facts), quote, ""


def _outcome(sc: Scenario, lines: list[str], outcome: str) -> tuple[int, str, str]:
    score = OUTCOME_SCORE.get(outcome, 40)
    if outcome in ("success", "deal") and lines:
        deal = scripted.settled(sc, lines)
        note = "short_of_goal" if outcome == "deal" else ""
        return score, deal.line if deal else lines[-1], note
    line = ""
    for ln in reversed(lines):
        if _pattern(sc, "outcome").search(ln):
            line = ln
            break
    return score, line, "no_agreement" if outcome != "hangup" else "hung_up"


def rule_grade(
    sc: Scenario, collector_lines: list[str], outcome: str
) -> tuple[Scorecard, dict[str, str]]:
    """The scorecard and, per criterion, why it scored as it did (a note key, '' if fine)."""
    lines = [ln for ln in collector_lines if ln.strip()]
    got = {
        "compliance": _compliance(sc, lines),
        "empathy": _empathy(lines),
        "negotiation": _negotiation(sc, lines),
        "problem_solving": _problem_solving(sc, lines),
        "outcome": _outcome(sc, lines, outcome),
    }
    ml = sc.model_lines

    def c(name: str) -> Criterion:
        score, quote, _ = got[name]
        return Criterion(score=max(0, min(100, score)), quote=quote, better_line=ml[name])

    card = Scorecard(**{name: c(name) for name in CRITERIA}, summary="")
    return card, {name: got[name][2] for name in CRITERIA if got[name][2]}
