"""The morning fan-out: working days, holidays, leave, left/unbound people, two time zones,
catch-up after downtime, once per day, /plan and /settings through the real Application."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import outbox
from bot.jobs import get_job, run_job
from bot.scheduler import missed_runs
from bot.transport.localapi import buttons
from coaching.calendar import all_branches
from coaching.plans.holidays import HolidayCsvError, import_holidays
from db.models import Employee, Leave, Outbox
from db.models.org import EmployeeStatus
from tests import factories as f
from tests.plans_helpers import call, case, promise

MON = date(2026, 3, 2)


def _org(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()

    def work(s):  # type: ignore[no-untyped-def]
        sh = f.branch(s, "SH", "Asia/Shanghai")
        jkt = f.branch(s, "JKT", "Asia/Jakarta", locale="en")
        for i, (b, uid) in enumerate([(sh, 1), (sh, 2), (sh, 3), (sh, 4), (sh, 5), (jkt, 11)]):
            e = f.employee(s, f"C{uid:04d}", b)
            if uid != 5:
                f.bind(s, e, uid, now)
            for k in range(9):
                c = case(s, e, f"CASE{uid:02d}{k}", 20_000 + 1000 * k, target=k == 0)
                if k == 1:
                    promise(s, c, MON - timedelta(days=1))
                if k == 2:
                    call(s, c, "2026-02-27T10:00", "rpc")
            del i
        s.add(Leave(employee_id=3, start_date=MON, end_date=MON + timedelta(days=2)))
        left = s.get(Employee, 4)
        left.status, left.left_on = EmployeeStatus.LEFT, MON - timedelta(days=1)
        f.employee(s, "L0001", sh, "team_lead")  # not a collector
        f.hr_chat(s, -100, sh, now)

    ctx.call(work)


def _branch(ctx, code):  # type: ignore[no-untyped-def]
    return next(b for b in ctx.call(all_branches) if b.code == code)


def _rows(ctx, kind="plan_morning"):  # type: ignore[no-untyped-def]
    return ctx.call(
        lambda s: [
            (r.chat_id, r.local_date, r.status)
            for r in s.query(Outbox).filter(Outbox.kind == kind).order_by(Outbox.chat_id)
        ]
    )


async def test_morning_plan_goes_to_working_bound_collectors_once(ctx, harness, clock) -> None:
    _org(ctx)
    clock.set(datetime(2026, 3, 2, 0, 40, tzinfo=UTC))  # 08:40 SH, 07:40 JKT
    spec = get_job("morning_plan")
    sh, jkt = _branch(ctx, "SH"), _branch(ctx, "JKT")
    assert "2 plans queued" in run_job(ctx, spec, sh)
    assert run_job(ctx, spec, sh) is None  # claimed for today already
    run_job(ctx, spec, sh, force=True)  # forced re-run: the outbox still dedupes
    run_job(ctx, spec, jkt)
    sent = await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert sent == 3
    # 1, 2 bound SH collectors; 3 on leave, 4 left, 5 unbound, 11 in Jakarta (English).
    assert sorted(m.chat_id for m in harness.api.sent()) == [1, 2, 11]
    zh = harness.api.last(1).text
    assert "今日计划 2026-03-02" in zh and "CASE011" in zh and "承诺跟进" in zh
    assert "Today's plan 2026-03-02" in harness.api.last(11).text
    # A second delivery round sends nothing more.
    assert await outbox.deliver_due(harness.chat.app.bot, ctx) == 0


async def test_holiday_skips_branch_and_make_up_day_sends(ctx, harness, clock, tmp_path) -> None:
    _org(ctx)
    csv = tmp_path / "h.csv"
    csv.write_text(
        "branch,date,name,is_workday\nSH,2026-03-02,Spring,false\nJKT,2026-03-07,Make-up,true\n"
    )
    assert ctx.call(import_holidays, csv) == (2, 0)
    clock.set(datetime(2026, 3, 2, 0, 40, tzinfo=UTC))
    spec = get_job("morning_plan")
    assert "not a working day" in run_job(ctx, spec, _branch(ctx, "SH"))
    assert "1 plans queued" in run_job(ctx, spec, _branch(ctx, "JKT"))
    clock.set(datetime(2026, 3, 7, 1, 40, tzinfo=UTC))  # Saturday 08:40 JKT: a make-up day
    assert "1 plans queued" in run_job(ctx, spec, _branch(ctx, "JKT"))
    assert "not a working day" in run_job(ctx, spec, _branch(ctx, "SH"))
    bad = tmp_path / "bad.csv"
    bad.write_text("branch,date,name,is_workday\nSH,2026-13-01,x,false\n")
    with pytest.raises(HolidayCsvError, match=r"line 2, column date"):
        ctx.call(import_holidays, bad)


async def test_catch_up_within_grace_and_skip_logged_after(ctx, clock, caplog) -> None:
    _org(ctx)
    # The bot ran last Friday (a new installation has skipped nothing).
    clock.set(datetime(2026, 2, 27, 0, 40, tzinfo=UTC))
    run_job(ctx, get_job("morning_plan"), _branch(ctx, "SH"))
    # 10:00 SH / 09:00 JKT: both morning plans (08:40 SH, 08:30 JKT) are within 2 h.
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))
    due = {(s.name, b.code) for s, b, _ in missed_runs(ctx, clock.now())}
    assert {("morning_plan", "SH"), ("morning_plan", "JKT")} <= due
    # 11:00 SH (2 h 20 min late) is too late; JKT (1 h 30 min late at 10:00) is not.
    clock.set(datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        due = {(s.name, b.code): fire for s, b, fire in missed_runs(ctx, clock.now())}
    assert ("morning_plan", "JKT") in due and ("morning_plan", "SH") not in due
    assert any(
        "morning_plan for SH" in r.message and "skipped" in r.message for r in caplog.records
    )
    spec, fire = get_job("morning_plan"), due[("morning_plan", "JKT")]
    assert "1 plans queued" in run_job(ctx, spec, _branch(ctx, "JKT"), fire_time=fire)
    assert [r[1] for r in _rows(ctx) if r[1] != date(2026, 2, 27)] == [MON]


async def test_plan_command_more_button_and_settings(ctx, harness, clock) -> None:
    _org(ctx)
    msgs = await harness.chat.send(1, "/plan")
    assert "今日计划 2026-03-02" in msgs[0].text
    tomorrow = await harness.chat.send(1, "/plan tomorrow")
    assert "明日计划 2026-03-03" in tomorrow[0].text
    # Top 5 in the rotation block of 6 → a "more" button that lists the rest.
    labels = [label for label, _ in buttons(msgs[0])]
    assert any(label.startswith("常规轮拨") for label in labels)
    more = next(label for label in labels if label.startswith("常规轮拨"))
    await harness.chat.tap(1, msgs[0], more)
    detail = harness.api.last(1).text
    assert detail.count("CASE01") >= 4
    # Team leads have no plan.
    ctx.call(
        lambda s: f.bind(s, s.query(Employee).filter_by(employee_no="L0001").one(), 50, clock.now())
    )
    refused = await harness.chat.send(50, "/plan")
    assert "没有使用此命令的权限" in refused[0].text
    # C0003 is on leave Mon–Wed: /plan says so instead of sending a plan.
    [leave] = await harness.chat.send(3, "/plan")
    assert "2026-03-02 你在休假，没有计划" in leave.text and "今日计划" not in leave.text
    st = await harness.chat.send(1, "/settings")
    assert "时段提醒：关" in st[0].text
    await harness.chat.tap(1, st[0], 1)
    assert "时段提醒：开" in harness.api.last(1).text


async def test_nudges_and_recap_only_for_opted_in(ctx, harness, clock) -> None:
    from bot.jobs.plans import toggle_pref

    _org(ctx)
    ctx.call(toggle_pref, 1, "nudges", clock.now())
    ctx.call(toggle_pref, 2, "recap", clock.now())
    sh = _branch(ctx, "SH")
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 10:00 SH: target block starts
    assert "1 target nudges queued" in run_job(ctx, get_job("plan_nudge_target"), sh)
    clock.set(datetime(2026, 3, 2, 11, 5, tzinfo=UTC))  # 19:05 SH
    ctx.call(lambda s: call(s, _first_case(s, 2), "2026-03-02T11:00", "rpc"))
    ctx.call(lambda s: call(s, _first_case(s, 2), "2026-03-02T15:00", "no_answer"))
    assert "1 recaps queued" in run_job(ctx, get_job("evening_recap"), sh)
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert "重点案件" in harness.api.last(1).text and "CASE010" in harness.api.last(1).text
    recap = harness.api.last(2).text
    # Today 2 calls, 1 answered; Friday (previous working day) 1 call, answered.
    assert "今日小结" in recap and "通话 2（1）" in recap and "接通 1（1）" in recap


def _first_case(s, emp_id):  # type: ignore[no-untyped-def]
    from db.models import Case

    return s.query(Case).filter_by(collector_id=emp_id).order_by(Case.id).first()


def test_plan_cli_text_and_json_match(ctx, tmp_path: Path, monkeypatch) -> None:
    import json

    from typer.testing import CliRunner

    from bot import cli

    _org(ctx)
    monkeypatch.setenv("DATABASE_URL", ctx.settings.database_url)
    cli.get_settings.cache_clear()
    cli.CLI_MODULES and [
        __import__(m, fromlist=["x"]).register(cli.app)
        for m in cli.CLI_MODULES
        if not any(c.name == "plan" for c in cli.app.registered_commands)
    ]
    runner = CliRunner()
    res = runner.invoke(
        cli.app, ["plan", "--employee", "C0001", "--date", "2026-03-02", "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    txt = runner.invoke(cli.app, ["plan", "--employee", "C0001", "--date", "2026-03-02"])
    assert txt.exit_code == 0, txt.output
    for blk in data["blocks"]:
        assert f"（{blk['count']}）" in txt.output
        for c in blk["cases"]:
            assert c["case_ref"] in txt.output
    assert data["total"] == 9
    # A leave day (C0003, Mon–Wed) and a weekend: said so, no plan printed, in text and JSON.
    leave = runner.invoke(cli.app, ["plan", "--employee", "C0003", "--date", "2026-03-03"])
    assert leave.exit_code == 0, leave.output
    assert "2026-03-03: C0003 is on leave (annual): no plan." in leave.output
    assert "CASE03" not in leave.output and "09:00" not in leave.output
    js = runner.invoke(
        cli.app, ["plan", "--employee", "C0003", "--date", "2026-03-02", "--format", "json"]
    )
    assert json.loads(js.output) == {
        "workday": False,
        "status": "leave",
        "detail": "annual",
        "date": "2026-03-02",
    }
    sat = runner.invoke(cli.app, ["plan", "--employee", "C0001", "--date", "2026-03-07"])
    assert "2026-03-07: not a working day for SH: no plan." in sat.output
    assert "CASE01" not in sat.output
    # After the leave, C0003 gets a plan again.
    back = runner.invoke(cli.app, ["plan", "--employee", "C0003", "--date", "2026-03-05"])
    assert "CASE03" in back.output
    cli.get_settings.cache_clear()
