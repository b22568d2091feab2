"""Cases: the collector's queue (debtor identifiers hashed here, never stored raw)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from coaching.ingest.kinds.base import (
    CASE_REF,
    COLLECTOR,
    Bucket,
    Col,
    Day,
    Flag,
    Kind,
    Money,
    Problem,
    Ref,
    Refs,
    Row,
    Text,
    _opt,
)
from db.models.work import (
    Case,
    bucket_for,
)


class CaseRow(Row):
    case_ref: Ref
    collector: Ref | None = None
    debtor_id: Annotated[str, Field(max_length=64)] | None = None
    debtor_phone: Annotated[str, Field(max_length=32)] | None = None
    debtor_name: Annotated[str, Field(max_length=100)] | None = None
    amount_owed: Money
    days_overdue: Annotated[int, Field(ge=0, le=100000)]
    bucket: Bucket | None = None
    product: Text = ""
    is_instalment: Flag = False
    is_target: Flag = False
    region: Text = ""
    assigned_on: Day
    closed_on: Day | None = None


def _debtor(refs: Refs, *values: str | None) -> str | None:
    for v in values:
        if v:
            return refs.debtor(v)
    return None


def resolve_case(r: CaseRow, refs: Refs) -> tuple[Any, ...]:
    collector_id = refs.employee("collector", r.collector).id if r.collector else None
    key = _debtor(refs, r.debtor_id, r.debtor_phone, r.debtor_name)
    if key is None:
        raise Problem("debtor_id", "give at least one of debtor_id, debtor_phone, debtor_name")
    if r.closed_on is not None and r.closed_on < r.assigned_on:
        raise Problem("closed_on", "closed before it was assigned")
    return (
        r.case_ref,
        collector_id,
        key,
        r.amount_owed,
        r.days_overdue,
        r.bucket or bucket_for(r.days_overdue),
        r.product,
        r.is_instalment,
        r.is_target,
        r.region,
        r.assigned_on,
        r.closed_on,
    )


CASES = Kind(
    name="cases",
    title="案件 cases",
    table=Case.__table__,  # type: ignore[arg-type]
    columns=(
        CASE_REF,
        _opt(COLLECTOR, "Employee number of the assigned collector; empty = unassigned."),
        Col(
            "debtor_id",
            ("证件号", "身份证号", "证件号码", "债务人标识"),
            "text (PII)",
            False,
            "110101199003071234",
            "Debtor ID number or the system's debtor id. Hashed before storage.",
            ("id_number", "debtor"),
            pii=True,
        ),
        Col(
            "debtor_phone",
            ("手机号", "电话", "联系电话", "债务人电话"),
            "text (PII)",
            False,
            "13800138000",
            "Debtor phone; hashed. Used when debtor_id is empty.",
            ("phone",),
            pii=True,
        ),
        Col(
            "debtor_name",
            ("债务人姓名", "客户姓名", "姓名"),
            "text (PII)",
            False,
            "张三",
            "Debtor name; hashed. Used only when there is no ID or phone.",
            ("name",),
            pii=True,
        ),
        Col(
            "amount_owed", ("委案金额", "欠款金额"), "amount ≥ 0", True, "12500.00", "Amount owed."
        ),
        Col("days_overdue", ("逾期天数",), "integer ≥ 0", True, "45", "Days overdue."),
        Col(
            "bucket",
            ("账龄", "逾期阶段"),
            "M1…M5, M6+",
            False,
            "M2",
            "Overdue bucket; derived from days_overdue when empty.",
        ),
        Col("product", ("产品", "产品名称"), "text ≤ 64", False, "信用卡", "Product."),
        Col(
            "is_instalment",
            ("分期", "是否分期"),
            "yes/no",
            False,
            "是",
            "Instalment case.",
            ("instalment",),
        ),
        Col(
            "is_target",
            ("重点案件", "是否重点"),
            "yes/no",
            False,
            "否",
            "Target case picked by the lead.",
        ),
        Col("region", ("地区", "区域"), "text ≤ 64", False, "上海", "Debtor region."),
        Col("assigned_on", ("委案日期", "分案日期"), "date", True, "2026-03-01", "Assigned on."),
        Col("closed_on", ("结案日期",), "date", False, "", "Closed on (empty while open)."),
    ),
    model=CaseRow,
    db_columns=(
        "case_ref",
        "collector_id",
        "debtor_key",
        "amount_owed",
        "days_overdue",
        "bucket",
        "product",
        "is_instalment",
        "is_target",
        "region",
        "assigned_on",
        "closed_on",
    ),
    natural_key=("case_ref",),
    sources={
        "collector_id": ("collector",),
        "debtor_key": ("debtor_id", "debtor_phone", "debtor_name"),
        "amount_owed": ("amount_owed",),
        "days_overdue": ("days_overdue",),
        "bucket": ("bucket", "days_overdue"),
        "product": ("product",),
        "is_instalment": ("is_instalment",),
        "is_target": ("is_target",),
        "region": ("region",),
        "assigned_on": ("assigned_on",),
        "closed_on": ("closed_on",),
    },
    resolve=resolve_case,
)

# calls ----------------------------------------------------------------------------------------
