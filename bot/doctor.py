"""`coachbot doctor`: is this deployment ready for the first morning?

One checklist; every failed line carries the fix. Status `fail` means something needed is
broken (exit code 1), `warn` is worth a look, `skip` was not applicable (e.g. no LLM: the bot
runs in its labelled offline mode). Read-only: it sends no message and changes nothing.
Secrets never appear in the output (the token is only used in request URLs, which httpx does
not log at our level).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, text

from bot.context import AppContext
from bot.settings import Settings

DEMO_PII_KEY = "coachbot-demo-key-change-me"
BACKLOG_WARN = 200
STALE_DUE = timedelta(minutes=15)


@dataclass
class Check:
    name: str
    status: str  # ok / warn / fail / skip
    detail: str
    fix: str = ""
    more: list[str] = field(default_factory=list)  # extra lines (e.g. the next job runs)


@dataclass
class Report:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)


def _safe(name: str, fn: Callable[[], list[Check]]) -> list[Check]:
    """A check that raised is a failed check, not a crashed doctor."""
    try:
        return fn()
    except Exception as exc:
        msg = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        return [Check(name, "fail", f"{type(exc).__name__}: {msg}", "see the message above")]


# --- database ---------------------------------------------------------------------------------


def check_database(ctx: AppContext) -> list[Check]:
    from alembic.script import ScriptDirectory

    from db.migrate import alembic_config, current_heads

    try:
        with ctx.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        return [
            Check(
                "database reachable",
                "fail",
                f"{ctx.db.engine.url.render_as_string(hide_password=True)}: "
                f"{str(exc).splitlines()[0][:160]}",
                "check DATABASE_URL (postgresql+psycopg://user:pw@host/db) and that the "
                "server accepts connections",
            )
        ]
    url = ctx.db.engine.url.render_as_string(hide_password=True)
    out = [Check("database reachable", "ok", url)]
    head = set(ScriptDirectory.from_config(alembic_config(ctx.db.url)).get_heads())
    have = current_heads(ctx.db.url)
    if have == head:
        out.append(Check("database migration", "ok", f"at the latest ({', '.join(head)})"))
    else:
        out.append(
            Check(
                "database migration",
                "fail",
                f"at {', '.join(sorted(have)) or 'nothing'}, latest is {', '.join(head)}",
                "coachbot db upgrade",
            )
        )
    return out


# --- Telegram ---------------------------------------------------------------------------------


class _Api:
    def __init__(self, s: Settings) -> None:
        self.base = f"{s.telegram_api_base_url}{s.telegram_bot_token}"
        self.http = httpx.Client(timeout=10.0)

    def call(self, method: str, **params: Any) -> tuple[bool, Any]:
        r = self.http.post(f"{self.base}/{method}", json=params)
        try:
            body = r.json()
        except ValueError:
            return False, f"HTTP {r.status_code}"
        if body.get("ok"):
            return True, body.get("result")
        return False, body.get("description") or f"HTTP {r.status_code}"


def check_telegram(ctx: AppContext) -> list[Check]:
    s = ctx.settings
    if not s.telegram_bot_token:
        return [
            Check(
                "Telegram token",
                "fail",
                "TELEGRAM_BOT_TOKEN is not set (the bot would run as a console chat)",
                "create a bot with @BotFather and set TELEGRAM_BOT_TOKEN",
            )
        ]
    api = _Api(s)
    try:
        ok, me = api.call("getMe")
    except httpx.HTTPError as exc:
        api.http.close()
        return [
            Check(
                "Telegram token",
                "fail",
                f"Bot API unreachable: {type(exc).__name__}",
                "check the network / TELEGRAM_API_BASE_URL",
            )
        ]
    if not ok:
        api.http.close()
        return [Check("Telegram token", "fail", f"getMe: {me}", "copy the token from @BotFather")]
    out = [Check("Telegram token", "ok", f"@{me.get('username')} (id {me.get('id')})")]
    if me.get("username") != s.bot_username:
        out.append(
            Check(
                "bot username",
                "fail",
                f"COACHBOT_BOT_USERNAME is {s.bot_username!r}, the bot is @{me.get('username')}:"
                " invite links would open the wrong bot",
                f"set COACHBOT_BOT_USERNAME={me.get('username')}",
            )
        )
    out.append(_webhook(api, s))
    out.extend(_groups(ctx, api, int(me.get("id", 0))))
    api.http.close()
    return out


def _webhook(api: _Api, s: Settings) -> Check:
    ok, info = api.call("getWebhookInfo")
    if not ok or not isinstance(info, dict):
        return Check("webhook", "warn", f"getWebhookInfo: {info}")
    current = info.get("url") or ""
    err = info.get("last_error_message")
    if s.webhook_url:
        want = f"{s.webhook_url.rstrip('/')}/telegram/webhook"
        if current == want and not err:
            return Check("webhook", "ok", f"webhook mode, {want}")
        if current == want:
            return Check(
                "webhook",
                "fail",
                f"Telegram reports: {err}",
                "check the HTTPS proxy forwards to COACHBOT_LISTEN_HOST:PORT",
            )
        return Check(
            "webhook",
            "warn",
            f"webhook mode configured; Telegram has {current or 'none'} (set when the bot starts)",
        )
    if s.updates_mode == "none":
        return Check("webhook", "ok", "worker mode (COACHBOT_UPDATES=none): takes no updates")
    if current:
        return Check(
            "webhook",
            "warn",
            f"polling mode, but Telegram still has a webhook ({current}); `coachbot run` removes "
            "it on start",
        )
    return Check("webhook", "ok", "polling mode (no webhook set)")


def _groups(ctx: AppContext, api: _Api, bot_id: int) -> list[Check]:
    from coaching.groups import list_groups

    rows = ctx.call(list_groups)
    if not rows:
        return [
            Check(
                "group chats",
                "warn",
                "none registered: HR alerts and trainer questions have nowhere to go",
                "add the bot to the HR chat and run `coachbot group register CHAT_ID hr_alerts`",
            )
        ]
    out = []
    for g in rows:
        name = f"group {g.chat_id} ({g.purpose})"
        ok, chat = api.call("getChat", chat_id=g.chat_id)
        if not ok:
            out.append(
                Check(
                    name,
                    "fail",
                    f"getChat: {chat}",
                    "add the bot to the chat again, or `coachbot group unregister "
                    f"{g.chat_id}` (a group upgraded to a supergroup gets a new id)",
                )
            )
            continue
        ok, member = api.call("getChatMember", chat_id=g.chat_id, user_id=bot_id)
        status = member.get("status") if ok and isinstance(member, dict) else None
        can_send = member.get("can_send_messages", True) if isinstance(member, dict) else True
        title = chat.get("title", "") if isinstance(chat, dict) else ""
        if status in ("left", "kicked") or (status == "restricted" and not can_send):
            out.append(
                Check(name, "fail", f"{title}: the bot is {status}", "let the bot post there")
            )
        else:
            out.append(Check(name, "ok", f"{title} (bot is {status or 'member'})"))
    return out


# --- LLM --------------------------------------------------------------------------------------


def check_llm(ctx: AppContext) -> list[Check]:
    """The same check as `coachbot llm check` (bot/llm_check.py), as one line."""
    s = ctx.settings
    if not s.llm_configured:
        return [
            Check(
                "LLM",
                "skip",
                "no OPENAI_BASE_URL / OPENAI_API_KEY: offline mode (role-play and coaching "
                "answer with their labelled offline texts)",
            )
        ]
    from bot.llm_check import llm_check

    r = asyncio.run(llm_check(s))
    results = {step: (res, detail) for step, res, detail in r.rows}
    if not r.reachable:
        return [
            Check(
                "LLM",
                "fail",
                f"{s.llm_model}: no answer ({results['reachable'][1]})",
                "check OPENAI_BASE_URL, OPENAI_API_KEY and COACHBOT_LLM_MODEL, or unset both "
                "for offline mode",
            )
        ]
    failed = ", ".join(f"{m} {why}" for m, why in r.failed_modes.items())
    steps = ", ".join(
        f"{step} {results[step][0]} ({results[step][1].split(':')[0]})"
        for step in ("plain", "stream", "structured")
        if step in results
    )
    detail = (
        f"{s.llm_model}: response format {r.mode or 'none'}"
        + (f" (gave up: {failed})" if failed else "")
        + f"; {steps}; prompt tokens by {r.tokenizer}"
    )
    if not r.ok:
        return [
            Check(
                "LLM",
                "fail",
                detail,
                "the model gives no usable structured answer (grading would never complete): "
                "use a larger instruct model, or set COACHBOT_LLM_STRUCTURED",
            )
        ]
    if results.get("stream", ("", ""))[0] == "cut":
        return [Check("LLM", "warn", detail, "streams end without a finish reason")]
    return [Check("LLM", "ok", detail)]


# --- keys, branches, jobs, outbox --------------------------------------------------------------


def check_pii_key(ctx: AppContext) -> list[Check]:
    s = ctx.settings
    if s.pii_hmac_key == DEMO_PII_KEY:
        if not s.telegram_bot_token:
            return [Check("PII key", "warn", "the demo key (fine for the demo, not for real data)")]
        return [
            Check(
                "PII key",
                "fail",
                "COACHBOT_PII_KEY is the demo key: debtor identifiers would be hashed with a "
                "public key",
                "set COACHBOT_PII_KEY to a long random secret (e.g. `openssl rand -hex 32`) "
                "before the first import, and keep it",
            )
        ]
    if len(s.pii_hmac_key) < 16:
        return [Check("PII key", "warn", "shorter than 16 characters", "use 32+ random bytes")]
    return [Check("PII key", "ok", "set (not shown)")]


def check_config_files(ctx: AppContext) -> list[Check]:
    from coaching.plans.config import get_config as plans
    from coaching.risk.config import load_config as risk
    from coaching.scoring.config import get_config as scoring

    out = []
    for name, load in (
        ("plans config", plans),
        ("scoring config", scoring),
        ("risk config", lambda: risk(ctx.settings.risk_config)),
    ):
        try:
            load()
            out.append(Check(name, "ok", "valid"))
        except Exception as exc:
            out.append(Check(name, "fail", str(exc).splitlines()[0][:200], "fix the file"))
    return out


def check_branches(ctx: AppContext, now: datetime) -> list[Check]:
    from bot.jobs import next_runs
    from coaching.calendar import all_branches, is_workday
    from db.models import Employee, TelegramBinding
    from db.models.org import EmployeeStatus

    branches = ctx.call(all_branches)
    if not branches:
        return [
            Check(
                "branches",
                "fail",
                "no branch: nothing would be scheduled",
                "coachbot org apply org.yaml (see docs/examples/org.yaml)",
            )
        ]
    runs: dict[str, list[str]] = {}
    for spec, b, nxt in next_runs(ctx, now):
        when = f"{nxt.astimezone(b.tz):%a %m-%d %H:%M}" if nxt else "never"
        runs.setdefault(b.code, []).append(f"{spec.name} {when}")
    out = []
    for b in branches:
        local = now.astimezone(b.tz)
        day = local.date() + timedelta(days=1)
        for _ in range(60):
            if ctx.call(is_workday, b, day):
                break
            day += timedelta(days=1)

        def counts(s: Any, bid: int = b.id) -> tuple[int, int]:
            active = Employee.status != EmployeeStatus.LEFT
            n = s.execute(
                select(func.count()).select_from(Employee).where(Employee.branch_id == bid, active)
            ).scalar_one()
            bound = s.execute(
                select(func.count())
                .select_from(Employee)
                .join(TelegramBinding, TelegramBinding.employee_id == Employee.id)
                .where(Employee.branch_id == bid, active)
            ).scalar_one()
            return n, bound

        n, bound = ctx.call(counts)
        detail = (
            f"{b.timezone}, local now {local:%a %m-%d %H:%M}, next working day {day:%a %m-%d}; "
            f"{n} employees, {bound} bound"
        )
        more = ["next runs (local): " + ", ".join(runs.get(b.code, []))]
        if n == 0:
            fix = "coachbot employee import staff.csv"
            out.append(Check(f"branch {b.code}", "warn", detail, fix, more))
        else:
            out.append(Check(f"branch {b.code}", "ok", detail, more=more))
    return out


def check_outbox(ctx: AppContext, now: datetime) -> list[Check]:
    from db.models import Outbox

    def read(s: Any) -> tuple[int, datetime | None, int]:
        due = s.execute(
            select(func.count(), func.min(Outbox.next_attempt_at)).where(
                Outbox.status.in_(("pending", "sending")), Outbox.next_attempt_at <= now
            )
        ).one()
        failed = s.execute(
            select(func.count()).where(
                Outbox.status == "failed", Outbox.created_at >= now - timedelta(days=1)
            )
        ).scalar_one()
        return int(due[0]), due[1], int(failed)

    n, oldest, failed = ctx.call(read)
    detail = f"{n} due" + (f", oldest due since {oldest:%m-%d %H:%M} UTC" if oldest else "")
    detail += f"; {failed} failed in the last 24 h"
    stale = oldest is not None and now - oldest > STALE_DUE
    if n > BACKLOG_WARN or stale or failed:
        return [
            Check(
                "outbox",
                "warn",
                detail,
                "is `coachbot run` running? failed rows: see the outbox table's last_error",
            )
        ]
    return [Check("outbox", "ok", detail)]


def run_checks(ctx: AppContext) -> Report:
    now = ctx.clock.now()
    checks = [Check("settings", "ok", "valid")]
    db = _safe("database", lambda: check_database(ctx))
    checks += db
    # Reachable is enough to look further (an old migration is reported, not fatal here).
    db_ok = any(c.name == "database reachable" and c.status == "ok" for c in db)
    checks += _safe("config files", lambda: check_config_files(ctx))
    checks += _safe("PII key", lambda: check_pii_key(ctx))
    if db_ok:
        checks += _safe("branches", lambda: check_branches(ctx, now))
        checks += _safe("Telegram", lambda: check_telegram(ctx))
        checks += _safe("outbox", lambda: check_outbox(ctx, now))
    else:
        checks.append(Check("branches, Telegram groups, outbox", "skip", "database not ready"))
    checks += _safe("LLM", lambda: check_llm(ctx))
    return Report(checks)
