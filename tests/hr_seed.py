"""Shared builders for the HR tests (not a test module)."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo, branch_info
from coaching.risk.config import RiskConfig, load_config
from coaching.risk.score import population
from coaching.risk.signals import SIGNALS, Query, SignalOutput
from db.models import Branch, Case, Employee, Leave, Repayment

SH = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 3, 2)  # the `clock` fixture's Shanghai date


def cfg(**weights: float) -> RiskConfig:
    """The shipped config, with some weights changed (other signals keep theirs)."""
    c = load_config()
    c = c.model_copy(update={"signals": copy.deepcopy(c.signals)})
    for name, w in weights.items():
        c.signals[name]["weight"] = w
    return c


def only(**weights: float) -> RiskConfig:
    """A config where only the named signals count."""
    c = cfg()
    for name in c.signals:
        c.signals[name]["weight"] = weights.get(name, 0)
    return c


def binfo(s: Session, code: str = "SH") -> BranchInfo:
    return branch_info(s.execute(select(Branch).where(Branch.code == code)).scalar_one())


def run_signal(
    s: Session,
    name: str,
    as_of: date = TODAY,
    *,
    code: str = "SH",
    historical: bool = False,
    **params: Any,
) -> SignalOutput:
    b = binfo(s, code)
    p = {**load_config().signals[name], **params}
    people = population(s, b.id, as_of, historical=historical)
    return SIGNALS[name](Query(s, as_of, b.tz, b.id, b.workdays, people, p, historical=historical))


def leave(s: Session, e: Employee, start: date, days: int, kind: str = "personal") -> None:
    s.add(
        Leave(
            employee_id=e.id, start_date=start, end_date=start + timedelta(days=days - 1), kind=kind
        )
    )
    s.flush()


_n = {"case": 0, "pay": 0}


def pay(s: Session, e: Employee, day: date, amount: float) -> None:
    case = s.execute(select(Case).where(Case.collector_id == e.id)).scalars().first()
    if case is None:
        _n["case"] += 1
        case = Case(
            case_ref=f"T-CASE-{e.id}-{_n['case']}",
            collector_id=e.id,
            debtor_key="k" * 64,
            amount_owed=Decimal(100000),
            days_overdue=40,
            bucket="M2",
            assigned_on=date(2025, 1, 1),
        )
        s.add(case)
        s.flush()
    _n["pay"] += 1
    s.add(
        Repayment(
            ref=f"T-PAY-{e.id}-{day}-{_n['pay']}",
            case_id=case.id,
            collector_id=e.id,
            amount=Decimal(str(amount)),
            paid_at=datetime.combine(day, time(11), SH).astimezone(UTC),
        )
    )
    s.flush()


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), SH).astimezone(UTC)
