"""Build daily time-block plans from each collector's own open cases.

Everything is set-based: one query for the cases of a whole chunk of collectors, one for
their call history (aggregated per case in SQL), one for open promises, then the cases are
dealt into blocks in Python. Building the plans of 500 collectors costs the same handful of
queries as building one.

Selectors (a case lands in the first block, by `priority`, whose selector takes it):

- promises     an open promise to pay due by the plan day, or within `promise_days_ahead`
               days after it (the domain's 09:00 fund-raising check);
- target       the case is flagged as a target case (`Case.is_target`);
- evening      no answered call before `evening_after` (18:00) in the history window, and
               either an answered call after it or at least `evening_min_attempts` unanswered
               work-hour attempts;
- contactable  an answered call (contacted / RPC / promise) within `contactable_days`, and the
               latest attempt was answered;
- second_pass  an answered call within `contactable_days`, but the latest attempt went
               unanswered (at 08:40 that is yesterday's miss; rebuilt at the 13:30 nudge it is
               this morning's);
- small        instalment cases and cases owing less than `small_amount`;
- rotation     everything else, least recently called first.

No debtor data is read or returned: a case is its reference, amount, days overdue and bucket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.plans.config import DayPlan
from db.models import (
    Call,
    Case,
    Employee,
    PromiseToPay,
)
from db.sql import in_ids

ANSWERED = ("contacted", "rpc", "promise")
CHUNK = 500


@dataclass(frozen=True)
class CaseLine:
    case_ref: str
    amount: float
    days_overdue: int
    bucket: str
    last_contact: str | None  # branch-local "MM-DD HH:MM" of the last answered call
    last_call: str | None
    promise_amount: float | None
    promise_due: str | None  # ISO date
    currency: str = "CNY"  # the branch's (amounts are shown in it)

    def as_dict(self) -> dict[str, Any]:  # dataclasses.asdict is slow in the fan-out
        return {
            "case_ref": self.case_ref,
            "amount": self.amount,
            "days_overdue": self.days_overdue,
            "bucket": self.bucket,
            "last_contact": self.last_contact,
            "last_call": self.last_call,
            "promise_amount": self.promise_amount,
            "promise_due": self.promise_due,
            "currency": self.currency,
        }


@dataclass
class BlockPlan:
    id: str
    selector: str
    start: str
    end: str
    count: int = 0
    cases: list[CaseLine] = field(default_factory=list)


@dataclass
class Plan:
    employee_id: int
    employee_no: str
    name: str
    locale: str
    branch_code: str
    day: date
    blocks: list[BlockPlan]

    @property
    def total(self) -> int:
        return sum(b.count for b in self.blocks)

    @property
    def date(self) -> str:  # the templates' name for the day
        return self.day.isoformat()

    def to_dict(self, top: int | None = None) -> dict[str, Any]:
        """The plan as sent: every block's count and its first `top` cases."""
        return {
            "employee_no": self.employee_no,
            "branch": self.branch_code,
            "date": self.day.isoformat(),
            "total": self.total,
            "blocks": [
                {
                    "id": b.id,
                    "selector": b.selector,
                    "start": b.start,
                    "end": b.end,
                    "count": b.count,
                    "cases": [c.as_dict() for c in (b.cases if top is None else b.cases[:top])],
                }
                for b in self.blocks
            ],
        }


@dataclass(frozen=True)
class Recipient:
    employee_id: int
    employee_no: str
    name: str
    locale: str
    chat_id: int


# --- building --------------------------------------------------------------------------------


def _local_hhmm(s: Session, col: Any, tz: str, day: date) -> ColumnElement[str]:
    """Branch-local 'HH:MM' of a UTC timestamp column, on either database."""
    if s.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(tz, func.timezone("UTC", col)), "HH24:MI")
    # SQLite: the zone's offset on the plan day (Asia zones have no DST; good enough elsewhere).
    off = ZoneInfo(tz).utcoffset(datetime.combine(day, time(12)))
    minutes = int(off.total_seconds() // 60) if off else 0
    return func.strftime("%H:%M", col, f"{minutes:+d} minutes")


@dataclass
class _Facts:
    id: int
    collector_id: int
    case_ref: str
    amount: Decimal
    days_overdue: int
    bucket: str
    is_instalment: bool
    is_target: bool
    last_call: datetime | None = None
    last_answered: datetime | None = None
    answered_work: int = 0
    answered_evening: int = 0
    unanswered_work: int = 0
    promise_amount: Decimal | None = None
    promise_due: date | None = None


def _facts(
    s: Session,
    collector_ids: Sequence[int],
    branch: BranchInfo,
    day: date,
    now: datetime,
    cfg: DayPlan,
) -> list[_Facts]:
    # Core, not Session.execute: plain rows, without the ORM's per-row loading (the fan-out reads
    # a chunk's thousands of cases).
    conn = s.connection()
    rows = conn.execute(
        select(
            Case.id,
            Case.collector_id,
            Case.case_ref,
            Case.amount_owed,
            Case.days_overdue,
            Case.bucket,
            Case.is_instalment,
            Case.is_target,
        ).where(in_ids(s, Case.collector_id, collector_ids), Case.closed_on.is_(None))
    ).all()
    facts = {r[0]: _Facts(*r) for r in rows}
    if not facts:
        return []
    open_cases = (
        select(Case.id)
        .where(in_ids(s, Case.collector_id, collector_ids), Case.closed_on.is_(None))
        .scalar_subquery()
    )
    answered = Call.outcome.in_(ANSWERED)
    hhmm = _local_hhmm(s, Call.started_at, branch.timezone, day)
    evening = hhmm >= cfg.evening_after.strftime("%H:%M")
    since = now - timedelta(days=cfg.history_days)
    agg = conn.execute(
        select(
            Call.case_id,
            func.max(Call.started_at),
            func.max(case((answered, Call.started_at), else_=None)),
            func.sum(case((and_(answered, ~evening), 1), else_=0)),
            func.sum(case((and_(answered, evening), 1), else_=0)),
            func.sum(case((and_(~answered, ~evening), 1), else_=0)),
        )
        .where(Call.case_id.in_(open_cases), Call.started_at >= since, Call.started_at <= now)
        .group_by(Call.case_id)
    ).all()
    col = Call.__table__.c.started_at
    for case_id, last, last_ans, a_work, a_eve, u_work in agg:
        f = facts.get(case_id)
        if f is None:
            continue
        f.last_call = col.type.process_result_value(last, None) if last is not None else None
        f.last_answered = (
            col.type.process_result_value(last_ans, None) if last_ans is not None else None
        )
        f.answered_work, f.answered_evening, f.unanswered_work = (
            int(a_work or 0),
            int(a_eve or 0),
            int(u_work or 0),
        )
    proms = conn.execute(
        select(PromiseToPay.case_id, PromiseToPay.amount, PromiseToPay.due_date)
        .where(PromiseToPay.case_id.in_(open_cases), PromiseToPay.status == "open")
        .order_by(PromiseToPay.case_id, PromiseToPay.due_date, PromiseToPay.id)
    ).all()
    for case_id, amount, due in proms:
        f = facts.get(case_id)
        if f is not None and f.promise_due is None:  # the earliest-due open promise
            f.promise_amount, f.promise_due = amount, due
    return list(facts.values())


def _classifier(
    order: Sequence[Any], day: date, recent: datetime, small: Decimal, cfg: DayPlan
) -> Callable[[_Facts], str | None]:
    """f -> the id of the first block (by priority) whose selector takes the case, or None.
    One call per case: the fan-out classifies a chunk's thousands of cases."""
    ahead = day + timedelta(days=cfg.promise_days_ahead)
    min_attempts = cfg.evening_min_attempts
    sels = [(b.selector, b.id) for b in order]

    def block_of(f: _Facts) -> str | None:
        contacted = f.last_answered is not None and f.last_answered >= recent
        missed_last = contacted and f.last_call is not None and f.last_call > f.last_answered  # type: ignore[operator]
        for sel, bid in sels:
            if sel == "promises":
                # The domain's 09:00 block: every open promise due by the plan day (or
                # overdue), and those due in the next `promise_days_ahead` days to check how
                # fund-raising is going.
                hit = f.promise_due is not None and f.promise_due <= ahead
            elif sel == "target":
                hit = f.is_target
            elif sel == "evening":
                hit = f.answered_work == 0 and (
                    f.answered_evening > 0 or f.unanswered_work >= min_attempts
                )
            elif sel == "contactable":
                hit = contacted and not missed_last
            elif sel == "second_pass":
                hit = missed_last
            elif sel == "small":
                hit = f.is_instalment or f.amount < small
            else:
                hit = sel == "rotation"
            if hit:
                return bid
        return None

    return block_of


_FAR = datetime(1970, 1, 1, tzinfo=UTC)


def _by_promise(f: _Facts) -> tuple[Any, ...]:
    return (f.promise_due, -f.amount, f.case_ref)


def _by_last_call(f: _Facts) -> tuple[Any, ...]:
    return (f.last_call or _FAR, -f.amount, f.case_ref)


def _by_amount(f: _Facts) -> tuple[Any, ...]:
    return (-f.amount, f.case_ref)


def _sort_key(sel: str) -> Callable[[_Facts], tuple[Any, ...]]:
    if sel == "promises":
        return _by_promise
    if sel in ("rotation", "second_pass"):
        return _by_last_call
    return _by_amount


def _line(f: _Facts, tz: ZoneInfo, currency: str) -> CaseLine:
    def loc(at: datetime | None) -> str | None:
        return at.astimezone(tz).strftime("%m-%d %H:%M") if at else None

    return CaseLine(
        case_ref=f.case_ref,
        amount=float(f.amount),
        days_overdue=f.days_overdue,
        bucket=f.bucket,
        last_contact=loc(f.last_answered),
        last_call=loc(f.last_call),
        promise_amount=float(f.promise_amount) if f.promise_amount is not None else None,
        promise_due=f.promise_due.isoformat() if f.promise_due else None,
        currency=currency,
    )


def build_plans(
    s: Session,
    people: Iterable[Recipient],
    branch: BranchInfo,
    day: date,
    now: datetime,
    cfg: DayPlan,
    *,
    keep: int | None = None,
) -> list[Plan]:
    """Plans for many collectors of one branch, a few queries per chunk of 500.

    `keep` limits the case lines kept per block (counts stay exact); None keeps all."""
    people = list(people)
    tz = branch.tz
    recent = now - timedelta(days=cfg.contactable_days)
    small = Decimal(str(cfg.small_amount))
    block_of = _classifier(cfg.by_priority, day, recent, small, cfg)
    cur = branch_currency(s, branch.id)
    # Per block, once per call rather than once per person (the fan-out builds thousands).
    spans = [
        (blk.id, blk.selector, blk.start.strftime("%H:%M"), blk.end.strftime("%H:%M"))
        for blk in cfg.by_time
    ]
    keys = {blk.id: _sort_key(blk.selector) for blk in cfg.by_time}
    out: list[Plan] = []
    for i in range(0, len(people), CHUNK):
        chunk = people[i : i + CHUNK]
        per: dict[int, dict[str, list[_Facts]]] = {}
        for f in _facts(s, [p.employee_id for p in chunk], branch, day, now, cfg):
            bid = block_of(f)
            if bid is not None:
                mine = per.get(f.collector_id)
                if mine is None:
                    mine = per[f.collector_id] = {}
                fs = mine.get(bid)
                if fs is None:
                    mine[bid] = [f]
                else:
                    fs.append(f)
        for p in chunk:
            mine = per.get(p.employee_id, {})
            blocks = []
            for bid, sel, start, end in spans:
                fs = mine.get(bid)
                if not fs:
                    blocks.append(BlockPlan(bid, sel, start, end, 0, []))
                    continue
                if len(fs) > 1:
                    fs.sort(key=keys[bid])
                kept = fs if keep is None else fs[:keep]
                lines = [_line(f, tz, cur) for f in kept]
                blocks.append(BlockPlan(bid, sel, start, end, len(fs), lines))
            out.append(
                Plan(p.employee_id, p.employee_no, p.name, p.locale, branch.code, day, blocks)
            )
    return out


def plan_for(
    s: Session, employee_id: int, branch: BranchInfo, day: date, now: datetime, cfg: DayPlan
) -> Plan | None:
    """One collector's plan, whatever their binding or leave (for /plan and the CLI)."""
    emp = s.get(Employee, employee_id)
    if emp is None:
        return None
    binding = emp.binding
    who = Recipient(
        emp.id, emp.employee_no, emp.name, emp.effective_locale, binding.chat_id if binding else 0
    )
    return build_plans(s, [who], branch, day, now, cfg)[0]


def branch_currency(s: Session, branch_id: int) -> str:
    from db.models import Branch

    return s.execute(select(Branch.currency).where(Branch.id == branch_id)).scalar() or "CNY"
