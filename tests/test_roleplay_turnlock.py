"""One drill turn at a time per trainee, whichever bot process gets the message: the lock is
a lease row in the database, not process memory."""

from __future__ import annotations

from datetime import timedelta

from db import leases
from tests.conftest import Harness
from tests.roleplay_helpers import COLLECTOR, employee_id, seed


async def test_a_turn_held_by_another_process_makes_the_trainee_wait(ctx, harness: Harness):
    seed(ctx)
    [picker] = await harness.chat.send(COLLECTOR, "/roleplay")
    await harness.chat.tap(COLLECTOR, picker, 1)
    emp = ctx.call(employee_id, "C0001")
    # Another worker is in the middle of this trainee's turn (it holds the lease).
    name = f"roleplay-turn:{emp}"
    assert ctx.call(leases.acquire, name, "other-worker", ctx.clock.now(), timedelta(minutes=1))
    busy = await harness.chat.send(COLLECTOR, "您好，我是XX资产的专员，这通电话会录音。")
    assert len(busy) == 1 and "正在回复" in busy[0].text
    # That worker dies: its lease runs out and the trainee's next line is taken.
    ctx.clock.advance(timedelta(minutes=2))
    taken = await harness.chat.send(COLLECTOR, "您好，我是XX资产的专员，这通电话会录音。")
    assert taken and "〔离线模式〕" in taken[-1].text
    # Our own turn let go of the lock when it ended.
    assert ctx.call(leases.holder, name, ctx.clock.now()) is None
