"""The dashboard's HTTP routes under /app/ (added to the bot's ASGI app via bot.web).

- GET  /app/                  the page shell (no data; reads initData and the theme on the phone)
- GET  /app/static/{file}     its script and stylesheet (shipped in the package)
- GET  /app/p/{page}          a page as HTML, for the shell        } initData in the
- GET  /app/api/{page}        the same page's data as JSON          } X-Telegram-Init-Data
- POST /app/api/risk/{employee_id}/{action}   HR's contacted / snooze / not a risk     } header

Every data request carries Telegram's signed initData in a header (never a cookie), so a
page on another site cannot make the browser send it: no CSRF on the actions. Refusals
(missing, forged or stale initData; unbound user; role or scope) answer 401/403 and write an
audit row, like a refused chat command.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from bot.context import AppContext
from bot.dashboard import auth, render
from bot.dashboard.cache import page_cache
from bot.dashboard.pages import MAX_ID, PAGES, Env, Refused
from bot.dashboard.scope import Viewer
from bot.i18n import label
from coaching import people
from coaching.risk import alerts
from coaching.scoring import config_for
from coaching.scoring import service as svc

log = logging.getLogger(__name__)

PREFIX = "/app"
INIT_HEADER = "X-Telegram-Init-Data"
STATIC = Path(__file__).resolve().parent / "static"
STATIC_TYPES = {"app.js": "text/javascript", "app.css": "text/css"}
FONT = "cjk.otf"
ACTIONS = {"contacted": "c", "snooze": "s", "not_risk": "n"}
# Pages whose allowed views are audit-logged too (other people's data), as in the chat.
AUDITED = {"team", "branches", "person", "training"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; "
        "frame-ancestors 'self' https://web.telegram.org https://*.telegram.org"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
DEMO_KEY = "dashboard_demo_key"


def signing_key(ctx: AppContext) -> str | None:
    """The bot token; without one, the console demo's per-process key (never both)."""
    return ctx.settings.telegram_bot_token or ctx.extras.get(DEMO_KEY)


def _load_viewer(s: Any, uid: int, now: datetime) -> Viewer | None:
    caller = people.identify(s, uid, now)
    if caller is None:
        return None
    led = (
        svc.led_team_ids(s, caller.employee_id, caller.team_id)
        if caller.has_role("team_lead")
        else set()
    )
    return Viewer(caller, uid, frozenset(led))


def routes(ctx: AppContext) -> list[BaseRoute]:
    async def audit(
        action: str, outcome: str, viewer: Viewer | None, uid: int | None, detail: str
    ) -> None:
        await ctx.run(
            people.audit,
            ctx.clock.now(),
            action,
            outcome,
            employee_id=viewer.caller.employee_id if viewer else None,
            telegram_user_id=uid,
            detail=detail,
        )

    def refusal(as_json: bool, status: int, key: str, locale: str, **kw: Any) -> Response:
        message = label(locale, key, **kw)
        if as_json:
            return JSONResponse(
                {"error": key.split(".", 1)[-1], "message": message},
                status_code=status,
                headers=SECURITY_HEADERS,
            )
        html = render.refused(locale, message, status)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    async def authenticate(request: Request, action: str, as_json: bool) -> Viewer | Response:
        now = ctx.clock.now()
        locale = ctx.settings.default_locale
        key = signing_key(ctx)
        raw = request.headers.get(INIT_HEADER, "")
        try:
            if key is None:
                raise auth.InitDataError("no_bot_token")
            user = auth.validate(raw, key, now, ctx.settings.webapp_max_age_s)
        except auth.InitDataError as exc:
            await audit(action, "denied", None, None, f"initData {exc.reason}")
            return refusal(as_json, 401, f"dash.auth_{exc.reason}", locale)
        viewer = await ctx.run(_load_viewer, user.telegram_user_id, now)
        if viewer is None:
            await audit(action, "denied", None, user.telegram_user_id, "not bound")
            return refusal(as_json, 403, "core.not_bound", locale)
        return viewer

    def env() -> Env:
        from bot.jobs.risk import config as risk_config

        return Env(
            scoring=config_for(ctx.settings),
            risk=risk_config(ctx),
            now=ctx.clock.now(),
            question_hours=ctx.settings.training_question_hours,
            cache=page_cache(ctx.extras, ctx.settings.webapp_cache_s),
        )

    async def page(request: Request) -> Response:
        as_json = request.url.path.startswith(f"{PREFIX}/api/")
        name = request.path_params["page"]
        action = f"web:{name}"[:64]
        fn = PAGES.get(name)
        if fn is None:
            return refusal(as_json, 404, "dash.not_found", ctx.settings.default_locale)
        viewer = await authenticate(request, action, as_json)
        if isinstance(viewer, Response):
            return viewer
        params = {k: v for k, v in request.query_params.items()}
        e = env()
        try:
            result = await ctx.run(fn, viewer, e, params)
        except Refused as r:
            await audit(action, "denied", viewer, viewer.telegram_user_id, r.detail)
            return refusal(as_json, r.status, r.key, viewer.locale)
        if name in AUDITED and not (name == "person" and "e" not in params):
            await audit(action, "allowed", viewer, viewer.telegram_user_id, _detail(params))
        if as_json:
            return JSONResponse(result, headers=SECURITY_HEADERS)
        html = render.page(name, viewer, result, params)
        return HTMLResponse(html, headers=SECURITY_HEADERS)

    async def risk_action(request: Request) -> Response:
        action = "web:risk_action"
        viewer = await authenticate(request, action, True)
        if isinstance(viewer, Response):
            return viewer
        code = ACTIONS.get(request.path_params["action"])
        if code is None or request.path_params["employee_id"] > MAX_ID:
            return refusal(True, 404, "dash.not_found", viewer.locale)
        if not viewer.may_open("risk"):
            await audit(action, "denied", viewer, viewer.telegram_user_id, "role")
            return refusal(True, 403, "dash.refused_role", viewer.locale)
        from bot.jobs.risk import config as risk_config

        # The chat buttons' own function: same records (RiskAlertState, RiskAction), same
        # branch check (HR: their branch; admin: any), same audit rows.
        result = await ctx.run(
            alerts.record_action,
            code,
            request.path_params["employee_id"],
            viewer.caller,
            None,
            viewer.branch_scope(),
            ctx.clock.now(),
            risk_config(ctx),
        )
        if not result.ok:
            status = 403 if result.error == "other_branch" else 404
            if status == 404:
                await audit(action, "denied", viewer, viewer.telegram_user_id, result.error)
            return refusal(True, status, f"hr.{result.error}", viewer.locale)
        page_cache(ctx.extras, ctx.settings.webapp_cache_s).drop("risk")
        return JSONResponse({"ok": True}, headers=SECURITY_HEADERS)

    async def shell(_request: Request) -> Response:
        return HTMLResponse(render.shell(ctx.settings.default_locale), headers=SECURITY_HEADERS)

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == FONT:
            # The CJK font the PNG charts use (a Python dependency), for a device without
            # one (CSS loads it only for CJK text no local font covers); never from the web.
            from bot.charts.kit import font_path

            path = font_path()
            if path is None:
                return Response("not found", status_code=404, media_type="text/plain")
            return FileResponse(
                path,
                media_type="font/otf",
                headers={"Cache-Control": "max-age=604800", "X-Content-Type-Options": "nosniff"},
            )
        if name not in STATIC_TYPES:
            return Response("not found", status_code=404, media_type="text/plain")
        body = (STATIC / name).read_bytes()
        return Response(
            body,
            media_type=STATIC_TYPES[name],
            headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
        )

    async def bare(_request: Request) -> Response:
        return RedirectResponse(f"{PREFIX}/", status_code=308)

    extra: list[BaseRoute] = []
    if not ctx.settings.telegram_bot_token:
        from bot.dashboard.links import demo_routes  # console demo only (links.py)

        extra = list(demo_routes(ctx))
    return [
        *extra,
        Route(PREFIX, bare, methods=["GET"]),
        Route(f"{PREFIX}/", shell, methods=["GET"]),
        Route(f"{PREFIX}/static/{{name}}", static, methods=["GET"]),
        Route(f"{PREFIX}/p/{{page}}", page, methods=["GET"]),
        Route(f"{PREFIX}/api/{{page}}", page, methods=["GET"]),
        Route(f"{PREFIX}/api/risk/{{employee_id:int}}/{{action}}", risk_action, methods=["POST"]),
    ]


def _detail(params: dict[str, str]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(params.items()))[:200]
