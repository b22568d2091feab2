"""`coachbot run` on Telegram: long polling, or webhook mode when a public URL is set.

Either way the ASGI app (webhook route, ingest API, health check) is served on
COACHBOT_LISTEN_HOST:PORT, and SIGTERM/SIGINT shut everything down cleanly (uvicorn catches
the signal; then the updater, the outbox worker (drained), the job queue and the Application
stop in order).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import uvicorn
from telegram import Update

from bot import outbox
from bot.app import build_application, close_services
from bot.context import AppContext
from bot.web import WEBHOOK_PATH, build_web_app

log = logging.getLogger(__name__)


class _Server(uvicorn.Server):
    """uvicorn re-raises the signal after its own shutdown, which would kill the process
    before the bot stops; we own signal handling instead."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(ctx: AppContext) -> None:
    s = ctx.settings
    application = build_application(ctx)
    webhook = bool(s.webhook_url)
    web_app = build_web_app(ctx, application if webhook else None)
    server = _Server(
        uvicorn.Config(
            web_app, host=s.listen_host, port=s.listen_port, log_level="warning", lifespan="off"
        )
    )
    async with application:
        await application.start()
        if webhook:
            url = s.webhook_url.rstrip("/") + WEBHOOK_PATH  # type: ignore[union-attr]
            await application.bot.set_webhook(
                url=url,
                secret_token=s.webhook_secret,
                allowed_updates=Update.ALL_TYPES,
                drop_pending_updates=False,
            )
            log.info("webhook mode: Telegram posts to %s", url)
        else:
            assert application.updater is not None
            await application.bot.delete_webhook()
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
            log.info("long polling")
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
        log.info("web server on http://%s:%s", s.listen_host, s.listen_port)
        try:
            await server.serve()  # returns after SIGTERM/SIGINT
        finally:
            log.info("shutting down")
            if application.updater is not None and application.updater.running:
                await application.updater.stop()
            # Before the job queue cancels the outbox worker: finish what is on the wire and
            # hand the rest back, so a restart neither waits for leases nor sends twice.
            await outbox.drain(ctx)
            await application.stop()
    await close_services(ctx)


def run_bot(ctx: AppContext) -> None:
    asyncio.run(serve(ctx))
    log.info("stopped")
