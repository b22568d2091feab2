"""Issue 18: the HTTP server under idle-connection floods and oversized bodies (real sockets)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn

from bot.context import AppContext
from bot.settings import load_settings
from bot.web import build_web_app, uvicorn_limits
from bot.web_limits import connection_cap, fd_limit

IDLE = 300
CAP = 100


@contextmanager
def serve(app: object, **kwargs: object) -> Iterator[tuple[int, uvicorn.Server]]:
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", lifespan="off", **kwargs
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield port, server
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(0.05)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def answered(r: httpx.Response) -> bool:
    """The app's health report (200 healthy, 503 a part down: no bot runs in this test),
    not uvicorn's bare 503 for an exceeded concurrency limit."""
    return r.status_code in (200, 503) and "database" in r.json()


@pytest.fixture
def limited(ctx: AppContext) -> Iterator[tuple[int, uvicorn.Server]]:
    ctx.settings = load_settings(
        _env_file=None,
        DATABASE_URL=ctx.db.url,
        COACHBOT_HTTP_MAX_CONNECTIONS=str(CAP),
        COACHBOT_HTTP_KEEPALIVE="2",
        COACHBOT_HTTP_MAX_BODY_BYTES="10000",
        COACHBOT_WEBHOOK_MAX_BYTES="10000",
        COACHBOT_HTTP_BODY_TIMEOUT="1.5",
    )
    with serve(build_web_app(ctx), **uvicorn_limits(ctx.settings)) as running:
        yield running


def test_healthz_answers_under_an_idle_connection_flood(
    limited: tuple[int, uvicorn.Server],
) -> None:
    port, server = limited
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(IDLE)]
    try:
        t0 = time.monotonic()
        r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert answered(r)
        assert time.monotonic() - t0 < 2
        # The cap held: the oldest idle connections were closed to make room.
        assert len(server.server_state.connections) <= CAP + 1
        evicted = sum(closed_by_server(s) for s in idle)
        assert evicted >= IDLE - CAP - 1, evicted
        # And the rest go once idle for longer than the keep-alive timeout.
        time.sleep(2.5)
        assert all(closed_by_server(s) for s in idle)
        assert len(server.server_state.connections) == 0
        assert answered(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5))
    finally:
        for s in idle:
            s.close()


def test_body_limits_per_route(limited: tuple[int, uvicorn.Server]) -> None:
    port, _ = limited
    base = f"http://127.0.0.1:{port}"
    # Declared too large: refused before reading (webhook: COACHBOT_WEBHOOK_MAX_BYTES).
    r = httpx.post(f"{base}/telegram/webhook", content=b"x" * 20_000)
    assert r.status_code == 413 and r.json()["max_bytes"] == 10_000

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        for _ in range(30):
            yield b"{" * 1000

    r = httpx.post(f"{base}/telegram/webhook", content=chunks())
    assert r.status_code in (404, 413)  # webhook mode off: answered without reading, or cut
    # The ingest route has its own, larger limit (COACHBOT_INGEST_MAX_BYTES): not cut at 10 kB.
    r = httpx.post(f"{base}/api/v1/ingest/calls", content=b"x" * 20_000)
    assert r.status_code == 401  # got past the body limit to the token check


def test_uvicorn_limits_stay_below_the_descriptor_limit() -> None:
    s = load_settings(_env_file=None)
    kw = uvicorn_limits(s)
    assert kw["timeout_keep_alive"] == s.http_keep_alive_s
    assert kw["h11_max_incomplete_event_size"] == s.http_max_header_bytes
    assert connection_cap(s) < fd_limit()
    assert kw["http"].max_connections == connection_cap(s)
    s2 = load_settings(_env_file=None, COACHBOT_HTTP_MAX_CONNECTIONS="50")
    assert connection_cap(s2) == 50


def test_a_request_head_that_never_completes_is_closed(
    limited: tuple[int, uvicorn.Server],
) -> None:
    """Slowloris: a byte every 0.4 s never finishes the head; closed ~2 s after it began."""
    port, _ = limited
    sock = socket.create_connection(("127.0.0.1", port))
    try:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 6:
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            if closed_by_server(sock):
                closed = True
                break
            time.sleep(0.35)
        took = time.monotonic() - t0
        assert closed and took < 4, took
    finally:
        sock.close()
    # A normal keep-alive client is unaffected.
    with httpx.Client() as client:
        for _ in range(3):
            assert answered(client.get(f"http://127.0.0.1:{port}/healthz", timeout=5))


def trickle_body(port: int, head: bytes, seconds: float = 6.0) -> tuple[bytes, float]:
    """Send `head`, then one body byte every 0.3 s; returns (what the server answered, when
    the connection closed, seconds after the head)."""
    sock = socket.create_connection(("127.0.0.1", port))
    answer = b""
    try:
        sock.sendall(head)
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if not answer:  # once the server answers, only read (a byte sent into a closed
                try:  # connection can reset it and lose the rest of the answer)
                    sock.sendall(b"a")
                except OSError:
                    break
            sock.settimeout(0.3)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            answer += data
        return answer, time.monotonic() - t0
    finally:
        sock.close()


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_that_trickles_in_gets_408_and_the_server_stays_responsive(
    ctx: AppContext, limited: tuple[int, uvicorn.Server], chunked: bool
) -> None:
    """Headers, then a byte every 0.3 s: 408 and closed after COACHBOT_HTTP_BODY_TIMEOUT
    (1.5 s), while /healthz keeps answering at once."""
    from bot.ingest_api import create_token

    port, server = limited
    _, raw = ctx.call(create_token, "feed", "ingest", ctx.clock.now())
    length = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: 5000"
    head = (
        b"POST /api/v1/ingest/calls HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
        + f"Authorization: Bearer {raw}\r\n".encode()
        + length
        + b"\r\n\r\n"
    )
    if chunked:
        head += b"1000\r\n"  # a chunk of 4,096 bytes that never completes
    results: list[tuple[bytes, float]] = []
    slow = [
        threading.Thread(target=lambda: results.append(trickle_body(port, head))) for _ in range(5)
    ]
    for t in slow:
        t.start()
    time.sleep(0.5)
    with httpx.Client() as client:
        t0 = time.monotonic()
        assert answered(client.get(f"http://127.0.0.1:{port}/healthz", timeout=5))
        assert time.monotonic() - t0 < 1
    for t in slow:
        t.join()
    assert len(results) == 5
    for answer, took in results:
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b'"error": "timeout"' in answer
        assert took < 3, took  # answered and closed, not left to the client
    assert answered(httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5))
    deadline = time.monotonic() + 2  # the last client's close reaches the server a moment later
    while server.server_state.connections and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not server.server_state.connections
