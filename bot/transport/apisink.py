"""A minimal Bot API over real HTTP (Starlette + uvicorn on 127.0.0.1) that accepts
sendMessage/getMe and counts messages per chat: the sink for the fan-out benchmark and the
kill-and-restart test. Point a bot at it with `base_url=sink.base_url`. GET …/count is the
cheap progress poll (accepted, duplicates); …/stats adds every chat's counts and spans.

`hold_after=N` makes it hold (never answer, never count) every sendMessage after the N-th
accepted one — a worker killed then has requests in flight that Telegram never accepted.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.transport.localapi import BOT_USER


class ApiSink:
    def __init__(self, hold_after: int | None = None) -> None:
        self.per_chat: Counter[int] = Counter()
        # First and last accepted send per chat (for per-group pacing figures).
        self.chat_span: dict[int, tuple[float, float]] = {}
        self.accepted = 0
        self.duplicates = 0  # kept as messages arrive: the progress poll reads it
        self.held = 0
        self.hold_after = hold_after
        self.first_at: float | None = None
        self.last_at: float | None = None
        self._lock = threading.Lock()
        self._closing = False
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def _handle(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        if method == "reset":
            self.reset()
            return JSONResponse({"ok": True})
        if method == "count":  # the benchmark's progress poll: O(1), not every chat's counts
            with self._lock:
                return JSONResponse({"accepted": self.accepted, "duplicates": self.duplicates})
        if method == "stats":  # for a sink running in its own process
            return JSONResponse(self.stats())
        if method == "getMe":
            return JSONResponse({"ok": True, "result": BOT_USER})
        if method != "sendMessage":
            return JSONResponse({"ok": True, "result": True})
        ctype = request.headers.get("content-type", "")
        if "json" in ctype:
            params: dict[str, Any] = await request.json()
        else:  # PTB posts application/x-www-form-urlencoded
            body = (await request.body()).decode()
            params = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        chat_id = int(params["chat_id"])
        with self._lock:
            hold = self.hold_after is not None and self.accepted >= self.hold_after
            if hold:
                self.held += 1
        if hold:
            while not self._closing:
                await asyncio.sleep(0.05)
            return JSONResponse({"ok": False, "error_code": 503, "description": "closing"}, 503)
        with self._lock:
            self.accepted += 1
            self.per_chat[chat_id] += 1
            if self.per_chat[chat_id] > 1:
                self.duplicates += 1
            now = time.monotonic()
            self.first_at = self.first_at or now
            self.last_at = now
            first, _ = self.chat_span.get(chat_id, (now, now))
            self.chat_span[chat_id] = (first, now)
            mid = self.accepted
        result = {
            "message_id": mid,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "u"},
            "from": BOT_USER,
            "text": str(params.get("text", ""))[:20],
        }
        return JSONResponse({"ok": True, "result": result})

    def reset_hold(self, hold_after: int | None = None) -> None:
        with self._lock:
            self.hold_after = hold_after
            self.held = 0

    def start(self) -> ApiSink:
        app = Starlette(
            routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])]
        )
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, log_level="warning", timeout_graceful_shutdown=2
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("API sink did not start")
            time.sleep(0.02)
        self.port = self._server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._closing = True
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> ApiSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "accepted": self.accepted,
                "chats": len(self.per_chat),
                "duplicates": self.duplicates,
                "max_per_chat": max(self.per_chat.values(), default=0),
                "span_s": (self.last_at or 0) - (self.first_at or 0),
                "per_chat": {str(k): v for k, v in self.per_chat.items()},
                "span_per_chat": {str(k): b - a for k, (a, b) in self.chat_span.items()},
            }

    def reset(self) -> None:
        with self._lock:
            self.per_chat.clear()
            self.chat_span.clear()
            self.accepted = self.duplicates = 0
            self.first_at = self.last_at = None

    def summary(self) -> str:
        return json.dumps(
            {"accepted": self.accepted, "chats": len(self.per_chat), "duplicates": self.duplicates}
        )


def main() -> None:
    """`python -m bot.transport.apisink`: run a sink in its own process; prints its port,
    then serves until killed. GET /bot<any>/stats for the counts, /bot<any>/reset to zero them."""
    sink = ApiSink().start()
    print(sink.port, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
