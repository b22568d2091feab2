"""Build the python-telegram-bot Application: handlers, jobs, error handling, rate limits."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.context import AppContext
from bot.i18n import t
from bot.transport.aiohttp_request import AiohttpRequest

log = logging.getLogger(__name__)

# Stands in for a token when the bot runs over the local transport (console, tests).
LOCAL_TOKEN = "7000000001:LOCAL-TRANSPORT"


def build_application(
    ctx: AppContext,
    request: BaseRequest | None = None,
    *,
    rate_limit: bool = True,
    on_error: Callable[[BaseException], None] | None = None,
) -> Application:
    """`request` replaces the HTTP layer (the local Bot API); otherwise Telegram over HTTPS."""
    from handlers.base import install

    settings = ctx.settings
    builder: ApplicationBuilder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token or LOCAL_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    else:
        # aiohttp under PTB: the same calls for a fraction of httpx's CPU (issue #22).
        builder = builder.request(
            AiohttpRequest(
                connection_pool_size=64,
                connect_timeout=5,
                read_timeout=settings.telegram_read_timeout_s,
            )
        ).get_updates_request(AiohttpRequest(connection_pool_size=1, read_timeout=30))
    if rate_limit:
        # Replies: 30 msg/s overall, 20/min per group; the outbox paces bulk sends itself.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=1))
    # Our scheduler (bot/lifecycle.py) runs jobs on the injected clock; PTB's JobQueue is
    # not used.
    builder = builder.job_queue(None)
    application = builder.build()
    application.bot_data["ctx"] = ctx
    install(application)

    async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        err = context.error
        log.error("handler failed: %r", err, exc_info=err)
        if on_error is not None and err is not None:
            on_error(err)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(
                    update.effective_chat.id, t(ctx.settings.default_locale, "core.error")
                )
            except Exception:  # the chat may be gone; the error is already logged
                log.debug("could not tell the user about an error", exc_info=True)

    application.add_error_handler(error_handler)
    return application


def build_sender_bot(ctx: AppContext) -> Bot:
    """The outbox's own Bot: no AIORateLimiter. The outbox paces itself and answers a 429 by
    holding back only that chat; PTB's limiter would pause every send on any 429, retry inside
    the delivery slot and log each give-up with a traceback. Own connection pool too, so a
    fan-out never queues behind chat replies. On aiohttp: plain messages go out as JSON with
    no PTB objects built (bot/outbox/sender.py, issue #22)."""
    s = ctx.settings
    return Bot(
        s.telegram_bot_token or LOCAL_TOKEN,
        base_url=s.telegram_api_base_url,
        request=AiohttpRequest(
            connection_pool_size=32,
            connect_timeout=5,
            read_timeout=s.telegram_read_timeout_s,
        ),
    )


async def close_services(ctx: AppContext) -> None:
    """Close feature services that hold connections (e.g. the LLM client's HTTP pool). PTB
    calls post_shutdown only from run_polling/run_webhook, so our runners call this."""
    for name, service in list(ctx.extras.items()):
        close = getattr(service, "close", None) or getattr(service, "aclose", None)
        if close is None:
            continue
        try:
            result = close()
            if hasattr(result, "__await__"):
                await result
        except Exception:  # shutting down anyway; note it and go on
            log.warning("closing %s failed", name, exc_info=True)
        ctx.extras.pop(name, None)


def app_ctx(application: Application) -> AppContext:
    ctx: Any = application.bot_data["ctx"]
    return ctx
