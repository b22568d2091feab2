"""Plan flows from the phone-first review, through the real Application (console harness):
"tomorrow" on a Friday is the next working day, a collector with no cases gets one short
line, a nudge says how many cases it left out, and HR's /settings offers no plan reminders."""

from __future__ import annotations

from datetime import UTC, datetime

from bot import outbox
from bot.jobs import get_job, run_job
from bot.jobs.plans import toggle_pref
from bot.transport.localapi import buttons
from db.models import Case, Employee
from tests import factories as f
from tests.test_plans_schedule import _branch, _org


async def test_plan_tomorrow_on_friday_shows_monday(ctx, harness, clock) -> None:  # type: ignore[no-untyped-def]
    _org(ctx)
    clock.set(datetime(2026, 3, 6, 10, 0, tzinfo=UTC))  # Friday 18:00 in Shanghai
    msgs = await harness.chat.send(1, "/plan tomorrow")
    assert "明天（2026-03-07）不是工作日" in msgs[0].text and "2026-03-09" in msgs[0].text
    assert "计划 2026-03-09" in msgs[1].text and "明日计划" not in msgs[1].text
    assert "不是工作日，没有计划" not in msgs[1].text


async def test_collector_without_cases_gets_one_short_line(ctx, harness, clock) -> None:  # type: ignore[no-untyped-def]
    _org(ctx)

    def lonely(s):  # type: ignore[no-untyped-def]
        sh = s.query(Employee).filter_by(employee_no="C0001").one().branch
        e = f.employee(s, "C0099", sh)
        f.bind(s, e, 99, clock.now())

    ctx.call(lonely)
    [msg] = await harness.chat.send(99, "/plan")
    assert "今日计划 2026-03-02" in msg.text and "没有分配给你的案件" in msg.text
    # One line, not seven empty time blocks.
    assert len(msg.text.splitlines()) == 1 and "（0）" not in msg.text
    assert buttons(msg) == []


async def test_nudge_names_the_cases_it_leaves_out(ctx, harness, clock) -> None:  # type: ignore[no-untyped-def]
    _org(ctx)

    def many_targets(s):  # type: ignore[no-untyped-def]
        emp = s.query(Employee).filter_by(employee_no="C0001").one()
        for c in s.query(Case).filter_by(collector_id=emp.id):
            c.is_target = True

    ctx.call(many_targets)
    ctx.call(toggle_pref, 1, "nudges", clock.now())
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 SH: the target block starts
    assert "1 target nudges queued" in run_job(
        ctx, get_job("plan_nudge_target"), _branch(ctx, "SH")
    )
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000, 0))
    text = harness.api.last(1).text
    head = text.splitlines()[0]
    count = int(head.rsplit("：", 1)[1].split()[0])
    listed = text.count("• ")
    assert count > listed == 5
    assert f"…另 {count - listed} 件" in text


async def test_settings_for_hr_does_not_mention_plans(ctx, harness, clock) -> None:  # type: ignore[no-untyped-def]
    _org(ctx)

    def hr(s):  # type: ignore[no-untyped-def]
        sh = s.query(Employee).filter_by(employee_no="C0001").one().branch
        f.bind(s, f.employee(s, "H0001", sh, "hr", name="人事甲"), 60, clock.now())

    ctx.call(hr)
    [st] = await harness.chat.send(60, "/settings")
    assert "只发给催收员" in st.text and "时段提醒：" not in st.text and buttons(st) == []
    [mine] = await harness.chat.send(1, "/settings")
    assert "时段提醒：关" in mine.text
