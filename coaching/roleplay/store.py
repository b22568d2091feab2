"""Drill state in the database: sessions, turns, reports (synchronous, one Session each)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching import competency
from coaching.redact import redact
from coaching.roleplay.grading import Report
from coaching.roleplay.scenarios import DEFAULT_SCENARIO, Scenario
from db.models import AssessmentResult, Drill, DrillTurn
from db.models.coaching import DrillStatus


@dataclass(frozen=True)
class DrillView:
    id: int
    employee_id: int
    scenario_id: str
    status: str
    offline: bool
    turn_limit: int
    turns_taken: int
    awaiting_reply: bool
    summary: str
    summary_upto: int
    outcome: str


@dataclass(frozen=True)
class Turn:
    seq: int
    speaker: str
    text: str
    violations: list[dict[str, Any]]


def _view(d: Drill) -> DrillView:
    return DrillView(
        d.id,
        d.employee_id,
        d.scenario_id,
        d.status,
        d.offline,
        d.turn_limit,
        d.turns_taken,
        d.awaiting_reply,
        d.summary,
        d.summary_upto,
        d.outcome,
    )


def start(
    s: Session,
    employee_id: int,
    scenario: Scenario,
    now: datetime,
    *,
    offline: bool,
    turn_limit: int,
) -> DrillView:
    """A new drill with the debtor's opening line; an unfinished one is abandoned."""
    for old in s.execute(
        select(Drill).where(Drill.employee_id == employee_id, Drill.status == DrillStatus.ACTIVE)
    ).scalars():
        old.status = DrillStatus.DONE
        old.outcome = "abandoned"
        old.ended_at = now
    d = Drill(
        employee_id=employee_id,
        scenario_id=scenario.id,
        competency=scenario.competency,
        status=DrillStatus.ACTIVE,
        offline=offline,
        turn_limit=turn_limit,
        started_at=now,
    )
    s.add(d)
    s.flush()
    s.add(DrillTurn(drill_id=d.id, seq=1, speaker="debtor", text=scenario.script.opening, at=now))
    s.flush()
    return _view(d)


def get(s: Session, drill_id: int, employee_id: int) -> DrillView | None:
    """The drill if it belongs to `employee_id` (a collector sees only their own drills)."""
    d = s.get(Drill, drill_id)
    if d is None or d.employee_id != employee_id:
        return None
    return _view(d)


def current(s: Session, employee_id: int) -> DrillView | None:
    """The caller's drill in progress (talking, or waiting for its report)."""
    d = s.execute(
        select(Drill)
        .where(
            Drill.employee_id == employee_id,
            Drill.status.in_([DrillStatus.ACTIVE, DrillStatus.GRADING]),
        )
        .order_by(Drill.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return _view(d) if d else None


def turns(s: Session, drill_id: int) -> list[Turn]:
    rows = s.execute(
        select(DrillTurn).where(DrillTurn.drill_id == drill_id).order_by(DrillTurn.seq)
    ).scalars()
    return [Turn(r.seq, r.speaker, r.text, list(r.violations or [])) for r in rows]


def add_turn(
    s: Session,
    drill_id: int,
    speaker: str,
    text: str,
    now: datetime,
    violations: list[dict[str, Any]] | None = None,
    seq: int | None = None,
) -> int:
    """Store a line (redacted); a collector line counts as a turn and awaits the reply.
    `seq` saves a query when the caller knows the drill's last line."""
    d = s.get(Drill, drill_id)
    assert d is not None
    if seq is None:
        last = s.execute(select(func.max(DrillTurn.seq)).where(DrillTurn.drill_id == drill_id))
        seq = (last.scalar() or 0) + 1
    s.add(
        DrillTurn(
            drill_id=drill_id,
            seq=seq,
            speaker=speaker,
            text=redact(text)[:2000],
            violations=violations or [],
            at=now,
        )
    )
    if speaker == "collector":
        d.turns_taken += 1
        d.awaiting_reply = True
    else:
        d.awaiting_reply = False
    s.flush()
    return seq


@dataclass(frozen=True)
class Taken:
    """A collector line taken by the caller's drill in progress."""

    drill: DrillView  # after the line was stored
    turns: list[Turn]
    seq: int
    violations: list[dict[str, Any]]


def take_collector_line(
    s: Session,
    employee_id: int,
    text: str,
    check: Callable[[DrillView], list[dict[str, Any]]],
    now: datetime,
) -> Taken | DrillView | None:
    """One transaction per collector turn: find the caller's drill, run the rule check on the
    (redacted) line, store it, and return the state the debtor's reply needs. Returns the
    drill unchanged when it is waiting for its report, None when there is no drill."""
    drill = current(s, employee_id)
    if drill is None or drill.status != DrillStatus.ACTIVE:
        return drill
    lines = turns(s, drill.id)
    found = check(drill)
    seq = add_turn(s, drill.id, "collector", text, now, found, seq=lines[-1].seq + 1)
    d = s.get(Drill, drill.id)
    assert d is not None
    stored = Turn(seq, "collector", redact(text)[:2000], found)
    return Taken(_view(d), [*lines, stored], seq, found)


def snapshot(s: Session, drill_id: int, employee_id: int) -> tuple[DrillView, list[Turn]] | None:
    """The drill and its lines in one transaction (None when it is not the caller's)."""
    view = get(s, drill_id, employee_id)
    return None if view is None else (view, turns(s, drill_id))


def record_reply(
    s: Session, drill_id: int, text: str, ended: str, now: datetime, seq: int | None = None
) -> str:
    """Store the debtor's line; end the drill on `ended` or at the turn limit. Returns how it
    ended ("" while it goes on)."""
    add_turn(s, drill_id, "debtor", text, now, seq=seq)
    d = s.get(Drill, drill_id)
    assert d is not None
    if not ended and d.turns_taken >= d.turn_limit:
        ended = "turn_limit"
    if ended:
        end(s, drill_id, ended, now)
    return ended


def add_violations(s: Session, drill_id: int, seq: int, extra: list[dict[str, Any]]) -> None:
    t = s.execute(
        select(DrillTurn).where(DrillTurn.drill_id == drill_id, DrillTurn.seq == seq)
    ).scalar_one()
    t.violations = [*(t.violations or []), *extra]


def set_summary(s: Session, drill_id: int, summary: str, upto: int) -> None:
    d = s.get(Drill, drill_id)
    assert d is not None
    d.summary, d.summary_upto = redact(summary)[:1000], upto


def end(s: Session, drill_id: int, outcome: str, now: datetime) -> None:
    d = s.get(Drill, drill_id)
    assert d is not None
    if d.status == DrillStatus.ACTIVE:
        d.status = DrillStatus.GRADING
        d.outcome = outcome
        d.ended_at = now
        d.awaiting_reply = False


def save_report(s: Session, drill_id: int, report: Report, now: datetime) -> None:
    """Store the report and the shared `AssessmentResult` (scoring and training read it)."""
    d = s.get(Drill, drill_id)
    assert d is not None
    d.report = report.to_dict()
    d.graded_by = report.graded_by
    d.total = report.total
    d.passed = report.passed
    d.failed_reason = report.failed_reason
    d.status = DrillStatus.DONE
    ref = f"drill:{d.id}"
    row = s.execute(
        select(AssessmentResult).where(
            AssessmentResult.source == "drill", AssessmentResult.ref == ref
        )
    ).scalar_one_or_none()
    if row is None:
        row = AssessmentResult(employee_id=d.employee_id, source="drill", ref=ref)
        s.add(row)
    row.competency = d.competency
    row.score = report.total
    row.passed = report.passed
    row.at = now
    s.flush()


def report_of(s: Session, drill_id: int) -> dict[str, Any] | None:
    d = s.get(Drill, drill_id)
    if d is None or d.report is None:
        return None
    return {
        **d.report,
        "total": d.total,
        "passed": d.passed,
        "failed_reason": d.failed_reason,
        "graded_by": d.graded_by,
        "scenario_id": d.scenario_id,
        "outcome": d.outcome,
    }


def weakest_competencies(s: Session, employee_id: int) -> list[str]:
    """Assessed competencies, weakest first: the one definition (coaching.competency)."""
    return competency.weakest(s, employee_id)


def suggest(s: Session, employee_id: int, scenarios: dict[str, Scenario]) -> Scenario:
    """The scenario for the trainee's weakest competency (easiest first), or the default."""
    for comp in weakest_competencies(s, employee_id):
        matching = sorted(
            (sc for sc in scenarios.values() if sc.competency == comp),
            key=lambda sc: (sc.difficulty, sc.id),
        )
        if matching:
            return matching[0]
    return scenarios.get(DEFAULT_SCENARIO) or next(iter(scenarios.values()))


def criteria_averages(s: Session, employee_id: int, limit: int = 10) -> dict[str, float]:
    """Average per grading criterion over the collector's last `limit` graded drills."""
    reports = s.execute(
        select(Drill.report)
        .where(Drill.employee_id == employee_id, Drill.report.is_not(None))
        .order_by(Drill.id.desc())
        .limit(limit)
    ).scalars()
    sums: dict[str, list[float]] = {}
    for rep in reports:
        for name, c in (rep or {}).get("criteria", {}).items():
            sums.setdefault(name, []).append(float(c["score"]))
    return {k: round(sum(v) / len(v), 1) for k, v in sums.items()}
