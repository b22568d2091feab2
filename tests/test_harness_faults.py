"""The local Bot API answers with Telegram's errors, and the outbox reacts as it should."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot import outbox
from db.models import Outbox, TelegramBinding
from tests import factories as f
from tests.conftest import Harness

HR = -100900


def seed(ctx):  # type: ignore[no-untyped-def]
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s)
        for i, uid in enumerate((11, 12, 13)):
            f.bind(s, f.employee(s, f"C{i:04d}", b), uid, now)
        f.hr_chat(s, HR, b, now)
        for uid in (11, 12, 13):
            outbox.enqueue(
                s,
                key=f"plan:{uid}",
                kind="plan",
                chat_id=uid,
                payload={"text": f"plan for {uid}"},
                now=now,
            )
        # The same key again is a no-op.
        assert not outbox.enqueue(
            s, key="plan:11", kind="plan", chat_id=11, payload={"text": "dup"}, now=now
        )


def rows(ctx) -> dict[int, Outbox]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        return {r.chat_id: r for r in s.execute(select(Outbox)).scalars()}


async def test_429_403_and_5xx(ctx, harness: Harness, clock) -> None:
    seed(ctx)
    api = harness.api
    api.fail(429, retry_after=7, chat_id=11)
    api.fail(403, description="Forbidden: bot was blocked by the user", chat_id=12)
    api.fail(502, chat_id=13)
    pacer = outbox.Pacer(1000, 0)
    sent = await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=pacer)
    assert sent == 0
    r = rows(ctx)
    assert r[11].status == "pending" and "retry_after=7" in (r[11].last_error or "")
    assert r[11].next_attempt_at == clock.now() + timedelta(seconds=7)
    assert r[12].status == "failed"
    assert r[13].status == "pending" and r[13].attempts == 1
    with ctx.db.session() as s:
        b = s.execute(select(TelegramBinding).where(TelegramBinding.chat_id == 12)).scalar_one()
        assert b.active is False
    # HR is told once about the blocked user.
    hr_rows = [x for x in r.values() if x.chat_id == HR]
    assert len(hr_rows) == 1 and "C0001" in hr_rows[0].payload["text"]

    # Later: everything goes through, nothing twice.
    clock.advance(timedelta(minutes=5))
    pacer = outbox.Pacer(1000, 0)  # five minutes on: the pacer's hold on chat 11 is over
    sent = await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=pacer)
    assert sent == 3  # 11, 13 and the HR notice
    texts = [m.text for m in api.sent()]
    assert sorted(t for t in texts if t.startswith("plan")) == ["plan for 11", "plan for 13"]
    assert await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=pacer) == 0


async def test_timeout_is_retried(ctx, harness: Harness, clock) -> None:
    seed(ctx)
    harness.api.fail(0, timeout=True, chat_id=11)
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert rows(ctx)[11].status == "pending"
    clock.advance(timedelta(minutes=1))
    await outbox.deliver_due(harness.chat.app.bot, ctx, pacer=outbox.Pacer(1000, 0))
    assert rows(ctx)[11].status == "sent"


async def test_uploaded_photos_are_kept_as_files(ctx, tmp_path) -> None:
    from bot.transport.localapi import LocalBotApi
    from bot.transport.localchat import LocalChat

    api = LocalBotApi(files_dir=tmp_path / "files")
    async with LocalChat(ctx, api) as chat:
        png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
        await chat.app.bot.send_photo(42, png, caption="趋势", filename="trend.png")
    [msg] = api.sent(42)
    assert msg.kind == "photo" and msg.text == "趋势"
    path = msg.extra["photo"]["file"]
    assert path.endswith("trend.png") and Path(path).read_bytes() == png


async def test_services_are_closed_on_shutdown(ctx) -> None:
    from bot.transport.localchat import LocalChat

    class Service:
        closed = False

        async def close(self) -> None:
            self.closed = True

    svc = Service()
    ctx.extras["svc"] = svc
    ctx.extras["plain"] = 3
    async with LocalChat(ctx):
        pass
    assert svc.closed and "svc" not in ctx.extras and ctx.extras["plain"] == 3
