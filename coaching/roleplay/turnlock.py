"""One drill turn at a time per trainee, across every bot process on the database.

A second message while the debtor answers is refused ("busy") whichever worker receives it:
the lock is a lease row (db/leases.py), renewed while the turn runs, so a process that dies
mid-turn frees the trainee within TTL.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import timedelta
from types import TracebackType
from typing import Any

from db import leases

TTL = timedelta(seconds=60)
RENEW_S = 20.0


class TurnLock:
    def __init__(self, ctx: Any, employee_id: int) -> None:
        self.ctx = ctx
        self.name = f"roleplay-turn:{employee_id}"
        self.owner = uuid.uuid4().hex
        self.acquired = False
        self._renew: asyncio.Task[None] | None = None

    async def __aenter__(self) -> bool:
        self.acquired = await self.ctx.run(
            leases.acquire, self.name, self.owner, self.ctx.clock.now(), TTL
        )
        if self.acquired:
            self._renew = asyncio.create_task(self._keep())
        return self.acquired

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(RENEW_S)
            await self.ctx.run(leases.acquire, self.name, self.owner, self.ctx.clock.now(), TTL)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._renew is not None:
            self._renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renew
        if self.acquired:
            await self.ctx.run(leases.release, self.name, self.owner)
