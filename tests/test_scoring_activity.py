"""The scorecards read calls from `call_month_activity` (kept by triggers) plus the hours by
which a branch's month differs from the UTC month. Property: on random data, after inserts,
corrections, deletes and re-imports, every branch's month rows equal the ones grouped from
`calls` itself (the engine before the summary), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from bot.context import AppContext
from coaching.calendar import all_branches
from coaching.scoring import engine as eng
from coaching.scoring.config import get_config
from coaching.scoring.engine import compute_branch
from coaching.scoring.queries import edge_windows, month_bounds, raw_rows
from db.models import Call, CallMonthActivity, Case
from db.models.work import BUCKETS
from tests import factories
from tests.ingest_helpers import run, seed_cases, world, write

CFG = get_config()
MONTHS = (date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1))
# East and west of UTC, a half-hour zone, +14 h, and New York's DST change on 8 March.
ZONES = ("Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Pacific/Kiritimati")
OUTCOMES = ("no_answer", "contacted", "rpc", "promise")


def _world(ctx: AppContext, rng: random.Random) -> tuple[list[int], list[tuple[int, int]]]:
    """Branches in ZONES, 4 collectors each, 6 cases per collector: (collector ids, cases)."""

    def build(s):  # type: ignore[no-untyped-def]
        eids: list[int] = []
        cases: list[tuple[int, int]] = []
        for i, tz in enumerate(ZONES):
            b = factories.branch(s, f"B{i}", tz=tz)
            t = factories.team(s, b, f"B{i}-T")
            for j in range(4):
                e = factories.employee(s, f"E{i}{j}", b, team=t if j < 3 else None)
                eids.append(e.id)
                for k in range(6):
                    c = Case(
                        case_ref=f"K{i}{j}{k}",
                        collector_id=e.id,
                        debtor_key=f"d{i}{j}{k}",
                        amount_owed=rng.randint(100, 9000),
                        days_overdue=30,
                        bucket=rng.choice(BUCKETS),
                        assigned_on=date(2026, 1, 1),
                    )
                    s.add(c)
                    s.flush()
                    cases.append((c.id, e.id))
        return eids, cases

    return ctx.call(build)


def _when(rng: random.Random) -> datetime:
    """Mostly within a day of a month's edge (where the zones disagree), some anywhere."""
    if rng.random() < 0.7:
        edge = datetime(2026, rng.choice((3, 4)), 1, tzinfo=UTC)
        return edge + timedelta(minutes=rng.randint(-26 * 60, 26 * 60))
    return datetime(2026, 2, 20, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 55 * 24 * 60))


def _assert_same(ctx: AppContext) -> int:
    """Every branch and month: summary rows == rows grouped from calls; returns rows compared."""
    n = 0
    with ctx.db.session() as s:
        for b in all_branches(s):
            for m in MONTHS:
                # Row order is not part of the contract (hash aggregates; cards sort later).
                new = sorted(raw_rows(s, CFG, b, m), key=lambda r: r["eid"])
                ref = sorted(raw_rows(s, CFG, b, m, from_calls=True), key=lambda r: r["eid"])
                assert new == ref, (b.code, m)
                n += sum(1 for r in new if r["calls"])
    return n


def test_summary_equals_calls_after_random_writes(ctx: AppContext) -> None:
    rng = random.Random(1922)
    eids, cases = _world(ctx, rng)
    refs = iter(range(10**6))

    def call_row() -> dict[str, object]:
        cid, owner = rng.choice(cases)
        return {
            "call_ref": f"R{next(refs)}",
            "case_id": cid,
            "collector_id": owner if rng.random() < 0.8 else rng.choice(eids),
            "debtor_key": "d",
            "started_at": _when(rng),
            "duration_s": 30,
            "outcome": rng.choice(OUTCOMES),
        }

    with ctx.db.session() as s:
        s.execute(insert(Call), [call_row() for _ in range(900)])
        s.commit()
    assert _assert_same(ctx) > 20
    for _ in range(3):  # corrections, moves across month edges, deletes, more inserts
        with ctx.db.session() as s:
            ids = list(s.scalars(select(Call.id)))
            for cid in rng.sample(ids, 60):
                s.execute(
                    update(Call)
                    .where(Call.id == cid)
                    .values(
                        started_at=_when(rng),
                        outcome=rng.choice(OUTCOMES),
                        collector_id=rng.choice(eids),
                    )
                )
            s.execute(update(Call).where(Call.id.in_(rng.sample(ids, 40))).values(duration_s=9))
            s.execute(delete(Call).where(Call.id.in_(rng.sample(ids, 50))))
            s.execute(insert(Call), [call_row() for _ in range(100)])
            s.commit()
        _assert_same(ctx)
    # The cards themselves (ranks, averages, n/a) are the same on both paths.
    orig = eng.row_tuples
    with ctx.db.session() as s:
        for b in all_branches(s):
            new = compute_branch(s, CFG, b, MONTHS[1])
            try:
                eng.row_tuples = lambda *a, **k: orig(*a, from_calls=True, **k)  # type: ignore[assignment]
                ref = compute_branch(s, CFG, b, MONTHS[1])
            finally:
                eng.row_tuples = orig  # type: ignore[assignment]
            assert [(c.employee_id, c.total, c.rank_branch, c.rank_team) for c in new] == [
                (c.employee_id, c.total, c.rank_branch, c.rank_team) for c in ref
            ]


def test_reimport_with_corrections_keeps_the_summary_right(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    head = "通话编号,案件编号,开始时间,通话时长,通话结果\n"
    first = (
        "A1,K1,2026-04-01 00:30,95,本人接通\n"  # SH local: April; UTC: 31 March
        "A2,K1,2026-03-02 10:00:30,0,未接通\n"
        "B1,K2,2026-03-02T09:00:00+07:00,40,承诺还款\n"
    )
    for _ in range(2):  # the same file twice: nothing changes
        assert run(ctx, "calls", write(tmp_path / "c1.csv", head + first)).ok
        assert _summary(ctx) == {(3, 1): (2, 1), (3, 2): (1, 1)}
        _assert_same(ctx)
    # A correction moves A1 into March and marks A2 connected; a new call arrives.
    second = (
        "A1,K1,2026-03-31 10:00,95,本人接通\n"
        "A2,K1,2026-03-02 10:00:30,30,本人接通\n"
        "A3,K1,2026-04-01 00:30,10,未接通\n"
    )
    rep = run(ctx, "calls", write(tmp_path / "c2.csv", head + second))
    assert rep.ok and (rep.inserted, rep.updated) == (1, 2), rep.errors
    _assert_same(ctx)
    with ctx.db.session() as s:
        [sh] = [b for b in all_branches(s) if b.code == "SH"]
        [row] = [r for r in raw_rows(s, CFG, sh, MONTHS[1]) if r["calls"]]
        assert (row["calls"], row["connected"]) == (2, 2)
        s.execute(delete(Call).where(Call.call_ref == "A2"))
        s.commit()
    _assert_same(ctx)


def _summary(ctx: AppContext) -> dict[tuple[int, int], tuple[int, int]]:
    """(UTC month number, case id) → (calls, connected), summed over collectors."""
    a = CallMonthActivity
    with ctx.db.session() as s:
        rows = s.execute(
            select(a.month, a.case_id, func.sum(a.calls), func.sum(a.connected)).group_by(
                a.month, a.case_id
            )
        )
        return {(m.month, c): (int(n), int(k)) for m, c, n, k in rows}


def test_truncate_and_backfill(ctx: AppContext) -> None:
    rng = random.Random(7)
    _, cases = _world(ctx, rng)
    with ctx.db.session() as s:
        s.execute(
            insert(Call),
            [
                {
                    "call_ref": f"T{i}",
                    "case_id": cid,
                    "collector_id": eid,
                    "debtor_key": "d",
                    "started_at": _when(rng),
                    "duration_s": 1,
                    "outcome": rng.choice(OUTCOMES),
                }
                for i, (cid, eid) in enumerate(cases * 3)
            ],
        )
        s.commit()
    before = _summary(ctx)
    from db.models.activity import install

    with ctx.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM call_month_activity"))
        install(conn, backfill=True)  # what the migration does on an existing database
    assert _summary(ctx) == before
    _assert_same(ctx)
    if ctx.db.engine.dialect.name == "postgresql":
        with ctx.db.engine.begin() as conn:
            conn.execute(text("TRUNCATE calls"))
        assert _summary(ctx) == {}


def test_a_case_called_only_in_an_edge_hour_that_is_taken_away(ctx: AppContext) -> None:
    """Shanghai's March ends 8 h before the UTC March: a call at 31 March 20:00 UTC is in the
    UTC month's summary and taken away again by the edge window (net 0 calls). That case is
    not handled in March, and a collector with only such calls has no call figures at all."""
    rng = random.Random(5)
    eids, cases = _world(ctx, rng)  # ZONES[0] is Shanghai: its collectors are eids[:4]
    mine = [(cid, eid) for cid, eid in cases if eid in eids[:2]]
    late, mid = datetime(2026, 3, 31, 20, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC)
    only_edge, both = mine[0], mine[6]  # collector 1: one case, edge only; collector 2: two
    plan = [(only_edge, late), (both, late), (mine[7], mid), (mine[7], late)]
    with ctx.db.session() as s:
        s.execute(
            insert(Call),
            [
                {
                    "call_ref": f"E{i}",
                    "case_id": cid,
                    "collector_id": eid,
                    "debtor_key": "d",
                    "started_at": at,
                    "duration_s": 30,
                    "outcome": "contacted",
                }
                for i, ((cid, eid), at) in enumerate(plan)
            ],
        )
        s.commit()
    with ctx.db.session() as s:
        b = next(b for b in all_branches(s) if b.code == "B0")
        rows = {r["eid"]: r for r in raw_rows(s, CFG, b, date(2026, 3, 1))}
        assert rows == {r["eid"]: r for r in raw_rows(s, CFG, b, date(2026, 3, 1), from_calls=True)}
    assert rows[eids[0]]["calls"] is None and rows[eids[0]]["handled"] == 0
    assert (rows[eids[1]]["calls"], rows[eids[1]]["connected"], rows[eids[1]]["handled"]) == (
        1,
        1,
        1,
    )


@pytest.mark.parametrize(
    ("tz", "month", "expected"),
    [
        # Shanghai: its March starts 8 h before the UTC March and ends 8 h before April.
        (
            "Asia/Shanghai",
            date(2026, 3, 1),
            [
                (datetime(2026, 2, 28, 16, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), 1),
                (datetime(2026, 3, 31, 16, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC), -1),
            ],
        ),
        # New York: EST at the start (UTC−5), EDT at the end (UTC−4).
        (
            "America/New_York",
            date(2026, 3, 1),
            [
                (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 1, 5, tzinfo=UTC), -1),
                (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 4, 1, 4, tzinfo=UTC), 1),
            ],
        ),
        ("UTC", date(2026, 3, 1), []),
    ],
)
def test_edge_windows(tz: str, month: date, expected: list[object]) -> None:
    assert edge_windows(month, *month_bounds(month, tz)) == expected


def test_migrated_database_keeps_the_summary(tmp_path: Path) -> None:
    """After the whole migration chain (SQLite rebuilds tables in batch migrations, which drops
    their triggers) a new call still reaches call_month_activity."""
    from db.migrate import upgrade
    from db.session import make_engine

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO branches (id, code, name, timezone, locale, score_profile, "
                    "rule_profile, workdays, currency) VALUES "
                    "(1, 'SH', 's', 'Asia/Shanghai', 'zh_CN', 'A', 'default', '1,2,3,4,5', 'CNY')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO employees (id, employee_no, name, branch_id, hire_date, status, "
                    "locale) VALUES (1, 'E1', 'x', 1, '2024-01-01', 'active', 'zh_CN')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO cases (id, case_ref, collector_id, debtor_key, amount_owed, "
                    "days_overdue, bucket, assigned_on, product, is_instalment, is_target, "
                    "region) VALUES (1, 'K1', 1, 'd', 100, 30, 'M1', '2026-02-01', '', 0, 0, '')"
                )
            )
            c.execute(
                text(
                    "INSERT INTO calls (call_ref, case_id, collector_id, debtor_key, started_at, "
                    "duration_s, outcome) "
                    "VALUES ('C1', 1, 1, 'd', '2026-03-05 10:00:00', 60, 'rpc')"
                )
            )
            got = c.execute(
                text(
                    "SELECT month, collector_id, case_id, calls, connected FROM call_month_activity"
                )
            ).all()
        assert [tuple(r) for r in got] == [("2026-03-01", 1, 1, 1, 1)]
    finally:
        engine.dispose()


def test_demo_reset_leaves_the_summary_empty(ctx: AppContext) -> None:
    """bot/demo's reset deletes every table in reverse dependency order: calls (whose trigger
    subtracts) before the summary, so no negative counts are left behind."""
    from bot.demo import reset_all

    rng = random.Random(3)
    _, cases = _world(ctx, rng)
    with ctx.db.session() as s:
        s.execute(
            insert(Call),
            [
                {
                    "call_ref": f"Z{i}",
                    "case_id": cid,
                    "collector_id": eid,
                    "debtor_key": "d",
                    "started_at": _when(rng),
                    "duration_s": 1,
                    "outcome": "rpc",
                }
                for i, (cid, eid) in enumerate(cases)
            ],
        )
        s.commit()
    assert _summary(ctx)
    with ctx.db.session() as s:
        reset_all(s)
        s.commit()
    assert _summary(ctx) == {}
