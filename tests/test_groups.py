"""Group chats: negative ids on the command line, list/unregister, the HR-only rule with a
confirmation that names bound non-HR members, and a trainers chat that never gets HR alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from coaching import groups, people
from db.models import GroupChat, Outbox
from tests import cli_helpers
from tests import factories as f
from tests.conftest import Harness
from tests.hr_seed import only
from tests.test_hr_alerts import SH_CHAT, job
from tests.test_hr_alerts import seed as hr_seed

run_cli = cli_helpers.run_cli  # the fixture

CHAT = -1001234567890
TRAINERS = -1001000000077
ADMIN, HR, COLLECTOR, TRAINER, OUTSIDER = 3001, 2001, 1001, 4001, 1002


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s, "SH")
        for no, role, uid, name in [
            ("A0001", "admin", ADMIN, "王管理"),
            ("H0001", "hr", HR, "李人事"),
            ("C0001", "collector", COLLECTOR, "张催收"),
            ("C0002", "collector", OUTSIDER, "赵不在"),
            ("T0001", "trainer", TRAINER, "钱培训"),
        ]:
            f.bind(s, f.employee(s, no, b, role, name=name), uid, now)


def purposes(ctx, chat: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return ctx.call(people.group_purposes, chat)


def test_cli_negative_ids_list_unregister_and_hr_exclusive(ctx, run_cli) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    res = run_cli("group", "register", str(CHAT), "trainers", "--branch", "SH")
    assert res.exit_code == 0, res.output
    assert purposes(ctx, CHAT) == {"trainers": 1}
    listed = run_cli("group", "list").output
    assert str(CHAT) in listed and "trainers" in listed
    # the trainers chat cannot take HR alerts as well
    res = run_cli("group", "register", str(CHAT), "hr_alerts", "--yes")
    assert res.exit_code == 2 and "holds no other purpose" in res.output, res.output
    assert purposes(ctx, CHAT) == {"trainers": 1}
    res = run_cli("group", "unregister", str(CHAT), "trainers")
    assert res.exit_code == 0 and purposes(ctx, CHAT) == {}
    # HR alerts: asks first (no token here, so membership cannot be checked); "n" stores nothing
    res = run_cli("group", "register", str(CHAT), "hr_alerts")
    assert res.exit_code == 1 and "cannot be checked" in res.output and purposes(ctx, CHAT) == {}
    res = run_cli("group", "register", str(CHAT), "hr_alerts", "--yes")
    assert res.exit_code == 0 and purposes(ctx, CHAT) == {"hr_alerts": None}
    res = run_cli("group", "register", str(CHAT), "trainers")
    assert res.exit_code == 2 and "hr_alerts" in res.output
    assert run_cli("group", "unregister", str(CHAT)).exit_code == 0
    assert run_cli("group", "unregister", str(CHAT)).exit_code == 1


def member_stub(harness: Harness, in_chat: set[int]) -> None:
    def get_chat_member(params: dict[str, Any]) -> dict[str, Any]:
        uid = int(params["user_id"])
        user = {"id": uid, "is_bot": False, "first_name": "u"}
        if uid in in_chat:
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    harness.api._m_getChatMember = get_chat_member  # type: ignore[attr-defined]


async def test_bot_register_hr_asks_with_non_hr_members_and_refuses_trainers_chat(
    ctx, harness: Harness
) -> None:
    seed(ctx)
    member_stub(harness, {ADMIN, HR, COLLECTOR, TRAINER})
    [r] = await harness.chat.send(ADMIN, "/register trainers", chat_id=TRAINERS)
    assert "培训主管群" in r.text
    [r] = await harness.chat.send(ADMIN, "/register hr_alerts SH", chat_id=TRAINERS)
    assert "不能兼作其他用途" in r.text
    assert purposes(ctx, TRAINERS) == {"trainers": None}

    [r] = await harness.chat.send(ADMIN, "/register hr_alerts XX", chat_id=CHAT)
    assert "找不到分公司代码 XX" in r.text and not r.reply_markup
    [ask] = await harness.chat.send(ADMIN, "/register hr_alerts SH", chat_id=CHAT)
    assert "C0001 张催收" in ask.text and "T0001 钱培训" in ask.text
    assert "李人事" not in ask.text and "王管理" not in ask.text  # HR and admin are fine
    assert "赵不在" not in ask.text  # bound, not HR, but not in this chat
    assert purposes(ctx, CHAT) == {}  # nothing until confirmed
    # a collector pressing the button is refused
    await harness.chat.tap(COLLECTOR, ask, "确认登记")
    assert purposes(ctx, CHAT) == {}
    await harness.chat.tap(ADMIN, ask, "确认登记")
    assert purposes(ctx, CHAT) == {"hr_alerts": 1}
    assert "已登记为人事预警群" in harness.api.last(CHAT).text

    [r] = await harness.chat.send(ADMIN, "/register trainers", chat_id=CHAT)
    assert "不能兼作其他用途" in r.text
    [g] = await harness.chat.send(ADMIN, "/groups")
    assert str(CHAT) in g.text and str(TRAINERS) in g.text
    [u] = await harness.chat.send(ADMIN, "/unregister", chat_id=TRAINERS)
    assert "培训主管群" in u.text and purposes(ctx, TRAINERS) == {}
    # not for HR or collectors
    [r] = await harness.chat.send(HR, "/register trainers", chat_id=TRAINERS)
    assert purposes(ctx, TRAINERS) == {}


async def test_cancel_registers_nothing(ctx, harness: Harness) -> None:
    seed(ctx)
    member_stub(harness, set())
    [ask] = await harness.chat.send(ADMIN, "/register hr_alerts", chat_id=CHAT)
    assert "没有已绑定的非人事员工" in ask.text
    await harness.chat.tap(ADMIN, ask, "取消")
    assert purposes(ctx, CHAT) == {}


async def test_a_trainers_chat_never_receives_hr_alerts(ctx, harness: Harness) -> None:
    hr_seed(ctx)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        sh_id = s.execute(select(GroupChat.branch_id).where(GroupChat.chat_id == SH_CHAT)).scalar()
        # the rule refuses it …
        s.add(GroupChat(chat_id=TRAINERS, purpose="trainers", registered_at=now))
        s.flush()
        assert groups.register(s, TRAINERS, "hr_alerts", "", "SH", None, now) == (
            groups.GroupError.HR_EXCLUSIVE
        )
        # … and a row from before the rule (registered twice) is ignored by alert routing
        s.add(GroupChat(chat_id=TRAINERS, purpose="hr_alerts", branch_id=sh_id, registered_at=now))
    ctx.extras["risk_config"] = only(tenure=30)
    await job(ctx, harness, "hr_risk_weekly")
    assert any("C0001" in m.text for m in harness.api.sent(SH_CHAT))
    assert harness.api.sent(TRAINERS) == []
    with ctx.db.session() as s:
        chats = set(s.execute(select(Outbox.chat_id)).scalars())
    assert TRAINERS not in chats
