"""Record kinds: their columns (English and Chinese headers), row models and how a validated
row becomes database values (references resolved, debtor identifiers hashed, local date-times
put in the branch's time zone).

Each kind's `resolve(row, refs)` returns one tuple in `db_columns` order or raises `Problem`
naming the column. Debtor identifiers are hashed here, the only place they are ever read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy import Table

from coaching.ingest.fields import (
    enum_parser,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_money,
)
from coaching.privacy import debtor_key
from coaching.redact import redact
from db.models.org import EmployeeStatus, Role
from db.models.work import (
    BUCKETS,
    Call,
    Case,
    Complaint,
    Leave,
    PromiseToPay,
    QaFinding,
    Repayment,
    bucket_for,
)


class Problem(ValueError):
    """A row that cannot be stored: which column and why."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


# --- value types ------------------------------------------------------------------------------

LocalDT = Annotated[datetime, BeforeValidator(parse_datetime)]
Day = Annotated[date, BeforeValidator(parse_date)]
Money = Annotated[
    Decimal, BeforeValidator(parse_money), Field(ge=0, max_digits=14, decimal_places=2)
]
Flag = Annotated[bool, BeforeValidator(parse_bool)]
Ref = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(max_length=64)]

OUTCOMES = {
    "no_answer": "no_answer",
    "noanswer": "no_answer",
    "no answer": "no_answer",
    "未接通": "no_answer",
    "无人接听": "no_answer",
    "contacted": "contacted",
    "已接通": "contacted",
    "接通": "contacted",
    "rpc": "rpc",
    "right_party": "rpc",
    "本人接通": "rpc",
    "本人": "rpc",
    "promise": "promise",
    "ptp": "promise",
    "承诺还款": "promise",
}
PROMISE_STATUS = {
    "open": "open",
    "未到期": "open",
    "待还款": "open",
    "kept": "kept",
    "已履约": "kept",
    "已还款": "kept",
    "broken": "broken",
    "已违约": "broken",
    "违约": "broken",
}
SEVERITY = {"minor": "minor", "轻微": "minor", "一般": "minor", "major": "major", "严重": "major"}
LEAVE_KIND = {
    "annual": "annual",
    "年假": "annual",
    "sick": "sick",
    "病假": "sick",
    "personal": "personal",
    "事假": "personal",
    "maternity": "maternity",
    "产假": "maternity",
    "other": "other",
    "其他": "other",
}
EMP_STATUS = {
    "active": EmployeeStatus.ACTIVE.value,
    "在职": EmployeeStatus.ACTIVE.value,
    "on_leave": EmployeeStatus.ON_LEAVE.value,
    "休假": EmployeeStatus.ON_LEAVE.value,
    "left": EmployeeStatus.LEFT.value,
    "离职": EmployeeStatus.LEFT.value,
}
BUCKET_LABELS = {b: b for b in BUCKETS} | {"M6": "M6+"}

Outcome = Annotated[str, BeforeValidator(enum_parser(OUTCOMES))]
PStatus = Annotated[str, BeforeValidator(enum_parser(PROMISE_STATUS))]
Sev = Annotated[str, BeforeValidator(enum_parser(SEVERITY))]
LeaveKind = Annotated[str, BeforeValidator(enum_parser(LEAVE_KIND))]
EmpStatus = Annotated[str, BeforeValidator(enum_parser(EMP_STATUS))]
Bucket = Annotated[str, BeforeValidator(enum_parser(BUCKET_LABELS))]


class Row(BaseModel):
    """Numbers in text columns (Excel!) become text. Blank cells never reach the model: the
    engine leaves them out, so a blank required cell is "missing" and an optional one takes
    its default."""

    model_config = ConfigDict(coerce_numbers_to_str=True, str_strip_whitespace=True, extra="ignore")


# --- column documentation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    name: str
    zh: tuple[str, ...]
    type: str
    required: bool
    example: str
    doc: str
    aliases: tuple[str, ...] = ()
    pii: bool = False  # a debtor identifier: hashed on the way in, masked in reports


# --- references -------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmpRef:
    id: int
    branch_id: int
    tz: ZoneInfo


@dataclass(frozen=True)
class CaseRef:
    id: int
    collector_id: int | None
    debtor_key: str


@dataclass
class Refs:
    """Lookups loaded once per import, plus what the import touched."""

    secret: str
    default_tz: ZoneInfo
    employees: dict[str, EmpRef] = field(default_factory=dict)
    employees_by_id: dict[int, EmpRef] = field(default_factory=dict)
    cases: dict[str, CaseRef] = field(default_factory=dict)
    branches: dict[str, int] = field(default_factory=dict)
    teams: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (branch_id, local date) of every imported call, for the automatic compliance checks.
    call_days: set[tuple[int, date]] = field(default_factory=set)
    # raw identifier -> key, for this import only (a debtor is called many times).
    _keys: dict[str, str] = field(default_factory=dict)

    def debtor(self, raw: str) -> str:
        key = self._keys.get(raw)
        if key is None:
            if len(self._keys) > 500_000:
                self._keys.clear()
            key = self._keys[raw] = debtor_key(self.secret, raw)
        return key

    def employee(self, column: str, no: str) -> EmpRef:
        e = self.employees.get(no)
        if e is None:
            raise Problem(column, "unknown employee number")
        return e

    def case(self, column: str, ref: str) -> CaseRef:
        c = self.cases.get(ref)
        if c is None:
            raise Problem(column, "unknown case")
        return c

    def tz_for(self, collector_id: int | None) -> ZoneInfo:
        e = self.employees_by_id.get(collector_id) if collector_id is not None else None
        return e.tz if e else self.default_tz


def to_utc(dt: datetime, tz: ZoneInfo) -> datetime:
    """A local date-time (no offset) is in the branch's zone; an explicit offset wins."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return dt.astimezone(UTC)


# --- kinds ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    table: Table | None  # None: stored through the ORM (employees)
    columns: tuple[Col, ...]
    model: type[Row]
    db_columns: tuple[str, ...]
    natural_key: tuple[str, ...]
    # db column -> file columns that feed it; updated on conflict only if one was supplied.
    sources: dict[str, tuple[str, ...]]
    resolve: Callable[[Any, Refs], tuple[Any, ...]]
    needs: frozenset[str] = frozenset({"employees"})

    @property
    def key_index(self) -> tuple[int, ...]:
        return tuple(self.db_columns.index(c) for c in self.natural_key)

    def column(self, name: str) -> Col:
        return next(c for c in self.columns if c.name == name)


COLLECTOR = Col(
    "collector",
    ("催收员工号", "催收员", "工号", "员工编号"),
    "text",
    True,
    "C0001",
    "Employee number of the collector (must exist).",
    ("collector_no", "employee_no", "agent"),
)
CASE_REF = Col(
    "case_ref",
    ("案件编号", "案件号"),
    "text ≤ 64",
    True,
    "CASE-000123",
    "Case reference in the collection system (must exist for everything but cases).",
    ("case", "case_no", "case_id"),
)


def _opt(col: Col, doc: str | None = None) -> Col:
    return Col(col.name, col.zh, col.type, False, col.example, doc or col.doc, col.aliases, col.pii)


# cases ----------------------------------------------------------------------------------------


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


class CallRow(Row):
    call_ref: Ref
    case_ref: Ref
    collector: Ref | None = None
    debtor: Annotated[str, Field(max_length=64)] | None = None
    started_at: LocalDT
    duration_s: Annotated[int, Field(ge=0, le=86400)]
    outcome: Outcome


def resolve_call(r: CallRow, refs: Refs) -> tuple[Any, ...]:
    case = refs.case("case_ref", r.case_ref)
    if r.collector:
        emp = refs.employee("collector", r.collector)
    elif case.collector_id is not None and case.collector_id in refs.employees_by_id:
        emp = refs.employees_by_id[case.collector_id]
    else:
        raise Problem("collector", "required: the case has no collector")
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
        "debtor_key": ("debtor", "case_ref"),
        "started_at": ("started_at",),
        "duration_s": ("duration_s",),
        "outcome": ("outcome",),
    },
    resolve=resolve_call,
    needs=frozenset({"employees", "cases"}),
)

# promises -------------------------------------------------------------------------------------


class PromiseRow(Row):
    case_ref: Ref
    collector: Ref | None = None
    amount: Money
    promised_on: Day
    due_date: Day
    status: PStatus = "open"


def _case_collector(r: Any, refs: Refs, case: CaseRef) -> EmpRef:
    if r.collector:
        return refs.employee("collector", r.collector)
    if case.collector_id is not None and case.collector_id in refs.employees_by_id:
        return refs.employees_by_id[case.collector_id]
    raise Problem("collector", "required: the case has no collector")


def resolve_promise(r: PromiseRow, refs: Refs) -> tuple[Any, ...]:
    case = refs.case("case_ref", r.case_ref)
    emp = _case_collector(r, refs, case)
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
    case = refs.case("case_ref", r.case_ref)
    emp = _case_collector(r, refs, case)
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


class ComplaintRow(Row):
    ref: Ref
    collector: Ref
    case_ref: Ref | None = None
    received_at: LocalDT
    category: Text = ""


def resolve_complaint(r: ComplaintRow, refs: Refs) -> tuple[Any, ...]:
    emp = refs.employee("collector", r.collector)
    case_id = refs.case("case_ref", r.case_ref).id if r.case_ref else None
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
    emp = refs.employee("collector", r.collector)
    case_id = refs.case("case_ref", r.case_ref).id if r.case_ref else None
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


class LeaveRow(Row):
    employee: Ref
    start_date: Day
    end_date: Day
    kind: LeaveKind = "annual"


def resolve_leave(r: LeaveRow, refs: Refs) -> tuple[Any, ...]:
    emp = refs.employee("employee", r.employee)
    if r.end_date < r.start_date:
        raise Problem("end_date", "ends before it starts")
    return (emp.id, r.start_date, r.end_date, r.kind)


LEAVE = Kind(
    name="leave",
    title="请假 leave",
    table=Leave.__table__,  # type: ignore[arg-type]
    columns=(
        Col(
            "employee",
            ("工号", "员工编号", "员工工号"),
            "text",
            True,
            "C0001",
            "Employee number (must exist).",
            ("employee_no",),
        ),
        Col("start_date", ("开始日期", "请假开始"), "date", True, "2026-03-05", "First day."),
        Col("end_date", ("结束日期", "请假结束"), "date", True, "2026-03-06", "Last day."),
        Col(
            "kind",
            ("请假类型", "类型"),
            "annual / sick / personal / maternity / other",
            False,
            "年假",
            "年假 / 病假 / 事假 / 产假 / 其他 accepted; default annual.",
            ("type",),
        ),
    ),
    model=LeaveRow,
    db_columns=("employee_id", "start_date", "end_date", "kind"),
    natural_key=("employee_id", "start_date", "kind"),
    sources={"end_date": ("end_date",)},
    resolve=resolve_leave,
)

# employees (stored through the ORM: roles live in a child table) -------------------------------


class EmployeeRow(Row):
    employee_no: Annotated[str, Field(min_length=1, max_length=32)]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    branch: Ref
    team: Ref | None = None
    roles: Annotated[str, Field(min_length=1)]
    hire_date: Day
    status: EmpStatus = "active"
    left_on: Day | None = None
    locale: Annotated[str, Field(pattern=r"^(zh_CN|en)$")] | None = None


_ROLE_ZH = {
    "催收员": "collector",
    "组长": "team_lead",
    "培训": "trainer",
    "培训师": "trainer",
    "人事": "hr",
    "管理员": "admin",
}
_ROLES = {r.value for r in Role}


def resolve_employee(r: EmployeeRow, refs: Refs) -> tuple[Any, ...]:
    branch_id = refs.branches.get(r.branch)
    if branch_id is None:
        raise Problem("branch", "unknown branch code")
    team_id = None
    if r.team:
        team = refs.teams.get(r.team)
        if team is None:
            raise Problem("team", "unknown team code")
        if team[1] != branch_id:
            raise Problem("team", "team belongs to another branch")
        team_id = team[0]
    roles = []
    for part in r.roles.replace(",", ";").replace("，", ";").replace("、", ";").split(";"):
        p = part.strip()
        if p:
            roles.append(_ROLE_ZH.get(p, p.lower()))
    bad = [x for x in roles if x not in _ROLES]
    if bad or not roles:
        raise Problem("roles", f"use {';'.join(sorted(_ROLES))}")
    if r.left_on is not None and r.left_on < r.hire_date:
        raise Problem("left_on", "left before being hired")
    return (
        r.employee_no,
        r.name,
        branch_id,
        team_id,
        tuple(sorted(set(roles))),
        r.hire_date,
        r.status,
        r.left_on,
        r.locale,
    )


EMPLOYEES = Kind(
    name="employees",
    title="员工 employees",
    table=None,
    columns=(
        Col(
            "employee_no",
            ("工号", "员工编号"),
            "text ≤ 32",
            True,
            "C0001",
            "Employee number (natural key).",
        ),
        Col("name", ("姓名", "员工姓名"), "text ≤ 100", True, "王小明", "Employee name."),
        Col("branch", ("分公司", "分公司代码"), "branch code", True, "SH", "Branch code."),
        Col("team", ("团队", "小组", "团队代码"), "team code", False, "SH-A", "Team code."),
        Col(
            "roles",
            ("角色",),
            "list",
            True,
            "collector;team_lead",
            "collector, team_lead, trainer, hr, admin (催收员, 组长, 培训, 人事), ; separated.",
        ),
        Col("hire_date", ("入职日期",), "date", True, "2025-06-01", "Hire date."),
        Col(
            "status",
            ("状态", "在职状态"),
            "active / on_leave / left",
            False,
            "在职",
            "在职 / 休假 / 离职 accepted; default active.",
        ),
        Col("left_on", ("离职日期",), "date", False, "", "Last day for leavers."),
        Col("locale", ("语言",), "zh_CN / en", False, "zh_CN", "Bot language; default branch's."),
    ),
    model=EmployeeRow,
    db_columns=(
        "employee_no",
        "name",
        "branch_id",
        "team_id",
        "roles",
        "hire_date",
        "status",
        "left_on",
        "locale",
    ),
    natural_key=("employee_no",),
    sources={
        "name": ("name",),
        "branch_id": ("branch",),
        "team_id": ("team",),
        "roles": ("roles",),
        "hire_date": ("hire_date",),
        "status": ("status",),
        "left_on": ("left_on",),
        "locale": ("locale",),
    },
    resolve=resolve_employee,
    needs=frozenset({"branches"}),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (EMPLOYEES, CASES, CALLS, PROMISES, REPAYMENTS, COMPLAINTS, QA_FINDINGS, LEAVE)
}
