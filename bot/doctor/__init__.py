"""`coachbot doctor`: is this deployment ready for the first morning?

One checklist; every failed line carries the fix. Status `fail` means something needed is
broken (exit code 1), `warn` is worth a look, `skip` was not applicable (e.g. no LLM: the bot
runs in its labelled offline mode). Read-only: it sends no message and changes nothing.
Secrets never appear in the output (the token is only used in request URLs, which httpx does
not log at our level).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select, text

from bot.context import AppContext
from bot.doctor.base import (
    BACKLOG_WARN,
    DEMO_PII_KEY,
    STALE_DUE,
    Check,
    Report,
    _safe,
)
from bot.doctor.telegram import check_telegram

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


# --- LLM --------------------------------------------------------------------------------------


class _Ping(BaseModel):
    ok: bool


def check_llm(ctx: AppContext) -> list[Check]:
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
    from coaching.llm import LLMClient, LLMUnavailable, MalformedOutput

    async def probe(mode: str) -> str | None:
        client = LLMClient(s.model_copy(update={"llm_structured": mode, "llm_max_retries": 0}))
        try:
            await client.structured(
                "doctor",
                [{"role": "user", "content": "Health check: answer with ok = true."}],
                _Ping,
                max_tokens=20,
            )
            return None
        except (LLMUnavailable, MalformedOutput) as exc:
            return str(exc) or type(exc).__name__
        finally:
            await client.close()

    async def all_modes() -> dict[str, str | None]:
        return {m: await probe(m) for m in ("json_schema", "json_object", "text")}

    results = asyncio.run(all_modes())
    works = [m for m, e in results.items() if e is None]
    detail = f"{s.llm_model}: response formats " + ", ".join(
        f"{m} {'ok' if e is None else 'no'}" for m, e in results.items()
    )
    if not works:
        first = next(iter(results.values()))
        return [
            Check(
                "LLM",
                "fail",
                f"{s.llm_model}: no answer ({first})",
                "check OPENAI_BASE_URL, OPENAI_API_KEY and COACHBOT_LLM_MODEL, or unset both "
                "for offline mode",
            )
        ]
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
    from coaching.plans.config import get_config as plans
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
        bad_plan = b.plan and plans().stored_error(b.code, b.plan)
        if bad_plan:
            fix = "coachbot org apply org.yaml (the branch's plan: settings)"
            detail += f"; stored plan settings unusable ({bad_plan}), config/plans.yaml used"
            out.append(Check(f"branch {b.code}", "warn", detail, fix, more))
        elif n == 0:
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
