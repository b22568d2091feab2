"""`coachbot import` / `coachbot token` end to end, and debtor identifiers never stored raw."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import text
from typer.testing import CliRunner

from bot.cli.ingest import register
from bot.context import AppContext
from bot.settings import get_settings
from db.models import Base, Call, Case
from tests.ingest_helpers import (
    CASES_ZH,
    ID_1,
    NAME_1,
    NAME_2,
    PHONE_1,
    PHONE_2,
    count,
    world,
    write,
)

RAW = [PHONE_1, PHONE_2, ID_1, NAME_1, NAME_2, "13700001111", "李秀英", "13766667777"]


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


def invoke(app: typer.Typer, *args: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, list(args))
    # Rich wraps long lines at the terminal width; compare text, not layout.
    return res.exit_code, " ".join(res.output.split(" \n"))


def test_cli_import_exit_codes_and_tokens(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path
) -> None:
    world(ctx)
    cases = write(tmp_path / "cases.csv", CASES_ZH, "gbk")
    code, out = invoke(cli, "import", "cases", str(cases))
    assert code == 0, out
    assert "inserted" in out and "gb18030" in out
    assert count(ctx, Case) == 2

    bad = write(
        tmp_path / "calls.csv",
        "通话编号,案件编号,开始时间,通话时长,通话结果\nA1,K1,2026-03-02 09:00,5,rpc\n"
        "A2,K1,2026-03-02 09:00,x,rpc\n",
    )
    code, out = invoke(cli, "import", "calls", str(bad))
    assert code == 1
    assert f"{bad}:3: column 通话时长 (duration_s) = 'x'" in out
    assert "nothing stored" in out and count(ctx, Call) == 0
    code, out = invoke(cli, "import", "calls", str(bad), "--dry-run", "--skip-invalid")
    assert code == 1 and "dry run" in out and count(ctx, Call) == 0
    code, out = invoke(cli, "import", "calls", str(bad), "--skip-invalid")
    assert code == 1 and count(ctx, Call) == 1
    assert (tmp_path / "calls.rejects.csv").exists()
    code, out = invoke(cli, "import", "debtors", str(bad))
    assert code == 2 and "unknown kind" in out
    code, out = invoke(cli, "import", "calls", str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in out

    code, out = invoke(cli, "token", "create", "--name", "nightly export")
    assert code == 0
    raw = out.strip().splitlines()[-1]
    assert raw.startswith("cbt_")
    code, out = invoke(cli, "token", "list")
    assert "nightly" in out and "export" in out and raw not in out
    code, out = invoke(cli, "token", "revoke", "1")
    assert code == 0
    code, out = invoke(cli, "token", "revoke", "1")
    assert code == 2 and "no active token 1" in out


def test_no_raw_debtor_identifier_anywhere(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    world(ctx)
    outputs = []
    cases = write(tmp_path / "cases.csv", CASES_ZH, "gbk")
    outputs.append(invoke(cli, "import", "cases", str(cases))[1])
    calls = (
        "通话编号,案件编号,被叫号码,开始时间,通话时长,通话结果\n"
        f"A1,K1,{PHONE_1},2026-03-02 09:00,5,rpc\n"
        "A2,K1,13700001111,2026-03-02 09:00,x,rpc\n"  # rejected: goes to the rejects file
        f"A3,K2,{PHONE_2},2026-03-02 22:00,5,rpc\n"
    )
    outputs.append(
        invoke(cli, "import", "calls", str(write(tmp_path / "c.csv", calls)), "--skip-invalid")[1]
    )
    bad_cases = (
        "案件编号,手机号,债务人姓名,委案金额,逾期天数,委案日期\n"
        "K9,13766667777,李秀英,-5,3,2026-03-01\n"
    )
    path = write(tmp_path / "bad.csv", bad_cases)
    outputs.append(invoke(cli, "import", "cases", str(path), "--skip-invalid")[1])
    outputs.append(invoke(cli, "import", "cases", str(path))[1])  # errors printed, not stored
    assert count(ctx, Call) == 2

    texts = {
        "logs": caplog.text,
        "cli output": "\n".join(outputs),
        "c.rejects.csv": (tmp_path / "c.rejects.csv").read_text(encoding="utf-8-sig"),
        "bad.rejects.csv": (tmp_path / "bad.rejects.csv").read_text(encoding="utf-8-sig"),
    }
    assert "13700001111" not in texts["c.rejects.csv"] and "A2" in texts["c.rejects.csv"]
    assert "李*" in texts["bad.rejects.csv"]
    if ctx.db.is_postgres:
        # Every text rendering of every row of every table.
        def dump(s):
            out = []
            for t in Base.metadata.sorted_tables:
                out += [repr(tuple(r)) for r in s.execute(text(f'SELECT * FROM "{t.name}"'))]
            return "\n".join(out)

        texts["database"] = ctx.call(dump)
        assert "K1" in texts["database"]
    else:
        ctx.db.dispose()
        db_file = Path(ctx.db.url.removeprefix("sqlite:///"))
        blob = b"".join(p.read_bytes() for p in db_file.parent.glob(db_file.name + "*"))
        assert b"K1" in blob
        for raw in RAW:
            for enc in ("utf-8", "gb18030", "utf-16-le"):
                assert raw.encode(enc) not in blob, f"{raw} stored in the database file"
    for where, body in texts.items():
        for raw in RAW:
            assert raw not in body, f"raw debtor identifier {raw} found in {where}"


def test_a_driver_error_during_copy_is_a_clean_cli_error(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The staging COPY runs on the driver's connection: its errors are psycopg's, which the
    CLI's DBAPIError handler missed (a traceback). import_table hands them on as DBAPIError."""
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY paths are PostgreSQL's")
    import psycopg

    from coaching.ingest import staged

    world(ctx)
    assert invoke(cli, "import", "cases", str(write(tmp_path / "k.csv", CASES_ZH, "gbk")))[0] == 0

    def timeout(*_a: object, **_k: object) -> int:
        raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")

    monkeypatch.setattr(staged, "_stream", timeout)
    calls = write(
        tmp_path / "calls.csv",
        "通话编号,案件编号,开始时间,通话时长,通话结果,被叫号码\n"
        f"A1,K1,2026-03-02 09:00,5,rpc,{PHONE_1}\n",
    )
    res = CliRunner().invoke(cli, ["import", "calls", str(calls)])
    out = " ".join(res.output.split(" \n"))
    assert res.exit_code == 2  # the CLI's code for a refused import (bot.cli.fail)
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "statement timeout" in out and "nothing was stored" in out, out
    assert "Traceback" not in out and PHONE_1 not in out
    assert count(ctx, Call) == 0
