"""Trainer flows: /stats pages through every push with buttons and calls a push late only
after its deadline; a push from the CLI notifies the trainees and the trainers' chat."""

from __future__ import annotations

from datetime import timedelta

from typer.testing import CliRunner

from bot import outbox
from bot.transport.localapi import buttons
from coaching.training import service
from tests.conftest import Harness
from tests.training_seed import STARTER, TRAINERS_CHAT, import_content, seed_org

TRAINER = 5001
ITEMS = [
    "compliance-exam",
    "compliance-course",
    "placement",
    "compliance-practice",
    "communication-quiz",
    "resilience-quiz",
    "data-handling-quiz",
    "classification-quiz",
    "communication-basics",
]


async def test_stats_pages_with_buttons_and_overdue_only_after_the_deadline(
    ctx, harness: Harness, clock
) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    now = clock.now()
    with ctx.db.session() as s:
        for slug in ITEMS:  # 9 pushes to C0002, then a 10th to C0003
            assert not isinstance(service.push(s, slug, "person", "C0002", now, days=3), str)
        service.push(s, "compliance-exam", "person", "C0003", now, days=3)
    [page1, _chart] = await harness.chat.send(TRAINER, "/stats")
    assert "第 1/2 页" in page1.text
    assert page1.text.count("→ 个人 C000") == 8 and "#10 " in page1.text and "#1 " not in page1.text
    # Sent minutes ago: nothing is late or red yet.
    assert "🔴 #" not in page1.text and "未到截止时间" in page1.text and "逾期" not in page1.text
    labels = [lbl for lbl, _ in buttons(page1)]
    assert "◀ 较早的推送" in labels and "较新的推送 ▶" not in labels
    await harness.chat.tap(TRAINER, page1, "◀ 较早的推送")
    [page2] = [m for m in harness.api.sent(TRAINER) if m.message_id == page1.message_id]
    assert "第 2/2 页" in page2.text and "#1 " in page2.text and "#2 " in page2.text
    assert page2.text.count("→ 个人 C000") == 2
    assert "较新的推送 ▶" in [lbl for lbl, _ in buttons(page2)]
    # Four days later the 3-day deadline has passed: now the pushes are late.
    clock.advance(timedelta(days=4))
    [late, _] = await harness.chat.send(TRAINER, "/stats")
    assert "🔴 #10 " in late.text and "逾期 1" in late.text


async def test_cli_push_notifies_trainees_and_the_trainers_chat(
    ctx, harness: Harness, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    seed_org(ctx)
    import_content(ctx, STARTER)
    from bot import cli

    monkeypatch.setattr(cli, "context", lambda: ctx)
    for mod in cli.CLI_MODULES:
        __import__(mod, fromlist=["register"]).register(cli.app)
    res = CliRunner().invoke(
        cli.app, ["training", "push", "compliance-exam", "--team", "SH-1", "--days", "7"]
    )
    assert res.exit_code == 0, res.output
    assert "notices queued: 4 trainee(s), 1 trainers' chat(s)" in " ".join(res.output.split())
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    for user in (1001, 1002, 1003, 1004):
        assert "新培训任务：《合规必修考试》" in harness.api.last(user).text
    note = harness.api.last(TRAINERS_CHAT).text
    assert "命令行推送" in note and "小组 SH-1：4 人" in note
    # Running the delivery again sends nothing twice.
    n = len(harness.api.sent(TRAINERS_CHAT))
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000.0, 0.0))
    assert len(harness.api.sent(TRAINERS_CHAT)) == n
