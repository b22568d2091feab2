"""Many idle TCP connections against a running `coachbot run` (the test and
bench/connections.py): open them, see which the server closed, time /healthz, count the
process's descriptors."""

from __future__ import annotations

import contextlib
import os
import socket
import time

import httpx


def open_idle(port: int, n: int) -> tuple[list[socket.socket], int]:
    """n connections that never send a byte; returns them and how many could not connect."""
    socks: list[socket.socket] = []
    failed = 0
    for _ in range(n):
        try:
            socks.append(socket.create_connection(("127.0.0.1", port), timeout=5))
        except OSError:
            failed += 1
    return socks, failed


def closed_by_server(socks: list[socket.socket]) -> int:
    """How many the server has closed (EOF or reset)."""
    n = 0
    for s in socks:
        s.setblocking(False)
        try:
            n += s.recv(1) == b""
        except BlockingIOError:
            pass
        except OSError:
            n += 1
    return n


def close_all(socks: list[socket.socket]) -> None:
    for s in socks:
        with contextlib.suppress(OSError):
            s.close()


def health_times(port: int, k: int = 10) -> list[tuple[int, float]]:
    """k fresh /healthz requests: (status, seconds) each; status 0 when it failed."""
    out = []
    for _ in range(k):
        t0 = time.monotonic()
        try:
            code = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code
        except httpx.HTTPError:
            code = 0
        out.append((code, time.monotonic() - t0))
    return out


def fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))
