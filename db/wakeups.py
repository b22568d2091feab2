"""Cross-process wake-ups on PostgreSQL (LISTEN/NOTIFY), so a bot process acts on work another
process made at once instead of at its next idle poll: fan-out chunks split by the job's process
(every other process helps build them) and outbox rows queued by one process for chats another
one sends (issue #22: with 2 processes the helpers sat idle for most of a morning fan-out).

A notification is only a hint: every loop keeps its idle poll, so a lost notification (the
listening connection dropped, SQLite, a server that refuses LISTEN) costs latency, never work.
`notify` runs inside the writer's transaction: PostgreSQL delivers it at commit, so a woken
process always sees the rows (and never for a rolled-back transaction).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

CHUNKS = "coachbot_chunks"  # a fan-out run was split: chunks to build
OUTBOX = "coachbot_outbox"  # outbox rows were queued: chats to send
RETRY_S = 5.0  # a lost listening connection is opened again after this


def notify(s: Session, channel: str) -> None:
    """Wake the listening processes when the session's transaction commits (PostgreSQL)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_notify(:c, '')"), {"c": channel})


def _conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def listen(
    engine: Engine,
    on_notify: Callable[[str], None],
    stop: asyncio.Event,
    channels: tuple[str, ...] = (CHUNKS, OUTBOX),
) -> None:
    """Call `on_notify(channel)` for every notification until `stop`; reconnects after an
    outage. Returns at once on a database that is not PostgreSQL."""
    if engine.dialect.name != "postgresql":
        return
    import psycopg

    failing = False
    while not stop.is_set():
        try:
            conn = await psycopg.AsyncConnection.connect(
                _conninfo(engine.url), autocommit=True, connect_timeout=10
            )
            async with conn:
                for ch in channels:
                    await conn.execute(f"LISTEN {ch}")
                if failing:
                    log.info("wake-ups from other processes work again")
                failing = False
                gen = conn.notifies()
                async for n in gen:
                    on_notify(n.channel)
                    if stop.is_set():
                        break
        except (psycopg.Error, OSError) as exc:
            if not failing:  # one line per outage: the idle polls cover the gap
                log.warning(
                    "wake-ups from other processes paused (database: %s)", exc.__class__.__name__
                )
            failing = True
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RETRY_S)
