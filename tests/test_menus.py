"""Command menus: each bound person's private chat gets the commands of their roles in their
language; a failing setMyCommands is logged and never breaks the reply."""

from __future__ import annotations

import json

from coaching import people
from db.models import Branch
from tests import factories as f
from tests.conftest import Harness


def _invite(ctx, no: str, *roles: str) -> str:  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = s.query(Branch).first() or f.branch(s)
        f.employee(s, no, b, *roles)
        inv = people.create_invite(s, no, now, 72, None)
        return inv.code


def _j(value):  # type: ignore[no-untyped-def]
    return json.loads(value) if isinstance(value, str) else value


def _menu(harness: Harness, chat_id: int) -> list[str]:
    calls = [
        c
        for c in harness.api.calls_to("setMyCommands")
        if _j(c.params["scope"]) == {"type": "chat", "chat_id": chat_id}
    ]
    assert len(calls) == 1
    return [c["command"] for c in _j(calls[0].params["commands"])]


async def test_bind_sets_a_menu_by_role(ctx, harness: Harness) -> None:
    code = _invite(ctx, "C0001", "collector")
    await harness.chat.send(5001, f"/start {code}")
    collector = _menu(harness, 5001)
    assert "plan" in collector and "score" in collector and "risk" not in collector
    code = _invite(ctx, "H0001", "hr")
    await harness.chat.send(5002, f"/start {code}")
    hr = _menu(harness, 5002)
    assert "risk" in hr and "plan" not in hr


async def test_failing_menu_call_never_breaks_the_reply(ctx, harness: Harness) -> None:
    code = _invite(ctx, "C0001", "collector")
    harness.api.fail(500, method="setMyCommands", times=5)
    replies = await harness.chat.send(5001, f"/start {code}")
    assert "绑定成功" in replies[0].text
    assert any("/plan" in m.text for m in replies)  # /help followed the binding
    assert harness.api.calls_to("setMyCommands")  # it was tried, and failed quietly


async def test_role_change_and_leaving_refresh_the_menu_on_the_next_message(
    ctx, harness: Harness
) -> None:
    import asyncio
    from datetime import timedelta

    from db.models import Employee, EmployeeRole

    code = _invite(ctx, "C0001", "collector")
    await harness.chat.send(5001, f"/start {code}")
    assert "team" not in _menu(harness, 5001)

    def promote(s):  # type: ignore[no-untyped-def]
        emp = s.query(Employee).filter_by(employee_no="C0001").one()
        s.add(EmployeeRole(employee_id=emp.id, role="team_lead"))  # e.g. by an employee import

    ctx.call(promote)
    await harness.chat.send(5001, "/help")
    await asyncio.sleep(0.05)  # the refresh runs beside the reply
    menus = [
        c
        for c in harness.api.calls_to("setMyCommands")
        if _j(c.params["scope"]) == {"type": "chat", "chat_id": 5001}
    ]
    assert len(menus) == 2 and "team" in [x["command"] for x in _j(menus[-1].params["commands"])]
    await harness.chat.send(5001, "/help")  # nothing changed: no further call
    await asyncio.sleep(0.05)
    assert len([c for c in harness.api.calls_to("setMyCommands") if "5001" in str(c.params)]) == 2
    # Leaves: after the last day the next message finds them unbound, and the menu goes.
    ctx.call(lambda s: people.mark_left(s, "C0001", ctx.clock.now().date()))
    ctx.clock.advance(timedelta(days=1))
    await harness.chat.send(5001, "/help")
    await asyncio.sleep(0.05)
    assert [_j(c.params["scope"]) for c in harness.api.calls_to("deleteMyCommands")] == [
        {"type": "chat", "chat_id": 5001}
    ]
