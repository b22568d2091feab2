"""The ASGI app (Starlette): Telegram webhook, health check, and feature APIs.

Feature modules add routes through WEB_MODULES (each exposes `routes(ctx) -> list[Route]`).
Limits (bot.web_limits): request bodies per route (413) and in time (408), and
`uvicorn_limits(settings)` — the kwargs the runner passes to uvicorn.Config (idle timeout,
connection cap, header size).
"""

from __future__ import annotations

import hmac
import importlib
import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.context import AppContext
from bot.health import Health
from bot.web_limits import BodyLimit, uvicorn_limits
from db.models import TelegramUpdate

__all__ = ["WEBHOOK_PATH", "build_web_app", "uvicorn_limits"]

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
WEB_MODULES: list[str] = ["bot.ingest_api", "bot.dashboard.routes"]
# Webhook update ids are remembered this long: Telegram retries an unanswered update for hours
# at most, and update ids only grow.
SEEN_WINDOW = timedelta(days=2)


def first_seen(s: Session, update_id: int, now: datetime) -> bool:
    """Record a webhook update id; False when it was taken in before (a replay)."""
    ins = (pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert)(
        TelegramUpdate
    )
    stmt = ins.values(update_id=update_id, received_at=now).on_conflict_do_nothing()
    return s.execute(stmt.returning(TelegramUpdate.update_id)).scalar_one_or_none() is not None


def prune_seen(s: Session, now: datetime) -> int:
    res = s.execute(delete(TelegramUpdate).where(TelegramUpdate.received_at < now - SEEN_WINDOW))
    return int(res.rowcount or 0)


async def read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def build_web_app(
    ctx: AppContext, application: Application | None = None, health: Health | None = None
) -> Starlette:
    """`application` is set in webhook mode; without it the webhook route answers 404."""
    checker = health or Health(ctx)

    async def healthz(_request: Request) -> Response:
        report, ok = await checker.check()
        return JSONResponse(report, status_code=200 if ok else 503)

    async def webhook(request: Request) -> Response:
        if application is None:
            return JSONResponse({"error": "webhook mode is not enabled"}, status_code=404)
        expected = ctx.settings.webhook_secret or ""
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        # Constant-time compare; an unset secret never matches anything.
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("webhook call with a wrong secret token from %s", request.client)
            return JSONResponse({"error": "forbidden"}, status_code=403)
        raw = await read_limited(request, ctx.settings.webhook_max_bytes)
        if raw is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            data: Any = json.loads(raw)
            update = Update.de_json(data, application.bot)
            update_id = int(data["update_id"])
        except Exception:
            return JSONResponse({"error": "body is not a Telegram update"}, status_code=400)
        if not await ctx.run(first_seen, update_id, ctx.clock.now()):
            log.info("webhook: update %s seen before; acknowledged and skipped", update_id)
            return Response(status_code=200)
        await application.update_queue.put(update)
        return Response(status_code=200)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route(WEBHOOK_PATH, webhook, methods=["POST"]),
    ]
    for mod in WEB_MODULES:
        routes.extend(importlib.import_module(mod).routes(ctx))

    def body_limit(path: str) -> int:
        s = ctx.settings  # read per request: tests and reloads may swap settings
        if path.startswith("/api/v1/ingest/"):
            return s.ingest_max_body_bytes
        if path == WEBHOOK_PATH:
            return s.webhook_max_bytes
        return s.http_max_body_bytes

    def body_timeout() -> float:
        return float(ctx.settings.http_body_timeout_s)

    return Starlette(
        routes=routes,
        middleware=[Middleware(BodyLimit, limit_for=body_limit, timeout=body_timeout)],
    )
