"""Complaints and QA findings (QA notes redacted at ingest)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from coaching.ingest.kinds.base import (
    CASE_REF,
    COLLECTOR,
    Col,
    Kind,
    LocalDT,
    Problem,
    Ref,
    Refs,
    Row,
    Sev,
    Text,
    _opt,
    collector_and_case_id,
    to_utc,
)
from coaching.redact import redact
from db.models.work import (
    Complaint,
    QaFinding,
)


class ComplaintRow(Row):
    ref: Ref
    collector: Ref
    case_ref: Ref | None = None
    received_at: LocalDT
    category: Text = ""


def resolve_complaint(r: ComplaintRow, refs: Refs) -> tuple[Any, ...]:
    emp, case_id = collector_and_case_id(r, refs)
    return (r.ref, emp.id, case_id, to_utc(r.received_at, emp.tz), r.category)


COMPLAINTS = Kind(
    name="complaints",
    title="投诉 complaints",
    table=Complaint.__table__,  # type: ignore[arg-type]
    columns=(
        Col("ref", ("投诉编号", "工单号"), "text ≤ 64", True, "CMP-0001", "Complaint reference."),
        COLLECTOR,
        _opt(CASE_REF, "The case complained about (optional; must exist if given)."),
        Col(
            "received_at",
            ("投诉时间", "受理时间"),
            "date-time",
            True,
            "2026-03-02 10:00",
            "When received; branch-local unless an offset is given.",
        ),
        Col(
            "category",
            ("投诉类别", "类别", "投诉类型"),
            "text ≤ 64",
            False,
            "态度问题",
            "Category.",
        ),
    ),
    model=ComplaintRow,
    db_columns=("ref", "collector_id", "case_id", "received_at", "category"),
    natural_key=("ref",),
    sources={
        "collector_id": ("collector",),
        "case_id": ("case_ref",),
        "received_at": ("received_at",),
        "category": ("category",),
    },
    resolve=resolve_complaint,
    needs=frozenset({"employees", "cases"}),
)

# QA findings ----------------------------------------------------------------------------------


class QaRow(Row):
    ref: Annotated[str, Field(min_length=1, max_length=150)]
    collector: Ref
    case_ref: Ref | None = None
    rule: Text
    severity: Sev
    note: Annotated[str, Field(max_length=500)] = ""
    source: Annotated[str, Field(max_length=8)] = "qa"
    found_at: LocalDT


def resolve_qa(r: QaRow, refs: Refs) -> tuple[Any, ...]:
    if r.ref.lower().startswith("auto:"):
        raise Problem("ref", "references starting with auto: are reserved for automatic findings")
    emp, case_id = collector_and_case_id(r, refs)
    return (
        r.ref,
        emp.id,
        case_id,
        r.rule,
        r.severity,
        redact(r.note)[:500],  # QA notes quote debtors: stored redacted (coaching.redact)
        r.source,
        to_utc(r.found_at, emp.tz),
    )


QA_FINDINGS = Kind(
    name="qa_findings",
    title="质检结果 qa_findings",
    table=QaFinding.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "ref",
            ("质检编号", "质检单号"),
            "text ≤ 150",
            True,
            "QA-2026-0001",
            "QA system reference (stored as finding_key; `auto:` is reserved).",
            ("finding_key", "qa_ref"),
        ),
        COLLECTOR,
        _opt(CASE_REF, "The case (optional; must exist if given)."),
        Col(
            "rule",
            ("违规规则", "规则", "违规项"),
            "text ≤ 64",
            True,
            "threat",
            "Rule broken.",
        ),
        Col(
            "severity",
            ("严重程度", "等级"),
            "minor / major",
            True,
            "major",
            "轻微 / 严重 accepted. A major finding vetoes the period's score.",
        ),
        Col("note", ("备注", "说明"), "text ≤ 500", False, "", "Note (no debtor data, please)."),
        Col("source", ("来源",), "text ≤ 8", False, "qa", "Default qa."),
        Col(
            "found_at",
            ("质检时间", "发现时间"),
            "date-time",
            True,
            "2026-03-02 16:00",
            "When found; branch-local unless an offset is given.",
        ),
    ),
    model=QaRow,
    db_columns=(
        "finding_key",
        "collector_id",
        "case_id",
        "rule",
        "severity",
        "note",
        "source",
        "found_at",
    ),
    natural_key=("finding_key",),
    sources={
        "collector_id": ("collector",),
        "case_id": ("case_ref",),
        "rule": ("rule",),
        "severity": ("severity",),
        "note": ("note",),
        "source": ("source",),
        "found_at": ("found_at",),
    },
    resolve=resolve_qa,
    needs=frozenset({"employees", "cases"}),
)

# leave ----------------------------------------------------------------------------------------
