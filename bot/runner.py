"""`coachbot run` on Telegram: long polling, webhook mode, or a worker that takes no updates.

Start-up order, so a fault in one part never takes the others down:
1. the web server (webhook route, ingest API, /healthz) starts listening;
2. the background (scheduler lease, scheduler, outbox worker) starts — jobs only need the
   database, so they run even while Telegram is unreachable;
3. Telegram is connected (getMe, then setWebhook or long polling) with retries and backoff;
   a rejected token or an unreachable server is one clear log line per attempt, and /healthz
   says so. The outbox sends only once Telegram answered.

SIGTERM/SIGINT: the web server stops taking requests, polling stops, the outbox finishes what
is on the wire and hands the rest back, the scheduler lease is released (another worker takes
over at once), then the Application stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Iterator

import uvicorn
from telegram import Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application

from bot.app import build_application, build_sender_bot, close_services
from bot.charts import worker as charts
from bot.context import AppContext
from bot.dashboard import worker as dashboard_worker
from bot.health import Health
from bot.lifecycle import Background
from bot.menus import set_default_menus
from bot.web import WEBHOOK_PATH, build_web_app, uvicorn_limits
from bot.web_limits import raise_fd_limit

log = logging.getLogger(__name__)

BACKOFF_START_S = 1.0
BACKOFF_MAX_S = 60.0


class _Server(uvicorn.Server):
    """uvicorn re-raises the signal after its own shutdown, which would kill the process
    before the bot stops; we own signal handling instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


_last_polling_error = 0.0


def _polling_error(exc: TelegramError) -> None:
    """PTB retries getUpdates by itself; say so in one line a minute, not a traceback a try."""
    global _last_polling_error
    now = time.monotonic()
    if now - _last_polling_error >= 60:
        _last_polling_error = now
        log.warning("Telegram polling failed (%s: %s); retrying", exc.__class__.__name__, exc)


def updates_mode(ctx: AppContext) -> str:
    mode = ctx.settings.updates_mode
    if mode == "auto":
        return "webhook" if ctx.settings.webhook_url else "polling"
    return mode


async def connect_telegram(
    application: Application, ctx: AppContext, bg: Background, health: Health, mode: str
) -> None:
    """Initialise the bot against Telegram, retrying with backoff until it answers."""
    delay = BACKOFF_START_S
    base = ctx.settings.telegram_api_base_url
    while True:
        try:
            await application.initialize()
            await bg.bot.initialize()  # the outbox's own Bot (bot.app.build_sender_bot)
            if not application.running:
                await application.start()
            if mode == "webhook":
                url = ctx.settings.webhook_url.rstrip("/") + WEBHOOK_PATH  # type: ignore[union-attr]
                await application.bot.set_webhook(
                    url=url,
                    secret_token=ctx.settings.webhook_secret,
                    allowed_updates=Update.ALL_TYPES,
                    drop_pending_updates=False,
                )
                log.info("webhook mode: Telegram posts to %s", url)
            elif mode == "polling":
                assert application.updater is not None
                await application.bot.delete_webhook()
                await application.updater.start_polling(
                    allowed_updates=Update.ALL_TYPES, error_callback=_polling_error
                )
                log.info("long polling")
            else:
                log.info("worker mode: no updates taken here (jobs, sends and the web server)")
            break
        except InvalidToken:
            health.telegram = "token rejected"
            log.error(
                "Telegram rejected the bot token (TELEGRAM_BOT_TOKEN); check it with BotFather. "
                "Retrying in %.0f s; the web server stays up.",
                delay,
            )
        except (TelegramError, OSError) as exc:
            health.telegram = f"unreachable: {exc.__class__.__name__}"
            log.error(
                "Telegram is not reachable at %s (%s). Retrying in %.0f s; the web server "
                "stays up.",
                base.split("/bot")[0],
                exc.__class__.__name__,
                delay,
            )
        await asyncio.sleep(delay)
        delay = min(delay * 2, BACKOFF_MAX_S)
    health.telegram = "ok"
    bg.telegram_ready.set()
    if mode != "none":
        await set_default_menus(application.bot)
        from bot.dashboard.links import set_menu_button

        await set_menu_button(application.bot, ctx.settings)  # only with COACHBOT_PUBLIC_URL


async def serve(ctx: AppContext) -> None:
    s = ctx.settings
    mode = updates_mode(ctx)
    application = build_application(ctx)
    bg = Background(ctx, build_sender_bot(ctx))
    health = Health(ctx, bg)
    application.bot_data["background"] = bg
    web_app = build_web_app(ctx, application if mode == "webhook" else None, health=health)
    before, after = raise_fd_limit()  # before the connection cap is derived from it
    if after != before:
        log.info("file-descriptor limit raised from %d to %d", before, after)
    server = _Server(
        uvicorn.Config(
            web_app,
            host=s.listen_host,
            port=s.listen_port,
            log_level="warning",
            lifespan="off",
            # Idle timeout, connection cap below the descriptor limit, header size (bot/web.py).
            **uvicorn_limits(s),
        )
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    web = asyncio.create_task(server.serve(), name="web")
    await bg.start()
    charts.warm()  # the chart process loads matplotlib now, not on someone's first tap
    telegram = asyncio.create_task(
        connect_telegram(application, ctx, bg, health, mode), name="telegram"
    )
    log.info("web server on http://%s:%s", s.listen_host, s.listen_port)
    try:
        await web  # returns after SIGTERM/SIGINT
    finally:
        log.info("shutting down")
        telegram.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await telegram
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        await bg.stop()
        charts.shutdown()
        dashboard_worker.shutdown()  # the precompute's process, if one is running
        with contextlib.suppress(Exception):
            await bg.bot.shutdown()
        if application.running:
            await application.stop()
        with contextlib.suppress(Exception):
            await application.shutdown()
    await close_services(ctx)


def run_bot(ctx: AppContext) -> None:
    # Jobs and imports run in threads; a CPU-bound one keeps the GIL for the switch interval
    # (5 ms by default) each time the event loop wants it back, several times per reply.
    # 1 ms keeps chat replies quick while they run, for a few % of their throughput.
    sys.setswitchinterval(0.001)
    _limit_malloc_arenas()
    asyncio.run(serve(ctx))


def _limit_malloc_arenas(arenas: int = 2) -> None:
    """glibc gives each thread that allocates its own malloc arena (up to 8 per core) and
    rarely returns their memory: with the import pool, the job threads and the executor, a
    morning fan-out beside 8 imports grew the process by ~120 MB of fragmentation (issue
    #22). Two arenas (what MALLOC_ARENA_MAX=2 does) keep it bounded; set before threads start.
    An explicit MALLOC_ARENA_MAX in the environment wins; other C libraries are left alone."""
    import ctypes
    import ctypes.util
    import os

    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    except (OSError, AttributeError):  # musl and others: no mallopt, nothing to limit
        log.debug("mallopt unavailable; malloc arenas not limited")
    log.info("stopped")
