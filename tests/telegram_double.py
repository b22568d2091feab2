"""A small Bot API server over real HTTP: getMe, getUpdates (long polling), sendMessage,
editMessageText, sendPhoto, setWebhook/deleteWebhook, setMyCommands and the rest answered
`true`. Tests queue updates and read what the bot sent.

It fails the way Telegram does: HTML that Telegram's parser refuses (an unknown or unclosed
tag) is a 400 "can't parse entities"; `reject_token` answers 401 Unauthorized; `down_for`
answers the first N calls with 502; `send_delay` slows every send (a busy server); in groups
with `privacy` on, only commands, replies to the bot and mentions reach the bot.

Faults of a busy Telegram (the outbox fault bench and tests):
- `late_answers` sends are delivered (recorded) but answered `late_delay` seconds later, after
  the client gave up: the client cannot know they arrived.
- `storm` sends are refused with 429 and `retry_after`; a chat sent to again before its
  retry_after ran out gets 429 again and is counted in `early_retries`.
- sends to `blocked` chats get 403 "Forbidden: bot was blocked by the user"."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from html.parser import HTMLParser
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT = {"id": 7000000002, "is_bot": True, "first_name": "CoachBot", "username": "CoachBotTest"}
# Telegram's HTML parse mode knows these tags and no others.
TG_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "span",
    "blockquote",
    "tg-emoji",
}


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in TG_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f'can\'t find end tag corresponding to "{tag}"'
        else:
            self.stack.pop()


def html_error(text: str) -> str | None:
    """What Telegram would refuse in `text` sent with parse_mode HTML, or None."""
    p = _TelegramHtml()
    p.feed(text)
    p.close()
    if p.error is None and p.stack:
        p.error = f'can\'t find end tag corresponding to "{p.stack[-1]}"'
    return p.error


class TelegramDouble:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.times: list[float] = []  # monotonic time of each call, parallel to `calls`
        self.lock = threading.Lock()
        self.reject_token = False
        self.down_for = 0  # answer this many more calls with 502
        self.send_delay = 0.0
        self.late_answers = 0
        self.late_delay = 0.0
        self.storm = 0
        self.storm_retry_after = 2
        self.blocked: set[int] = set()
        self.retry_until: dict[int, float] = {}
        self.early_retries = 0
        self.refused: list[tuple[int, int]] = []  # (chat_id, status) of refused sends
        self.privacy = True
        self.dropped: list[dict[str, Any]] = []  # group messages privacy mode kept from the bot
        self._next_update = 1
        self._msg = 0
        # For `coachbot doctor` and group registration: the webhook Telegram holds, groups the
        # bot was removed from (getChat fails), and users who are in a group (getChatMember).
        self.webhook_url = ""
        self.gone_chats: set[int] = set()
        self.members: set[tuple[int, int]] = set()
        self.app = Starlette(
            routes=[Route("/bot{token}/{method}", self.handle, methods=["GET", "POST"])]
        )

    def queue_text(self, user_id: int, text: str) -> None:
        with self.lock:
            msg = {
                "message_id": 1000 + self._next_update,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "u"},
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "text": text,
            }
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
            self.updates.append({"update_id": self._next_update, "message": msg})
            self._next_update += 1

    def queue_callback(self, user_id: int, data: str, message_id: int, text: str = "…") -> str:
        """A button tap on the bot's message `message_id` in the user's private chat; returns
        the callback query id (answerCallbackQuery carries it)."""
        with self.lock:
            qid = f"q{self._next_update}"
            chat = {"id": user_id, "type": "private", "first_name": "u"}
            self.updates.append(
                {
                    "update_id": self._next_update,
                    "callback_query": {
                        "id": qid,
                        "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                        "message": {
                            "message_id": message_id,
                            "date": int(time.time()),
                            "chat": chat,
                            "from": BOT,
                            "text": text,
                        },
                        "chat_instance": str(user_id),
                        "data": data,
                    },
                }
            )
            self._next_update += 1
        return qid

    def queue_group_text(
        self, chat_id: int, user_id: int, text: str, reply_to: int | None = None
    ) -> bool:
        """A message in a group; False when privacy mode keeps it from the bot (not a
        command, not a reply to the bot, no @mention) — as Telegram does."""
        visible = (
            not self.privacy
            or text.startswith("/")
            or reply_to is not None
            or f"@{BOT['username']}" in text
        )
        with self.lock:
            msg: dict[str, Any] = {
                "message_id": 1000 + self._next_update,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "supergroup", "title": "g"},
                "from": {"id": user_id, "is_bot": False, "first_name": "u"},
                "text": text,
            }
            if text.startswith("/"):
                msg["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
                ]
            if reply_to is not None:
                msg["reply_to_message"] = {
                    "message_id": reply_to,
                    "date": int(time.time()),
                    "chat": msg["chat"],
                    "from": BOT,
                    "text": "…",
                }
            if not visible:
                self.dropped.append(msg)
                return False
            self.updates.append({"update_id": self._next_update, "message": msg})
            self._next_update += 1
        return True

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self.lock:
            return [p for m, p in self.calls if m == method]

    async def _params(self, request: Request) -> dict[str, Any]:
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            return dict(await request.json())
        form = await request.form()
        out: dict[str, Any] = {}
        for k, v in form.items():
            try:
                out[k] = json.loads(v) if isinstance(v, str) and v[:1] in "[{" else v
            except ValueError:
                out[k] = v
        return out

    async def handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await self._params(request)
        with self.lock:
            if self.down_for > 0:
                self.down_for -= 1
                return JSONResponse(
                    {"ok": False, "error_code": 502, "description": "Bad Gateway"}, 502
                )
        if self.reject_token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        text = params.get("text") or params.get("caption")
        if params.get("parse_mode") == "HTML" and isinstance(text, str):
            problem = html_error(text)
            if problem:
                desc = f"Bad Request: can't parse entities: {problem}"
                return JSONResponse({"ok": False, "error_code": 400, "description": desc}, 400)
        if method in ("sendMessage", "sendPhoto"):
            refused = self._refuse_send(int(params["chat_id"]))
            if refused is not None:
                return refused
        if method in ("sendMessage", "sendPhoto") and self.send_delay:
            await asyncio.sleep(self.send_delay)
        late = False
        if method in ("sendMessage", "sendPhoto"):
            with self.lock:
                if self.late_answers > 0:
                    self.late_answers -= 1
                    late = True
        if late:  # delivered now, answered after the client's read timeout
            with self.lock:
                self.calls.append((method, params))
                self.times.append(time.monotonic())
            await asyncio.sleep(self.late_delay)
            return JSONResponse({"ok": True, "result": self._message(params)})
        with self.lock:
            self.calls.append((method, params))
            self.times.append(time.monotonic())
        if request.path_params["token"] == "0:REVOKED":
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401
            )
        if method == "getMe":
            return JSONResponse({"ok": True, "result": BOT})
        if method == "getWebhookInfo":
            info = {"url": self.webhook_url, "pending_update_count": 0}
            return JSONResponse({"ok": True, "result": info})
        if method in ("getChat", "getChatMember"):
            chat_id = int(params["chat_id"])
            if chat_id in self.gone_chats:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
                    status_code=400,
                )
            if method == "getChat":
                chat = {"id": chat_id, "type": "supergroup", "title": f"group {chat_id}"}
                return JSONResponse({"ok": True, "result": chat})
            uid = int(params["user_id"])
            status = (
                "administrator"
                if uid == BOT["id"]
                else ("member" if (chat_id, uid) in self.members else "left")
            )
            user = {"id": uid, "is_bot": uid == BOT["id"], "first_name": "u"}
            return JSONResponse({"ok": True, "result": {"status": status, "user": user}})
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            timeout = min(float(params.get("timeout") or 0), 1.0)
            deadline = time.monotonic() + timeout
            while True:
                with self.lock:
                    ready = [u for u in self.updates if u["update_id"] >= offset]
                if ready or time.monotonic() >= deadline:
                    return JSONResponse({"ok": True, "result": ready})
                # Telegram answers a long poll as soon as an update arrives: wake up often.
                await asyncio.sleep(0.005)
        if method in ("sendMessage", "editMessageText", "sendPhoto"):
            return JSONResponse({"ok": True, "result": self._message(params)})
        return JSONResponse({"ok": True, "result": True})

    def _message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._msg += 1
            mid = self._msg
        chat_id = int(params["chat_id"])
        return {
            "message_id": mid,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT,
            "text": params.get("text", ""),
        }

    def _refuse_send(self, chat_id: int) -> JSONResponse | None:
        """403 for a blocked chat, 429 in a storm or before a chat's retry_after ran out."""
        with self.lock:
            if chat_id in self.blocked:
                self.refused.append((chat_id, 403))
                desc = "Forbidden: bot was blocked by the user"
                return JSONResponse({"ok": False, "error_code": 403, "description": desc}, 403)
            now = time.monotonic()
            early = self.retry_until.get(chat_id, 0.0) - 0.05 > now  # 50 ms for clocks
            if early:
                self.early_retries += 1
            elif self.storm > 0:
                self.storm -= 1
                self.retry_until[chat_id] = now + self.storm_retry_after
            else:
                return None
            self.refused.append((chat_id, 429))
            wait = max(1, round(self.retry_until[chat_id] - now))
            return JSONResponse(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
                429,
            )
