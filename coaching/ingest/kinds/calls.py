"""Calls: one row per call attempt, timed in the branch's zone."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from pydantic import Field

from coaching.ingest.kinds.base import (
    CASE_REF,
    COLLECTOR,
    SOURCE_REF,
    Col,
    Kind,
    LocalDT,
    Outcome,
    Ref,
    Refs,
    Row,
    _opt,
    case_and_collector,
)
from db.models.work import (
    Call,
)


class CallRow(Row):
    call_ref: Ref
    case_ref: Ref
    collector: Ref | None = None
    debtor_ref: Annotated[str, Field(max_length=64)] | None = None
    debtor: Annotated[str, Field(max_length=64)] | None = None
    started_at: LocalDT
    duration_s: Annotated[int, Field(ge=0, le=86400)]
    outcome: Outcome


def resolve_call(r: CallRow, refs: Refs) -> tuple[Any, ...]:
    case, emp = case_and_collector(r, refs)
    if r.debtor_ref:
        key = refs.debtor(f"{SOURCE_REF}{r.debtor_ref}")
    else:
        key = refs.debtor(r.debtor) if r.debtor else case.debtor_key
    local = r.started_at
    if local.tzinfo is None:  # branch-local wall time, the usual case
        local = local.replace(tzinfo=emp.tz)
        started = local.astimezone(UTC)
    else:
        started = local.astimezone(UTC)
        local = started.astimezone(emp.tz)
    refs.call_days.add((emp.branch_id, local.date()))
    return (r.call_ref, case.id, emp.id, key, started, r.duration_s, r.outcome)


CALLS = Kind(
    name="calls",
    title="通话记录 calls",
    table=Call.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "call_ref",
            ("通话编号", "通话ID", "呼叫编号"),
            "text ≤ 64",
            True,
            "CALL-0000001",
            "Call id in the dialler.",
            ("call_id",),
        ),
        CASE_REF,
        _opt(COLLECTOR, "Collector's employee number; default: the case's collector."),
        Col(
            "debtor_ref",
            ("债务人编号", "客户编号", "客户号", "债务人ID"),
            "text (PII)",
            False,
            "D-000123",
            "The source system's debtor id; hashed. Preferred over `debtor`.",
            ("debtor_no", "customer_id", "customer_no"),
            pii=True,
        ),
        Col(
            "debtor",
            ("被叫号码", "债务人标识", "联系电话", "手机号"),
            "text (PII)",
            False,
            "13800138000",
            "Number dialled or debtor ID; hashed. Default: the case's debtor.",
            ("debtor_phone", "phone", "number"),
            pii=True,
        ),
        Col(
            "started_at",
            ("开始时间", "呼叫时间", "拨打时间"),
            "date-time",
            True,
            "2026-03-02 09:15:00",
            "Start; local time of the collector's branch unless an offset is given.",
            ("start", "call_time"),
        ),
        Col(
            "duration_s",
            ("通话时长", "时长(秒)", "通话时长(秒)"),
            "integer seconds 0…86400",
            True,
            "95",
            "Duration in seconds.",
            ("duration",),
        ),
        Col(
            "outcome",
            ("通话结果", "结果"),
            "no_answer / contacted / rpc / promise",
            True,
            "rpc",
            "未接通 / 已接通 / 本人接通 / 承诺还款 are accepted too.",
            ("result",),
        ),
    ),
    model=CallRow,
    db_columns=(
        "call_ref",
        "case_id",
        "collector_id",
        "debtor_key",
        "started_at",
        "duration_s",
        "outcome",
    ),
    natural_key=("call_ref",),
    sources={
        "case_id": ("case_ref",),
        "collector_id": ("collector", "case_ref"),
        "debtor_key": ("debtor_ref", "debtor", "case_ref"),
        "started_at": ("started_at",),
        "duration_s": ("duration_s",),
        "outcome": ("outcome",),
    },
    resolve=resolve_call,
    needs=frozenset({"employees", "cases"}),
)

# promises -------------------------------------------------------------------------------------
