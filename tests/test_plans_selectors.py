"""Each selector on a crafted queue, one case per block at most, two time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.context import AppContext
from coaching.calendar import branch_info
from coaching.plans.build import build_plans
from coaching.plans.config import get_config
from coaching.plans.days import recipients
from tests import factories as f
from tests.plans_helpers import call, case, promise

DAY = date(2026, 3, 2)  # Monday
NOW = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)  # 08:40 Shanghai, 07:40 Jakarta


def _queue(ctx: AppContext) -> dict[str, list[str]]:
    def work(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "SH")
        me = f.employee(s, "C0001", b)
        other = f.employee(s, "C0002", b)
        f.bind(s, me, 101, NOW)
        f.bind(s, other, 102, NOW)
        p1 = case(s, me, "P1-OVERDUE", 30_000)
        promise(s, p1, date(2026, 2, 27), 3_000)
        p2 = case(s, me, "P2-TODAY-TARGET", 90_000, target=True)
        promise(s, p2, DAY, 9_000)
        p3 = case(s, me, "P3-FUTURE", 40_000)
        promise(s, p3, date(2026, 3, 6), 4_000)  # 4 days ahead: the 09:00 fund-raising check
        p5 = case(s, me, "P5-LATER", 40_000)
        promise(s, p5, date(2026, 3, 20), 4_000)  # beyond promise_days_ahead (7)
        kept = case(s, me, "P4-KEPT", 45_000)
        promise(s, kept, date(2026, 2, 25), status="kept")
        case(s, me, "T1-TARGET", 70_000, target=True)
        e1 = case(s, me, "E1-EVENING", 60_000)
        call(s, e1, "2026-02-26T19:10", "rpc")
        call(s, e1, "2026-02-27T10:00", "no_answer")
        e2 = case(s, me, "E2-NEVER", 55_000)
        for d in ("2026-02-24T10:00", "2026-02-25T14:00", "2026-02-26T16:30"):
            call(s, e2, d, "no_answer")
        r3 = case(s, me, "R3-TWO-MISSES", 20_000)
        call(s, r3, "2026-02-24T10:00", "no_answer")
        call(s, r3, "2026-02-25T10:00", "no_answer")
        k1 = case(s, me, "K1-CONTACT", 35_000)
        call(s, k1, "2026-02-26T10:00", "no_answer")
        call(s, k1, "2026-02-27T17:59", "rpc")
        s1 = case(s, me, "S1-SECOND", 25_000)
        call(s, s1, "2026-02-25T11:00", "contacted")
        call(s, s1, "2026-02-27T15:00", "no_answer")
        case(s, me, "M1-SMALL", 5_000)
        case(s, me, "I1-INSTALMENT", 50_000, instalment=True)
        r1 = case(s, me, "R1-OLD-CONTACT", 30_000)
        call(s, r1, "2026-02-10T10:00", "contacted")
        case(s, me, "R2-NEVER-CALLED", 30_000)
        case(s, me, "X1-CLOSED", 99_000, target=True, closed=date(2026, 2, 1))
        case(s, other, "O1-NOT-MINE", 99_000, target=True)
        bi = branch_info(b)
        people = [p for p in recipients(s, bi, DAY) if p.employee_no == "C0001"]
        plan = build_plans(s, people, bi, DAY, NOW, get_config().for_branch("SH"))[0]
        return {blk.id: [c.case_ref for c in blk.cases] for blk in plan.blocks}

    return ctx.call(work)


def test_every_selector_takes_its_cases_once(ctx: AppContext) -> None:
    blocks = _queue(ctx)
    # Due first, then the promises due within the next 7 days (the domain's 09:00 block).
    assert blocks["promises"] == ["P1-OVERDUE", "P2-TODAY-TARGET", "P3-FUTURE"]
    assert blocks["target"] == ["T1-TARGET"]
    assert blocks["evening"] == ["E1-EVENING", "E2-NEVER"]
    assert blocks["contactable"] == ["K1-CONTACT"]
    assert blocks["second_pass"] == ["S1-SECOND"]
    assert blocks["small"] == ["I1-INSTALMENT", "M1-SMALL"]
    # Least recently called first (never-called ones by amount), then the oldest call.
    assert blocks["rotation"] == [
        "P4-KEPT",
        "P5-LATER",
        "R2-NEVER-CALLED",
        "R1-OLD-CONTACT",
        "R3-TWO-MISSES",
    ]
    every = [r for refs in blocks.values() for r in refs]
    assert len(every) == len(set(every)) == 15
    assert "X1-CLOSED" not in every and "O1-NOT-MINE" not in every


def test_case_line_carries_promise_and_contact_but_no_debtor_data(ctx: AppContext) -> None:
    def work(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "SH")
        me = f.employee(s, "C0001", b)
        f.bind(s, me, 101, NOW)
        c = case(s, me, "P1", 30_000, dpd=45)
        promise(s, c, date(2026, 3, 1), 3_000)
        call(s, c, "2026-02-27T11:05", "promise")
        bi = branch_info(b)
        plan = build_plans(s, recipients(s, bi, DAY), bi, DAY, NOW, get_config().default)[0]
        return plan.to_dict()

    d = ctx.call(work)
    line = d["blocks"][0]["cases"][0]
    assert line == {
        "case_ref": "P1",
        "amount": 30000.0,
        "days_overdue": 45,
        "bucket": "M2",
        "last_contact": "02-27 11:05",
        "last_call": "02-27 11:05",
        "promise_amount": 3000.0,
        "promise_due": "2026-03-01",
        "currency": "CNY",  # the branch's: amounts are shown in it
    }
    assert "debtor" not in str(d)


def test_evening_hour_is_branch_local(ctx: AppContext) -> None:
    """17:30 in Jakarta is 18:30 in Shanghai: a work-hours answer there, not an evening one."""

    def work(s):  # type: ignore[no-untyped-def]
        out = {}
        for code, tz in (("SH", "Asia/Shanghai"), ("JKT", "Asia/Jakarta")):
            b = f.branch(s, code, tz)
            me = f.employee(s, f"C{code}", b)
            f.bind(s, me, 100 + b.id, NOW)
            c = case(s, me, f"{code}-1", 30_000)
            # Same instant for both: 10:30 UTC.
            call(s, c, "2026-02-27T10:30:00+00:00", "rpc")
            bi = branch_info(b)
            plan = build_plans(s, recipients(s, bi, DAY), bi, DAY, NOW, get_config().default)[0]
            out[code] = {blk.id: blk.count for blk in plan.blocks}
        return out

    got = ctx.call(work)
    assert got["SH"]["evening"] == 1 and got["SH"]["contactable"] == 0
    assert got["JKT"]["evening"] == 0 and got["JKT"]["contactable"] == 1
