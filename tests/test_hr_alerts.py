"""Scheduled alerts to the branch's HR chat: content, de-duplication, snoozing, escalation,
branch scoping, buttons (who pressed them; refused to non-HR) and privacy."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from bot import outbox
from bot.jobs import get_job, run_job
from bot.transport.localapi import buttons
from coaching.calendar import all_branches
from db.models import (
    AuditLog,
    Branch,
    Employee,
    GroupChat,
    Outbox,
    RiskAction,
    RiskAlertState,
    RiskScore,
)
from tests import factories as f
from tests.conftest import Harness
from tests.hr_seed import TODAY, leave, only

SH_CHAT, JKT_CHAT = -100601, -100602
HR_SH, HR_JKT, COLLECTOR, ADMIN = 2001, 2002, 1001, 3001


def seed(ctx) -> dict[str, int]:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        sh = f.branch(s, "SH")
        jkt = f.branch(s, "JKT", tz="Asia/Jakarta")
        t1, t2 = f.team(s, sh, "SH-1"), f.team(s, jkt, "JKT-1")
        new = f.employee(
            s, "C0001", sh, team=t1, hire_date=TODAY - timedelta(days=6), name="新人甲"
        )
        vet = f.employee(
            s, "C0002", sh, team=t1, hire_date=TODAY - timedelta(days=900), name="老员工"
        )
        jnew = f.employee(
            s, "C0101", jkt, team=t2, hire_date=TODAY - timedelta(days=6), name="雅加达新人"
        )
        h1 = f.employee(s, "H0001", sh, "hr", name="人事甲")
        h2 = f.employee(s, "H0002", jkt, "hr", name="人事乙")
        a = f.employee(s, "A0001", sh, "admin", "hr", name="管理员")
        f.bind(s, vet, COLLECTOR, now)
        f.bind(s, h1, HR_SH, now)
        f.bind(s, h2, HR_JKT, now)
        f.bind(s, a, ADMIN, now)
        f.hr_chat(s, SH_CHAT, sh, now)
        f.hr_chat(s, JKT_CHAT, jkt, now)
        return {"new": new.id, "vet": vet.id, "jnew": jnew.id, "h1": h1.id}


async def job(ctx, harness: Harness, name: str, code: str | None = None) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    for b in ctx.call(all_branches):
        if code in (None, b.code):
            out.append(run_job(ctx, get_job(name), b, force=True) or "")
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    return out


def outbox_rows(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        return len(list(s.execute(select(Outbox)).scalars()))


async def test_weekly_alert_branch_scoped_and_second_run_posts_nothing(
    ctx, harness: Harness
) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)  # a new hire → 30 points → watch
    summaries = await job(ctx, harness, "hr_risk_weekly")
    assert any("1 new/escalated posted" in x for x in summaries)
    sh = harness.api.sent(SH_CHAT)
    assert len(sh) == 2
    assert "离职风险预警" in sh[0].text and "1 人" in sh[0].text
    person = sh[1]
    assert "C0001 新人甲" in person.text and "入职第 7 天" in person.text
    assert "安排导师" in person.text  # suggested action for a new hire
    assert [label for label, _ in buttons(person)] == ["✅ 已联系", "💤 暂缓 14 天", "🚫 不是风险"]
    # Branch scoping: the SH chat never sees JKT people, and vice versa.
    assert all("C0101" not in m.text for m in sh)
    jkt = harness.api.sent(JKT_CHAT)
    assert any("C0101" in m.text for m in jkt) and all("C0001" not in m.text for m in jkt)
    # Never to the person or their teammates.
    assert harness.api.sent(COLLECTOR) == []
    # History kept: a score row per person for the day.
    with ctx.db.session() as s:
        rows = list(s.execute(select(RiskScore)).scalars())
        assert {r.employee_id for r in rows} == {ids["new"], ids["vet"], ids["jnew"]}
        assert next(r for r in rows if r.employee_id == ids["new"]).level == "watch"
    # A second run posts nothing new.
    before = outbox_rows(ctx)
    summaries = await job(ctx, harness, "hr_risk_weekly")
    assert all("0 new/escalated posted" in x for x in summaries)
    assert outbox_rows(ctx) == before and len(harness.api.sent(SH_CHAT)) == 2


async def test_escalation_is_posted_again(ctx, harness: Harness) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30, leave_increase=15)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    assert len(harness.api.sent(SH_CHAT)) == 2
    with ctx.db.session() as s:
        leave(s, s.get(Employee, ids["new"]), TODAY - timedelta(days=3), 4)
    ctx.clock.advance(timedelta(days=1))
    await job(ctx, harness, "hr_risk_weekly", "SH")
    sh = harness.api.sent(SH_CHAT)
    assert len(sh) == 4 and "风险 45/100 · 高" in sh[3].text and "请假 4 天" in sh[3].text


async def test_snooze_silences_until_level_rises_and_records_who(ctx, harness: Harness) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30, leave_increase=15)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    person = harness.api.sent(SH_CHAT)[1]
    await harness.chat.tap(HR_SH, person, "💤 暂缓 14 天")
    edited = harness.api.last(SH_CHAT)
    assert "暂缓至 2026-03-16" in edited.text and "人事甲" in edited.text
    with ctx.db.session() as s:
        [act] = s.execute(select(RiskAction)).scalars().all()
        assert (act.action, act.by_id, act.employee_id, act.level) == (
            "snooze",
            ids["h1"],
            ids["new"],
            "watch",
        )
        st = s.execute(select(RiskAlertState)).scalars().one()
        assert st.snooze_until == TODAY + timedelta(days=14) and st.snooze_level == "watch"
    # Drops below every level (a config without the tenure signal) …
    ctx.extras["risk_config"] = only(leave_increase=15)
    ctx.clock.advance(timedelta(days=1))
    await job(ctx, harness, "hr_risk_weekly", "SH")
    # … and comes back at the same level while snoozed: still quiet.
    ctx.extras["risk_config"] = only(tenure=30, leave_increase=15)
    ctx.clock.advance(timedelta(days=1))
    n = len(harness.api.sent(SH_CHAT))
    await job(ctx, harness, "hr_risk_weekly", "SH")
    assert len(harness.api.sent(SH_CHAT)) == n
    # The level rises: back in the alert despite the snooze.
    with ctx.db.session() as s:
        leave(s, s.get(Employee, ids["new"]), TODAY, 4)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    sh = harness.api.sent(SH_CHAT)
    assert len(sh) == n + 2 and "C0001" in sh[-1].text and "· 高" in sh[-1].text


async def test_not_a_risk_and_contacted_buttons(ctx, harness: Harness) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    person = harness.api.sent(SH_CHAT)[1]
    await harness.chat.tap(ADMIN, person, "✅ 已联系")
    await harness.chat.tap(HR_SH, person, "🚫 不是风险")
    text = harness.api.last(SH_CHAT).text
    assert "已联系 · 管理员" in text and "标记为不是风险 · 人事甲" in text
    with ctx.db.session() as s:
        acts = s.execute(select(RiskAction).order_by(RiskAction.id)).scalars().all()
        assert [(a.action, a.employee_id) for a in acts] == [
            ("contacted", ids["new"]),
            ("not_risk", ids["new"]),
        ]
        assert s.execute(select(RiskAlertState)).scalars().one().dismissed_level == "watch"


async def test_buttons_refused_to_non_hr_and_other_branch(ctx, harness: Harness) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    person = harness.api.sent(SH_CHAT)[1]
    await harness.chat.tap(COLLECTOR, person, "✅ 已联系")
    answers = harness.api.calls_to("answerCallbackQuery")
    assert answers and answers[-1].params.get("show_alert") in (True, "true", "True")
    # A crafted button for a JKT person pressed in the SH chat.
    person.reply_markup = {
        "inline_keyboard": [[{"text": "x", "callback_data": f"hrr:c:{ids['jnew']}"}]]
    }
    await harness.chat.tap(HR_SH, person, "x")
    assert "不属于本群" in str(harness.api.calls_to("answerCallbackQuery")[-1].params.get("text"))
    with ctx.db.session() as s:
        assert s.execute(select(RiskAction)).scalars().all() == []
        denied = s.execute(select(AuditLog).where(AuditLog.outcome == "denied")).scalars().all()
        assert {d.action for d in denied} >= {"btn:hrr", "hr:risk_action"}


async def test_critical_posted_at_once_by_daily_job(ctx, harness: Harness) -> None:
    seed(ctx)
    ctx.extras["risk_config"] = only(tenure=60)  # a new hire → 60 → critical
    summaries = await job(ctx, harness, "hr_risk_daily", "SH")
    assert "1 new/escalated posted" in summaries[0]
    sh = harness.api.sent(SH_CHAT)
    assert "紧急离职风险" in sh[0].text and "🔴" in sh[1].text
    # The weekly run then has nothing new about them.
    await job(ctx, harness, "hr_risk_weekly", "SH")
    assert len(harness.api.sent(SH_CHAT)) == 2
    # Only watch-level people: the daily job posts nothing.
    ctx.extras["risk_config"] = only(tenure=30)
    ctx.clock.advance(timedelta(days=1))
    with ctx.db.session() as s:
        s.execute(delete(RiskAlertState))
    await job(ctx, harness, "hr_risk_daily", "SH")
    assert len(harness.api.sent(SH_CHAT)) == 2


async def test_risk_list_only_for_hr_and_audited(ctx, harness: Harness) -> None:
    seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)
    [reply] = await harness.chat.send(HR_SH, "/risk", chat_id=SH_CHAT)
    assert "C0001" in reply.text and "C0101" not in reply.text
    [jreply] = await harness.chat.send(HR_JKT, "/risk")  # HR in private: own branch only
    assert "C0101" in jreply.text and "C0001" not in jreply.text
    [refused] = await harness.chat.send(COLLECTOR, "/risk")
    assert "C0001" not in refused.text and "🔒" in refused.text
    [refused2] = await harness.chat.send(COLLECTOR, "/risk", chat_id=SH_CHAT)
    assert "C0001" not in refused2.text
    with ctx.db.session() as s:
        rows = (
            s.execute(select(AuditLog).where(AuditLog.action.in_(["/risk", "hr:risk_view"])))
            .scalars()
            .all()
        )
        assert {(r.action, r.outcome) for r in rows} >= {
            ("/risk", "allowed"),
            ("/risk", "denied"),
            ("hr:risk_view", "allowed"),
        }


async def test_no_hr_chat_keeps_people_for_later(ctx, harness: Harness) -> None:
    seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)
    with ctx.db.session() as s:
        s.execute(delete(GroupChat).where(GroupChat.chat_id == SH_CHAT))
    [summary] = await job(ctx, harness, "hr_risk_weekly", "SH")
    assert "no HR chat registered" in summary
    with ctx.db.session() as s:
        sh = s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        f.hr_chat(s, SH_CHAT, sh, ctx.clock.now())
    await job(ctx, harness, "hr_risk_weekly", "SH")
    assert any("C0001" in m.text for m in harness.api.sent(SH_CHAT))


async def test_english_for_an_english_speaking_hr(ctx, harness: Harness) -> None:
    ids = seed(ctx)
    ctx.extras["risk_config"] = only(tenure=30)
    with ctx.db.session() as s:
        s.get(Employee, ids["h1"]).locale = "en"
    [reply] = await harness.chat.send(HR_SH, "/risk")
    assert "Attrition risk" in reply.text and "new hire, day 7" in reply.text


async def test_several_people_due_together_go_as_one_digest_with_a_button_each(
    ctx, harness: Harness
) -> None:
    ids = seed(ctx)
    with ctx.db.session() as s:
        sh = s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        team = s.get(Employee, ids["new"]).team
        second = f.employee(
            s, "C0003", sh, team=team, hire_date=TODAY - timedelta(days=5), name="新人乙"
        )
        second_id = second.id
    ctx.extras["risk_config"] = only(tenure=30)
    await job(ctx, harness, "hr_risk_weekly", "SH")
    [digest] = harness.api.sent(SH_CHAT)  # one message for the group, not one per person
    assert "新人甲" in digest.text and "新人乙" in digest.text and "2" in digest.text
    labels = [label for label, _ in buttons(digest)]
    assert len(labels) == 2 and any("C0003" in x for x in labels)
    # A person's button opens their card with the action buttons, as a new message.
    await harness.chat.tap(HR_SH, digest, next(x for x in labels if "C0003" in x))
    card = harness.api.last(SH_CHAT)
    assert card.message_id != digest.message_id and "新人乙" in card.text
    await harness.chat.tap(HR_SH, card, 1)  # contacted
    with ctx.db.session() as s:
        acts = s.execute(select(RiskAction).where(RiskAction.employee_id == second_id)).all()
    assert len(acts) == 1
