"""Shared pieces of the record kinds: row model base, value types, column docs, references."""

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
from coaching.privacy import Keyring, keyring_of
from db.models.org import EmployeeStatus
from db.models.work import (
    BUCKETS,
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


# Prefix of a source-system debtor id before hashing: its key never equals a phone's or an
# ID number's key even when the strings are the same.
SOURCE_REF = "ref:"
# Debtor keys computed per import, cached (a debtor repeats across calls); bounded, because
# several imports run at once in one process (about 110 bytes per entry).
DEBTOR_CACHE = 50_000


@dataclass
class Refs:
    """Lookups loaded once per import, plus what the import touched."""

    secret: str | Keyring  # the PII keyring (a plain key = key id "0")
    default_tz: ZoneInfo
    employees: dict[str, EmpRef] = field(default_factory=dict)
    employees_by_id: dict[int, EmpRef] = field(default_factory=dict)
    # The cases the rows name, looked up a chunk at a time (`prefetch_cases`), never the whole
    # table: with several imports at once in one process, a branch's every case per import
    # was tens of MB each (issue #22). `case_source` answers a miss, None: only `cases`.
    cases: dict[str, CaseRef] = field(default_factory=dict)
    case_source: Callable[[list[str]], dict[str, CaseRef]] | None = None
    branches: dict[str, int] = field(default_factory=dict)
    currencies: dict[int, str] = field(default_factory=dict)  # branch id -> ISO code
    teams: dict[str, tuple[int, int]] = field(default_factory=dict)
    # (branch_id, local date) of every imported call, for the automatic compliance checks.
    call_days: set[tuple[int, date]] = field(default_factory=set)
    # raw identifier -> key, for this import only (a debtor is called many times).
    _keys: dict[str, str] = field(default_factory=dict)
    _no_case: set[str] = field(default_factory=set)

    def debtor(self, raw: str) -> str:
        key = self._keys.get(raw)
        if key is None:
            if len(self._keys) > DEBTOR_CACHE:
                self._keys.clear()
            key = self._keys[raw] = keyring_of(self.secret).key(raw)
        return key

    def employee(self, column: str, no: str) -> EmpRef:
        e = self.employees.get(no)
        if e is None:
            raise Problem(column, "unknown employee number")
        return e

    def prefetch_cases(self, refs: set[str]) -> None:
        """Hold the cases named by the next chunk of rows (and forget the previous chunk's)."""
        if self.case_source is None:
            return
        self.cases = self.case_source(sorted(refs))
        self._no_case = refs - self.cases.keys()

    def case(self, column: str, ref: str) -> CaseRef:
        c = self.cases.get(ref)
        if c is None and self.case_source is not None and ref not in self._no_case:
            c = self.case_source([ref]).get(ref)  # a ref the chunk's prefetch did not see
            if c is not None:
                self.cases[ref] = c
            else:
                self._no_case.add(ref)
        if c is None:
            raise Problem(column, "unknown case")
        return c

    def tz_for(self, collector_id: int | None) -> ZoneInfo:
        e = self.employees_by_id.get(collector_id) if collector_id is not None else None
        return e.tz if e else self.default_tz


# How the kinds resolve the case and the collector of a row (one place for the rules and the
# order of their errors).


def case_and_collector(r: Any, refs: Refs) -> tuple[CaseRef, EmpRef]:
    """The row's case (required) and collector: the `collector` cell, else the case's."""
    case = refs.case("case_ref", r.case_ref)
    if r.collector:
        return case, refs.employee("collector", r.collector)
    if case.collector_id is not None and case.collector_id in refs.employees_by_id:
        return case, refs.employees_by_id[case.collector_id]
    raise Problem("collector", "required: the case has no collector")


def collector_and_case_id(r: Any, refs: Refs) -> tuple[EmpRef, int | None]:
    """The row's collector (required) and its case's id when a case is named."""
    emp = refs.employee("collector", r.collector)
    return emp, refs.case("case_ref", r.case_ref).id if r.case_ref else None


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
