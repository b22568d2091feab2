"""The services every handler and job needs, built once and passed around explicitly."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from bot.settings import Settings
from coaching.clock import Clock, SystemClock
from db.session import Database

T = TypeVar("T")


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    # Feature services attach themselves here (e.g. the LLM client) without widening this class.
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        p = Path(self.settings.output_dir)
        p.mkdir(parents=True, exist_ok=True)
        return p

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(session, *args)` in one transaction."""
        with self.db.session() as s:
            return fn(s, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Same as `call`, off the event loop: database work never blocks other chats."""
        return await asyncio.to_thread(self.call, fn, *args, **kwargs)


def build_context(settings: Settings, clock: Clock | None = None) -> AppContext:
    if clock is None and settings.clock_at:
        from datetime import datetime

        from coaching.clock import AnchoredClock

        clock = AnchoredClock(datetime.fromisoformat(settings.clock_at), settings.clock_at_epoch)
    return AppContext(
        settings=settings, db=Database(settings.database_url), clock=clock or SystemClock()
    )
