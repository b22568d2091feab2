"""Shared builders for the ingest tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.context import AppContext
from coaching.ingest import ImportReport, Mapping, Options, import_table, read_path
from coaching.ingest.engine import rejects_path_for
from tests import factories

# Raw debtor identifiers used in the files; they must never be found stored or logged.
PHONE_1 = "13812345678"
PHONE_2 = "13987654321"
ID_1 = "110101199003071234"
NAME_1 = "欧阳娜娜"
NAME_2 = "司马相如"


def world(ctx: AppContext) -> None:
    """SH (UTC+8) and JKT (UTC+7) branches with one collector each."""

    def build(s: Any) -> None:
        sh = factories.branch(s, "SH", tz="Asia/Shanghai")
        jkt = factories.branch(s, "JKT", tz="Asia/Jakarta", locale="en")
        factories.team(s, sh, "SH-A")
        factories.employee(s, "C0001", sh)
        factories.employee(s, "C0002", jkt)

    ctx.call(build)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def run(
    ctx: AppContext,
    kind: str,
    path: Path,
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    mapping: Path | None = None,
) -> ImportReport:
    m = Mapping.load(mapping) if mapping else None
    return import_table(
        ctx,
        kind,
        read_path(path, m),
        Options(
            dry_run=dry_run,
            skip_invalid=skip_invalid,
            mapping=m,
            rejects_path=rejects_path_for(path) if skip_invalid else None,
        ),
    )


def count(ctx: AppContext, model: Any) -> int:
    return ctx.call(lambda s: s.scalar(select(func.count()).select_from(model)))


def rows(ctx: AppContext, model: Any) -> list[tuple[Any, ...]]:
    cols = list(model.__table__.columns)
    return ctx.call(lambda s: [tuple(r) for r in s.execute(select(*cols).order_by(cols[0]))])


CASES_ZH = (
    "案件编号,催收员工号,手机号,证件号,债务人姓名,委案金额,逾期天数,产品,分期,委案日期\n"
    f'K1,C0001,{PHONE_1},{ID_1},{NAME_1},"12,500.00",45,信用卡,是,2026/3/1\n'
    f"K2,C0002,{PHONE_2},,{NAME_2},800,200,现金贷,否,2026-03-01\n"
)


def seed_cases(ctx: AppContext, tmp: Path) -> None:
    rep = run(ctx, "cases", write(tmp / "cases.csv", CASES_ZH, "gbk"))
    assert rep.ok and rep.inserted == 2, rep.errors
