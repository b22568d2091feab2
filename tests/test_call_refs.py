"""`calls` has no foreign keys (db/models/call_refs.py): its references are checked per
statement by triggers. No write path may store a call whose case or collector does not exist,
nor remove a case or employee that calls still reference — on SQLite and PostgreSQL, through
the ORM, plain SQL, the importers' merges, and after the whole migration chain."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from db.models import Call, Case, Employee
from tests import factories
from tests.ingest_helpers import run, seed_cases, world, write

AT = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _setup(ctx: AppContext) -> tuple[int, int, int]:
    """(employee id, case id, a second employee with no calls)."""

    def build(s):  # type: ignore[no-untyped-def]
        b = factories.branch(s, "SH", tz="Asia/Shanghai")
        e = factories.employee(s, "E1", b)
        idle = factories.employee(s, "E2", b)
        c = Case(
            case_ref="K1",
            collector_id=e.id,
            debtor_key="d1",
            amount_owed=100,
            days_overdue=30,
            bucket="M1",
            assigned_on=date(2026, 1, 1),
        )
        s.add(c)
        s.flush()
        return e.id, c.id, idle.id

    return ctx.call(build)


def _call(ref: str, case_id: int, collector_id: int) -> dict:
    return {
        "call_ref": ref,
        "case_id": case_id,
        "collector_id": collector_id,
        "debtor_key": "d1",
        "started_at": AT,
        "duration_s": 30,
        "outcome": "rpc",
    }


def _calls(ctx: AppContext) -> int:
    with ctx.db.session() as s:
        return s.execute(select(func.count()).select_from(Call)).scalar_one()


@pytest.mark.parametrize("bad", ["case", "collector"])
def test_no_call_without_its_case_or_collector(ctx: AppContext, bad: str) -> None:
    eid, cid, _ = _setup(ctx)
    row = _call("C1", 999 if bad == "case" else cid, 999 if bad == "collector" else eid)
    # A bulk INSERT (one statement, several rows: the good row goes too).
    with pytest.raises(IntegrityError), ctx.db.session() as s:
        s.execute(insert(Call), [_call("C0", cid, eid), row])
    # The ORM, one row.
    with pytest.raises(IntegrityError), ctx.db.session() as s:
        s.add(Call(**row))
        s.flush()
    assert _calls(ctx) == 0
    # An UPDATE that points a stored call elsewhere.
    with ctx.db.session() as s:
        s.execute(insert(Call), [_call("C0", cid, eid)])
    col = Call.case_id if bad == "case" else Call.collector_id
    with pytest.raises(IntegrityError), ctx.db.session() as s:
        s.execute(update(Call).values({col: 999}))
    with ctx.db.session() as s:
        assert s.execute(select(Call.case_id, Call.collector_id)).one() == (cid, eid)


def test_no_case_or_employee_removed_while_calls_reference_it(ctx: AppContext) -> None:
    eid, cid, idle = _setup(ctx)
    with ctx.db.session() as s:
        s.execute(insert(Call), [_call("C1", cid, eid)])
    for stmt in (
        delete(Case).where(Case.id == cid),
        delete(Employee).where(Employee.id == eid),
        update(Case).where(Case.id == cid).values(id=cid + 100),
        update(Employee).where(Employee.id == eid).values(id=eid + 100),
    ):
        with pytest.raises(IntegrityError), ctx.db.session() as s:
            s.execute(stmt)
    if ctx.db.is_postgres:  # a cascading TRUNCATE no longer reaches calls
        with pytest.raises(IntegrityError), ctx.db.session() as s:
            s.execute(text("TRUNCATE cases CASCADE"))
    # Unreferenced rows still go; referenced ones once their calls are gone.
    with ctx.db.session() as s:
        s.execute(update(Case).where(Case.id == cid).values(product="x"))
        s.execute(delete(Employee).where(Employee.id == idle))
    with ctx.db.session() as s:
        s.execute(delete(Call))
        s.execute(delete(Case).where(Case.id == cid))
    with ctx.db.session() as s:
        assert s.get(Case, cid) is None


def test_import_cannot_store_an_orphan(ctx: AppContext, tmp_path: Path) -> None:
    """The importers resolve references themselves (unknown ones are row errors); the checks
    hold behind them: a file naming a case that does not exist is rejected, nothing stored."""
    world(ctx)
    seed_cases(ctx, tmp_path)
    f = write(
        tmp_path / "calls.csv",
        "通话编号,案件编号,开始时间,通话时长,通话结果\n"
        "CALL-1,K1,2026-03-02 09:15:00,95,rpc\n"
        "CALL-2,K404,2026-03-02 09:20:00,95,rpc\n",
    )
    rep = run(ctx, "calls", f)
    assert not rep.ok and not rep.applied
    assert [(e.line, e.field) for e in rep.errors] == [(3, "case_ref")]
    assert _calls(ctx) == 0


def test_checks_survive_the_migration_chain(tmp_path: Path) -> None:
    """SQLite's batch migrations rebuild tables and drop their triggers: after the whole
    chain, an orphan call is still refused."""
    from db.migrate import upgrade
    from db.session import make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO calls (call_ref, case_id, collector_id, debtor_key, started_at, "
                    "duration_s, outcome) "
                    "VALUES ('C1', 1, 1, 'd', '2026-03-05 10:00:00', 60, 'rpc')"
                )
            )
    finally:
        engine.dispose()
