"""A file full of debtor data goes in; no raw value comes out anywhere: not in the database
(SQLite file bytes / PostgreSQL rows), the logs, the CLI output or the rejects files.
QA notes and free text are redacted at ingest; unknown columns never reach a rejects file.
Also: the bot refuses to start on real data with the demo PII key."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import select, text
from typer.testing import CliRunner

from bot.cli.ingest import register
from bot.context import AppContext
from bot.settings import get_settings
from coaching.privacy import DEMO_PII_KEY, PiiKeyError, check_pii_key
from db.models import Base, QaFinding
from tests.ingest_helpers import ID_1, NAME_1, NAME_2, PHONE_1, PHONE_2, world, write

# Every raw value in the files below; none may be found stored, logged, printed or rejected.
RAW = [
    PHONE_1,
    PHONE_2,
    ID_1,
    NAME_1,
    NAME_2,
    "13911112222",
    "139 1111 3333",
    "王建国",
    "建国路88号",
    "科技园南区12栋",
    "wang.jg@example.com",
    "wxid_abc12345",
    "6222020200001234568",
    "李秀英",
    "13766667777",
]


@pytest.fixture
def cli(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("COACHBOT_PII_KEY", ctx.settings.pii_hmac_key)
    monkeypatch.setenv("COACHBOT_LOG_LEVEL", "DEBUG")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def invoke(app: typer.Typer, *args: str) -> str:
    res = CliRunner().invoke(app, list(args))
    return res.output


CASES = (
    "案件编号,催收员工号,手机号,证件号,债务人姓名,委案金额,逾期天数,委案日期,联系人备注\n"
    f"K1,C0001,{PHONE_1},{ID_1},{NAME_1},12500,45,2026-03-01,联系人王建国 13911112222\n"
    f"K2,C0002,{PHONE_2},,{NAME_2},800,200,2026-03-01,住北京市朝阳区建国路88号\n"
    "K9,C0001,13766667777,,李秀英,-5,3,2026-03-01,卡号6222020200001234568\n"  # rejected
)
QA = (
    "质检编号,催收员工号,案件编号,违规规则,严重程度,质检时间,备注\n"
    f"Q1,C0001,K1,threat,严重,2026-03-02 16:00,对{NAME_1}说要去深圳市南山区科技园南区12栋找她"
    "，她报了手机139 1111 3333\n"
    "Q2,C0001,K1,privacy,严重,2026-03-02 17:00,"
    "把王建国的邮箱wang.jg@example.com和微信号：wxid_abc12345发到了群里\n"
    f"Q3,C0001,K1,threat,巨大,2026-03-02 18:00,{NAME_2}的手机{PHONE_2}\n"  # rejected
)


def test_no_raw_value_anywhere_after_import(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world(ctx)
    cases = write(tmp_path / "cases.csv", CASES)
    qa = write(tmp_path / "qa.csv", QA)
    outputs = [
        invoke(cli, "import", "cases", str(cases), "--skip-invalid"),
        invoke(cli, "import", "qa_findings", str(qa), "--skip-invalid"),
        invoke(cli, "import", "qa_findings", str(qa)),  # all errors printed, nothing stored
    ]
    notes = ctx.call(lambda s: list(s.scalars(select(QaFinding.note).order_by(QaFinding.id))))
    assert len(notes) == 2 and "[姓名1]" in notes[0] and "[手机1]" in notes[0]
    assert "[邮箱1]" in notes[1] and "[微信1]" in notes[1]

    texts = {
        "logs": caplog.text,
        "cli output": "\n".join(outputs),
        "cases.rejects.csv": (tmp_path / "cases.rejects.csv").read_text(encoding="utf-8-sig"),
        "qa.rejects.csv": (tmp_path / "qa.rejects.csv").read_text(encoding="utf-8-sig"),
    }
    assert "K9" in texts["cases.rejects.csv"] and "Q3" in texts["qa.rejects.csv"]
    if ctx.db.is_postgres:

        def dump(s):  # type: ignore[no-untyped-def]
            out = []
            for t in Base.metadata.sorted_tables:
                out += [repr(tuple(r)) for r in s.execute(text(f'SELECT * FROM "{t.name}"'))]
            return "\n".join(out)

        texts["database"] = ctx.call(dump)
        assert "K1" in texts["database"] and "Q1" in texts["database"]
    else:
        ctx.db.dispose()
        db_file = Path(ctx.db.url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert b"K1" in blob and b"Q1" in blob
        for raw in RAW:
            for enc in ("utf-8", "gb18030", "utf-16-le"):
                assert raw.encode(enc) not in blob, f"{raw} stored in the database file"
    found = [(raw, where) for where, body in texts.items() for raw in RAW if raw in body]
    assert found == [], f"raw values found: {found}"


def test_demo_key_refused_outside_demo_mode() -> None:
    with pytest.raises(PiiKeyError, match="demo key"):
        check_pii_key(DEMO_PII_KEY, demo=False)
    with pytest.raises(PiiKeyError, match="too short"):
        check_pii_key("short-key-123", demo=False)
    check_pii_key(DEMO_PII_KEY, demo=True)
    check_pii_key("k" * 40, demo=False)


def test_bot_refuses_to_start_with_the_demo_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import app

    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("COACHBOT_PII_KEY", DEMO_PII_KEY)
    monkeypatch.delenv("COACHBOT_DEMO", raising=False)
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app, ["run"])
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 2
    assert "COACHBOT_PII_KEY is the public demo key" in res.output
