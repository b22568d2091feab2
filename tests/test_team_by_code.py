"""`/team CODE` through the real Application (console harness): a team lead opens only the
teams they lead and is told why otherwise, politely and in their language; HR and admins open
any team of their scope; a tap on a team button beats typing a code."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.transport.localapi import buttons
from db.models import AuditLog, Branch, Team
from tests import factories as f
from tests.conftest import Harness
from tests.test_scoring_bot import HR_CHAT, setup

JKT_HR = 2002
ADMIN = 4001


def plain(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


def _denied(ctx) -> list[str]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        return list(
            s.execute(
                select(AuditLog.detail).where(
                    AuditLog.outcome == "denied", AuditLog.action == "/team"
                )
            ).scalars()
        )


def _second_branch(ctx) -> None:  # type: ignore[no-untyped-def]
    """A Jakarta branch with one team, its HR and an admin (all branches)."""
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s, "JKT", tz="Asia/Jakarta")
        b.name = "雅加达分公司"
        s.execute(select(Branch).where(Branch.code == "SH")).scalar_one().name = "上海分公司"
        t = f.team(s, b, "JKT-1")
        t.name = "雅加达一组"
        f.bind(s, f.employee(s, "H0002", b, "hr"), JKT_HR, now)
        f.bind(s, f.employee(s, "A0001", b, "admin", "hr"), ADMIN, now)


async def test_lead_typing_another_team_is_refused_with_the_reason(
    ctx, harness: Harness, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    # Before: the lead silently got their own team. Now: no table, the reason, a button.
    [r] = await harness.chat.send(3001, "/team SH-2")
    text = plain(r.text)
    assert "SH-2（team SH-2）不是你带的团队" in text and "组长只能查看自己带的团队" in text
    assert "SH-1（team SH-1）" in text and "C0006" not in text and "C0001" not in text
    assert [label for label, _ in buttons(r)] == ["SH-1 team SH-1"]
    assert _denied(ctx) == ["team SH-2 not led by the caller"]
    # The button opens the own team: a tap instead of typing.
    await harness.chat.tap(3001, r, "SH-1 team SH-1")
    table = plain(harness.api.last(3001).text)
    assert table.startswith("👥 team SH-1（SH-1）") and "3. C0001 张三：70.0" in table
    # Their own team by code, typed on a phone (lower case, full width): shown.
    for typed in ("/team SH-1", "/team sh-1", "/team ＳＨ－１"):
        [own] = await harness.chat.send(3001, typed)
        assert "3. C0001 张三：70.0" in plain(own.text), typed
    # An unknown code is said to be unknown (not "not yours"), with the own team as a button.
    [u] = await harness.chat.send(3001, "/team XX-9")
    assert "没有代码为 XX-9 的团队" in plain(u.text) and "不是你带的" not in u.text
    assert [label for label, _ in buttons(u)] == ["SH-1 team SH-1"]
    # Typed input is escaped once, never taken as markup.
    [h] = await harness.chat.send(3001, "/team <b>x</b>")
    assert "&lt;b&gt;x&lt;/b&gt;" in h.text and "&amp;lt;" not in h.text


async def test_lead_refusal_in_english(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    await harness.chat.send(3001, "/lang en")
    [r] = await harness.chat.send(3001, "/team SH-2")
    text = plain(r.text)
    assert "SH-2 (team SH-2) is not a team you lead" in text
    assert "Team leads can open only their own teams: SH-1 (team SH-1); tap a button below" in text
    assert "C0006" not in text


async def test_lead_of_two_teams_picks_by_button(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = setup(ctx, tmp_path)
    with ctx.db.session() as s:
        s.get(Team, w.team_ids["SH-2"]).lead_id = w.ids["L0001"]
    # Two teams: a picker instead of two long tables.
    [picker] = await harness.chat.send(3001, "/team")
    assert "选择要查看的团队" in picker.text
    assert [label for label, _ in buttons(picker)] == ["SH-1 team SH-1", "SH-2 team SH-2"]
    await harness.chat.tap(3001, picker, "SH-2 team SH-2")
    assert "1. C0006 孙八：100.0" in plain(harness.api.last(3001).text)
    [direct] = await harness.chat.send(3001, "/team SH-2")
    assert "1. C0006 孙八：100.0" in plain(direct.text)
    assert _denied(ctx) == []


async def test_lead_in_the_hr_chat_is_told_where_to_ask(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    [r] = await harness.chat.send(3001, "/team SH-1", chat_id=HR_CHAT)
    assert "私聊" in r.text and "C0001" not in r.text
    assert _denied(ctx) == ["team lead in HR chat"]


async def test_hr_and_admin_scope(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    _second_branch(ctx)
    # Shanghai HR, private chat: any Shanghai team; Jakarta's is refused naming the branches.
    [sh2] = await harness.chat.send(2001, "/team SH-2")
    assert "1. C0006 孙八：100.0" in plain(sh2.text)
    [r] = await harness.chat.send(2001, "/team JKT-1")
    text = plain(r.text)
    assert "JKT-1（雅加达一组）属于雅加达分公司，在这里只能查看上海分公司的团队" in text
    assert [label for label, _ in buttons(r)] == ["SH-1 team SH-1", "SH-2 team SH-2"]
    # Jakarta HR cannot open Shanghai's teams, by code or by a forged button.
    [r2] = await harness.chat.send(JKT_HR, "/team SH-1")
    assert "属于上海分公司" in plain(r2.text) and "C0001" not in r2.text
    await harness.chat.feed(
        harness.chat.updates.callback(JKT_HR, r2, f"team:{_team_id(ctx, 'SH-1')}")
    )
    assert "C0001" not in harness.api.last(JKT_HR).text
    # An admin opens any team, in any branch.
    [a1] = await harness.chat.send(ADMIN, "/team SH-1")
    assert "3. C0001 张三：70.0" in plain(a1.text)
    [a2] = await harness.chat.send(ADMIN, "/team jkt-1")
    assert "雅加达一组（JKT-1）" in plain(a2.text)
    # In the Shanghai HR chat the scope is the chat's branch, even for the admin.
    [g] = await harness.chat.send(ADMIN, "/team JKT-1", chat_id=HR_CHAT)
    assert "在这里只能查看上海分公司的团队" in plain(g.text)
    assert sorted(_denied(ctx)) == sorted(
        [
            "team JKT-1 outside the caller's branch",
            "team SH-1 outside the caller's branch",
            "team SH-1 out of scope",
            "team JKT-1 outside the caller's branch",
        ]
    )


def _team_id(ctx, code: str) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        return s.execute(select(Team.id).where(Team.code == code)).scalar_one()


async def test_hr_refusal_in_english(ctx, harness: Harness, tmp_path) -> None:  # type: ignore[no-untyped-def]
    setup(ctx, tmp_path)
    _second_branch(ctx)
    await harness.chat.send(JKT_HR, "/lang en")
    [r] = await harness.chat.send(JKT_HR, "/team SH-1")
    assert (
        "SH-1 (team SH-1) belongs to 上海分公司; here you can open only the teams of 雅加达分公司"
        in plain(r.text)
    )
