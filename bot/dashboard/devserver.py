"""Console mode (`make run` / `coachbot run` without TELEGRAM_BOT_TOKEN): the console's web
server (the same app as `coachbot run`) also serves the dashboard, with a demo login per role
printed once it listens."""

from __future__ import annotations

from collections.abc import Callable

from bot.context import AppContext
from bot.dashboard.links import demo_urls, enable_demo

ROLE_NAMES = {
    "team_lead": "team lead",
    "hr": "HR",
    "trainer": "trainer",
    "admin": "admin",
    "collector": "collector",
}


def console_dashboard(ctx: AppContext) -> Callable[[str, int], list[str]]:
    """Enable the demo logins (console mode only); returns what to print once the web server
    listens on (host, port): the dashboard's address and one link per role."""
    enable_demo(ctx)

    def lines(host: str, port: int) -> list[str]:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        base = f"http://{shown}:{port}"
        out = [f"dashboard (demo logins for this run only; open in a browser): {base}/app/"]
        for no, role, url in demo_urls(ctx, base):
            out.append(f"  {no} {ROLE_NAMES.get(role, role):9s} {url}")
        return out

    return lines
