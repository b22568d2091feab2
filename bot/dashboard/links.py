"""Ways into the dashboard: the chat's menu button and inline web_app buttons (only with a
public https:// URL, COACHBOT_PUBLIC_URL: Telegram opens Mini Apps over https only), and in
console mode (no TELEGRAM_BOT_TOKEN) local demo links.

The console demo: with no bot token there is nothing to sign initData with, so console mode
makes a random per-process key and short links `/app/demo/<code>` (one per demo role). Opening
one signs a fresh initData for that employee with the per-process key and redirects into the
app, exactly as Telegram would open it. None of this exists when a real token is configured.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, MenuButtonWebApp, WebAppInfo

from bot.context import AppContext
from bot.dashboard.auth import make_init_data
from bot.dashboard.routes import DEMO_KEY, PREFIX
from bot.i18n import label
from coaching import people

log = logging.getLogger(__name__)

DEMO_CODES = "dashboard_demo_codes"
CONSOLE_ID_BASE = 8_000_000_000  # the console's own Telegram ids (bot/transport/console.py)
DEMO_ROLES = (
    ("L0001", "team_lead"),
    ("H0001", "hr"),
    ("T0001", "trainer"),
    ("A0001", "admin"),
    ("C0001", "collector"),
)


def app_url(settings: Any, view: str | None = None, **params: Any) -> str | None:
    """The Mini App's https URL (None without COACHBOT_PUBLIC_URL)."""
    base = getattr(settings, "public_url", None)
    if not base:
        return None
    url = base.rstrip("/") + f"{PREFIX}/"
    if view:
        url += "?" + urlencode({"v": view, **{k: str(v) for k, v in params.items()}})
    return url


def web_app_button(
    settings: Any, locale: str, view: str | None = None, **params: Any
) -> InlineKeyboardButton | None:
    """An inline "open the dashboard" button, or None when no public URL is configured.
    web_app buttons work in private chats only (Telegram's rule)."""
    url = app_url(settings, view, **params)
    if url is None:
        return None
    return InlineKeyboardButton(label(locale, "dash.open_button"), web_app=WebAppInfo(url))


def startapp_link(settings: Any, start: str) -> str | None:
    """For group chats, where web_app buttons are not allowed: Telegram's direct link to the
    bot's Main Mini App (set its URL to COACHBOT_PUBLIC_URL/app/ in BotFather), which opens
    it with signed initData. `start` picks the page."""
    if not getattr(settings, "public_url", None):
        return None
    return f"https://t.me/{settings.bot_username}?startapp={start}"


def with_web_app(
    markup: InlineKeyboardMarkup | None,
    settings: Any,
    locale: str,
    private: bool,
    view: str | None = None,
    **params: Any,
) -> InlineKeyboardMarkup | None:
    """`markup` with an "open the dashboard" row added: a web_app button in private chats, a
    direct Mini App link in groups; unchanged without COACHBOT_PUBLIC_URL."""
    if private:
        btn = web_app_button(settings, locale, view, **params)
    else:
        link = startapp_link(settings, view or "home")
        btn = (
            None
            if link is None
            else InlineKeyboardButton(label(locale, "dash.open_button"), url=link)
        )
    if btn is None:
        return markup
    rows = [list(r) for r in markup.inline_keyboard] if markup is not None else []
    return InlineKeyboardMarkup([*rows, [btn]])


def dashboard_row(
    settings: Any, start: str, templates: tuple[str, ...]
) -> Callable[[Any, dict[str, Any]], dict[str, Any]] | None:
    """For bot.notify.deliver: adds a "open the dashboard" URL row (a direct Mini App link;
    group chats allow no web_app buttons) under notices rendered from `templates`."""
    url = startapp_link(settings, start)
    if url is None:
        return None

    def decorate(notice: Any, body: dict[str, Any]) -> dict[str, Any]:
        if notice.card.template not in templates:
            return body
        rows = list((body.get("reply_markup") or {}).get("inline_keyboard", []))
        text = label(notice.card.locale, "dash.open_button")
        return {**body, "reply_markup": {"inline_keyboard": [*rows, [{"text": text, "url": url}]]}}

    return decorate


async def set_menu_button(bot: Any, settings: Any) -> bool:
    """The bot's default menu button opens the dashboard (private chats). A failure is
    logged and never stops the bot."""
    url = app_url(settings)
    if url is None:
        return False
    try:
        await bot.set_chat_menu_button(
            menu_button=MenuButtonWebApp(
                text=label(settings.default_locale, "dash.menu_button"), web_app=WebAppInfo(url)
            )
        )
        return True
    except Exception as exc:
        log.warning("could not set the dashboard menu button: %s", exc.__class__.__name__)
        return False


# --- console demo ---------------------------------------------------------------------------


def enable_demo(ctx: AppContext) -> dict[str, str]:
    """Console mode only: a per-process signing key and one short code per demo role.
    Returns {code: employee_no}. Refuses when a real bot token is configured."""
    if ctx.settings.telegram_bot_token:
        raise RuntimeError("the dashboard demo login exists only without TELEGRAM_BOT_TOKEN")
    ctx.extras.setdefault(DEMO_KEY, secrets.token_urlsafe(32))
    codes: dict[str, str] = ctx.extras.setdefault(DEMO_CODES, {})
    if not codes:

        def existing(s: Any) -> list[str]:
            return [no for no, _ in DEMO_ROLES if people.employee_by_no(s, no) is not None]

        for no in ctx.call(existing):
            codes[secrets.token_urlsafe(12)] = no
    return codes


def demo_urls(ctx: AppContext, base: str) -> list[tuple[str, str, str]]:
    """(employee_no, role, url) for the console to print."""
    roles = dict(DEMO_ROLES)
    codes = ctx.extras.get(DEMO_CODES, {})
    return [(no, roles[no], f"{base}{PREFIX}/demo/{code}") for code, no in codes.items()]


def _demo_uid(s: Any, employee_no: str, now: Any) -> int | None:
    emp = people.employee_by_no(s, employee_no)
    if emp is None:
        return None
    if emp.binding is not None:
        return int(emp.binding.telegram_user_id)
    uid = CONSOLE_ID_BASE + emp.id  # the same console-only binding `coachbot console` makes
    people.bind(s, emp, uid, uid, now)
    return uid


def demo_routes(ctx: AppContext) -> list[Route]:
    async def demo(request: Request) -> Response:
        key = ctx.extras.get(DEMO_KEY)
        no = ctx.extras.get(DEMO_CODES, {}).get(request.path_params["code"])
        if ctx.settings.telegram_bot_token or key is None or no is None:
            return PlainTextResponse("not found", status_code=404)
        now = ctx.clock.now()
        uid = await ctx.run(_demo_uid, no, now)
        if uid is None:
            return PlainTextResponse("not found", status_code=404)
        init = make_init_data(key, uid, now)
        return RedirectResponse(f"{PREFIX}/#tgWebAppData={quote(init, safe='')}", status_code=303)

    return [Route(f"{PREFIX}/demo/{{code}}", demo, methods=["GET"])]
