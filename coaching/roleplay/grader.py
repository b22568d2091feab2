"""LLM grading in small calls: one per criterion (score, quote, better line), then one for
the closing sentence. Each answer fits a small model's budget and is checked before use:
placeholders, out-of-range or inconsistent scores, quotes that are not the collector's words,
the wrong language, a line repeated across criteria. Nothing that failed is returned."""

from __future__ import annotations

import logging
import re
from typing import Any

from coaching.llm import LLMClient, MalformedOutput, Message
from coaching.llm_tokens import ESTIMATE, Counter
from coaching.llm_validate import (
    in_transcript,
    is_refusal,
    norm,
    snap_quote,
    wrong_language,
)
from coaching.roleplay import store
from coaching.roleplay.grading import Criterion, CriterionGrade, GradeSummary, Scorecard
from coaching.roleplay.prompting import clip, render_prompt
from coaching.roleplay.scenarios import CRITERIA, Scenario, persona_names

log = logging.getLogger(__name__)

GRADER_BUDGET = 2000  # estimated prompt tokens
DEBTOR_WINDOW = 8
QUESTION_TOKENS = 250
# A generic better line. Not shown to the model (Qwen2.5-1.5B copied it into every answer even
# when told not to); an answer that copies it anyway is rejected as a placeholder.
EXAMPLE = {
    "zh_CN": "我理解您的难处，我们一起看看每月能还多少。",
    "en": "I understand it is hard; let's see what you can pay each month.",
}
# Transcript labels in the grade's language: models copy them into what they write (Qwen2.5-1.5B
# wrote "COLLECTOR的回应非常专业" in a Chinese summary and began better lines with "COLLECTOR: ").
LABELS = {"zh_CN": ("催收员：", "债务人："), "en": ("COLLECTOR: ", "DEBTOR: ")}
_LABEL = re.compile(r"^\s*(?:COLLECTOR|DEBTOR|催收员|债务人)\s*[:：]\s*", re.IGNORECASE)


def unlabel(text: str) -> str:
    """`text` without a leading transcript label (a copied "催收员：" is not part of a line)."""
    return _LABEL.sub("", text)


REPEATED = "better_line repeats the line given for another criterion"
ASK = {
    "compliance": "legal and policy compliance",
    "empathy": "acknowledging the debtor's situation and emotions",
    "negotiation": "concrete, realistic proposals (amounts, dates, instalments)",
    "problem_solving": "questions that uncover the real situation",
    "outcome": "how far the scenario's objectives were met",
}


def grader_messages(
    sc: Scenario,
    turns: list[store.Turn],
    outcome: str,
    locale: str,
    summary: str = "",
    counter: Counter = ESTIMATE,
) -> list[Message]:
    """The shared part of every grading call: rubric (system) and transcript (user). Every
    collector line is kept (quotes must be theirs); the debtor's only near the end, older ones
    are represented by the running summary. Over budget, the debtor lines go and collector
    lines are cut shorter (prefixes keep quotes verbatim)."""
    system = render_prompt("grader", sc=sc, locale=locale)
    flagged = sorted(
        {f"{v['rule']} ({v['severity']}, {v['layer']})" for t in turns for v in t.violations}
    )
    flags = ", ".join(flagged) or "none"
    me, them = LABELS["zh_CN" if locale.startswith("zh") else "en"]
    msgs: list[Message] = []
    for collector_chars, debtor_window in (
        (200, DEBTOR_WINDOW),
        (120, 2),
        (60, 0),
        (30, 0),
        (20, 0),
    ):
        recent_from = len(turns) - debtor_window
        lines = []
        for i, t in enumerate(turns):
            if t.speaker == "collector":
                lines.append(f"{me}{clip(t.text, collector_chars)}")
            elif i >= recent_from or i == 0:
                lines.append(f"{them}{clip(t.text, 80)}")
        body = (
            (f"Summary of the call's earlier part: {summary}\n\n" if summary else "")
            + "Transcript:\n"
            + "\n".join(lines)
            + f"\n\nHow the call ended: {outcome}"
            + f"\nCompliance flags raised during the call: {flags}"
        )
        msgs = [{"role": "system", "content": system}, {"role": "user", "content": body}]
        # The question and the JSON skeleton are added per call.
        if counter.prompt(msgs) + QUESTION_TOKENS <= GRADER_BUDGET:
            break
    return msgs


def _ask(base: list[Message], question: str) -> list[Message]:
    # The question goes last so the shared prefix stays identical (servers cache it).
    return [*base[:-1], {"role": "user", "content": base[-1]["content"] + "\n\n" + question}]


def criterion_problems(
    name: str,
    g: CriterionGrade,
    *,
    lines: list[str],
    locale: str,
    outcome: str,
    taken: list[str],
) -> list[str]:
    """Why a criterion answer cannot be used ([] when it can). A compliance score above a
    flagged major violation is not rejected: the code zeroes it anyway (`decide`)."""
    p: list[str] = []
    if not 0 <= g.score <= 100:
        p.append(f"score {g.score} is outside 0-100")
    quote, better = g.quote.strip(), g.better_line.strip()
    if quote and not in_transcript(quote, lines):
        p.append("quote does not occur in the collector's lines; copy their words exactly")
    if not better:
        p.append("better_line is empty")
    elif wrong_language(better, locale):
        p.append(f"better_line must be in {'Chinese' if locale.startswith('zh') else 'English'}")
    elif is_refusal(better):
        p.append("better_line is a refusal")
    elif quote and norm(better) == norm(quote):
        p.append("better_line only repeats the quote")
    elif any(norm(better) == norm(t) for t in taken):
        p.append(REPEATED)
    if name == "outcome" and outcome == "hangup" and g.score > 60:
        p.append(f"outcome score {g.score} is inconsistent with the debtor hanging up")
    if name == "outcome" and outcome == "success" and g.score < 40:
        p.append(f"outcome score {g.score} is inconsistent with the objectives being met")
    return p


async def grade_llm(
    llm: LLMClient,
    sc: Scenario,
    turns: list[store.Turn],
    outcome: str,
    locale: str,
    summary: str = "",
) -> Scorecard:
    """A scorecard from one checked call per criterion; MalformedOutput when one criterion
    has no usable answer after its last try (nothing partial is returned)."""
    base = grader_messages(sc, turns, outcome, locale, summary, llm.counter)
    lines = [t.text for t in turns if t.speaker == "collector"]
    example = EXAMPLE.get(locale, "")
    got: dict[str, Any] = {}
    taken: list[str] = []
    for name in CRITERIA:
        answers = [0]

        def check(g: CriterionGrade, name: str = name, answers: list[int] = answers) -> list[str]:
            # The quote is evidence, not the grade: a near-copy of the trainee's line becomes
            # the line itself (snap_quote), anything else (the debtor's words, an invention)
            # is dropped rather than stored, and the score and better line still count. A
            # 1.5B model misquoted on most tries, so insisting cost every grade.
            answers[0] += 1
            g.better_line = unlabel(g.better_line)
            snapped = snap_quote(g.quote, lines)
            if snapped is None:
                log.info("grader %s: quote not the trainee's words, dropped", name)
            g.quote = snapped if snapped is not None else ""
            p = criterion_problems(
                name, g, lines=lines, locale=locale, outcome=outcome, taken=taken
            )
            if p == [REPEATED] and answers[0] > 1:
                # Asked once for a different line and it came back the same (Qwen2.5-1.5B
                # gave one better line for every criterion): the score stands, the better
                # line becomes the scenario's own model line for this criterion, which the
                # firm's trainers wrote, rather than failing the whole grade.
                log.info("grader %s: better line repeated again, model line used", name)
                g.better_line = sc.model_lines[name]
                p = criterion_problems(
                    name, g, lines=lines, locale=locale, outcome=outcome, taken=taken
                )
            return p

        g = await llm.structured(
            "grader",
            _ask(base, f"Grade only the criterion: {name} ({ASK[name]})."),
            CriterionGrade,
            check=check,
            examples=[example],
            keep=persona_names(),
        )
        got[name] = Criterion(score=g.score, quote=g.quote.strip(), better_line=g.better_line)
        taken.append(g.better_line.strip())
    lang = "Chinese" if locale.startswith("zh") else "English"

    def summary_check(s: GradeSummary) -> list[str]:
        s.summary = unlabel(s.summary)
        t = s.summary.strip()
        if not t:
            return ["summary is empty"]
        if wrong_language(t, locale):
            return [f"summary must be in {lang}"]
        return ["summary is a refusal"] if is_refusal(t) else []

    try:
        closing = await llm.structured(
            "grader_summary",
            _ask(base, f"Write the summary: one sentence of overall feedback in {lang}."),
            GradeSummary,
            check=summary_check,
            examples=[example],
            keep=persona_names(),
        )
        text = closing.summary.strip()
    except MalformedOutput:
        text = ""  # the scores stand; a summary that failed its checks is left out
    return Scorecard(**got, summary=text)
