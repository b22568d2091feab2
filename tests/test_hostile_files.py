"""Issue 18: every hostile file gets one clear error naming the file (and line/column where
there is one) — never a traceback, never a hang — and the database is unchanged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from bot.cli.ingest import register
from bot.context import AppContext
from bot.settings import get_settings
from db.models import Base, Employee
from tests.hostile.corpus import EMP_HEAD, LIMIT_ENV, corpus
from tests.ingest_helpers import seed_cases, world

CORPUS = corpus()
SKIP_TABLES = {"audit_log", "api_tokens"}


@pytest.fixture
def cli(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[typer.Typer]:
    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    monkeypatch.setenv("COACHBOT_PII_KEY", ctx.settings.pii_hmac_key)
    monkeypatch.setenv("COACHBOT_LOG_LEVEL", "DEBUG")
    for k, v in LIMIT_ENV.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    world(ctx)
    seed_cases(ctx, tmp_path)
    app = typer.Typer()
    register(app)
    yield app
    get_settings.cache_clear()


def snapshot(ctx: AppContext) -> dict[str, int]:
    def counts(s: object) -> dict[str, int]:
        return {
            t.name: s.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[attr-defined]
            for t in Base.metadata.sorted_tables
            if t.name not in SKIP_TABLES
        }

    return ctx.call(counts)


def invoke(app: typer.Typer, *args: str) -> tuple[int, str, BaseException | None]:
    res = CliRunner().invoke(app, list(args))
    text = " ".join(res.output.split())  # rich wraps long lines
    exc = res.exception if not isinstance(res.exception, SystemExit) else None
    return res.exit_code, text, exc


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_file(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path, case: tuple[str, str, bytes, int, str]
) -> None:
    name, kind, data, code, expect = case
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(ctx)
    t0 = time.monotonic()
    got, out, exc = invoke(cli, "import", kind, str(path))
    took = time.monotonic() - t0
    assert exc is None, f"{name}: raised {exc!r}"
    assert "Traceback" not in out
    assert got == code, out
    assert name in out and expect in " ".join(out.split()), out
    assert took < 20, f"{name} took {took:.1f}s"
    assert snapshot(ctx) == before


def test_encoding_is_read_right_or_refused(
    ctx: AppContext, cli: typer.Typer, tmp_path: Path
) -> None:
    """cp1252 names stored as written (not cp775 mojibake); --encoding overrides detection."""
    names = ["José Müller", "François Léger", "Björk Guðmundsdóttir", "Zoë Ñúñez"]
    body = EMP_HEAD + "".join(f"W{i},{n},SH,collector,2025-01-06\n" for i, n in enumerate(names))
    path = tmp_path / "western.csv"
    path.write_bytes(body.encode("cp1252"))
    code, out, _ = invoke(cli, "import", "employees", str(path))
    assert code == 0, out
    assert "cp1252" in out
    stored = ctx.call(
        lambda s: set(s.scalars(select(Employee.name).where(Employee.employee_no.like("W%"))))
    )
    assert stored == set(names)

    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes((EMP_HEAD + "G1,欧阳娜娜,SH,collector,2025-01-06\n").encode("gbk"))
    code, out, _ = invoke(cli, "import", "employees", str(gbk))
    assert code == 0, out
    # Mixed file: refused with the line and the hint; forcing an encoding is the way out.
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(
        EMP_HEAD.encode()
        + "M1,王小明,SH,collector,2025-01-06\n".encode()
        + "M2,李秀英,SH,collector,2025-01-06\n".encode("gbk")
    )
    code, out, _ = invoke(cli, "import", "employees", str(mixed))
    assert code == 2 and "mixed.csv:3:" in out and "--encoding" in out, out
    code, out, _ = invoke(cli, "import", "employees", str(mixed), "--encoding", "gb18030")
    assert code == 2 and "mixed.csv:2:" in out, out  # the UTF-8 line is not GB18030-clean
    stored = ctx.call(lambda s: set(s.scalars(select(Employee.name))))
    assert "王小明" not in stored and "欧阳娜娜" in stored
