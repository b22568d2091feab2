"""The outbox under faults, against real `coachbot run` processes and the Bot API double:
late answers, kill -9 of the sender, a database outage, 429 storms, 403 blocks. Shared by
tests/process/test_outbox_faults_run.py and bench/outbox_faults.py.

A scenario queues N messages (unique texts) to the demo firm's bound staff, starts the bot,
injects its fault while the fan-out runs and waits until nothing is left to send. The tally
matches every outbox row to the calls the double received: lost (a row never delivered, outside
the chats that blocked the bot) must be 0; duplicates are calls beyond the first per message.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text

from bot import outbox
from db.models import Outbox, TelegramBinding
from db.session import Database
from tests.process.harness import BIND_BASE, STARTUP_S, Bot, build_demo_db, pg_fresh, start_bot
from tests.servers import serve_in_thread, wait_for
from tests.telegram_double import TelegramDouble

# Monday 11:00 in Shanghai: a working day past the morning jobs, so the queue is ours alone.
QUIET = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
DEMO_AT = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)  # Monday 07:30 Shanghai
SCENARIOS = ("baseline", "late", "kill9", "dbdown", "429", "403")


# --- databases ---------------------------------------------------------------------------


def _admin(base_url: str) -> Any:
    return create_engine(base_url, isolation_level="AUTOCOMMIT")


def pg_template(base_url: str, tmp: Path, name: str) -> str:
    """A PostgreSQL database with the demo firm, everyone bound (built once; ~1 min)."""
    root, _, _ = base_url.rpartition("/")
    admin = _admin(base_url)
    with admin.connect() as c:
        exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        ready = exists.first() is not None
    admin.dispose()
    url = f"{root}/{name}"
    if ready and _has_bindings(url):
        return url
    pg_fresh(base_url, name)
    build_demo_db(url, tmp, DEMO_AT)
    return url


def _has_bindings(url: str) -> bool:
    try:
        db = Database(url)
        with db.session() as s:
            n = len(s.execute(select(TelegramBinding.chat_id)).all())
        db.dispose()
        return n > 0
    except Exception:
        return False


def small_firm(url: str, staff: int = 40) -> str:
    """A firm just set up (migrated, one branch with its HR chat, `staff` people bound, no
    cases): seconds to build, where the demo takes a minute. The bot's jobs queue little."""
    from db.migrate import upgrade
    from tests import factories as f

    upgrade(url)
    db = Database(url)
    now = QUIET
    with db.session() as s:
        b = f.branch(s)
        f.hr_chat(s, -1001000000001, b, now)
        for i in range(staff):
            e = f.employee(s, f"C{i:04d}", b)
            f.bind(s, e, BIND_BASE + e.id, now)
    db.dispose()
    return url


def pg_clone(base_url: str, template: str, name: str) -> str:
    root, _, _ = base_url.rpartition("/")
    admin = _admin(base_url)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template.rpartition("/")[2]}"'))
    admin.dispose()
    return f"{root}/{name}"


def pg_drop(base_url: str, name: str) -> None:
    admin = _admin(base_url)
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


# --- a TCP proxy in front of PostgreSQL: the outage we control ----------------------------


class TcpProxy:
    """127.0.0.1:port → target. `outage()` closes every proxied connection (the server's
    side looks terminated to the bot) and closes the listening socket (new connections are
    refused) until `restore()`."""

    def __init__(self, target: tuple[str, int], port: int = 0) -> None:
        self.target = target
        self.port = port
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.down = False
        self.listen()

    def listen(self) -> None:
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        self.port = srv.getsockname()[1]
        srv.listen(128)
        self._listener = srv
        threading.Thread(target=self._accept, args=(srv,), daemon=True).start()

    def _accept(self, srv: socket.socket) -> None:
        while True:
            try:
                client, _ = srv.accept()
            except OSError:
                return  # listener closed (outage or stop)
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def outage(self) -> None:
        self.down = True
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.listen()
        self.down = False

    def close(self) -> None:
        self.outage()

    def url(self, db_url: str) -> str:
        return db_url.replace(f"{self.target[0]}:{self.target[1]}", f"127.0.0.1:{self.port}")


# --- queue, watch, tally ------------------------------------------------------------------


def staff_chats(url: str) -> list[int]:
    db = Database(url)
    with db.session() as s:
        chats = sorted(
            s.execute(select(TelegramBinding.chat_id).where(TelegramBinding.active)).scalars()
        )
    db.dispose()
    return chats


def queue(url: str, n: int, chats: list[int], now: datetime = QUIET) -> None:
    """n messages over `chats`, round robin, each with a unique text."""
    rows = [
        {
            "key": f"fault-bench:{i}",
            "kind": "fault_bench",
            "chat_id": chats[i % len(chats)],
            "payload": {"text": f"<b>压力测试</b> 第 {i} 条 · message #{i}"},
        }
        for i in range(n)
    ]
    db = Database(url)
    with db.session() as s:
        outbox.enqueue_many(s, rows, now=now)
    db.dispose()


def outbox_rows(url: str) -> list[Outbox]:
    db = Database(url)
    with db.session() as s:
        out = list(s.execute(select(Outbox).order_by(Outbox.id)).scalars())
        for r in out:
            s.expunge(r)
    db.dispose()
    return out


@dataclass
class Tally:
    scenario: str
    queued: int = 0
    delivered: int = 0  # distinct messages that reached their chat
    calls: int = 0  # send calls Telegram accepted (delivered + duplicates)
    duplicates: int = 0
    lost: int = 0
    most_copies: int = 0
    seconds: float = 0.0  # first to last of our messages at the Bot API
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        extra = ", ".join(f"{k} {v}" for k, v in self.extra.items())
        return (
            f"{self.scenario:<9} queued {self.queued:>4}  delivered {self.delivered:>4}  "
            f"lost {self.lost}  duplicates {self.duplicates}  {self.seconds:6.1f} s"
            + (f"  ({extra})" if extra else "")
        )


BENCH_KINDS = ("fault_bench", "binding_blocked")  # ours, and the HR notices of a 403


def bench_open(url: str) -> int:
    """Our messages not yet sent or given up (the bot's own jobs may queue others)."""
    return sum(
        r.status in ("pending", "sending") for r in outbox_rows(url) if r.kind in BENCH_KINDS
    )


def tally(scenario: str, url: str, double: TelegramDouble, skip_chats: set[int]) -> Tally:
    with double.lock:
        calls = [(p, at) for (m, p), at in zip(double.calls, double.times, strict=True)]
    calls = [(p, at) for p, at in calls if "chat_id" in p and "text" in p]
    seen = Counter((int(p["chat_id"]), p["text"]) for p, _ in calls)
    rows = [r for r in outbox_rows(url) if r.kind in BENCH_KINDS]
    texts = {(r.chat_id, r.payload.get("text") or "") for r in rows}
    ours = [at for p, at in calls if (int(p["chat_id"]), p["text"]) in texts]
    t = Tally(scenario, queued=len(rows), calls=len(ours))
    t.seconds = max(ours) - min(ours) if ours else 0.0
    for r in rows:
        n = seen[(r.chat_id, r.payload.get("text") or "")]
        t.delivered += n > 0
        t.lost += n == 0 and r.chat_id not in skip_chats
        t.duplicates += max(n - 1, 0)
        t.most_copies = max(t.most_copies, n)
    return t


# --- scenarios ------------------------------------------------------------------------------


@dataclass
class Setup:
    """One scenario's world: a fresh copy of the firm's database and a fresh double."""

    url: str
    tmp: Path
    double: TelegramDouble
    api: str
    env: dict[str, str]
    bots: list[Bot] = field(default_factory=list)

    def start(self, name: str = "bot", url: str | None = None, **extra: str) -> Bot:
        bot = start_bot(
            url or self.url, self.api, self.tmp, clock_at=QUIET, name=name, **self.env, **extra
        )
        self.bots.append(bot)
        return bot

    def sent(self) -> int:
        return len(self.double.sent())

    def wait_done(self, bot: Bot, timeout: float) -> None:
        def done() -> bool:
            if bot.proc.poll() is not None:
                raise AssertionError("coachbot run exited:\n" + bot.output()[-3000:])
            return bench_open(self.url) == 0

        wait_for(done, timeout, "every message delivered or given up")

    def stop_all(self) -> None:
        for b in self.bots:
            if b.proc.poll() is None:
                with contextlib.suppress(AssertionError):
                    b.stop()


@contextlib.contextmanager
def double_server() -> Iterator[tuple[TelegramDouble, str]]:
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


def _healthy(bot: Bot) -> bool:
    if bot.proc.poll() is not None:
        raise AssertionError("coachbot run exited:\n" + bot.output()[-3000:])
    return bot.health()[0] == 200


def run_scenario(
    name: str, url: str, tmp: Path, n: int, *, timeout: float = 240, read_timeout: float = 3.0
) -> Tally:
    """Queue n messages on the database at `url` (a fresh copy), run the scenario, tally."""
    env = {"COACHBOT_TELEGRAM_READ_TIMEOUT": str(read_timeout)}
    chats = staff_chats(url)
    queue(url, n, chats)
    blocked: set[int] = set()
    with double_server() as (double, api):
        setup = Setup(url, tmp, double, api, env)
        try:
            extra = SCENARIO_RUNS[name](setup, n, chats, blocked, timeout)
        finally:
            setup.stop_all()
        t = tally(name, url, double, blocked)
        t.extra.update(extra)
        logs = "".join(b.output() for b in setup.bots)
        t.extra["tracebacks"] = logs.count("Traceback")
    return t


def _plain(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    bot = s.start()
    s.wait_done(bot, timeout)
    return {}


def _late(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    """The first `late` sends are delivered but answered after the client's read timeout."""
    late = max(3, n // 40)
    s.double.late_answers = late
    s.double.late_delay = float(s.env["COACHBOT_TELEGRAM_READ_TIMEOUT"]) + 2
    bot = s.start()
    s.wait_done(bot, timeout)
    return {"late answers": late}


def _kill9(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    """Two workers; the sender (the scheduler lease's holder) gets kill -9 a third of the way."""
    a = s.start("a")
    b = s.start("b", COACHBOT_UPDATES="none")
    wait_for(lambda: _healthy(a) and _healthy(b), STARTUP_S, "both workers healthy")
    leaders = [w for w in (a, b) if w.health()[1]["scheduler"].get("leader") == "this process"]
    assert len(leaders) == 1, "exactly one worker holds the scheduler lease"
    leader, other = leaders[0], (b if leaders[0] is a else a)
    wait_for(lambda: s.sent() >= n // 3, timeout, "fan-out under way")
    leader.kill()
    killed_at = time.monotonic()
    sent_at_kill = s.sent()
    # Telegram has these but the dead sender's `sent` mark never reached the database: the
    # most that can repeat (what was on the wire at the kill, or answered in its last moment).
    got = {(int(p["chat_id"]), p.get("text")) for p in s.double.sent()}
    unmarked = sum(
        1
        for r in outbox_rows(s.url)
        if r.kind in BENCH_KINDS
        and r.status == "sending"
        and (r.chat_id, r.payload.get("text")) in got
    )
    wait_for(
        lambda: other.health()[1].get("scheduler", {}).get("leader") == "this process",
        60,
        "the other worker takes over",
    )
    takeover = time.monotonic() - killed_at
    wait_for(lambda: s.sent() > sent_at_kill, 60, "sending resumed")
    resumed = time.monotonic() - killed_at
    s.wait_done(other, timeout)
    return {
        "unmarked at kill": unmarked,
        "takeover s": round(takeover, 1),
        "sending again after s": round(resumed, 1),
    }


def _dbdown(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    """The bot reaches PostgreSQL through a proxy; a third of the way through, every
    connection is cut and new ones are refused for OUTAGE_S seconds."""
    host, port = _pg_addr(s.url)
    proxy = TcpProxy((host, port))
    try:
        bot = s.start(url=proxy.url(s.url))
        wait_for(lambda: s.sent() >= n // 3, timeout, "fan-out under way")
        proxy.outage()
        at = s.sent()
        time.sleep(OUTAGE_S)
        during = s.sent() - at
        proxy.restore()
        back = time.monotonic()
        wait_for(lambda: _healthy(bot), 60, "healthy again after the outage")
        healthy_after = time.monotonic() - back
        s.wait_done(bot, timeout)
        return {
            "outage s": OUTAGE_S,
            "sent during outage": during,
            "healthy again after s": round(healthy_after, 1),
        }
    finally:
        proxy.close()


OUTAGE_S = 6.0


def _pg_addr(url: str) -> tuple[str, int]:
    hostport = url.split("@", 1)[1].split("/", 1)[0]
    host, _, port = hostport.partition(":")
    return host, int(port or 5432)


def _storm(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    """A 429 storm: the next n/3 sends are refused with retry_after 2 s each."""
    s.double.storm = n // 3
    s.double.storm_retry_after = 2
    bot = s.start()
    s.wait_done(bot, timeout)
    n429 = sum(1 for _, code in s.double.refused if code == 429)
    return {"429 answers": n429, "sent before retry_after": s.double.early_retries}


def _blocked(s: Setup, n: int, chats: list[int], blocked: set[int], timeout: float) -> dict:
    """Three people blocked the bot: one 403 each, their other messages are not tried, the
    binding is marked inactive, everyone else gets everything."""
    blocked.update(chats[:3])
    s.double.blocked = set(blocked)
    bot = s.start()
    s.wait_done(bot, timeout)
    calls = Counter(c for c, code in s.double.refused if code == 403)
    active = set(staff_chats(s.url))
    return {
        "blocked chats": len(blocked),
        "calls per blocked chat": max(calls.values(), default=0),
        "still marked active": len(blocked & active),
    }


SCENARIO_RUNS: dict[str, Callable[..., dict]] = {
    "baseline": _plain,
    "late": _late,
    "kill9": _kill9,
    "dbdown": _dbdown,
    "429": _storm,
    "403": _blocked,
}
