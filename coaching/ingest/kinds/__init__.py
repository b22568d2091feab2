"""Record kinds: their columns (English and Chinese headers), row models and how a validated
row becomes database values (references resolved, debtor identifiers hashed, local date-times
put in the branch's time zone).

Each kind's `resolve(row, refs)` returns one tuple in `db_columns` order or raises `Problem`
naming the column. Debtor identifiers are hashed here, the only place they are ever read.
"""

from coaching.ingest.kinds.base import (
    BUCKET_LABELS,
    CASE_REF,
    COLLECTOR,
    EMP_STATUS,
    LEAVE_KIND,
    OUTCOMES,
    PROMISE_STATUS,
    SEVERITY,
    Bucket,
    CaseRef,
    Col,
    Day,
    EmpRef,
    EmpStatus,
    Flag,
    Kind,
    LeaveKind,
    LocalDT,
    Money,
    Outcome,
    Problem,
    PStatus,
    Ref,
    Refs,
    Row,
    Sev,
    Text,
    _opt,
    to_utc,
)
from coaching.ingest.kinds.calls import (
    CALLS,
    CallRow,
    resolve_call,
)
from coaching.ingest.kinds.cases import (
    CASES,
    CaseRow,
    _debtor,
    resolve_case,
)
from coaching.ingest.kinds.payments import (
    PROMISES,
    REPAYMENTS,
    PromiseRow,
    RepaymentRow,
    _case_collector,
    resolve_promise,
    resolve_repayment,
)
from coaching.ingest.kinds.quality import (
    COMPLAINTS,
    QA_FINDINGS,
    ComplaintRow,
    QaRow,
    resolve_complaint,
    resolve_qa,
)
from coaching.ingest.kinds.staff import (
    _ROLE_ZH,
    _ROLES,
    EMPLOYEES,
    LEAVE,
    EmployeeRow,
    LeaveRow,
    resolve_employee,
    resolve_leave,
)

# The registry of kinds, by name (one module per kind above).
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (EMPLOYEES, CASES, CALLS, PROMISES, REPAYMENTS, COMPLAINTS, QA_FINDINGS, LEAVE)
}

__all__ = [
    "BUCKET_LABELS",
    "CALLS",
    "CASES",
    "CASE_REF",
    "COLLECTOR",
    "COMPLAINTS",
    "EMPLOYEES",
    "EMP_STATUS",
    "LEAVE",
    "LEAVE_KIND",
    "OUTCOMES",
    "PROMISES",
    "PROMISE_STATUS",
    "QA_FINDINGS",
    "REPAYMENTS",
    "SEVERITY",
    "_ROLES",
    "_ROLE_ZH",
    "Bucket",
    "CallRow",
    "CaseRef",
    "CaseRow",
    "Col",
    "ComplaintRow",
    "Day",
    "EmpRef",
    "EmpStatus",
    "EmployeeRow",
    "Flag",
    "Kind",
    "LeaveKind",
    "LeaveRow",
    "LocalDT",
    "Money",
    "Outcome",
    "PStatus",
    "Problem",
    "PromiseRow",
    "QaRow",
    "Ref",
    "Refs",
    "RepaymentRow",
    "Row",
    "Sev",
    "Text",
    "_case_collector",
    "_debtor",
    "_opt",
    "resolve_call",
    "resolve_case",
    "resolve_complaint",
    "resolve_employee",
    "resolve_leave",
    "resolve_promise",
    "resolve_qa",
    "resolve_repayment",
    "to_utc",
]
