"""/healthz: each part of a running bot with its state, HTTP 200 when the bot can do its job
and 503 otherwise (database down, Telegram not connected, no process holding the scheduler)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.context import AppContext
from db import leases
from db.models import Outbox

if TYPE_CHECKING:
    from bot.lifecycle import Background

CHECK_TIMEOUT_S = 3.0


def _db_facts(s: Session, now: datetime) -> dict[str, Any]:
    from bot.lifecycle import LEADER_LEASE

    s.execute(text("SELECT 1"))
    backlog, oldest = s.execute(
        select(func.count(Outbox.id), func.min(Outbox.created_at)).where(
            Outbox.status.in_(("pending", "sending"))
        )
    ).one()
    holder = leases.holder(s, LEADER_LEASE, now)
    return {
        "backlog": int(backlog),
        "oldest": oldest,
        "leader": holder.owner if holder else None,
    }


class Health:
    def __init__(self, ctx: AppContext, bg: Background | None = None) -> None:
        self.ctx = ctx
        self.bg = bg
        # connecting / ok / token rejected / unreachable: …
        self.telegram = "connecting"

    async def check(self) -> tuple[dict[str, Any], bool]:
        ctx = self.ctx
        now = ctx.clock.now()
        parts: dict[str, dict[str, Any]] = {}
        try:
            facts = await asyncio.wait_for(ctx.run(_db_facts, now), CHECK_TIMEOUT_S)
            parts["database"] = {"ok": True}
        except Exception as exc:  # down, or too slow to answer a health check
            facts = None
            parts["database"] = {"ok": False, "error": exc.__class__.__name__}
        # "console": no Telegram by design (the console chat stands in for it).
        parts["telegram"] = {"ok": self.telegram in ("ok", "console"), "state": self.telegram}
        sched: dict[str, Any] = {"ok": bool(facts and facts["leader"])}
        if facts:
            sched["leader"] = (
                "this process"
                if self._leads()
                else ("another process" if facts["leader"] else None)
            )
        if self.bg is not None:
            try:
                st = await asyncio.wait_for(asyncio.to_thread(self.bg.status), CHECK_TIMEOUT_S)
                sched["next_run"] = st["next_run"]
            except Exception as exc:
                sched["error"] = exc.__class__.__name__
        parts["scheduler"] = sched
        if facts:
            oldest = facts["oldest"]
            parts["outbox"] = {
                "ok": True,
                "backlog": facts["backlog"],
                "oldest_age_s": round((now - oldest).total_seconds()) if oldest else 0,
            }
        else:
            parts["outbox"] = {"ok": False}
        if self.bg is not None:
            # This process's share of the chats when several send (bot/outbox/senders.py).
            i, n = self.bg.share
            parts["outbox"]["sending"] = f"chats mod {n} = {i}" if self.bg.is_sender() else None
        st = ctx.settings
        parts["llm"] = {"ok": True, "mode": "online" if st.llm_configured else "offline"}
        ok = all(p["ok"] for p in parts.values())
        return {"status": "ok" if ok else "degraded", **parts}, ok

    def _leads(self) -> bool:
        return self.bg is not None and self.bg.is_leader()
