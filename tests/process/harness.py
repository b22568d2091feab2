"""Start `coachbot run` as a real subprocess against the HTTP Bot API double, on a database
prepared like a firm's (the demo organisation, everyone bound), with the clock anchored so
that jobs fall due seconds after start."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from tests.servers import free_port

# How long a started `coachbot run` may take to answer /healthz 200. Generous: on a loaded
# 2-core machine start-up (imports, migrations, Telegram connect) can take tens of seconds;
# what the tests check happens after it.
STARTUP_S = 90.0
BIND_BASE = 5_000_000_000  # Telegram ids of the bound demo staff: BIND_BASE + employee id


def coachbot() -> list[str]:
    exe = Path(sys.executable).parent / "coachbot"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "bot.cli"]


def run_python(code: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """`python -c code` with this interpreter from the repository root, output captured as
    text (`kw`: timeout, check, …)."""
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, **kw
    )


def base_env(url: str, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COACHBOT_", "OPENAI_"))}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    env.update(DATABASE_URL=url, COACHBOT_OUTPUT_DIR=str(tmp / "out"))
    return env


def build_demo_db(url: str, tmp: Path, at: datetime) -> None:
    """`coachbot demo` as a firm's operator would run it, then every employee bound."""
    env = base_env(url, tmp) | {"COACHBOT_CLOCK_AT": at.isoformat()}
    res = subprocess.run(
        [*coachbot(), "demo", "--reset"],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr + res.stdout
    from coaching import people
    from db.models import Employee
    from db.session import Database

    db = Database(url)
    with db.session() as s:
        for e in s.query(Employee).all():
            people.bind(s, e, BIND_BASE + e.id, BIND_BASE + e.id, at)
    db.dispose()


def scratch_name(base_url: str, suffix: str) -> str:
    """A database name for one test: the test database's own plus `suffix`, so sessions
    sharing one PostgreSQL server (each with its own test database) never collide."""
    return base_url.rpartition("/")[2].split("?")[0] + suffix


def pg_fresh(base_url: str, name: str) -> str:
    """An empty database `name` on `base_url`'s server (dropped first if it exists); its URL."""
    root, _, _ = base_url.rpartition("/")
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{root}/{name}"


def copy_sqlite(src: Path, dst: Path) -> str:
    shutil.copy(src, dst)
    return f"sqlite:///{dst}"


@dataclass
class Bot:
    proc: subprocess.Popen[str]
    port: int
    log: Path

    def health(self) -> tuple[int, dict[str, Any]]:
        try:
            r = httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=5)
            return r.status_code, r.json()
        except httpx.HTTPError:
            return 0, {}

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self, timeout: float = 20) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds it took)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(
                "coachbot run did not stop on SIGTERM:\n" + self.output()
            ) from None
        return self.proc.returncode, time.monotonic() - t0

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)


def start_bot(
    url: str,
    api_base: str,
    tmp: Path,
    *,
    clock_at: datetime | None = None,
    epoch: float | None = None,
    name: str = "bot",
    nofile: tuple[int, int] | None = None,
    **extra: str,
) -> Bot:
    """`nofile`: the (soft, hard) descriptor limits the process starts with, as a service
    manager would set them (e.g. systemd's 1024 soft)."""
    port = free_port()
    env = base_env(url, tmp) | {
        "TELEGRAM_BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_BASE_URL": f"{api_base}/bot",
        "COACHBOT_LISTEN_PORT": str(port),
        "COACHBOT_LOG_LEVEL": "INFO",
        # A real run needs its own key for debtor identifiers (not the public demo key).
        "COACHBOT_PII_KEY": "process-test-pii-key-0123456789abcdef-0123",
    }
    if clock_at is not None:
        env["COACHBOT_CLOCK_AT"] = clock_at.isoformat()
        env["COACHBOT_CLOCK_AT_EPOCH"] = str(epoch if epoch is not None else time.time())
    env.update(extra)
    log = tmp / f"{name}-{port}.log"
    fh = log.open("w")

    def limits() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, nofile)

    proc = subprocess.Popen(
        [*coachbot(), "run"],
        env=env,
        cwd=tmp,
        stdout=fh,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=limits if nofile is not None else None,
    )
    fh.close()
    return Bot(proc, port, log)


def helper_dies_with_bot(start_and_print_pid: str, env: dict[str, str] | None = None) -> None:
    """Run a "bot" (python -c) that starts a helper process and prints the helper's pid, kill
    the bot with SIGKILL (no shutdown runs), and wait until the helper is gone too."""
    from tests.servers import wait_for

    code = f"import sys\n{start_and_print_pid}\nsys.stdin.read()\n"
    bot = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, **(env or {})},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert bot.stdout is not None
        pid = int(bot.stdout.readline())
        os.kill(bot.pid, signal.SIGKILL)
        bot.wait(timeout=30)

        def gone() -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            # A zombie waits for its reaper: it holds no memory any more.
            return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"

        wait_for(gone, 30, "the orphaned helper process exited")
    finally:
        bot.kill()
