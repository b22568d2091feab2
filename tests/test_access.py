"""Onboarding and access control through the real Application and the local Bot API."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from coaching import people
from coaching.people import Invite
from db.models import AuditLog, TelegramBinding
from tests import factories as f
from tests.conftest import Harness

HR_CHAT = -100500


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s)
        t = f.team(s, b)
        c = f.employee(s, "C0001", b, "collector", team=t, name="张三")
        h = f.employee(s, "H0001", b, "hr", name="李四")
        a = f.employee(s, "A0001", b, "admin", name="王五")
        f.bind(s, c, 1001, now)
        f.bind(s, h, 2001, now)
        f.bind(s, a, 3001, now)
        f.hr_chat(s, HR_CHAT, b, now)


def audit_rows(ctx, outcome: str) -> list[AuditLog]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        return list(s.execute(select(AuditLog).where(AuditLog.outcome == outcome)).scalars())


async def test_unbound_user_gets_only_an_explanation(ctx, harness: Harness) -> None:
    seed(ctx)
    for cmd in ["/help", "/lang", "hello", "/invite C0001", "/nonsense"]:
        replies = await harness.chat.send(999, cmd)
        assert len(replies) == 1, cmd
        assert "邀请码" in replies[0].text and "/start" in replies[0].text
    assert {r.action for r in audit_rows(ctx, "denied")} >= {"/help", "/lang", "/invite"}


async def test_collector_help_is_chinese_and_lists_only_allowed(ctx, harness: Harness) -> None:
    seed(ctx)
    [reply] = await harness.chat.send(1001, "/help")
    assert "张三" in reply.text and "催收员" in reply.text
    assert "/help" in reply.text and "/lang" in reply.text
    assert "/invite" not in reply.text and "/register" not in reply.text


async def test_hr_command_refused_to_collector_with_audit(ctx, harness: Harness) -> None:
    seed(ctx)
    # A collector in private chat, and a collector inside the HR chat: both refused.
    # The role is checked before the chat: in private the collector is told they lack the
    # right, not sent to a group where they would be refused again.
    [r1] = await harness.chat.send(1001, "/invite C0001")
    assert "🔒" in r1.text and "权限" in r1.text and "群组" not in r1.text
    [r2] = await harness.chat.send(1001, "/invite C0001", chat_id=HR_CHAT)
    assert "权限" in r2.text
    denied = [r for r in audit_rows(ctx, "denied") if r.action == "/invite"]
    assert len(denied) == 2 and all(r.telegram_user_id == 1001 for r in denied)
    assert [r.detail for r in denied] == ["core.no_role", "core.no_role"]


async def test_invite_bind_and_rebind_end_to_end(ctx, harness: Harness) -> None:
    seed(ctx)
    [reply] = await harness.chat.send(2001, "/invite C0001", chat_id=HR_CHAT)
    assert "t.me/CoachBot?start=" in reply.text
    code = reply.text.split("start=")[1].split()[0]
    # A new phone: the collector binds a second Telegram account, which replaces the first.
    replies = await harness.chat.send(5555, f"/start {code}")
    assert "绑定成功" in replies[0].text
    with ctx.db.session() as s:
        rows = list(s.execute(select(TelegramBinding)).scalars())
        mine = [r for r in rows if r.employee.employee_no == "C0001"]
        assert [r.telegram_user_id for r in mine] == [5555]
    [old] = await harness.chat.send(1001, "/help")
    assert "邀请码" in old.text  # the old account is no longer bound
    # Reusing the code fails.
    [again] = await harness.chat.send(6666, f"/start {code}")
    assert "已被使用" in again.text
    # The stored hash is not the code.
    with ctx.db.session() as s:
        from db.models import InviteCode

        assert all(code not in r.code_hash for r in s.execute(select(InviteCode)).scalars())


async def test_expired_invite_and_left_employee(ctx, harness: Harness, clock) -> None:
    seed(ctx)
    now = clock.now()
    with ctx.db.session() as s:
        inv = people.create_invite(s, "C0001", now, 72, None)
        assert isinstance(inv, Invite)
    clock.advance(timedelta(hours=72, seconds=1))
    [r] = await harness.chat.send(7777, f"/start {inv.code}")
    assert "过期" in r.text
    # Employee leaves: access ends at once.
    with ctx.db.session() as s:
        people.mark_left(s, "C0001", date(2026, 3, 1))
    [r2] = await harness.chat.send(1001, "/help")
    assert "邀请码" in r2.text
    with ctx.db.session() as s:
        assert isinstance(
            people.create_invite(s, "C0001", clock.now(), 72, None), people.InviteError
        )


async def test_language_switch_by_button(ctx, harness: Harness) -> None:
    seed(ctx)
    [picker] = await harness.chat.send(1001, "/lang")
    await harness.chat.tap(1001, picker, "English")
    [reply] = await harness.chat.send(1001, "/help")
    assert "can use" in reply.text and "/lang" in reply.text


async def test_admin_registers_group(ctx, harness: Harness) -> None:
    seed(ctx)
    [r] = await harness.chat.send(3001, "/register trainers SH", chat_id=-777)
    assert "培训主管群" in r.text
    with ctx.db.session() as s:
        assert people.group_purposes(s, -777) == {"trainers": 1}
    [r2] = await harness.chat.send(3001, "/register nope", chat_id=-777)
    assert "用法" in r2.text
