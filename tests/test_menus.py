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
