"""HR flows: a handover checklist sent as several phone messages ends up as one list, and a
person whose last day is still ahead is not called 已离职."""

from __future__ import annotations

from sqlalchemy import select

from bot.transport.localapi import buttons
from db.models import ExitRecord
from tests.conftest import Harness
from tests.test_hr_exit import HR, SH_CHAT, seed


async def _to_handover(harness: Harness) -> None:
    [ask] = await harness.chat.send(HR, "/exit C0001", chat_id=SH_CHAT)
    await harness.chat.tap(HR, ask, "个人原因")
    await harness.chat.send(HR, "2026-03-20", chat_id=SH_CHAT)  # last day, ahead of today
    [r] = await harness.chat.send(HR, "回老家", chat_id=SH_CHAT)
    assert "交接清单" in r.text


async def test_handover_in_several_messages_is_one_checklist(ctx, harness: Harness) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    await _to_handover(harness)
    [a] = await harness.chat.send(HR, "案件移交组长", chat_id=SH_CHAT)
    assert "交接清单（1 项）" in a.text and "面谈" not in a.text
    [b] = await harness.chat.send(HR, "工牌归还\n• 电脑归还", chat_id=SH_CHAT)
    assert "交接清单（3 项）" in b.text
    assert "☐ 案件移交组长" in b.text and "☐ 工牌归还" in b.text and "☐ 电脑归还" in b.text
    # In the group (privacy mode: a reply prompt, no buttons) "完成" closes the list…
    [c] = await harness.chat.send(HR, "完成", chat_id=SH_CHAT, reply_to=b)
    assert "面谈" in c.text
    [review] = await harness.chat.send(HR, "-", chat_id=SH_CHAT)
    assert review.text.count("☐ ") == 3
    await harness.chat.tap(HR, review, "✅ 确认")
    with ctx.db.session() as s:
        rec = s.execute(select(ExitRecord).where(ExitRecord.status == "recorded")).scalar_one()
        assert rec.handover == ["案件移交组长", "工牌归还", "电脑归还"]


async def test_handover_done_button_in_private(ctx, harness: Harness) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    # …and in private the prompt carries a button for it.
    [ask] = await harness.chat.send(HR, "/exit C0001")
    await harness.chat.tap(HR, ask, "个人原因")
    await harness.chat.send(HR, "2026-03-20")
    await harness.chat.send(HR, "回老家")
    [a] = await harness.chat.send(HR, "案件移交组长")
    assert "交接清单（1 项）" in a.text
    await harness.chat.tap(HR, a, "✅ 交接清单完成")
    assert "面谈" in harness.api.last(HR).text


async def test_future_leaving_date_is_not_called_left(ctx, harness: Harness) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    await _to_handover(harness)
    await harness.chat.send(HR, "-", chat_id=SH_CHAT)
    [review] = await harness.chat.send(HR, "-", chat_id=SH_CHAT)
    await harness.chat.tap(HR, review, "✅ 确认")
    [again] = await harness.chat.send(HR, "/exit C0001", chat_id=SH_CHAT)
    assert "最后工作日 2026-03-20，目前仍在职" in again.text
    assert "已离职" not in again.text and buttons(again) == []
    # After the last day it is "已离职".
    from datetime import timedelta

    ctx.clock.advance(timedelta(days=19))
    [later] = await harness.chat.send(HR, "/exit C0001", chat_id=SH_CHAT)
    assert "已离职（最后工作日 2026-03-20）" in later.text
