"""Exit workflow: bot form and CLI; access ends after the last day; rehire keeps history."""

from __future__ import annotations

from datetime import date, timedelta

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import hr as cli_hr
from coaching.risk.attrition import stints
from coaching.risk.exits import ExitError, list_exits, record_exit, rehire
from db.models import AuditLog, Employee, ExitRecord
from tests import factories as f
from tests.conftest import Harness

SH_CHAT, JKT_CHAT = -100801, -100802
HR, COLLECTOR = 2001, 1001
TODAY = date(2026, 3, 2)


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        sh = f.branch(s, "SH")
        jkt = f.branch(s, "JKT", tz="Asia/Jakarta")
        c = f.employee(s, "C0001", sh, hire_date=date(2025, 5, 6), name="张三")
        f.employee(s, "C0101", jkt, hire_date=date(2025, 5, 6))
        h = f.employee(s, "H0001", sh, "hr", name="人事")
        f.bind(s, c, COLLECTOR, now)
        f.bind(s, h, HR, now)
        f.hr_chat(s, SH_CHAT, sh, now)
        f.hr_chat(s, JKT_CHAT, jkt, now)


def emp(ctx, no: str) -> Employee:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        e = s.execute(select(Employee).where(Employee.employee_no == no)).scalar_one()
        s.expunge(e)
        return e


async def test_exit_form_in_bot_then_access_ends_after_last_day(ctx, harness: Harness) -> None:
    seed(ctx)
    [ask] = await harness.chat.send(HR, "/exit C0001", chat_id=SH_CHAT)
    assert "C0001 张三" in ask.text and "离职原因类别" in ask.text
    await harness.chat.tap(HR, ask, "内部原因")
    day = harness.api.last(SH_CHAT)
    assert "最后工作日" in day.text
    await harness.chat.tap(HR, day, "今天")
    assert "简述离职原因" in harness.api.last(SH_CHAT).text
    [r1] = await harness.chat.send(HR, "薪酬低于预期", chat_id=SH_CHAT)
    assert "交接清单" in r1.text
    [r2] = await harness.chat.send(HR, "案件移交组长\n工牌归还", chat_id=SH_CHAT)
    assert "交接清单（2 项）" in r2.text
    [r3] = await harness.chat.send(HR, "完成", chat_id=SH_CHAT)
    assert "面谈" in r3.text
    [review] = await harness.chat.send(HR, "希望以后有机会回来", chat_id=SH_CHAT)
    assert "☐ 案件移交组长" in review.text and "☐ 工牌归还" in review.text
    assert "内部原因" in review.text and "2026-03-02" in review.text
    # Not recorded until confirmed: the collector still has access.
    assert emp(ctx, "C0001").status == "active"
    await harness.chat.tap(HR, review, "✅ 确认")
    assert "已登记离职" in harness.api.last(SH_CHAT).text
    e = emp(ctx, "C0001")
    assert (e.status, e.left_on) == ("left", TODAY)
    with ctx.db.session() as s:
        rec = s.execute(select(ExitRecord).where(ExitRecord.status == "recorded")).scalar_one()
        assert rec.reason_category == "internal" and rec.detail == "薪酬低于预期"
        assert rec.handover == ["案件移交组长", "工牌归还"]
        assert rec.interview_notes == "希望以后有机会回来" and rec.awaiting is None
        assert (
            s.execute(select(AuditLog).where(AuditLog.action == "hr:exit_record")).scalars().all()
        )
    # The last day itself still works; the day after, the bot no longer knows them.
    [ok] = await harness.chat.send(COLLECTOR, "/help")
    assert "邀请码" not in ok.text
    ctx.clock.advance(timedelta(days=1))
    [gone] = await harness.chat.send(COLLECTOR, "/help")
    assert "邀请码" in gone.text


async def test_exit_form_errors(ctx, harness: Harness) -> None:
    seed(ctx)
    [r] = await harness.chat.send(HR, "/exit C9999", chat_id=SH_CHAT)
    assert "没有工号 C9999" in r.text
    [r] = await harness.chat.send(HR, "/exit C0101", chat_id=SH_CHAT)  # JKT person, SH chat
    assert "不属于您的分公司" in r.text
    [ask] = await harness.chat.send(HR, "/exit C0001", chat_id=SH_CHAT)
    await harness.chat.tap(HR, ask, "个人原因")
    [bad] = await harness.chat.send(HR, "下周五", chat_id=SH_CHAT)
    assert "不是日期" in bad.text
    [early] = await harness.chat.send(HR, "2020-01-01", chat_id=SH_CHAT)
    assert "早于入职日期" in early.text
    [ok] = await harness.chat.send(HR, "2026-03-20", chat_id=SH_CHAT)
    assert "简述离职原因" in ok.text
    # The collector cannot use /exit at all.
    [no] = await harness.chat.send(COLLECTOR, "/exit C0001")
    assert "🔒" in no.text


def test_record_rehire_keeps_history(ctx) -> None:
    seed(ctx)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        record_exit(
            s,
            "C0001",
            last_day=date(2026, 3, 10),
            category="external",
            detail="同行挖角",
            handover=["交接"],
            now=now,
        )
    with ctx.db.session() as s:
        try:
            record_exit(s, "C0001", last_day=date(2026, 3, 11), category="personal", now=now)
            raise AssertionError("a second exit must be refused")
        except ExitError as exc:
            assert exc.code == "already_left"
        try:
            rehire(s, "C0001", date(2026, 3, 5), now)
            raise AssertionError("rehire before the exit must be refused")
        except ExitError as exc:
            assert exc.code == "rehire_before_exit"
    with ctx.db.session() as s:
        rehire(s, "C0001", date(2026, 6, 1), now)
    e = emp(ctx, "C0001")
    assert (e.status, e.left_on, e.hire_date) == ("active", None, date(2026, 6, 1))
    with ctx.db.session() as s:
        [row] = list_exits(s)
        assert (row.category, row.rehired_on, row.stint_start) == (
            "external",
            date(2026, 6, 1),
            date(2025, 5, 6),
        )
        mine = sorted((st.start, st.end) for st in stints(s) if st.employee_id == e.id)
        assert mine == [(date(2025, 5, 6), date(2026, 3, 10)), (date(2026, 6, 1), None)]


def cli(ctx, monkeypatch):  # type: ignore[no-untyped-def]
    import bot.cli

    monkeypatch.setattr(bot.cli, "context", lambda: ctx)
    monkeypatch.setattr(bot.cli, "ensure_schema", lambda c: None)
    app = typer.Typer()
    cli_hr.register(app)
    return lambda *args: CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def test_cli_record_list_rehire(ctx, monkeypatch) -> None:
    seed(ctx)
    run = cli(ctx, monkeypatch)
    bad = run("exit", "record", "C0001", "--last-day", "2026-03-10", "--reason-category", "money")
    assert (
        bad.exit_code == 2
        and "bad category" in bad.output
        and "personal/internal/external" in bad.output
    )
    bad = run(
        "exit", "record", "C0001", "--last-day", "10/03/2026", "--reason-category", "personal"
    )
    assert bad.exit_code == 2 and "--last-day" in bad.output
    ok = run(
        "exit",
        "record",
        "C0001",
        "--last-day",
        "2026-03-10",
        "--reason-category",
        "personal",
        "--detail",
        "回老家",
        "--handover",
        "案件移交",
        "--handover",
        "设备归还",
    )
    assert ok.exit_code == 0, ok.output
    listed = run("exit", "list")
    assert "C0001" in listed.output and "personal" in listed.output and "回老家" in listed.output
    assert run("exit", "rehire", "C0001", "--on", "2026-04-01").exit_code == 0
    assert emp(ctx, "C0001").status == "active"
    again = run("exit", "rehire", "C0001")
    assert again.exit_code == 2 and "not left" in again.output


async def test_exit_form_in_a_group_under_privacy_mode(ctx, harness: Harness) -> None:
    """With privacy mode on, the bot sees only commands, button presses and replies to its own
    messages: every step is answerable that way, and the typed steps ask for a reply."""
    seed(ctx)

    async def say(text: str, reply_to=None):  # type: ignore[no-untyped-def]
        # What Telegram lets through to a bot in a group with privacy mode on.
        assert text.startswith("/") or reply_to is not None, "privacy mode would drop this"
        return await harness.chat.send(HR, text, chat_id=SH_CHAT, reply_to=reply_to)

    [ask] = await say("/exit C0001")
    await harness.chat.tap(HR, ask, "内部原因")
    await harness.chat.tap(HR, harness.api.last(SH_CHAT), "今天")
    prompt = harness.api.last(SH_CHAT)
    assert "简述离职原因" in prompt.text and prompt.reply_markup.get("force_reply") is True
    [handover] = await say("薪酬低于预期", reply_to=prompt)
    assert "交接清单" in handover.text and handover.reply_markup.get("force_reply") is True
    # The checklist may take several replies; "完成" closes it.
    [more] = await say("案件移交组长", reply_to=handover)
    assert "交接清单（1 项）" in more.text and more.reply_markup.get("force_reply") is True
    [interview] = await say("完成", reply_to=more)
    assert "面谈" in interview.text and interview.reply_markup.get("force_reply") is True
    [review] = await say("无", reply_to=interview)
    await harness.chat.tap(HR, review, "✅ 确认")
    assert "已登记离职" in harness.api.last(SH_CHAT).text
    assert emp(ctx, "C0001").status == "left"
