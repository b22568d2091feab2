"""Console mode (`make run` / `coachbot run` without TELEGRAM_BOT_TOKEN): serve the web app
beside the console chat so the dashboard can be opened locally with a demo login per role."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from bot.context import AppContext
from bot.dashboard.links import demo_urls, enable_demo
from bot.web import build_web_app, uvicorn_limits

ROLE_NAMES = {
    "team_lead": "team lead",
    "hr": "HR",
    "trainer": "trainer",
    "admin": "admin",
    "collector": "collector",
}


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def start_console_dashboard(ctx: AppContext) -> list[str]:
    """Start the web server in a daemon thread; the lines to print (the demo links)."""
    s = ctx.settings
    enable_demo(ctx)
    host = s.listen_host
    port = s.listen_port if _port_free(host, s.listen_port) else _free_port(host)
    server = uvicorn.Server(
        uvicorn.Config(
            build_web_app(ctx),
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
            **uvicorn_limits(s),
        )
    )
    thread = threading.Thread(target=server.run, name="dashboard", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        return [f"dashboard: the web server did not start on {host}:{port}"]
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    base = f"http://{shown}:{port}"
    lines = [f"dashboard (demo logins for this run only; open in a browser): {base}/app/"]
    for no, role, url in demo_urls(ctx, base):
        lines.append(f"  {no} {ROLE_NAMES.get(role, role):9s} {url}")
    return lines
