"""Doctor checks against the Bot API: the token (getMe), the webhook, the registered groups."""

from __future__ import annotations

from typing import Any

import httpx

from bot.context import AppContext
from bot.doctor.base import Check
from bot.settings import Settings


class _Api:
    def __init__(self, s: Settings) -> None:
        self.base = f"{s.telegram_api_base_url}{s.telegram_bot_token}"
        self.http = httpx.Client(timeout=10.0)

    def call(self, method: str, **params: Any) -> tuple[bool, Any]:
        r = self.http.post(f"{self.base}/{method}", json=params)
        try:
            body = r.json()
        except ValueError:
            return False, f"HTTP {r.status_code}"
        if body.get("ok"):
            return True, body.get("result")
        return False, body.get("description") or f"HTTP {r.status_code}"


def check_telegram(ctx: AppContext) -> list[Check]:
    s = ctx.settings
    if not s.telegram_bot_token:
        return [
            Check(
                "Telegram token",
                "fail",
                "TELEGRAM_BOT_TOKEN is not set (the bot would run as a console chat)",
                "create a bot with @BotFather and set TELEGRAM_BOT_TOKEN",
            )
        ]
    api = _Api(s)
    try:
        ok, me = api.call("getMe")
    except httpx.HTTPError as exc:
        api.http.close()
        return [
            Check(
                "Telegram token",
                "fail",
                f"Bot API unreachable: {type(exc).__name__}",
                "check the network / TELEGRAM_API_BASE_URL",
            )
        ]
    if not ok:
        api.http.close()
        return [Check("Telegram token", "fail", f"getMe: {me}", "copy the token from @BotFather")]
    out = [Check("Telegram token", "ok", f"@{me.get('username')} (id {me.get('id')})")]
    if me.get("username") != s.bot_username:
        out.append(
            Check(
                "bot username",
                "fail",
                f"COACHBOT_BOT_USERNAME is {s.bot_username!r}, the bot is @{me.get('username')}:"
                " invite links would open the wrong bot",
                f"set COACHBOT_BOT_USERNAME={me.get('username')}",
            )
        )
    out.append(_webhook(api, s))
    out.extend(_groups(ctx, api, int(me.get("id", 0))))
    api.http.close()
    return out


def _webhook(api: _Api, s: Settings) -> Check:
    ok, info = api.call("getWebhookInfo")
    if not ok or not isinstance(info, dict):
        return Check("webhook", "warn", f"getWebhookInfo: {info}")
    current = info.get("url") or ""
    err = info.get("last_error_message")
    if s.webhook_url:
        want = f"{s.webhook_url.rstrip('/')}/telegram/webhook"
        if current == want and not err:
            return Check("webhook", "ok", f"webhook mode, {want}")
        if current == want:
            return Check(
                "webhook",
                "fail",
                f"Telegram reports: {err}",
                "check the HTTPS proxy forwards to COACHBOT_LISTEN_HOST:PORT",
            )
        return Check(
            "webhook",
            "warn",
            f"webhook mode configured; Telegram has {current or 'none'} (set when the bot starts)",
        )
    if s.updates_mode == "none":
        return Check("webhook", "ok", "worker mode (COACHBOT_UPDATES=none): takes no updates")
    if current:
        return Check(
            "webhook",
            "warn",
            f"polling mode, but Telegram still has a webhook ({current}); `coachbot run` removes "
            "it on start",
        )
    return Check("webhook", "ok", "polling mode (no webhook set)")


def _groups(ctx: AppContext, api: _Api, bot_id: int) -> list[Check]:
    from coaching.groups import list_groups

    rows = ctx.call(list_groups)
    if not rows:
        return [
            Check(
                "group chats",
                "warn",
                "none registered: HR alerts and trainer questions have nowhere to go",
                "add the bot to the HR chat and run `coachbot group register CHAT_ID hr_alerts`",
            )
        ]
    out = []
    for g in rows:
        name = f"group {g.chat_id} ({g.purpose})"
        ok, chat = api.call("getChat", chat_id=g.chat_id)
        if not ok:
            out.append(
                Check(
                    name,
                    "fail",
                    f"getChat: {chat}",
                    "add the bot to the chat again, or `coachbot group unregister "
                    f"{g.chat_id}` (a group upgraded to a supergroup gets a new id)",
                )
            )
            continue
        ok, member = api.call("getChatMember", chat_id=g.chat_id, user_id=bot_id)
        status = member.get("status") if ok and isinstance(member, dict) else None
        can_send = member.get("can_send_messages", True) if isinstance(member, dict) else True
        title = chat.get("title", "") if isinstance(chat, dict) else ""
        if status in ("left", "kicked") or (status == "restricted" and not can_send):
            out.append(
                Check(name, "fail", f"{title}: the bot is {status}", "let the bot post there")
            )
        else:
            out.append(Check(name, "ok", f"{title} (bot is {status or 'member'})"))
    return out
