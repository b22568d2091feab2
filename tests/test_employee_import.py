"""`coachbot employee import` is the ingest importer: Chinese role/status names, updates in
place, and leavers are only marked (never deleted) with --mark-missing-left."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from db.models import Employee
from tests import cli_helpers
from tests import factories as f

run_cli = cli_helpers.run_cli  # the fixture

HEAD = "工号,姓名,分公司,团队,角色,入职日期,状态\n"


def seed(ctx) -> None:  # type: ignore[no-untyped-def]
    def go(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "SH")
        f.team(s, b, "SH-1")

    ctx.call(go)


def people(ctx) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    return ctx.call(
        lambda s: {
            e.employee_no: (e.id, e.name, e.status, sorted(e.roles), e.team_id is not None)
            for e in s.execute(select(Employee)).scalars()
        }
    )


def test_chinese_roles_update_in_place_and_mark_missing_left(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    p = tmp_path / "staff.csv"
    p.write_text(
        HEAD
        + "C0001,王小明,SH,SH-1,催收员,2025-06-01,在职\n"
        + "L0001,李组长,SH,SH-1,组长;催收员,2024-01-01,在职\n"
        + "A0001,管理员甲,SH,,管理员,2020-01-01,active\n",
        encoding="utf-8",
    )
    res = run_cli("employee", "import", str(p))
    assert res.exit_code == 0, res.output
    first = people(ctx)
    assert first["C0001"][2:] == ("active", ["collector"], True)
    assert first["L0001"][3] == ["collector", "team_lead"]
    assert first["A0001"][3] == ["admin"]

    # re-import with a new name and without L0001: updated in place, L0001 untouched
    p.write_text(
        HEAD
        + "C0001,王晓明,SH,SH-1,collector,2025-06-01,在职\n"
        + "A0001,管理员甲,SH,,admin,2020-01-01,active\n",
        encoding="utf-8",
    )
    res = run_cli("employee", "import", str(p))
    assert res.exit_code == 0, res.output
    second = people(ctx)
    assert second["C0001"][0] == first["C0001"][0] and second["C0001"][1] == "王晓明"
    assert second["L0001"][2] == "active"

    res = run_cli("employee", "import", str(p), "--mark-missing-left", "--dry-run")
    assert "L0001 李组长: would be marked as left" in res.output, res.output
    assert people(ctx)["L0001"][2] == "active"
    res = run_cli("employee", "import", str(p), "--mark-missing-left")
    assert res.exit_code == 0, res.output
    assert "1 employee(s) marked as left" in res.output
    third = people(ctx)
    assert third["L0001"][2] == "left" and third["L0001"][0] == first["L0001"][0]
    assert third["C0001"][2] == "active"


def test_a_bad_row_stores_nothing_and_marks_nobody(ctx, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    seed(ctx)
    ctx.call(lambda s: f.employee(s, "C0009", f.branch(s, "BJ")))
    p = tmp_path / "staff.csv"
    p.write_text(HEAD + "C0001,王小明,SH,SH-1,扫地僧,2025-06-01,在职\n", encoding="utf-8")
    before = people(ctx)
    res = run_cli("employee", "import", str(p), "--mark-missing-left")
    assert res.exit_code == 1
    assert "roles" in res.output and "staff.csv:2" in res.output
    assert people(ctx) == before
