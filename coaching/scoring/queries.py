"""The month's aggregates per collector, in ONE SQL statement.

One aggregate query per source table (cases, repayments, calls, complaints, QA findings,
assessment results, promises, costs), each grouped by collector and LEFT JOINed onto the
branch's collectors. Amounts are summed as integer cents per bucket, so the Python side
(rules.py) works on exact `Decimal`s and never walks the calls or repayments themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    Integer,
    Select,
    and_,
    bindparam,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import ScoringConfig
from coaching.scoring.rules import Plan, plan_for, spec_months
from coaching.scoring.statement import COLUMNS, card_columns, combined, stream
from coaching.scoring.statement import session_settings as _settings
from db.base import UTCDateTime
from db.models import (
    AssessmentResult,
    Call,
    CallMonthActivity,
    Case,
    CollectorCost,
    Complaint,
    Employee,
    EmployeeRole,
    PromiseToPay,
    QaFinding,
    Repayment,
    ScoreSnapshot,
    Team,
)
from db.models.work import BUCKETS


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(m: date, n: int) -> date:
    y, mo = divmod(m.year * 12 + (m.month - 1) + n, 12)
    return date(y, mo + 1, 1)


def month_end(m: date) -> date:
    """The last day of the month starting at `m`."""
    return add_months(m, 1) - timedelta(days=1)


def parse_month(text: str) -> date:
    """'YYYY-MM' → first day of that month; ValueError with a clear message otherwise."""
    try:
        y, m = text.strip().split("-")
        return date(int(y), int(m), 1)
    except ValueError:
        raise ValueError(f"month must look like YYYY-MM, got {text!r}") from None


def local_month(now: datetime, tz: str) -> date:
    return month_start(now.astimezone(ZoneInfo(tz)).date())


def month_bounds(m: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) of the branch-local month, in UTC."""
    z = ZoneInfo(tz)
    start = datetime.combine(m, time(0), z).astimezone(UTC)
    end = datetime.combine(add_months(m, 1), time(0), z).astimezone(UTC)
    return start, end


def _cents(col):  # type: ignore[no-untyped-def]
    """An amount as integer cents, so sums are exact on SQLite (REAL) and PostgreSQL alike."""
    return cast(func.round(col * 100), BigInteger)


def _isum(value):  # type: ignore[no-untyped-def]
    """SUM of integers as an integer: PostgreSQL's SUM(bigint) is NUMERIC, which the driver
    would hand over as `Decimal` (slower to build and to convert for 5,000 rows × 25 sums)."""
    return cast(func.sum(value), BigInteger)


def _per_bucket(bucket_col, value, prefix: str):  # type: ignore[no-untyped-def]
    return [
        _isum(case((bucket_col == b, value), else_=0)).label(f"{prefix}{i}")
        for i, b in enumerate(BUCKETS)
    ]


def _collectors(branch_id, first, last, prev):  # type: ignore[no-untyped-def]
    """Collectors of a branch employed at some point of the month [first, last], with their
    team (one of the branch's) and their frozen snapshot of the month `prev`: what the cards
    show besides the month's figures, in the same statement (no round trip of their own)."""
    lead = exists().where(EmployeeRole.employee_id == Employee.id, EmployeeRole.role == "team_lead")
    snap = ScoreSnapshot
    return (
        select(
            Employee.id.label("eid"),
            Employee.employee_no,
            Employee.name,
            Employee.team_id,
            Employee.hire_date,
            lead.label("is_lead"),
            Team.code.label("team_code"),
            Team.name.label("team_name"),
            snap.total.label("prev_total"),
            snap.components.label("prev_components"),
        )
        .outerjoin(Team, and_(Team.id == Employee.team_id, Team.branch_id == branch_id))
        .outerjoin(snap, and_(snap.employee_id == Employee.id, snap.month == prev))
        .where(
            Employee.branch_id == branch_id,
            Employee.hire_date <= last,
            or_(Employee.left_on.is_(None), Employee.left_on >= first),
            Employee.id.in_(
                select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector")
            ),
        )
        .subquery("emp")
    )


def _worked_from_calls(month, start, end, signs: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    """The month's calls per (collector, case), from `calls` itself: the reference the
    summary path is tested against (tests/test_scoring_activity.py)."""
    return (
        select(
            Call.collector_id.label("eid"),
            Call.case_id.label("cid"),
            func.count().label("n"),
            func.sum(case((Call.outcome != "no_answer", 1), else_=0)).label("conn"),
        )
        .where(Call.started_at >= start, Call.started_at < end)
        .group_by(Call.collector_id, Call.case_id)
        .subquery("worked")
    )


def edge_windows(
    month: date, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, int]]:
    """[lo, hi, sign]: what turns the UTC month's sums into the branch-local month's.

    The local month [start, end) differs from the UTC month [us, ue) by the zone's offset at
    each end (at most 14 h): calls in [start, us) are added (east of UTC), calls in [us, start)
    taken away (west), and likewise at the end."""
    us = datetime.combine(month, time(0), UTC)
    ue = datetime.combine(add_months(month, 1), time(0), UTC)
    out: list[tuple[datetime, datetime, int]] = []
    if start < us:
        out.append((start, us, 1))
    elif us < start:
        out.append((us, start, -1))
    if end < ue:
        out.append((end, ue, -1))
    elif ue < end:
        out.append((ue, end, 1))
    return out


def _worked(month, start, end, signs: tuple[int, ...] = ()):  # type: ignore[no-untyped-def]
    """The month's calls per (collector, case): the UTC month's rows of `call_month_activity`
    (kept by triggers, db/models/activity.py) corrected by the calls in the edge windows
    (`signs`: one per window of `edge_windows`, bound as lo0/hi0, lo1/hi1)."""
    a = CallMonthActivity
    parts = [select(a.collector_id, a.case_id, a.calls, a.connected).where(a.month == month)]
    for i, sign in enumerate(signs):
        lo, hi = bindparam(f"lo{i}"), bindparam(f"hi{i}")
        parts.append(
            select(
                Call.collector_id,
                Call.case_id,
                literal(sign, Integer),
                case((Call.outcome != "no_answer", sign), else_=0),
            ).where(Call.started_at >= lo, Call.started_at < hi)
        )
    u = union_all(*parts).subquery("act")
    eid, cid, n, conn = u.c
    # No HAVING SUM(n) > 0 to drop the pairs the edges cancel out (net 0 calls): the planner
    # cannot estimate it (744 groups for 20,000 in bench/scoring.py) and then sorted the
    # groups for a GroupAggregate (3 ms of 60). The caller skips those pairs instead.
    return (
        select(
            eid.label("eid"), cid.label("cid"), func.sum(n).label("n"), func.sum(conn).label("conn")
        )
        .group_by(eid, cid)
        .subquery("worked")
    )


def raw_rows(
    s: Session,
    cfg: ScoringConfig,
    branch: BranchInfo,
    month: date,
    *,
    from_calls: bool = False,
    plan: Plan | None = None,
) -> list[dict[str, object]]:
    """One row per collector with the month's aggregates (one SQL statement), the veto
    reason of those with a major finding, their team and last month's snapshot.
    `from_calls` groups the raw calls instead of reading the summary (the reference, for
    tests)."""
    return list(iter_rows(s, cfg, branch, month, from_calls=from_calls, plan=plan))


def iter_rows(
    s: Session,
    cfg: ScoringConfig,
    branch: BranchInfo,
    month: date,
    *,
    from_calls: bool = False,
    plan: Plan | None = None,
) -> Iterator[dict[str, object]]:
    """raw_rows' rows, one dict per collector, as `row_tuples` hands them over."""
    for row in row_tuples(s, cfg, branch, month, from_calls=from_calls, plan=plan):
        yield dict(zip(COLUMNS, row, strict=True))


def row_tuples(
    s: Session,
    cfg: ScoringConfig,
    branch: BranchInfo,
    month: date,
    *,
    from_calls: bool = False,
    plan: Plan | None = None,
) -> Iterator[Sequence[object]]:
    """The statement's rows as the database hands them over, values in `COLUMNS` order (what
    the engine scores: no dict per row): on PostgreSQL streamed (libpq's chunked mode), so
    the caller scores the first collectors while the server still joins the last ones.
    Iterate to the end (the session settings are restored then).

    The per-bucket sums are combined in the statement as docs/scoring.md defines (see
    `statement.combined`): assigned, repaid and credited cents, the recovery band's numerators,
    cases handled plain and weighted — integers, scaled by the config (`rules.Plan`)."""
    plan = plan_for(cfg, branch.code, plan)
    start, end = month_bounds(month, branch.timezone)
    base_start, _ = month_bounds(add_months(month, -spec_months(cfg, branch.code)), branch.timezone)
    windows = edge_windows(month, start, end)
    params: dict[str, object] = {
        "branch": branch.id,
        "first": month,
        "last": month_end(month),
        "start": start,
        "end": end,
        "base_start": base_start,
        "prev": add_months(month, -1),
    }
    for i, (lo, hi, _) in enumerate(windows):
        params[f"lo{i}"], params[f"hi{i}"] = lo, hi
    for i, wtz in enumerate(zip(plan.w_int, plan.t_int, plan.z_int, strict=True)):
        params[f"w{i}"], params[f"t{i}"], params[f"z{i}"] = wtz
    params["wk"] = 10**plan.w_places
    stmt = _statement(tuple(sign for _, _, sign in windows), from_calls)
    with _settings(s):
        conn = s.connection()
        if conn.dialect.name == "postgresql":
            yield from stream(conn, stmt, params)
            return
        # Core, not the ORM: the rows are plain sums, and the ORM's per-row result handling
        # cost more than the scoring.
        res = conn.execute(stmt, params)
        assert tuple(res.keys()) == COLUMNS
        yield from res.fetchall()


@lru_cache(maxsize=16)
def _statement(signs: tuple[int, ...], from_calls: bool) -> Select:  # type: ignore[type-arg]
    """The statement for a shape of month (which edge windows), every value a bound
    parameter: built and compiled once per process, not on every /score."""
    first, last = bindparam("first", type_=Date), bindparam("last", type_=Date)
    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    base_start = bindparam("base_start", type_=UTCDateTime)
    branch = bindparam("branch", type_=Integer)
    emp = _collectors(branch, first, last, bindparam("prev", type_=Date))
    f = Float()

    asg = (
        select(
            Case.collector_id.label("eid"),
            func.count().label("cases"),
            *_per_bucket(Case.bucket, _cents(Case.amount_owed), "a"),
        )
        .where(Case.assigned_on <= last, or_(Case.closed_on.is_(None), Case.closed_on >= first))
        .group_by(Case.collector_id)
        .subquery("asg")
    )
    pay = (
        select(
            Repayment.collector_id.label("eid"),
            *_per_bucket(Case.bucket, _cents(Repayment.amount), "r"),
        )
        .join(Case, Case.id == Repayment.case_id)
        .where(Repayment.paid_at >= start, Repayment.paid_at < end)
        .group_by(Repayment.collector_id)
        .subquery("pay")
    )
    worked = (_worked_from_calls if from_calls else _worked)(first, start, end, signs)
    # A pair the edge windows cancel out (net 0 calls) counts for nothing, as if it had been
    # dropped (see `_worked`), and a collector with only such pairs has no row here.
    pos = worked.c.n > 0
    calls = (
        select(
            worked.c.eid,
            _isum(case((pos, worked.c.n), else_=0)).label("calls"),
            _isum(case((pos, worked.c.conn), else_=0)).label("connected"),
            *[
                _isum(case((and_(pos, Case.bucket == b), 1), else_=0)).label(f"h{i}")
                for i, b in enumerate(BUCKETS)
            ],
        )
        .join(Case, Case.id == worked.c.cid)
        .group_by(worked.c.eid)
        .having(func.max(worked.c.n) > 0)
        .subquery("cl")
    )
    cmp = (
        select(Complaint.collector_id.label("eid"), func.count().label("complaints"))
        .where(Complaint.received_at >= start, Complaint.received_at < end)
        .group_by(Complaint.collector_id)
        .subquery("cmp")
    )
    qa = (
        select(
            QaFinding.collector_id.label("eid"),
            func.sum(case((QaFinding.severity == "minor", 1), else_=0)).label("minors"),
            func.sum(case((QaFinding.severity == "major", 1), else_=0)).label("majors"),
        )
        .where(QaFinding.found_at >= start, QaFinding.found_at < end)
        .group_by(QaFinding.collector_id)
        .subquery("qa")
    )
    this = AssessmentResult.at >= start
    sk = (
        select(
            AssessmentResult.employee_id.label("eid"),
            func.avg(case((this, AssessmentResult.score)), type_=f).label("skills_avg"),
            func.sum(case((this, 1), else_=0)).label("skills_n"),
            func.avg(case((~this, AssessmentResult.score)), type_=f).label("skills_prev_avg"),
            func.sum(case((~this, 1), else_=0)).label("skills_prev_n"),
        )
        .where(AssessmentResult.at >= base_start, AssessmentResult.at < end)
        .group_by(AssessmentResult.employee_id)
        .subquery("sk")
    )
    ptp = (
        select(
            PromiseToPay.collector_id.label("eid"),
            func.sum(case((PromiseToPay.status == "kept", 1), else_=0)).label("ptp_kept"),
            func.sum(case((PromiseToPay.status == "broken", 1), else_=0)).label("ptp_broken"),
        )
        .where(PromiseToPay.due_date >= first, PromiseToPay.due_date <= last)
        .group_by(PromiseToPay.collector_id)
        .subquery("ptp")
    )
    cost = (
        select(
            CollectorCost.employee_id.label("eid"),
            _isum(_cents(CollectorCost.amount)).label("cost"),
            func.count().label("cost_n"),
        )
        .where(CollectorCost.month == first)
        .group_by(CollectorCost.employee_id)
        .subquery("cost")
    )
    subs = (asg, pay, calls, cmp, qa, sk, ptp, cost)
    cols = [c for sq in subs for c in sq.c if c.name != "eid"]
    keep = ("eid", "employee_no", "name", "team_id", "is_lead", "team_code", "team_name")
    extra = card_columns(emp.c.eid, qa.c.majors, branch, start, end)
    stmt = select(*(emp.c[k] for k in keep), emp.c.prev_total, emp.c.prev_components, *cols, *extra)
    stmt = stmt.select_from(emp)
    for sq in subs:
        stmt = stmt.outerjoin(sq, sq.c.eid == emp.c.eid)
    return combined(stmt.subquery("m"))
