"""The ASGI app (Starlette): Telegram webhook, health check, and feature APIs.

Feature modules add routes through WEB_MODULES (each exposes `routes(ctx) -> list[Route]`).
Limits (bot.web_limits): request bodies per route (413), and `uvicorn_limits(settings)` — the
kwargs the runner passes to uvicorn.Config (idle timeout, connection cap, header size).
"""

from __future__ import annotations

import hmac
import importlib
import logging
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.context import AppContext
from bot.web_limits import BodyLimit, uvicorn_limits

__all__ = ["WEBHOOK_PATH", "build_web_app", "uvicorn_limits"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
WEB_MODULES: list[str] = ["bot.ingest_api"]


def build_web_app(ctx: AppContext, application: Application | None = None) -> Starlette:
    """`application` is set in webhook mode; without it the webhook route answers 404."""

    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def webhook(request: Request) -> Response:
        if application is None:
            return JSONResponse({"error": "webhook mode is not enabled"}, status_code=404)
        expected = ctx.settings.webhook_secret or ""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        # Constant-time compare; an unset secret never matches anything.
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("webhook call with a wrong secret token from %s", request.client)
            return JSONResponse({"error": "forbidden"}, status_code=403)
        try:
            data: Any = await request.json()
            update = Update.de_json(data, application.bot)
        except Exception:
            return JSONResponse({"error": "body is not a Telegram update"}, status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    routes: list[BaseRoute] = [
        Route("/healthz", health, methods=["GET"]),
        Route(WEBHOOK_PATH, webhook, methods=["POST"]),
    ]
    for mod in WEB_MODULES:
        routes.extend(importlib.import_module(mod).routes(ctx))

    def body_limit(path: str) -> int:
        s = ctx.settings  # read per request: tests and reloads may swap settings
        if path.startswith("/api/v1/ingest/"):
            return s.ingest_max_body_bytes
        return s.http_max_body_bytes

    return Starlette(routes=routes, middleware=[Middleware(BodyLimit, limit_for=body_limit)])
