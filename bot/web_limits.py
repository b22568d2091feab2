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
answers 413 for a body over its route's limit (declared or streamed) and 408 for a body that
does not arrive within COACHBOT_HTTP_BODY_TIMEOUT seconds of the request head (a client that
trickles its body would otherwise hold a connection, which is never idle, for ever). In both
cases the route is aborted mid-read (it never sees a truncated body) and the connection closed.
`raise_fd_limit()` lifts the soft descriptor limit to the hard one at start.
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

DEFAULT_BODY_LIMIT = 64 * 1024  # routes with no limit of their own


def raise_fd_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE up to the hard limit (many systems start processes at 1,024 with a
    far higher hard limit); returns (before, after). The connection cap is computed after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft != resource.RLIM_INFINITY and soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as exc:  # e.g. a container forbids it: keep the soft one
            log.warning("could not raise the file-descriptor limit to %d: %s", hard, exc)
            return soft, soft
        return soft, hard
    return soft, soft


def fd_limit() -> int:
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 65_536


def accept_burst(soft: int) -> int:
    """The listen backlog, which is also how many sockets asyncio accepts in one go before any
    connection_made (and so any eviction) runs: it must fit beside the cap."""
    return 128 if soft >= 4096 else 64


def connection_cap(settings: Any) -> int:
    """Below the descriptor limit: room for one accept burst (whose evictions have not closed
    anything yet), database connections, files, threads and Telegram. With the common soft
    limit of 1,024 (when it cannot be raised): 800 connections."""
    soft = fd_limit()
    reserve = max(160, soft // 8) + accept_burst(soft)
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
        "backlog": min(accept_burst(fd_limit()), cap),
    }


class _BodyAbort(Exception):
    """Raised from `receive` to abort a route mid-read: the middleware answers instead."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


class BodyLimit:
    """ASGI middleware: 413 when a request body is over its route's limit, 408 when it does not
    arrive within `timeout` seconds (however it trickles in). The route is aborted by an
    exception from `receive`, so it never acts on a partial body."""

    def __init__(
        self, app: Any, limit_for: Callable[[str], int], timeout: Callable[[], float] | None = None
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.timeout = timeout or (lambda: 30.0)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope.get("path", ""))
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _answer(send, 413, _too_large(limit))
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout()
        seen = 0
        done = False
        started = False

        async def guarded_receive() -> Any:
            nonlocal seen, done
            if done:  # the body is complete: later receives wait for a disconnect
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(deadline - loop.time(), 0.001))
            except TimeoutError:
                client = scope.get("client")
                log.warning("request body from %s not complete in time: 408", client)
                raise _BodyAbort(
                    408,
                    {
                        "error": "timeout",
                        "detail": "the request body did not arrive in time",
                        "received_bytes": seen,
                    },
                ) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyAbort(413, _too_large(limit))
                done = not message.get("more_body", False)
            return message

        async def watched_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, guarded_receive, watched_send)
        except _BodyAbort as abort:
            if not started:
                await _answer(send, abort.status, abort.body)


def _too_large(limit: int) -> dict[str, Any]:
    return {"error": "too_large", "detail": f"the body is over {limit} bytes", "max_bytes": limit}


async def _answer(send: Any, status: int, payload: dict[str, Any]) -> None:
    # Connection: close — the rest of the body is never read, so the connection cannot be reused.
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
