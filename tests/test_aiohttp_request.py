"""The aiohttp HTTP layer (bot/transport/aiohttp_request.py) over real HTTP: PTB calls work
through it, the outbox's JSON fast path raises exactly what PTB's own httpx layer raises for
the same Telegram answer, and the outbox records each answer the same way."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot import outbox
from bot.transport.aiohttp_request import AiohttpRequest
from db.models import Outbox
from tests.servers import serve_in_thread


def _err(code: int, description: str, **params: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if params:
        body["parameters"] = params
    return JSONResponse(body, status_code=code)


# Telegram's answers by chat id (as the real Bot API words them).
ANSWERS: dict[int, Response] = {
    1: _err(429, "Too Many Requests: retry after 7", retry_after=7),
    2: _err(403, "Forbidden: bot was blocked by the user"),
    3: _err(400, "Bad Request: chat not found"),
    4: PlainTextResponse("<html>502 Bad Gateway</html>", status_code=502),
    6: _err(401, "Unauthorized"),
    7: _err(400, "Bad Request: group chat was upgraded", migrate_to_chat_id=-1009),
    8: _err(500, "Internal Server Error"),
}


class FaultApi:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self.handle, methods=["POST"])])

    async def handle(self, request: Request) -> Response:
        method = request.path_params["method"]
        if "json" in request.headers.get("content-type", ""):
            params = await request.json()
        else:
            params = {k: v for k, v in (await request.form()).items()}
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "B", "username": "b"}
            return JSONResponse({"ok": True, "result": me})
        self.bodies.append(params)
        chat = int(params["chat_id"])
        if chat in ANSWERS:
            return ANSWERS[chat]
        msg = {"message_id": 40 + chat, "date": 0, "chat": {"id": chat, "type": "private"}}
        return JSONResponse({"ok": True, "result": msg | {"text": params.get("text", "")}})


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    fault = FaultApi()
    with serve_in_thread(fault.app) as base:
        yield fault, f"{base}/bot"


@pytest.fixture
def api(server):  # type: ignore[no-untyped-def]
    server[0].bodies.clear()
    return server


def _raised(exc: BaseException) -> tuple[str, str]:
    return type(exc).__name__, str(exc)


@pytest.mark.parametrize("chat", sorted(ANSWERS))
async def test_fast_path_raises_what_ptb_raises(api, chat: int) -> None:  # type: ignore[no-untyped-def]
    _fault, base = api
    async with Bot("1:T", base_url=base, request=HTTPXRequest()) as ptb:
        with pytest.raises(TelegramError) as via_ptb:
            await ptb.send_message(chat, "x")
    async with Bot("1:T", base_url=base, request=AiohttpRequest()) as bot:
        with pytest.raises(TelegramError) as via_aiohttp:
            await bot.send_message(chat, "x")  # PTB over aiohttp
        with pytest.raises(TelegramError) as via_json:
            await bot.request.post_json(f"{bot.base_url}/sendMessage", {"chat_id": chat})
    assert _raised(via_aiohttp.value) == _raised(via_ptb.value)
    assert _raised(via_json.value) == _raised(via_ptb.value)


async def test_ptb_calls_and_network_errors(api) -> None:  # type: ignore[no-untyped-def]
    _fault, base = api
    async with Bot("1:T", base_url=base, request=AiohttpRequest()) as bot:
        msg = await bot.send_message(5, "<b>hi</b>", parse_mode="HTML")
        assert msg.message_id == 45 and msg.chat.id == 5
    dead = "http://127.0.0.1:9/bot"  # nothing listens on the discard port
    req = AiohttpRequest(connect_timeout=1)
    await req.initialize()
    try:
        with pytest.raises(TelegramError, match="aiohttp"):
            await req.post_json(f"{dead}1:T/sendMessage", {"chat_id": 1})
    finally:
        await req.shutdown()


async def test_outbox_records_each_answer(ctx, api) -> None:  # type: ignore[no-untyped-def]
    fault, base = api
    now = ctx.clock.now()
    markup = {"inline_keyboard": [[{"text": "更多", "callback_data": "plan:more:x"}]]}

    def queue(s):  # type: ignore[no-untyped-def]
        for chat in (1, 2, 3, 4, 5):
            payload: dict[str, Any] = {"text": f"<b>计划</b> {chat}"}
            if chat == 5:
                payload["reply_markup"] = markup
            outbox.enqueue(
                s, key=f"k{chat}", kind="plan_morning", chat_id=chat, payload=payload, now=now
            )

    ctx.call(queue)
    async with Bot("1:T", base_url=base, request=AiohttpRequest()) as bot:
        sent = await outbox.deliver_due(bot, ctx, pacer=outbox.Pacer(1000, 0), concurrency=2)
    assert sent == 1
    rows = ctx.call(lambda s: {r.chat_id: (r.status, r.last_error) for r in s.query(Outbox)})
    assert rows[1] == ("pending", "429 retry_after=7.0")
    assert rows[2] == ("failed", "403 Forbidden: bot was blocked by the user")
    assert rows[3] == ("failed", "400 Chat not found")
    assert rows[4][0] == "pending" and "Bad Gateway" in rows[4][1]
    assert rows[5] == ("sent", None)
    [body] = [b for b in fault.bodies if b["chat_id"] == 5]
    # Sent as the PTB path sends it: HTML, no link previews, the buttons as given.
    assert body["parse_mode"] == "HTML" and body["reply_markup"] == markup
    assert body["link_preview_options"] == {"is_disabled": True}
    assert json.loads(json.dumps(body))["text"] == "<b>计划</b> 5"
