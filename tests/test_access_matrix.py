"""Every registered entry point refuses strangers, and role-scoped ones refuse other roles."""

from __future__ import annotations

import pytest

from bot.transport.localapi import SentMessage
from handlers.base import REGISTRY
from tests import factories as f
from tests.conftest import Harness

STRANGER = 990001
COLLECTOR = 990002


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        b = f.branch(s)
        t = f.team(s, b)
        f.bind(s, f.employee(s, "C0001", b, "collector", team=t), COLLECTOR, ctx.clock.now())


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_every_command_refuses_an_unbound_user(ctx, harness: Harness) -> None:
    seed(ctx)
    names = sorted(n for n in REGISTRY.commands if n != "start")
    assert len(names) >= 10
    for name in names:
        before = len(harness.api.calls)
        replies = await harness.chat.send(STRANGER, f"/{name} 1 2")
        assert len(replies) == 1 and "/start" in replies[0].text, name
        methods = [c.method for c in harness.api.calls[before:]]
        assert methods == ["sendMessage"], (name, methods)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_every_button_refuses_an_unbound_user(ctx, harness: Harness) -> None:
    seed(ctx)
    fake = SentMessage(STRANGER, 1, "x", None)
    assert REGISTRY.buttons
    for prefix in sorted(REGISTRY.buttons):
        before = len(harness.api.calls)
        await harness.chat.feed(harness.chat.updates.callback(STRANGER, fake, f"{prefix}:1:2"))
        calls = harness.api.calls[before:]
        assert [c.method for c in calls] == ["answerCallbackQuery"], prefix
        assert calls[0].params.get("show_alert") in (True, "true"), prefix


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_staff_commands_refuse_a_collector(ctx, harness: Harness) -> None:
    seed(ctx)
    staff_only = sorted(
        n
        for n, spec in REGISTRY.commands.items()
        if spec.access.roles is not None and "collector" not in spec.access.roles
    )
    assert staff_only
    for name in staff_only:
        replies = await harness.chat.send(COLLECTOR, f"/{name}")
        assert len(replies) == 1 and "🔒" in replies[0].text, (name, replies)
