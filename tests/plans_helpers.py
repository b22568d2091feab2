"""Builders for plan tests: crafted case queues with calls and promises."""

from __future__ import annotations

import itertools
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db.models import Call, Case, Employee, PromiseToPay
from db.models.work import bucket_for

_n = itertools.count(1)


def case(
    s: Session,
    owner: Employee,
    ref: str,
    amount: int = 50_000,
    *,
    dpd: int = 40,
    target: bool = False,
    instalment: bool = False,
    closed: date | None = None,
) -> Case:
    c = Case(
        case_ref=ref,
        collector_id=owner.id,
        debtor_key=f"k{next(_n):060d}",
        amount_owed=Decimal(amount),
        days_overdue=dpd,
        bucket=bucket_for(dpd),
        is_target=target,
        is_instalment=instalment,
        assigned_on=date(2026, 1, 5),
        closed_on=closed,
    )
    s.add(c)
    s.flush()
    return c


def call(s: Session, c: Case, local: str, outcome: str, tz: str = "Asia/Shanghai") -> Call:
    at = datetime.fromisoformat(local)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(tz))
    row = Call(
        call_ref=f"CALL{next(_n):09d}",
        case_id=c.id,
        collector_id=c.collector_id,
        debtor_key=c.debtor_key,
        started_at=at,
        duration_s=0 if outcome == "no_answer" else 120,
        outcome=outcome,
    )
    s.add(row)
    s.flush()
    return row


def promise(
    s: Session, c: Case, due: date, amount: int = 2_000, status: str = "open"
) -> PromiseToPay:
    p = PromiseToPay(
        case_id=c.id,
        collector_id=c.collector_id,
        amount=Decimal(amount),
        promised_on=date(2026, 2, 20),
        due_date=due,
        status=status,
    )
    s.add(p)
    s.flush()
    return p
