"""Demo extension: freeze the demo's past months so /score shows arrows and trends."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coaching.calendar import branch_info
from coaching.scoring import config_for
from coaching.scoring.engine import add_months, month_start
from coaching.scoring.snapshots import freeze

if TYPE_CHECKING:
    from bot.context import AppContext
    from bot.demo import DemoWorld


def extend_demo(ctx: AppContext, world: DemoWorld) -> str:
    cfg = config_for(ctx.settings)
    this = month_start(world.today)
    n = 0
    world.session.flush()
    for b in world.branches.values():
        info = branch_info(b)
        for back in (3, 2, 1):
            n += freeze(world.session, cfg, info, add_months(this, -back), world.now)
    return f"score snapshots: {n}"
