"""A real bot process killed twice in the middle of the fan-out (while queueing, then while
delivering to a Bot API over HTTP), then restarted: nobody missed, nobody twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.transport.apisink import ApiSink
from db.models import Outbox
from tests import factories as f
from tests.plans_helpers import case

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)
PER_BRANCH = 40


def _org(ctx) -> list[int]:  # type: ignore[no-untyped-def]
    def work(s):  # type: ignore[no-untyped-def]
        chats = []
        for code, tz, base in (("SH", "Asia/Shanghai", 1000), ("JKT", "Asia/Jakarta", 2000)):
            b = f.branch(s, code, tz)
            for i in range(PER_BRANCH):
                e = f.employee(s, f"{code}{i:03d}", b)
                f.bind(s, e, base + i, NOW)
                chats.append(base + i)
                for k in range(3):
                    case(s, e, f"{code}{i:03d}-{k}", 15_000 + k, target=k == 0)
        return chats

    return ctx.call(work)


class Worker:
    def __init__(self, ctx, sink: ApiSink, now: datetime, *extra: str) -> None:  # type: ignore[no-untyped-def]
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.plans_fanout_worker",
                "--db",
                ctx.db.url,
                "--base-url",
                sink.base_url,
                "--now",
                now.isoformat(),
                *extra,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:  # type: ignore[union-attr]
            self.lines.append(line.rstrip())

    def poll_lines(self) -> list[str]:
        return self.lines

    def wait_for(self, cond, timeout: float = 60) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not cond():
            self.poll_lines()
            if self.proc.poll() is not None and not cond():
                self.poll_lines()
                raise AssertionError(f"worker exited early: {self.lines[-15:]}")
            if time.monotonic() > deadline:
                self.proc.kill()
                raise AssertionError(f"timed out; worker said {self.lines[-15:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


@pytest.mark.slow
def test_killed_mid_fanout_and_restarted(ctx) -> None:  # type: ignore[no-untyped-def]
    chats = _org(ctx)
    with ApiSink(hold_after=30) as sink:
        # 1. Killed while queueing: 3 chunks of 10 plans committed, then SIGKILL.
        w = Worker(ctx, sink, NOW, "--chunk", "10", "--pause-after-chunks", "3")
        w.wait_for(lambda: "PAUSED" in w.lines)
        w.kill()
        assert ctx.call(lambda s: s.query(Outbox).count()) == 30
        assert sink.accepted == 0
        # 2. Restarted 3 min later: queues the rest, delivers 30, then Telegram stops answering
        # and the process is killed with requests in flight.
        w = Worker(ctx, sink, NOW + timedelta(minutes=3), "--chunk", "10")
        w.wait_for(lambda: sink.accepted >= 30 and sink.held >= 1)
        time.sleep(0.5)
        w.kill()
        assert ctx.call(lambda s: s.query(Outbox).count()) == 2 * PER_BRANCH
        assert sink.accepted == 30
        # 3. Restarted once the dead worker's leases ran out: delivers the rest.
        sink.reset_hold(None)
        w = Worker(ctx, sink, NOW + timedelta(minutes=6), "--chunk", "10")
        w.wait_for(lambda: any(x.startswith("DONE") for x in w.lines))
        assert w.proc.wait(10) == 0
    assert sorted(sink.per_chat) == sorted(chats), "somebody missed their plan"
    assert sink.duplicates == 0 and max(sink.per_chat.values()) == 1
    statuses = ctx.call(lambda s: sorted({r.status for r in s.query(Outbox)}))
    assert statuses == ["sent"]
