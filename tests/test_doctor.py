"""`coachbot doctor`: each failure is named with its fix and makes the exit code non-zero."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.doctor import run_checks
from db.migrate import upgrade
from db.session import Database
from tests import factories as f
from tests.servers import serve_in_thread
from tests.telegram_double import BOT, TelegramDouble

HR_CHAT, GONE_CHAT = -1001000000001, -1001000000099


@pytest.fixture
def telegram() -> Iterator[tuple[TelegramDouble, str]]:
    double = TelegramDouble()
    with serve_in_thread(double.app) as base:
        yield double, base


def migrated(ctx, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A context on a database built by the migrations (what `coachbot db upgrade` makes)."""
    url = f"sqlite:///{tmp_path / 'doc.db'}"
    upgrade(url)
    ctx.db = Database(url)
    now = ctx.clock.now()
    with ctx.db.session() as s:
        b = f.branch(s, "SH")
        f.employee(s, "C0001", b)
        f.hr_chat(s, HR_CHAT, b, now)
    return ctx


def configure(ctx, base: str, **kw: object) -> None:  # type: ignore[no-untyped-def]
    values = {
        "telegram_bot_token": "123456:DOCTOR",
        "telegram_api_base_url": f"{base}/bot",
        "bot_username": BOT["username"],
        "pii_hmac_key": "a-real-secret-key-0123456789",
    }
    values.update(kw)
    ctx.settings = ctx.settings.model_copy(update=values)


def by_name(report) -> dict[str, tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return {c.name: (c.status, c.detail, c.fix) for c in report.checks}


def test_ready_deployment_passes(ctx, telegram, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _double, base = telegram
    ctx = migrated(ctx, tmp_path)
    configure(ctx, base)
    report = run_checks(ctx)
    checks = by_name(report)
    assert report.ok, report.checks
    assert checks["Telegram token"][0] == "ok" and "@CoachBotTest" in checks["Telegram token"][1]
    assert checks[f"group {HR_CHAT} (hr_alerts)"][0] == "ok"
    assert checks["LLM"][0] == "skip" and "offline" in checks["LLM"][1]
    assert checks["branch SH"][0] == "ok" and "next working day Tue 03-03" in checks["branch SH"][1]
    assert "123456:DOCTOR" not in str(report.checks)  # the token never shows


def test_each_failure_names_its_fix(ctx, telegram, tmp_path) -> None:  # type: ignore[no-untyped-def]
    double, base = telegram
    ctx = migrated(ctx, tmp_path)
    with ctx.db.session() as s:
        f.hr_chat(s, GONE_CHAT, None, ctx.clock.now(), purpose="trainers")
    double.gone_chats.add(GONE_CHAT)
    configure(ctx, base, bot_username="SomeOtherBot", pii_hmac_key="coachbot-demo-key-change-me")
    report = run_checks(ctx)
    checks = by_name(report)
    assert not report.ok
    assert checks["bot username"][0] == "fail"
    assert "COACHBOT_BOT_USERNAME=CoachBotTest" in checks["bot username"][2]
    assert checks["PII key"][0] == "fail" and "openssl rand" in checks["PII key"][2]
    gone = checks[f"group {GONE_CHAT} (trainers)"]
    assert gone[0] == "fail" and "chat not found" in gone[1] and "unregister" in gone[2]

    configure(ctx, base, telegram_bot_token="0:REVOKED")
    checks = by_name(run_checks(ctx))
    assert checks["Telegram token"][0] == "fail" and "Unauthorized" in checks["Telegram token"][1]


def test_unmigrated_database_and_no_branches(ctx, telegram) -> None:  # type: ignore[no-untyped-def]
    _double, base = telegram
    configure(ctx, base)
    report = run_checks(ctx)  # the fixture's database: tables, but no migration stamp
    checks = by_name(report)
    assert checks["database migration"][0] == "fail"
    assert checks["database migration"][2] == "coachbot db upgrade"
    assert checks["branches"][0] == "fail" and "org apply" in checks["branches"][2]
    assert not report.ok


def test_llm_check_reports_the_response_formats(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Doctor runs the same check as `coachbot llm check`: plain, stream, structured through
    format negotiation, and says how prompts are counted."""
    from bot.doctor import check_llm
    from coaching.llm import reset_formats
    from tests.llm_double import LLMDouble, Reply

    reset_formats()
    with LLMDouble(reject_formats={"json_schema"}, reject_status=500) as llm:
        ctx.settings = ctx.settings.model_copy(
            update={"openai_base_url": llm.url, "openai_api_key": "k", "llm_model": "qwen2.5-7b"}
        )
        [c] = check_llm(ctx)
        assert c.status == "ok", c
        assert "response format json_object+schema" in c.detail
        assert "json_schema HTTP 500" in c.detail
        assert "plain ok" in c.detail and "stream ok" in c.detail and "structured ok" in c.detail
        assert "qwen3 (quicktok)" in c.detail
        # Structured answers that never validate: grading would never complete.
        reset_formats()
        llm.responder = lambda p, b: Reply("好的")
        [c] = check_llm(ctx)
        assert c.status == "fail" and "structured FAILED" in c.detail, c
        assert "larger instruct model" in c.fix
        reset_formats()
    [c] = check_llm(ctx)  # the server is gone
    assert c.status == "fail" and "OPENAI_BASE_URL" in c.fix
