# ruff: noqa: E402 (the repository root goes on sys.path before the project imports)
"""Chat reply latency of the real `coachbot run` (long polling) against a Bot API double.

    .venv/bin/python bench/chat_latency.py [--rounds 30] [--db URL]

Builds the demo organisation (`coachbot demo`, everyone bound), starts `coachbot run` as a
subprocess polling the HTTP Bot API double (tests/telegram_double.py, which answers a long
poll within 5 ms of an update arriving, as Telegram does), then sends the common commands of a
collector and a team lead one at a time and taps the first button of each reply. Latency is
from the update being queued to the bot's first answer to that chat (sendMessage,
editMessageText, sendPhoto or answerCallbackQuery), as the double receives it. Prints
p50/p95/p99 per command and overall. Baseline: `/help` of an unbound user — the least work a
reply can be (one database lookup, one template), measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from bench.figure import Figure, at_most, bench_database_url, info
from db.models import Employee, EmployeeRole, Team
from db.session import Database
from tests.process.harness import BIND_BASE, build_demo_db, start_bot
from tests.servers import serve_in_thread
from tests.telegram_double import TelegramDouble

MONDAY = datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
ANSWERS = {"sendMessage", "editMessageText", "sendPhoto", "answerCallbackQuery", "sendDocument"}
STRANGER = 4_000_000_001


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


class Probe:
    def __init__(self, tg: TelegramDouble) -> None:
        self.tg = tg
        self.count = 0  # requests sent (commands and taps)

    def _mark(self) -> int:
        with self.tg.lock:
            return len(self.tg.calls)

    def _wait(self, start: int, chat: int, qid: str | None, timeout: float = 30) -> tuple:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.tg.lock:
                calls = list(zip(self.tg.calls[start:], self.tg.times[start:], strict=True))
            for (method, params), at in calls:
                if method not in ANSWERS:
                    continue
                if (qid and params.get("callback_query_id") == qid) or str(
                    params.get("chat_id")
                ) == str(chat):
                    return at, method, params
            time.sleep(0.001)
        raise TimeoutError(f"no answer to chat {chat} within {timeout:.0f} s")

    def command(self, user: int, text: str) -> tuple[float, dict]:
        start = self._mark()
        self.count += 1
        t0 = time.monotonic()
        self.tg.queue_text(user, text)
        at, _, params = self._wait(start, user, None)
        reply = self._settle(start, user)
        return (at - t0) * 1000, reply or params

    def tap(self, user: int, data: str, message_id: int) -> float:
        start = self._mark()
        self.count += 1
        t0 = time.monotonic()
        qid = self.tg.queue_callback(user, data, message_id)
        at, _, _ = self._wait(start, user, qid)
        self._settle(start, user)
        return (at - t0) * 1000

    def _settle(self, start: int, chat: int) -> dict | None:
        """Let the handler finish (a reply may be several calls); the last message to chat."""
        last, quiet = None, time.monotonic()
        n = self._mark()
        while time.monotonic() - quiet < 0.15:
            time.sleep(0.01)
            m = self._mark()
            if m != n:
                n, quiet = m, time.monotonic()
        with self.tg.lock:
            for method, params in self.tg.calls[start:]:
                if method == "sendMessage" and str(params.get("chat_id")) == str(chat):
                    last = params
        return last


def first_button(params: dict | None) -> str | None:
    markup = (params or {}).get("reply_markup") or {}
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    for row in rows or []:
        for b in row:
            if b.get("callback_data"):
                return str(b["callback_data"])
    return None


def people(url: str) -> tuple[int, int]:
    """Telegram ids of a collector and a team lead of the demo."""
    db = Database(url)
    with db.session() as s:
        collector = s.execute(
            select(EmployeeRole.employee_id).where(EmployeeRole.role == "collector").limit(1)
        ).scalar_one()
        lead = s.execute(select(Team.lead_id).where(Team.lead_id.is_not(None)).limit(1))
        lead_id = lead.scalar_one_or_none() or s.execute(select(Employee.id).limit(1)).scalar()
    db.dispose()
    return BIND_BASE + collector, BIND_BASE + int(lead_id)


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def settle(bot: Any, quiet_s: float = 3.0, limit_s: float = 180.0) -> None:
    """Wait for the start-up catch-up jobs to finish: the log quiet for `quiet_s`."""
    t0 = size_at = time.monotonic()
    size = -1
    while time.monotonic() - t0 < limit_s:
        n = len(bot.output())
        if n != size:
            size, size_at = n, time.monotonic()
        elif time.monotonic() - size_at >= quiet_s:
            return
        time.sleep(0.2)


def run(rounds: int, db_url: str | None) -> list[Figure]:
    tmp = Path(tempfile.mkdtemp(prefix="chat-latency-"))
    url = db_url or f"sqlite:///{tmp / 'demo.db'}"
    t = time.perf_counter()
    build_demo_db(url, tmp, MONDAY.replace(hour=7, minute=30))
    print(f"demo organisation built in {time.perf_counter() - t:.0f} s")
    collector, lead = people(url)
    tg = TelegramDouble()
    figs: list[Figure] = []
    with serve_in_thread(tg.app) as api:
        bot = start_bot(url, api, tmp, clock_at=MONDAY)
        try:
            deadline = time.monotonic() + 120
            while bot.health()[0] != 200 or not any(m == "getUpdates" for m, _ in tg.calls):
                if time.monotonic() > deadline or bot.proc.poll() is not None:
                    raise SystemExit("coachbot run did not start:\n" + bot.output()[-3000:])
                time.sleep(0.2)
            settle(bot)
            probe = Probe(tg)
            cpu0 = cpu_s(bot.proc.pid)
            figs = measure(probe, rounds, collector, lead)
            used = (cpu_s(bot.proc.pid) - cpu0) * 1000
            # Latency moves with the machine's load; the bot's CPU per request does not.
            print(
                f"coachbot run CPU during the measurement: {used:.0f} ms = "
                f"{used / probe.count:.1f} ms per request ({probe.count} requests)"
            )
            figs.append(info("coachbot run CPU per request", used / probe.count, "ms"))
        finally:
            code, _ = bot.stop()
            if code != 0:
                print(bot.output()[-3000:])
    return figs


def measure(probe: Probe, rounds: int, collector: int, lead: int) -> list[Figure]:
    commands = [
        ("/help", collector),
        ("/plan", collector),
        ("/score", collector),
        ("/settings", collector),
        ("/learn", collector),
        ("/team", lead),
        ("/whoami", collector),
    ]
    times: dict[str, list[float]] = {}
    for _ in range(2):  # warm-up: first calls load templates and configuration
        for text, user in commands:
            probe.command(user, text)
    for _ in range(rounds):
        base_ms, _ = probe.command(STRANGER, "/help")
        times.setdefault("baseline: /help, unbound user", []).append(base_ms)
        for text, user in commands:
            ms, reply = probe.command(user, text)
            times.setdefault(text, []).append(ms)
            data = first_button(reply)
            if data is not None:
                key = f"button {data.split(':')[0]}"
                times.setdefault(key, []).append(probe.tap(user, data, 1))
    base = times.pop("baseline: /help, unbound user")
    print(f"{'':<28}{'n':>4}{'p50':>8}{'p95':>8}{'p99':>8}  ms")
    for name, xs in [("baseline /help (unbound)", base), *times.items()]:
        print(f"{name:<28}{len(xs):>4}{pct(xs, 50):>8.1f}{pct(xs, 95):>8.1f}{pct(xs, 99):>8.1f}")
    every = [x for xs in times.values() for x in xs]
    b50 = statistics.median(base)
    print(
        f"all commands and buttons: n={len(every)} p50 {pct(every, 50):.1f} ms, "
        f"p95 {pct(every, 95):.1f} ms, p99 {pct(every, 99):.1f} ms"
    )
    kw = dict(baseline=b50, baseline_name="/help of an unbound user, p50")
    return [
        info("chat reply p50 (commands + buttons)", pct(every, 50), "ms", **kw),
        at_most("chat reply p95 (commands + buttons)", pct(every, 95), "ms", 100, **kw),
        info("chat reply p99 (commands + buttons)", pct(every, 99), "ms", **kw),
        *[
            info(f"p95 {name}", pct(xs, 95), "ms", **kw)
            for name, xs in sorted(times.items(), key=lambda kv: -pct(kv[1], 95))[:3]
        ],
    ]


def figures(quick: bool) -> list[Figure]:
    return run(8 if quick else 40, bench_database_url())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--db", default=None, help="a scratch database URL (wiped); default SQLite")
    a = ap.parse_args()
    run(a.rounds, a.db)


if __name__ == "__main__":
    main()
