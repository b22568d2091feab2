# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""Idle-connection flood against a real `coachbot run` (issue 18).

    .venv/bin/python bench/connections.py [--connections 1100] [--db URL]

For each start-up descriptor limit (soft, hard) — (1024, 1024): a service manager's default
that cannot be raised; (1024, 4096): raised at start — the bot is started, N connections that
never send a byte are opened, then /healthz is timed (10 fresh requests) and compared with the
same requests on the idle server in the same run. Printed: /healthz p50 and max, the ratio to
the baseline, connections the server closed (the cap evicts the oldest idle ones), descriptors
the process holds, and whether it logged running out of them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.process.connflood import close_all, closed_by_server, fds, health_times, open_idle
from tests.process.faults import double_server, small_firm
from tests.process.harness import start_bot
from tests.servers import wait_for


def run(n: int, nofile: tuple[int, int], url: str, tmp: Path) -> str:
    with double_server() as (_, api):
        bot = start_bot(url, api, tmp, nofile=nofile, COACHBOT_HTTP_KEEPALIVE="300")
        socks: list = []
        try:
            wait_for(lambda: bot.health()[0] == 200, 120, "healthy")
            base = [s for _, s in health_times(bot.port, 10)]
            t0 = time.monotonic()
            socks, failed = open_idle(bot.port, n)
            opened = time.monotonic() - t0
            timed = health_times(bot.port, 10)
            time.sleep(0.5)
            closed = closed_by_server(socks)
            held = fds(bot.proc.pid)
            alive = bot.proc.poll() is None
        finally:
            close_all(socks)
            bot.stop()
        out = bot.output()
    ok = sum(code == 200 for code, _ in timed)
    secs = [s for _, s in timed]
    p50, b50 = statistics.median(secs), statistics.median(base)
    emfile = "Too many open files" in out
    return (
        f"limit {nofile[0]}/{nofile[1]}: {n} idle opened in {opened:.1f} s ({failed} failed); "
        f"/healthz {ok}/10 OK, p50 {p50 * 1000:.0f} ms, max {max(secs) * 1000:.0f} ms "
        f"(idle server p50 {b50 * 1000:.0f} ms, ×{p50 / b50:.2f}); closed by the server "
        f"{closed}; process fds {held}; alive {alive}; EMFILE logged {emfile}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--connections", type=int, default=1100)
    ap.add_argument("--db", default=None, help="database URL (default: a temporary SQLite file)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="conns-"))
    url = a.db or small_firm(f"sqlite:///{tmp / 'firm.db'}", staff=3)
    for nofile in ((1024, 1024), (1024, 4096)):
        print(run(a.connections, nofile, url, tmp), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
