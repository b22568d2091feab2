"""Personal coaching tips (/coach): three concrete tips a day from the collector's own
aggregates (this month's calls, promises, complaints, QA findings), their weakest
competencies and their drill criteria. Only aggregates go into the prompt, never case data.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput
from coaching.llm_validate import is_refusal, norm, wrong_language
from coaching.roleplay import store
from db.models import Call, CoachTip, Complaint, PromiseToPay, QaFinding

CONNECTED = ("contacted", "rpc", "promise")


class Tips(BaseModel):
    tips: list[str]


@dataclass(frozen=True)
class Aggregates:
    month: str
    calls: int
    connect_rate: float | None  # % of calls answered
    rpc_rate: float | None  # % of calls reaching the debtor
    promises: int
    kept_rate: float | None  # % of resolved promises kept
    complaints: int
    qa_minor: int
    qa_major: int
    weakest: list[str]  # competencies, lowest average first
    drill_criteria: dict[str, float]  # average per grading criterion, recent drills

    def as_prompt(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [], {})}


def _pct(a: int, b: int) -> float | None:
    return round(100.0 * a / b, 1) if b else None


def aggregates(s: Session, employee_id: int, tz: str, now: datetime) -> Aggregates:
    local = now.astimezone(ZoneInfo(tz))
    first = local.date().replace(day=1)
    start = datetime.combine(first, time(0), ZoneInfo(tz)).astimezone(UTC)
    calls = s.execute(
        select(Call.outcome, func.count())
        .where(Call.collector_id == employee_id, Call.started_at >= start, Call.started_at <= now)
        .group_by(Call.outcome)
    ).all()
    by = {o: n for o, n in calls}
    total = sum(by.values())
    connected = sum(by.get(o, 0) for o in CONNECTED)
    rpc = by.get("rpc", 0) + by.get("promise", 0)
    prom = s.execute(
        select(PromiseToPay.status, func.count())
        .where(PromiseToPay.collector_id == employee_id, PromiseToPay.promised_on >= first)
        .group_by(PromiseToPay.status)
    ).all()
    pst = {st: n for st, n in prom}
    kept, broken = pst.get("kept", 0), pst.get("broken", 0)
    complaints = s.execute(
        select(func.count()).where(
            Complaint.collector_id == employee_id, Complaint.received_at >= start
        )
    ).scalar_one()
    qa = dict(
        s.execute(
            select(QaFinding.severity, func.count())
            .where(QaFinding.collector_id == employee_id, QaFinding.found_at >= start)
            .group_by(QaFinding.severity)
        ).all()
    )
    return Aggregates(
        month=first.strftime("%Y-%m"),
        calls=total,
        connect_rate=_pct(connected, total),
        rpc_rate=_pct(rpc, total),
        promises=sum(pst.values()),
        kept_rate=_pct(kept, kept + broken),
        complaints=int(complaints),
        qa_minor=int(qa.get("minor", 0)),
        qa_major=int(qa.get("major", 0)),
        weakest=store.weakest_competencies(s, employee_id)[:2],
        drill_criteria=store.criteria_averages(s, employee_id),
    )


def rule_tips(a: Aggregates) -> list[tuple[str, dict[str, Any]]]:
    """Tip template keys with their arguments, most important first (at least three)."""
    out: list[tuple[str, dict[str, Any]]] = []
    if a.qa_major:
        out.append(("tip_qa_major", {"n": a.qa_major}))
    if a.complaints:
        out.append(("tip_complaints", {"n": a.complaints}))
    if a.qa_minor:
        out.append(("tip_qa_minor", {"n": a.qa_minor}))
    if a.kept_rate is not None and a.kept_rate < 70:
        out.append(("tip_kept", {"rate": a.kept_rate}))
    if a.connect_rate is not None and a.connect_rate < 40:
        out.append(("tip_connect", {"rate": a.connect_rate}))
    if a.rpc_rate is not None and a.promises * 3 < (a.rpc_rate * a.calls / 100):
        out.append(("tip_convert", {"promises": a.promises}))
    if a.drill_criteria:
        worst = min(a.drill_criteria, key=lambda k: a.drill_criteria[k])
        if a.drill_criteria[worst] < 75:
            out.append(("tip_criterion", {"criterion": worst, "score": a.drill_criteria[worst]}))
    for comp in a.weakest[:1]:
        out.append(("tip_competency", {"competency": comp}))
    out += [("tip_prepare", {}), ("tip_timeblocks", {}), ("tip_followup", {})]
    seen: set[str] = set()
    uniq = []
    for key, kw in out:
        if key not in seen:
            seen.add(key)
            uniq.append((key, kw))
    return uniq


def cached(s: Session, employee_id: int, day: date, locale: str) -> CoachTip | None:
    row = s.execute(
        select(CoachTip).where(CoachTip.employee_id == employee_id, CoachTip.day == day)
    ).scalar_one_or_none()
    return row if row is not None and row.locale == locale else None


def save(
    s: Session,
    employee_id: int,
    day: date,
    locale: str,
    tips: list[str],
    source: str,
    now: datetime,
) -> None:
    row = s.execute(
        select(CoachTip).where(CoachTip.employee_id == employee_id, CoachTip.day == day)
    ).scalar_one_or_none()
    if row is None:
        row = CoachTip(employee_id=employee_id, day=day)
        s.add(row)
    row.locale, row.tips, row.source, row.created_at = locale, tips[:3], source, now
    s.flush()


def tip_problems(t: Tips, locale: str, *, at_least: int = 3) -> list[str]:
    """Why an LLM tip list cannot be shown or cached ([] when it can). `at_least`: how many
    distinct non-empty tips it must hold (the rest are topped up by rule tips)."""
    tips = [x.strip() for x in t.tips]
    p: list[str] = []
    if len([x for x in tips if x]) < at_least:
        p.append("give exactly three non-empty tips")
    if len({norm(x) for x in tips if x}) < len([x for x in tips if x]):
        p.append("the tips repeat each other")
    lang = "Chinese" if locale.startswith("zh") else "English"
    if any(wrong_language(x, locale) for x in tips):
        p.append(f"write every tip in {lang}")
    if any(is_refusal(x) for x in tips):
        p.append("a tip is a refusal")
    return p


def top_up(got: list[str], ruled: list[str]) -> list[str]:
    """The model's tips (empty ones dropped), then rule tips up to three."""
    tips = [t.strip()[:200] for t in got if t.strip()][:3]
    seen = {norm(t) for t in tips}
    for r in ruled:
        if len(tips) >= 3:
            break
        if norm(r) not in seen:
            tips.append(r)
            seen.add(norm(r))
    return tips


async def todays_tips(
    ctx: Any,
    llm: LLMClient | None,
    employee_id: int,
    tz: str,
    locale: str,
    render: Callable[..., str],
) -> tuple[list[str], str]:
    """Three tips and their source ("llm" or "rules"), cached per local day. `render(key, **kw)`
    turns a rule tip into text. An LLM failure falls back to the rule tips, not cached, so
    the next /coach can do better."""
    now = ctx.clock.now()
    day = now.astimezone(ZoneInfo(tz)).date()
    row = await ctx.run(cached, employee_id, day, locale)
    if row is not None:
        return list(row.tips), row.source
    agg = await ctx.run(aggregates, employee_id, tz, now)
    ruled = [render(k, **kw) for k, kw in rule_tips(agg)][:3]
    if llm is None:
        await ctx.run(save, employee_id, day, locale, ruled, "rules", now)
        return ruled, "rules"
    from coaching.roleplay.engine import render_prompt

    msgs = [
        {"role": "system", "content": render_prompt("coach_tips", locale=locale)},
        {"role": "user", "content": json.dumps(agg.as_prompt(), ensure_ascii=False)},
    ]
    answers = [0]

    def check(t: Tips) -> list[str]:
        # Asked once more for three; after that one or two good tips are kept and the rule
        # tips fill the rest (Qwen2.5-1.5B gave fewer than three on every try).
        answers[0] += 1
        return tip_problems(t, locale, at_least=3 if answers[0] == 1 else 1)

    try:
        got = await llm.structured("coach", msgs, Tips, check=check)
    except (LLMUnavailable, MalformedOutput):
        return ruled, "rules"  # not cached: the next /coach may do better
    tips = top_up(got.tips, ruled)
    await ctx.run(save, employee_id, day, locale, tips, "llm", now)
    return tips, "llm"
