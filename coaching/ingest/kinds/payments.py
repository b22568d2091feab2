"""Promises to pay and repayments."""

from __future__ import annotations

from typing import Any

from coaching.ingest.kinds.base import (
    CASE_REF,
    COLLECTOR,
    CaseRef,
    Col,
    Day,
    EmpRef,
    Kind,
    LocalDT,
    Money,
    Problem,
    PStatus,
    Ref,
    Refs,
    Row,
    _opt,
    case_and_collector,
    to_utc,
)
from db.models.work import (
    PromiseToPay,
    Repayment,
)


class PromiseRow(Row):
    case_ref: Ref
    collector: Ref | None = None
    amount: Money
    promised_on: Day
    due_date: Day
    status: PStatus = "open"


def _case_collector(r: Any, refs: Refs, case: CaseRef) -> EmpRef:
    """(Kept for callers of the old name; the rule lives in base.case_and_collector.)"""
    return case_and_collector(r, refs)[1]


def resolve_promise(r: PromiseRow, refs: Refs) -> tuple[Any, ...]:
    case, emp = case_and_collector(r, refs)
    if r.due_date < r.promised_on:
        raise Problem("due_date", "due before the promise was made")
    return (case.id, emp.id, r.amount, r.promised_on, r.due_date, r.status)


PROMISES = Kind(
    name="promises",
    title="承诺还款 promises",
    table=PromiseToPay.__table__,  # type: ignore[arg-type]
    columns=(
        CASE_REF,
        _opt(COLLECTOR, "Collector's employee number; default: the case's collector."),
        Col("amount", ("承诺金额", "金额"), "amount ≥ 0", True, "3000.00", "Amount promised."),
        Col("promised_on", ("承诺日期",), "date", True, "2026-03-02", "Day the promise was made."),
        Col(
            "due_date",
            ("还款日期", "承诺还款日期", "到期日"),
            "date",
            True,
            "2026-03-09",
            "Day payment is due.",
        ),
        Col(
            "status",
            ("状态", "履约状态"),
            "open / kept / broken",
            False,
            "open",
            "未到期 / 已履约 / 已违约 accepted; default open.",
        ),
    ),
    model=PromiseRow,
    db_columns=("case_id", "collector_id", "amount", "promised_on", "due_date", "status"),
    natural_key=("case_id", "promised_on", "due_date"),
    sources={
        "collector_id": ("collector", "case_ref"),
        "amount": ("amount",),
        "status": ("status",),
    },
    resolve=resolve_promise,
    needs=frozenset({"employees", "cases"}),
)

# repayments -----------------------------------------------------------------------------------


class RepaymentRow(Row):
    ref: Ref
    case_ref: Ref
    collector: Ref | None = None
    amount: Money
    paid_at: LocalDT


def resolve_repayment(r: RepaymentRow, refs: Refs) -> tuple[Any, ...]:
    case, emp = case_and_collector(r, refs)
    if r.amount <= 0:
        raise Problem("amount", "must be more than 0")
    return (r.ref, case.id, emp.id, r.amount, to_utc(r.paid_at, emp.tz))


REPAYMENTS = Kind(
    name="repayments",
    title="回款 repayments",
    table=Repayment.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "ref",
            ("回款编号", "流水号", "交易编号"),
            "text ≤ 64",
            True,
            "PAY-000001",
            "Payment reference.",
            ("repayment_ref", "payment_ref"),
        ),
        CASE_REF,
        _opt(COLLECTOR, "Collector credited; default: the case's collector."),
        Col("amount", ("回款金额", "金额"), "amount > 0", True, "1500.00", "Amount paid."),
        Col(
            "paid_at",
            ("回款时间", "还款时间", "到账时间"),
            "date-time",
            True,
            "2026-03-02 14:30",
            "When paid; local time of the collector's branch unless an offset is given.",
        ),
    ),
    model=RepaymentRow,
    db_columns=("ref", "case_id", "collector_id", "amount", "paid_at"),
    natural_key=("ref",),
    sources={
        "case_id": ("case_ref",),
        "collector_id": ("collector", "case_ref"),
        "amount": ("amount",),
        "paid_at": ("paid_at",),
    },
    resolve=resolve_repayment,
    needs=frozenset({"employees", "cases"}),
)

# complaints -----------------------------------------------------------------------------------
