"""Cost data (`coachbot import costs`, the ingest API's `costs` kind): Chinese and English
headers, CSV and XLSX, the branch's currency, errors naming file/line/column/field,
idempotent re-import, audit, token permission, and the score component it feeds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import typer
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli.ingest import register
from bot.context import AppContext
from bot.ingest_api import create_token
from bot.settings import get_settings, load_settings
from bot.web import build_web_app
from coaching.calendar import all_branches
from coaching.ingest.kinds.costs import parse_month
from coaching.scoring.config import get_config
from coaching.scoring.queries import raw_rows
from coaching.scoring.rules import Plan, raw_values
from db.models import AuditLog, CollectorCost
from tests import factories
from tests.ingest_helpers import rows, run, write
from tests.servers import serve_in_thread

ZH = (
    "工号,月份,成本金额,币种,备注\n"
    'C0001,2026年3月,"12,500.00",人民币,含外访\n'
    "C0002,2026-03,1500000,IDR,\n"
)


def _world(ctx: AppContext) -> None:
    def build(s):  # type: ignore[no-untyped-def]
        sh = factories.branch(s, "SH", tz="Asia/Shanghai")
        jkt = factories.branch(s, "JKT", tz="Asia/Jakarta", locale="en", currency="IDR")
        factories.employee(s, "C0001", sh)
        factories.employee(s, "C0002", jkt)

    ctx.call(build)


def _costs(ctx: AppContext) -> list[tuple[object, ...]]:
    return [r[1:] for r in rows(ctx, CollectorCost)]


def test_chinese_csv_in_gbk_then_the_same_file_again(ctx: AppContext, tmp_path: Path) -> None:
    _world(ctx)
    path = write(tmp_path / "成本.csv", ZH, "gbk")
    rep = run(ctx, "costs", path)
    assert rep.ok and rep.inserted == 2, rep.errors
    assert _costs(ctx) == [
        (1, date(2026, 3, 1), Decimal("12500.00"), "含外访"),
        (2, date(2026, 3, 1), Decimal("1500000.00"), ""),
    ]
    rep = run(ctx, "costs", path)
    assert (rep.inserted, rep.updated, rep.unchanged) == (0, 0, 2)
    # A correction replaces the month's amount; the note is left alone when not supplied.
    fix = write(tmp_path / "fix.csv", "employee_no,month,amount\nC0001,2026-03-31,13000\n")
    rep = run(ctx, "costs", fix)
    assert (rep.inserted, rep.updated) == (0, 1), rep.errors
    assert _costs(ctx)[0] == (1, date(2026, 3, 1), Decimal("13000.00"), "含外访")
    audit = ctx.call(
        lambda s: [a.action for a in s.execute(select(AuditLog)).scalars()]  # type: ignore[attr-defined]
    )
    assert audit.count("import.costs") == 3


def test_english_xlsx(ctx: AppContext, tmp_path: Path) -> None:
    _world(ctx)
    wb = Workbook()
    ws = wb.active
    ws.append(["Employee No", "Month", "Cost", "Currency", "Note"])
    ws.append(["C0001", datetime(2026, 2, 1), 880.5, "CNY", "SMS to 13812345678"])
    ws.append([None, None, None, None, None])
    ws.append(["C0002", "202602", "Rp 2500000", "", ""])
    path = tmp_path / "costs.xlsx"
    wb.save(path)
    rep = run(ctx, "costs", path)
    assert rep.ok and rep.inserted == 2, rep.errors
    assert [(c[1], c[2]) for c in _costs(ctx)] == [
        (date(2026, 2, 1), Decimal("880.50")),
        (date(2026, 2, 1), Decimal("2500000.00")),
    ]
    # Free text goes through the one redactor: no debtor phone number is stored.
    assert _costs(ctx)[0][3] == "SMS to [手机1]"


def test_errors_name_file_line_column_and_field(ctx: AppContext, tmp_path: Path) -> None:
    _world(ctx)
    bad = (
        "工号,月份,成本,币种\n"
        "C0001,2026-03,100,CNY\n"
        "C0002,2026-03,100,CNY\n"  # a Jakarta collector: costs are kept in IDR
        "C0001,2026-13,100,\n"
        "C0001,2026-04,-5,\n"
        "C9999,2026-04,5,\n"
        "C0001,2026-05,5,XX1\n"
    )
    rep = run(ctx, "costs", write(tmp_path / "bad.csv", bad))
    assert not rep.ok and _costs(ctx) == []  # all or nothing
    got = [(e.line, e.column, e.field) for e in rep.errors]
    assert got == [
        (3, "币种", "currency"),
        (4, "月份", "month"),
        (5, "成本", "amount"),
        (6, "工号", "employee"),
        (7, "币种", "currency"),
    ]
    text = "\n".join(e.format() if hasattr(e, "format") else str(e) for e in rep.errors)
    assert "bad.csv" in text or all(e.line for e in rep.errors)
    assert "IDR" in rep.errors[0].reason and "not converted" in rep.errors[0].reason
    # --skip-invalid keeps the good row.
    rep = run(ctx, "costs", write(tmp_path / "bad2.csv", bad), skip_invalid=True)
    assert rep.inserted == 1 and len(rep.errors) == 5


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("2026-03", date(2026, 3, 1)),
        ("2026/3", date(2026, 3, 1)),
        ("2026年3月", date(2026, 3, 1)),
        ("202603", date(2026, 3, 1)),
        ("2026-03-17", date(2026, 3, 1)),
        ("2026-03-17 00:00:00", date(2026, 3, 1)),
    ],
)
def test_month_forms(text: str, month: date) -> None:
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["2026", "March 2026", "2026-00", "2026-3-40x", "12/2026"])
def test_month_refused(text: str) -> None:
    with pytest.raises(ValueError, match="month"):
        parse_month(text)


def test_costs_feed_cost_per_case(ctx: AppContext, tmp_path: Path) -> None:
    _world(ctx)
    assert run(ctx, "costs", write(tmp_path / "c.csv", ZH, "gbk")).ok
    cfg = get_config()
    with ctx.db.session() as s:
        sh = next(b for b in all_branches(s) if b.code == "SH")
        [row] = raw_rows(s, cfg, sh, date(2026, 3, 1))
    assert (row["cost"], row["cost_n"]) == (1_250_000, 1)
    # Five M1 cases handled in the month (the statement's combined sums: plain, and weighted
    # at the bucket weights' integer scale).
    row |= {"handled": 5, "handled_w": 5 * Plan(cfg, "SH").w_int[0]}
    raw, detail, _ = raw_values(cfg, "SH", row)["cost_per_case"]
    assert raw == Decimal("2500") and detail["cost"] == Decimal("12500")


@pytest.fixture
def cli(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("COACHBOT_PII_KEY", ctx.settings.pii_hmac_key)
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def test_cli_import_costs(ctx: AppContext, cli: typer.Typer, tmp_path: Path) -> None:
    _world(ctx)
    res = CliRunner().invoke(cli, ["import", "costs", str(write(tmp_path / "c.csv", ZH, "gbk"))])
    assert res.exit_code == 0, res.output
    assert len(_costs(ctx)) == 2
    bad = write(tmp_path / "b.csv", "工号,月份,成本\nC0001,2026-03,abc\n")
    res = CliRunner().invoke(cli, ["import", "costs", str(bad)])
    assert res.exit_code != 0
    out = " ".join(res.output.split())
    assert "b.csv:2" in out and "成本" in out and "amount" in out and "Traceback" not in out


def test_api_costs_need_a_token_that_names_them(ctx: AppContext) -> None:
    ctx.settings = load_settings(_env_file=None, DATABASE_URL=ctx.db.url)
    _world(ctx)
    body = [{"工号": "C0001", "月份": "2026-03", "成本金额": "800"}]

    def headers(kinds: list[str] | None) -> dict[str, str]:
        _, raw = ctx.call(create_token, "finance", "ingest", ctx.clock.now(), kinds)
        return {"Authorization": f"Bearer {raw}"}

    with serve_in_thread(build_web_app(ctx)) as url:
        r = httpx.post(f"{url}/api/v1/ingest/costs", json=body, headers=headers(None))
        assert r.status_code == 403 and r.json()["field"] == "kind"
        ok = headers(["costs"])
        r = httpx.post(f"{url}/api/v1/ingest/costs", json=body, headers=ok)
        assert r.status_code == 200 and r.json()["inserted"] == 1, r.text
        r = httpx.post(f"{url}/api/v1/ingest/costs", json=body, headers=ok)
        assert r.status_code == 200 and r.json()["unchanged"] == 1
        bad = [{"工号": "C0002", "月份": "2026-03", "成本金额": "800", "币种": "CNY"}]
        r = httpx.post(f"{url}/api/v1/ingest/costs", json=bad, headers=ok)
        assert r.status_code == 422
        [e] = r.json()["errors"]
        assert (e["line"], e["column"], e["field"]) == (1, "币种", "currency")
    assert _costs(ctx) == [(1, date(2026, 3, 1), Decimal("800.00"), "")]
