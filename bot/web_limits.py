"""HTTP server limits (issue 18): idle connections, a connection cap below the file-descriptor
limit, header and per-route body sizes.

uvicorn closes a keep-alive connection only after a response; a connection that never sends a
request stays open forever, and 1,100 of them exhausted 1,024 descriptors (every request failed,
the health check too). `GuardedH11Protocol` therefore
- starts the idle timer when a connection opens (closed after COACHBOT_HTTP_KEEPALIVE seconds
  without a request), and
- at the connection cap evicts the oldest connection that has no request in flight, so a new
  request (e.g. /healthz) is always served instead of the process running out of descriptors.
`uvicorn_limits(settings)` returns the keyword arguments for `uvicorn.Config`; `BodyLimit`
answers 413 for a body over its route's limit (declared or streamed).
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_BODY_LIMIT = 64 * 1024  # routes with no limit of their own


def fd_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65_536


def connection_cap(settings: Any) -> int:
    """Below the descriptor limit: leave room for database connections, files and Telegram."""
    soft = fd_limit()
    reserve = max(64, soft // 8)
    cap = max(16, soft - reserve)
    wanted = getattr(settings, "http_max_connections", None)
    return min(cap, wanted) if wanted else cap


class GuardedH11Protocol(H11Protocol):
    max_connections = 1000

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.opened_at = time.monotonic()
        # Idle from the start: closed unless a request begins within the keep-alive timeout
        # (uvicorn cancels this timer when data arrives, and re-arms it after each response).
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler
        )
        live = [c for c in self.connections if not c.transport.is_closing()]
        if len(live) > self.max_connections:
            self._evict_idle(live)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # uvicorn cancels the idle timer on any byte; a request head that never completes
        # (slowloris) would then hold the connection forever. The head gets the keep-alive
        # timeout from its first byte, however slowly the rest trickles in.
        if self.transport.is_closing() or not self._idle() or self.timeout_keep_alive_task:
            self.head_started = None if not self._idle() else getattr(self, "head_started", None)
            return
        now = time.monotonic()
        started = getattr(self, "head_started", None) or now
        self.head_started = started
        remaining = max(0.0, started + self.timeout_keep_alive - now)
        self.timeout_keep_alive_task = self.loop.call_later(
            remaining, self.timeout_keep_alive_handler
        )

    def timeout_keep_alive_handler(self) -> None:
        try:
            super().timeout_keep_alive_handler()
        except Exception:  # h11 may refuse ConnectionClosed mid-head: close regardless
            self.transport.close()

    def on_response_complete(self) -> None:
        self.head_started = None
        super().on_response_complete()

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _evict_idle(self, live: list[Any]) -> None:
        idle = [
            c for c in live if c is not self and isinstance(c, GuardedH11Protocol) and c._idle()
        ]
        if idle:
            # Closing is asynchronous: the set shrinks on connection_lost, a moment later.
            min(idle, key=lambda c: c.opened_at).timeout_keep_alive_handler()


def protocol_with_cap(cap: int) -> type[GuardedH11Protocol]:
    return type("GuardedH11ProtocolCapped", (GuardedH11Protocol,), {"max_connections": cap})


def uvicorn_limits(settings: Any) -> dict[str, Any]:
    """kwargs for uvicorn.Config (the runner passes them through)."""
    cap = connection_cap(settings)
    return {
        "http": protocol_with_cap(cap),
        "timeout_keep_alive": settings.http_keep_alive_s,
        # uvicorn's own 503 valve counts connections still closing too: above the cap (which
        # eviction enforces) but below the descriptor limit.
        "limit_concurrency": max(cap + 16, min(fd_limit() - 32, 2 * cap)),
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "backlog": min(2048, cap),
    }


class BodyLimit:
    """ASGI middleware: 413 when a request body is over its route's limit."""

    def __init__(self, app: Any, limit_for: Callable[[str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(send, limit)
            return
        seen = 0
        over = False
        replaced = False

        async def counted_receive() -> Any:
            # Past the limit the app gets an empty, final chunk (nothing more is buffered) and
            # its answer is replaced by the 413 below.
            nonlocal seen, over
            if over:
                return {"type": "http.request", "body": b"", "more_body": False}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    return {"type": "http.request", "body": b"", "more_body": False}
            return message

        async def guarded_send(message: Any) -> None:
            nonlocal replaced
            if not over:
                await send(message)
            elif not replaced and message["type"] == "http.response.start":
                replaced = True
                await _too_large(send, limit)

        await self.app(scope, counted_receive, guarded_send)


async def _too_large(send: Any, limit: int) -> None:
    import json

    body = json.dumps(
        {"error": "too_large", "detail": f"the body is over {limit} bytes", "max_bytes": limit}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})
