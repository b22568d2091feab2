"""Collection cost per collector and month (feeds the `cost_per_case` score component).

One row per collector and month: what collecting cost (calls, SMS, field visits, …) in the
collector's branch currency. A currency column is optional; when given it must be the
branch's (amounts are never converted). Re-importing a month replaces its amount and note.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from coaching.ingest.fields import YEAR_MAX, YEAR_MIN, parse_money
from coaching.ingest.kinds.base import Col, Kind, Money, Problem, Ref, Refs, Row
from coaching.redact import redact
from db.models.costs import CollectorCost

_MONTH = re.compile(
    r"^(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*月?|(\d{2}))(?:\s*[-/.]\s*(\d{1,2})\s*日?)?$"
)


def parse_month(v: Any) -> date:
    """'2026-03', '2026/3', '2026年3月', '202603', or any date in the month → its first day."""
    if isinstance(v, datetime | date):
        d = v.date() if isinstance(v, datetime) else v
        return d.replace(day=1)
    s = str(v).strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ T].*", s):
        s = s[:10]
    m = _MONTH.match(s)
    if not m:
        raise ValueError("expected a month like 2026-03 (or 2026年3月)")
    year, month = int(m.group(1)), int(m.group(2) or m.group(3))
    if not 1 <= month <= 12:
        raise ValueError("not a real month")
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(f"month out of range ({YEAR_MIN}–{YEAR_MAX})")
    return date(year, month, 1)


# Labels a finance export may use for a currency; matched case-insensitively.
CURRENCY_LABELS = {
    "cny": "CNY",
    "rmb": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "idr": "IDR",
    "rp": "IDR",
    "印尼盾": "IDR",
    "印度尼西亚盾": "IDR",
    "usd": "USD",
    "美元": "USD",
    "$": "USD",
}


def parse_currency(v: Any) -> str:
    s = str(v).strip()
    code = CURRENCY_LABELS.get(s.lower())
    if code is None and re.fullmatch(r"[A-Za-z]{3}", s):
        code = s.upper()
    if code is None:
        raise ValueError("expected a currency code like CNY or IDR")
    return code


def _amount(v: Any) -> Any:
    """Amounts as finance writes them: '¥12,500.00', '12500元', 'Rp 1500000', 'IDR 1500000'."""
    if isinstance(v, str):
        s = v.strip()
        for prefix in ("Rp", "RP", "rp", "IDR", "CNY", "RMB", "USD", "$"):
            if s.startswith(prefix):
                s = s[len(prefix) :].strip()
                break
        return parse_money(s)
    return parse_money(v)


Month = Annotated[date, BeforeValidator(parse_month)]
Currency = Annotated[str, BeforeValidator(parse_currency)]
CostAmount = Annotated[Money, BeforeValidator(_amount)]


class CostRow(Row):
    employee: Ref
    month: Month
    amount: CostAmount
    currency: Currency | None = None
    note: Annotated[str, Field(max_length=200)] = ""


def resolve_cost(r: CostRow, refs: Refs) -> tuple[Any, ...]:
    emp = refs.employee("employee", r.employee)
    branch_currency = refs.currencies.get(emp.branch_id, "CNY")
    if r.currency is not None and r.currency != branch_currency:
        raise Problem(
            "currency",
            f"{r.currency} given, but this employee's branch keeps costs in {branch_currency} "
            "(amounts are not converted)",
        )
    return (emp.id, r.month, r.amount, redact(r.note) if r.note else "")


COSTS = Kind(
    name="costs",
    title="催收成本 costs",
    table=CollectorCost.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "employee",
            ("工号", "员工编号", "催收员工号", "员工工号"),
            "text",
            True,
            "C0001",
            "Employee number of the collector (must exist).",
            ("employee_no", "collector", "collector_no"),
        ),
        Col(
            "month",
            ("月份", "成本月份", "所属月份", "期间"),
            "month",
            True,
            "2026-03",
            "The month the cost belongs to: 2026-03, 2026/3, 2026年3月, 202603 or a date in it.",
            ("period",),
        ),
        Col(
            "amount",
            ("成本", "成本金额", "费用", "费用金额", "金额"),
            "amount ≥ 0",
            True,
            "12500.00",
            "What collecting cost in the month, in the branch currency.",
            ("cost",),
        ),
        Col(
            "currency",
            ("币种", "货币"),
            "CNY / IDR / …",
            False,
            "CNY",
            "Optional; if given it must be the branch's currency (no conversion).",
        ),
        Col("note", ("备注", "说明"), "text ≤ 200", False, "含外访", "Free text."),
    ),
    model=CostRow,
    db_columns=("employee_id", "month", "amount", "note"),
    natural_key=("employee_id", "month"),
    sources={"amount": ("amount",), "note": ("note",)},
    resolve=resolve_cost,
)
