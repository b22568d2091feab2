"""An in-process Bot API at PTB's HTTP-request layer.

The console chat and the tests run the real `telegram.ext.Application` on top of it: every
call is recorded (method and parameters), messages are kept per chat, and errors (429 with
retry_after, 403, 5xx, timeouts) can be injected for the next matching calls.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "CoachBot",
    "username": "CoachBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    at: float


@dataclass
class Fault:
    """Answer matching calls with an error instead of success, `times` times."""

    status: int
    description: str = "injected"
    retry_after: int | None = None
    method: str | None = None
    chat_id: int | None = None
    times: int = 1
    timeout: bool = False

    def matches(self, method: str, params: dict[str, Any]) -> bool:
        if self.method and self.method != method:
            return False
        return self.chat_id is None or str(params.get("chat_id")) == str(self.chat_id)


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    kind: str = "text"  # text / photo / document / poll
    extra: dict[str, Any] = field(default_factory=dict)


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id < 0:
        return {"id": chat_id, "type": "supergroup", "title": f"group {chat_id}"}
    return {"id": chat_id, "type": "private", "first_name": "user"}


class LocalBotApi(BaseRequest):
    def __init__(self, latency_s: float = 0.0, files_dir: Path | None = None) -> None:
        # Uploaded files (charts) are written here so a person can open them.
        self.files_dir = files_dir
        self._files = itertools.count(1)
        self.calls: list[ApiCall] = []
        self.messages: dict[tuple[int, int], SentMessage] = {}
        self.faults: list[Fault] = []
        self.latency_s = latency_s
        self._ids = itertools.count(1)
        self._poll_ids = itertools.count(1)
        # Called with every message the bot sends or edits (the console prints from here).
        self.listeners: list[Callable[[SentMessage, bool], None]] = []

    # --- BaseRequest ------------------------------------------------------------------------

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            for name, value in request_data.multipart_data.items():
                if name not in params or (
                    isinstance(params[name], str) and "attach://" in params[name]
                ):
                    data = value[1] if isinstance(value, tuple) else b""
                    params[name] = {"file_bytes": len(data), "file": self._keep(value)}
        self.calls.append(ApiCall(api_method, params, time.monotonic()))
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        for fault in self.faults:
            if fault.times > 0 and fault.matches(api_method, params):
                fault.times -= 1
                if fault.timeout:
                    raise TimedOut("injected timeout")
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": fault.status,
                    "description": fault.description,
                }
                if fault.retry_after is not None:
                    body["parameters"] = {"retry_after": fault.retry_after}
                return fault.status, json.dumps(body).encode()
        handler = getattr(self, f"_m_{api_method}", None)
        result = handler(params) if handler else True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _keep(self, value: Any) -> str | None:
        if self.files_dir is None or not isinstance(value, tuple) or len(value) < 2:
            return None
        name = Path(str(value[0] or "upload")).name
        path = self.files_dir / f"{next(self._files):04d}-{name}"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value[1])
        return str(path)

    # --- helpers for tests and the console --------------------------------------------------

    def fail(self, status: int, **kw: Any) -> Fault:
        fault = Fault(status=status, **kw)
        self.faults.append(fault)
        return fault

    def calls_to(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        msgs = sorted(self.messages.values(), key=lambda m: m.message_id)
        return [m for m in msgs if chat_id is None or m.chat_id == chat_id]

    def last(self, chat_id: int) -> SentMessage:
        msgs = self.sent(chat_id)
        if not msgs:
            raise AssertionError(f"no message was sent to chat {chat_id}")
        return msgs[-1]

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.sent(chat_id)]

    def clear(self) -> None:
        self.calls.clear()
        self.messages.clear()

    # --- Bot API methods -------------------------------------------------------------------

    def _emit(self, msg: SentMessage, edited: bool) -> None:
        for listener in self.listeners:
            listener(msg, edited)

    def _message(self, msg: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": int(time.time()),
            "chat": _chat(msg.chat_id),
            "from": BOT_USER,
        }
        if msg.kind == "text":
            out["text"] = msg.text
        elif msg.kind == "poll":
            out["poll"] = msg.extra["poll"]
        else:
            out["caption"] = msg.text
            if msg.kind == "photo":
                out["photo"] = [
                    {
                        "file_id": f"p{msg.message_id}",
                        "file_unique_id": f"u{msg.message_id}",
                        "width": 800,
                        "height": 600,
                    }
                ]
            else:
                out["document"] = {
                    "file_id": f"d{msg.message_id}",
                    "file_unique_id": f"u{msg.message_id}",
                }
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            # Telegram echoes only inline keyboards in the Message it returns (not a
            # ForceReply or a reply keyboard).
            out["reply_markup"] = msg.reply_markup
        return out

    def _store(self, params: dict[str, Any], kind: str, text: str, **extra: Any) -> dict:
        chat_id = int(params["chat_id"])
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        msg = SentMessage(chat_id, next(self._ids), text, markup, kind, dict(extra))
        self.messages[(chat_id, msg.message_id)] = msg
        self._emit(msg, False)
        return self._message(msg)

    def _m_getMe(self, params: dict[str, Any]) -> dict:
        return BOT_USER

    def _m_getUpdates(self, params: dict[str, Any]) -> list:
        return []

    def _m_sendMessage(self, params: dict[str, Any]) -> dict:
        return self._store(params, "text", str(params.get("text", "")))

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict:
        return self._store(
            params, "photo", str(params.get("caption") or ""), photo=params.get("photo")
        )

    def _m_sendDocument(self, params: dict[str, Any]) -> dict:
        return self._store(params, "document", str(params.get("caption") or ""))

    def _m_sendPoll(self, params: dict[str, Any]) -> dict:
        options = params.get("options") or []
        if isinstance(options, str):
            options = json.loads(options)
        labels = [o["text"] if isinstance(o, dict) else str(o) for o in options]
        poll = {
            "id": str(next(self._poll_ids)),
            "question": params.get("question", ""),
            "options": [{"text": x, "voter_count": 0} for x in labels],
            "total_voter_count": 0,
            "is_closed": False,
            "is_anonymous": params.get("is_anonymous", True) in (True, "true"),
            "type": params.get("type", "regular"),
            "allows_multiple_answers": params.get("allows_multiple_answers", False)
            in (True, "true"),
        }
        if "correct_option_id" in params:
            poll["correct_option_id"] = int(params["correct_option_id"])
        return self._store(params, "poll", str(poll["question"]), poll=poll, options=labels)

    def _edit(self, params: dict[str, Any], text: str | None) -> dict | bool:
        key = (int(params["chat_id"]), int(params["message_id"]))
        msg = self.messages.get(key)
        if msg is None:
            return True
        if text is not None:
            msg.text = text
        if "reply_markup" in params:
            markup = params["reply_markup"]
            msg.reply_markup = json.loads(markup) if isinstance(markup, str) else markup
        else:
            msg.reply_markup = None
        self._emit(msg, True)
        return self._message(msg)

    def _m_editMessageText(self, params: dict[str, Any]) -> dict | bool:
        return self._edit(params, str(params.get("text", "")))

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict | bool:
        return self._edit(params, None)

    def _m_deleteMessage(self, params: dict[str, Any]) -> bool:
        self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    def _m_getChat(self, params: dict[str, Any]) -> dict:
        return _chat(int(params["chat_id"]))


class UpdateFactory:
    """Builds raw Bot API updates as Telegram would send them."""

    def __init__(self) -> None:
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(100000)
        self._cb_ids = itertools.count(1)

    @staticmethod
    def user(user_id: int, first_name: str = "User", language_code: str = "zh-hans") -> dict:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": first_name,
            "language_code": language_code,
        }

    def message(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to: SentMessage | None = None,
    ) -> dict[str, Any]:
        chat_id = user_id if chat_id is None else chat_id
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": self.user(user_id),
            "text": text,
        }
        if text.startswith("/"):
            cmd = text.split()[0]
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(cmd)}]
        if reply_to is not None:
            msg["reply_to_message"] = {
                "message_id": reply_to.message_id,
                "date": int(time.time()),
                "chat": _chat(reply_to.chat_id),
                "from": BOT_USER,
                "text": reply_to.text,
            }
        return {"update_id": next(self._update_ids), "message": msg}

    def callback(self, user_id: int, msg: SentMessage, data: str) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._cb_ids)),
                "from": self.user(user_id),
                "chat_instance": str(msg.chat_id),
                "data": data,
                "message": {
                    "message_id": msg.message_id,
                    "date": int(time.time()),
                    "chat": _chat(msg.chat_id),
                    "from": BOT_USER,
                    "text": msg.text,
                },
            },
        }

    def poll_answer(self, user_id: int, poll_id: str, option_ids: list[int]) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "poll_answer": {
                "poll_id": poll_id,
                "user": self.user(user_id),
                "option_ids": option_ids,
            },
        }


def buttons(msg: SentMessage) -> list[tuple[str, str]]:
    """(label, callback_data) of every inline button, in reading order."""
    if not msg.reply_markup:
        return []
    out = []
    for row in msg.reply_markup.get("inline_keyboard", []):
        for b in row:
            out.append((b.get("text", ""), b.get("callback_data") or b.get("url") or ""))
    return out
