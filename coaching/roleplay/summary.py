"""The rolling summary of a drill's older lines, so the debtor prompt stays within budget at
any length (the prompt keeps the persona, this summary and the last lines verbatim).

- The facts a grade or a compliance review depends on — amounts, dates and instalments,
  promises and refusals — are picked out of every folded line by rules (`line_facts`), and
  are never dropped: the LLM's summary is checked for each fact's numbers and dates, and a
  fact it left out is appended to it.
- The LLM writes the summary when it can (`prompts/history_summary.j2`); when it is down or
  its answer is unusable, the rule summary (the facts, merged with the earlier summary) is
  used instead, so folding never stalls and no line is lost.
- The lines were redacted when they were taken; the summary is redacted again (the one
  redactor) before it is stored or sent, so an invented phone number cannot slip in either.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from coaching.llm_validate import is_refusal, wrong_language
from coaching.redact import redact
from coaching.roleplay.prompting import clip, render_prompt

log = logging.getLogger(__name__)

SUMMARY_TOKENS = 600  # the summary's share of the debtor prompt (real tokens)
SUMMARY_CHARS = 900  # storage cap (store.set_summary cuts at 1,000)
SEP = "；"

_NUM = r"[0-9０-９][0-9０-９,，.]*|[一二两三四五六七八九十百千万零]+"
AMOUNT = re.compile(rf"(?:{_NUM})\s*(?:万|千)?\s*(?:元|块|rmb|RMB)|首付|全款|全额|利息|罚息|减免")
DATE = re.compile(
    rf"(?:{_NUM})\s*(?:号|日)|(?:{_NUM})\s*月(?:底|初|中)?|(?:下|这|本)?(?:周|星期|礼拜)[一二三四五六日天]"
    rf"|明天|后天|今天|月底|月初|年底|下个?月|发工资|(?:{_NUM})\s*(?:天|周|个月)(?:内|后|之内)?"
)
INSTALMENT = re.compile(rf"(?:{_NUM})\s*期|分期|延期|展期|还款计划")
PROMISE = re.compile(r"答应|承诺|保证|一定|同意|可以|行吧|好吧|没问题|愿意|先还|会还|能还|我还")
REFUSE = re.compile(r"不还|还不了|还不起|没钱|不同意|不可能|拒绝|别再打|投诉")
_CLAUSE = re.compile(r"[^，,。！？!?；;\n]+")
# Tokens that must survive into any summary: a fact's numbers and dates.
_KEY = re.compile(rf"(?:{_NUM})\s*(?:万|千)?\s*(?:元|块|号|日|期|月|天)?")


@dataclass(frozen=True)
class Line:
    speaker: str  # collector / debtor
    text: str


def line_facts(line: Line) -> list[str]:
    """The compliance-relevant facts of one line, e.g. "债务人答应：15号先还1000元"."""
    text = line.text.strip()
    if not text:
        return []
    keep = [
        c.strip()
        for c in _CLAUSE.findall(text)
        if AMOUNT.search(c) or DATE.search(c) or INSTALMENT.search(c)
    ]
    who = "催收员" if line.speaker == "collector" else "债务人"
    if line.speaker == "debtor" and REFUSE.search(text) and not keep:
        return [f"债务人拒绝：{clip(_first_clause(text, REFUSE), 30)}"]
    if not keep:
        return []
    if line.speaker == "collector":
        verb = "提出"
    elif REFUSE.search(text):  # before PROMISE: 不同意 holds 同意, 我还不起 holds 我还
        verb = "拒绝"
    elif PROMISE.search(text):
        verb = "答应"
    else:
        verb = "提到"
    return [f"{who}{verb}：{clip('，'.join(keep), 40)}"]


def _first_clause(text: str, pattern: re.Pattern[str]) -> str:
    return next((c.strip() for c in _CLAUSE.findall(text) if pattern.search(c)), text)


def critical(item: str) -> bool:
    """A compliance-relevant fact: a promise or a refusal, or one with money/dates."""
    return rank(item) > 0


def rank(item: str) -> int:
    """What goes last when the summary is over budget: the debtor's promises and refusals
    (3), then what the debtor said about money or dates (2), then the collector's proposals
    (1, a later proposal supersedes them), then everything else (0)."""
    if item.startswith(("债务人答应", "债务人拒绝")):
        return 3
    if not (AMOUNT.search(item) or DATE.search(item) or INSTALMENT.search(item)):
        return 0
    return 2 if item.startswith("债务人") else 1


def keys(item: str) -> set[str]:
    """The numbers and dates of a fact (what a summary must repeat)."""
    body = item.split("：", 1)[-1]
    return {k.replace(" ", "") for k in _KEY.findall(body) if any(ch.isdigit() for ch in k)}


def rule_summary(
    previous: str,
    lines: Sequence[Line],
    count: Callable[[str], int],
    budget: int = SUMMARY_TOKENS,
) -> str:
    """The earlier summary plus the facts of `lines`, within `budget` tokens: over it, the
    oldest item of the lowest `rank` goes first (promises and refusals last)."""
    items = [i for i in (p.strip() for p in previous.split(SEP)) if i]
    for ln in lines:
        items.extend(line_facts(ln))
    items = list(dict.fromkeys(items))  # a repeated fact once
    while len(items) > 1 and (
        count(SEP.join(items)) > budget or len(SEP.join(items)) > SUMMARY_CHARS
    ):
        low = min(rank(it) for it in items)
        items.pop(next(i for i, it in enumerate(items) if rank(it) == low))
    return SEP.join(items)


def missing_facts(summary: str, facts: Sequence[str]) -> list[str]:
    """Facts whose numbers/dates the summary does not repeat (promises and refusals also
    need their verb's gist: a summary without 答应/同意/承诺 loses the promise)."""
    flat = summary.replace(" ", "")
    out = []
    for fact in facts:
        ks = keys(fact)
        lost = (
            not all(k in flat for k in ks)
            if ks
            else (fact.startswith("债务人拒绝") and not REFUSE.search(summary))
        )
        if lost:
            out.append(fact)
    return out


def finish(text: str, facts: Sequence[str], fallback: str, count: Callable[[str], int]) -> str:
    """The LLM's summary with what it left out appended, redacted, within budget; over
    budget, the rule summary (which keeps every critical fact) instead."""
    lost = missing_facts(text, facts)
    if lost:
        text = text.rstrip("。；; ") + SEP + SEP.join(lost)
    text = redact(text)
    if count(text) > SUMMARY_TOKENS or len(text) > SUMMARY_CHARS:
        return fallback
    return text


async def summarise(
    llm: Any,
    previous: str,
    lines: Sequence[Line],
    count: Callable[[str], int],
) -> tuple[str, str]:
    """(summary, how): "llm" when the server wrote it, "rules" otherwise."""
    old_facts = [i for i in (p.strip() for p in previous.split(SEP)) if critical(i)]
    facts = list(dict.fromkeys([*old_facts, *(f for ln in lines for f in line_facts(ln))]))
    fallback = redact(rule_summary(previous, lines, count))
    if llm is None:
        return fallback, "rules"
    from coaching.llm import LLMUnavailable

    transcript = "\n".join(
        f"{'催收员' if ln.speaker == 'collector' else '债务人'}：{clip(ln.text, 120)}"
        for ln in lines
    )
    must = "\n".join(f"- {f}" for f in facts) or "（无）"
    msgs = [
        {"role": "system", "content": render_prompt("history_summary")},
        {
            "role": "user",
            "content": f"已有摘要：{previous or '（无）'}\n必须保留的要点：\n{must}\n"
            f"新增内容：\n{transcript}",
        },
    ]
    try:
        text = (await llm.complete("summary", msgs, max_tokens=200, temperature=0)).strip()
    except LLMUnavailable as exc:
        log.info("summary by rules: %s", exc.kind)
        return fallback, "rules"
    if not text or is_refusal(text) or wrong_language(text, "zh_CN"):
        log.info("summary by rules: unusable answer")
        return fallback, "rules"
    return finish(text, facts, fallback, count), "llm"
