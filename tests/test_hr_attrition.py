"""Attrition numbers checked against hand computation; /attrition in the HR chat."""

from __future__ import annotations

from datetime import date

import pytest

from coaching.risk.attrition import report
from db.models import ExitRecord
from tests import factories as f
from tests.conftest import Harness

HR_CHAT = -100700
TODAY = date(2026, 2, 28)


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s)
        t1, t2 = f.team(s, b, "T1"), f.team(s, b, "T2")
        old = date(2025, 1, 1)
        f.employee(s, "A", b, team=t1, hire_date=old)
        f.employee(s, "B", b, team=t1, hire_date=old)
        c = f.employee(s, "C", b, team=t1, hire_date=old, status="left", left_on=date(2026, 2, 10))
        d = f.employee(
            s, "D", b, team=t2, hire_date=date(2026, 1, 20), status="left", left_on=date(2026, 2, 5)
        )
        f.employee(s, "E", b, team=t2, hire_date=date(2025, 6, 1))
        f.employee(s, "F", b, team=t2, hire_date=date(2026, 2, 15))
        h = f.employee(s, "H", b, "hr", hire_date=old)  # not a collector: not counted
        for e, cat in ((c, "internal"), (d, "personal")):
            s.add(
                ExitRecord(
                    employee_id=e.id,
                    status="recorded",
                    stint_start=e.hire_date,
                    last_day=e.left_on,
                    reason_category=cat,
                    detail="",
                    handover=[],
                    interview_notes="",
                    recorded_at=now,
                )
            )
        f.bind(s, h, 2001, now)
        f.hr_chat(s, HR_CHAT, b, now)


def test_rates_match_hand_computation(ctx) -> None:
    seed(ctx)
    rep = ctx.call(report, TODAY, None)
    months = {p.label: {r.group: r for r in rs} for p, rs in rep.monthly}
    # February: 5 on Jan 31 (A B C D E), 4 on Feb 28 (A B E F); C and D left.
    feb = months["2026-02"]["SH"]
    assert (feb.leavers, feb.avg_headcount) == (2, 4.5)
    assert feb.rate == pytest.approx(2 / 4.5)
    # January: 4 on Dec 31, 5 on Jan 31, nobody left.
    jan = months["2026-01"]["SH"]
    assert (jan.leavers, jan.avg_headcount, jan.rate) == (0, 4.5, 0.0)
    # Q1 to date: headcounts 4 (Dec 31), 5 (Jan 31), 4 (Feb 28).
    q1 = {p.label: rs for p, rs in rep.quarterly}["2026Q1"][0]
    assert q1.leavers == 2 and q1.avg_headcount == pytest.approx(13 / 3, abs=0.01)
    # Trailing 12 months by team: 13 points (Feb 28 2025, each month-end, Feb 28 2026).
    teams = {r.group: r for r in rep.by_team}
    assert teams["T1"].leavers == 1
    assert teams["T1"].avg_headcount == pytest.approx((12 * 3 + 2) / 13, abs=0.01)
    # T2: E from June (9 month-ends with 1 … Jan 31 has D too) → (1*7 + 2 + 2) / 13.
    assert teams["T2"].avg_headcount == pytest.approx(11 / 13, abs=0.01)
    tenure = {r.group: r.leavers for r in rep.by_tenure}
    assert (
        tenure["0-1m"] == 1
        and tenure["1-2y"] == 1
        and sum(v for k, v in tenure.items() if k != "all") == 2
    )
    assert rep.reasons == {"personal": 1, "internal": 1, "external": 0, "unrecorded": 0}


async def test_attrition_command_in_hr_chat_with_chart(ctx, harness: Harness) -> None:
    seed(ctx)
    replies = await harness.chat.send(2001, "/attrition", chat_id=HR_CHAT)
    assert "离职率" in replies[0].text and "离职原因" in replies[0].text
    assert "个人 1 · 内部 1" in replies[0].text
    assert replies[1].kind == "photo"
    pngs = list(ctx.output_dir.glob("attrition-*.png"))
    assert pngs and pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
