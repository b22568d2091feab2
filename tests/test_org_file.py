"""`coachbot org apply|show|export`: declarative branches and teams from a YAML file."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from bot.context import AppContext
from coaching import org
from coaching.org_apply import apply, export
from db.models import Branch, Employee, GroupChat, Holiday, Team
from tests import cli_helpers
from tests import factories as f

run_cli = cli_helpers.run_cli  # the fixture

EXAMPLE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "org.yaml"

GOOD = """\
branches:
  - code: SH
    name: 上海分公司
    timezone: Asia/Shanghai
    scoring_profile: A
    compliance: {profile: cn_cba}
    holidays:
      - {date: 2026-10-01, name: 国庆节}
  - code: JKT
    name: 雅加达分公司
    timezone: Asia/Jakarta
    locale: en
    workdays: [1, 2, 3, 4, 5, 6]
    scoring_profile: B
    compliance: {profile: cn_nifa}
teams:
  - {code: SH-1, name: 一组, branch: SH}
  - {code: JKT-1, name: Team 1, branch: JKT}
"""


def snapshot(ctx: AppContext) -> tuple:
    def read(s):  # type: ignore[no-untyped-def]
        return (
            sorted(
                (b.code, b.name, b.timezone, b.locale, b.workdays, b.score_profile, b.rule_profile)
                for b in s.execute(select(Branch)).scalars()
            ),
            sorted(
                (t.code, t.name, t.branch_id, t.lead_id) for t in s.execute(select(Team)).scalars()
            ),
            sorted((h.branch_id, h.day, h.name) for h in s.execute(select(Holiday)).scalars()),
            sorted((e.employee_no, e.team_id) for e in s.execute(select(Employee)).scalars()),
        )

    return ctx.call(read)


def write(tmp_path: Path, text: str, name: str = "org.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_apply_twice_changes_nothing_and_export_round_trips(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, GOOD)
    res = run_cli("org", "apply", str(p), "--dry-run")
    assert res.exit_code == 0, res.output
    assert "+ branch SH" in res.output and "dry run" in res.output
    assert snapshot(ctx)[0] == []  # dry run stored nothing
    res = run_cli("org", "apply", str(p))
    assert res.exit_code == 0, res.output
    first = snapshot(ctx)
    assert [b[0] for b in first[0]] == ["JKT", "SH"]
    assert ("JKT", "雅加达分公司", "Asia/Jakarta", "en", "1,2,3,4,5,6", "B", "cn_nifa") in first[0]
    assert len(first[2]) == 1
    res = run_cli("org", "apply", str(p))
    assert res.exit_code == 0 and "no changes" in res.output, res.output
    assert snapshot(ctx) == first
    # export -> apply: nothing to change, and the export parses as an org file
    res = run_cli("org", "export", "-o", str(tmp_path / "back.yaml"))
    assert res.exit_code == 0, res.output
    res = run_cli("org", "apply", str(tmp_path / "back.yaml"))
    assert "no changes" in res.output, res.output
    shown = run_cli("org", "show").output
    assert "cn_nifa" in shown and "max 3/debtor/day (connected calls)" in shown


def test_example_file_applies_with_deferred_leads_then_sets_them(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(EXAMPLE, tmp_path / "org.yaml")
    shutil.copy(EXAMPLE.parent / "holidays-sh.csv", tmp_path / "holidays-sh.csv")
    res = run_cli("org", "apply", str(tmp_path / "org.yaml"))
    assert res.exit_code == 2 and "teams[0].lead" in res.output and "not an employee" in res.output
    assert snapshot(ctx)[0] == []
    res = run_cli("org", "apply", str(tmp_path / "org.yaml"), "--defer-leads")
    assert res.exit_code == 0, res.output

    def add_lead(s):  # type: ignore[no-untyped-def]
        sh = s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        t = s.execute(select(Team).where(Team.code == "SH-1")).scalar_one()
        f.employee(s, "L0001", sh, "team_lead", team=t)

    ctx.call(add_lead)
    res = run_cli("org", "apply", str(tmp_path / "org.yaml"), "--defer-leads")
    assert "~ team SH-1: lead None -> L0001" in res.output, res.output
    assert (
        ctx.call(
            lambda s: (
                s.execute(select(Team).where(Team.code == "SH-1")).scalar_one().lead.employee_no
            )
        )
        == "L0001"
    )
    holidays = ctx.call(lambda s: s.execute(select(func.count()).select_from(Holiday)).scalar_one())
    assert holidays == 10


BAD = [
    (
        GOOD.replace("Asia/Jakarta", "Asia/Atlantis"),
        "line 11, column 5: field branches[1].timezone: unknown time zone 'Asia/Atlantis'",
    ),
    (
        GOOD.replace(
            "{code: JKT-1, name: Team 1, branch: JKT}", "{code: X-1, name: x, branch: BJ}"
        ),
        "field teams[1].branch: no branch 'BJ' in this file",
    ),
    (
        GOOD.replace("code: JKT\n", "code: SH\n").replace("branch: JKT}", "branch: SH}"),
        "line 9, column 5: field branches[1].code: duplicate branch code 'SH'",
    ),
    (
        GOOD.replace("code: JKT-1", "code: SH-1"),
        "line 18, column 6: field teams[1].code: duplicate team code 'SH-1'",
    ),
    (
        GOOD.replace(
            "{code: SH-1, name: 一组, branch: SH}", "{code: SH-1, name: a, branch: SH, lead: Z9}"
        ),
        "line 17, column 39: field teams[0].lead: lead 'Z9' is not an employee",
    ),
    (GOOD.replace("  - code: JKT\n", "  - code: JKT\n   bad: [\n"), "malformed YAML"),
    (GOOD.replace("scoring_profile: B", "scoring_profile: Q"), "no scoring profile 'Q'"),
    (GOOD.replace("cn_nifa", "strict"), "field branches[1].compliance.profile"),
    (GOOD.replace("locale: en", "locale: fr"), "field branches[1].locale"),
    (GOOD.replace("workdays: [1, 2", "workdays: [9, 2"), "field branches[1].workdays[0]"),
    (GOOD.replace("teams:", "teems:"), "field teems: unknown field"),
]


@pytest.mark.parametrize("text,expected", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_files_one_clear_error_and_database_unchanged(
    ctx, run_cli, tmp_path, text, expected
) -> None:  # type: ignore[no-untyped-def]
    ctx.call(lambda s: f.team(s, f.branch(s, "SH"), "SH-1"))
    before = snapshot(ctx)
    p = write(tmp_path, text)
    res = run_cli("org", "apply", str(p))
    assert res.exit_code == 2
    assert expected in res.output, res.output
    assert str(p) in res.output
    assert "Traceback" not in res.output
    errors = [ln for ln in res.output.splitlines() if str(p) in ln]
    assert len(errors) == 1, res.output
    assert snapshot(ctx) == before


def test_removing_a_team_with_members_is_refused_with_their_names(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, GOOD + "  - {code: SH-2, name: 二组, branch: SH}\n")
    ctx.call(apply, org.load(p))

    def staff(s):  # type: ignore[no-untyped-def]
        t = s.execute(select(Team).where(Team.code == "SH-2")).scalar_one()
        f.employee(s, "C0007", t.branch, team=t, name="王小明")

    ctx.call(staff)
    before = snapshot(ctx)
    with pytest.raises(org.OrgFileError) as exc:
        ctx.call(apply, org.load(write(tmp_path, GOOD)))
    assert "team SH-2" in str(exc.value) and "C0007 王小明" in str(exc.value)
    assert snapshot(ctx) == before

    # once the member has moved, removing the team works and the member keeps their record
    def move(s):  # type: ignore[no-untyped-def]
        e = s.execute(select(Employee).where(Employee.employee_no == "C0007")).scalar_one()
        e.team_id = s.execute(select(Team.id).where(Team.code == "SH-1")).scalar_one()

    ctx.call(move)
    plan = ctx.call(apply, org.load(write(tmp_path, GOOD)))
    assert [str(c) for c in plan.changes] == ["- team SH-2: 二组"]


def test_holiday_calendar_file_is_the_exact_set(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cal = write(
        tmp_path, "date,name,is_workday\n2026-10-01,国庆节,\n2026-10-10,补班,true\n", "h.csv"
    )
    text = GOOD.replace(
        "    holidays:\n      - {date: 2026-10-01, name: 国庆节}\n",
        f"    holiday_calendar: {cal.name}\n",
    )
    ctx.call(apply, org.load(write(tmp_path, text)))
    rows = ctx.call(
        lambda s: sorted((h.day, h.is_workday) for h in s.execute(select(Holiday)).scalars())
    )
    assert rows == [(date(2026, 10, 1), False), (date(2026, 10, 10), True)]
    cal.write_text("date,name,is_workday\n2026-10-01,国庆节,maybe\n", encoding="utf-8")
    with pytest.raises(org.OrgFileError) as exc:
        ctx.call(apply, org.load(write(tmp_path, text)))
    assert f"{cal}: line 2: is_workday must be true or false" in str(exc.value)


def test_export_of_the_demo_like_org_reads_back(ctx) -> None:  # type: ignore[no-untyped-def]
    def seed(s):  # type: ignore[no-untyped-def]
        b = f.branch(s, "SH")
        t = f.team(s, b, "SH-1")
        lead = f.employee(s, "L0001", b, "team_lead", team=t)
        t.lead_id = lead.id

    ctx.call(seed)
    text = ctx.call(export)
    parsed = org.parse(text, Path("export.yaml"))
    assert parsed.spec.teams[0].lead == "L0001"
    assert ctx.call(apply, parsed).changes == []


def test_demo_org_file_matches_the_documented_example() -> None:
    """bot/demo/demo_org.yaml (what `coachbot demo` applies) and docs/examples/org.yaml describe
    the same organisation, so the documented example is the one people try first."""
    demo = org.load(Path(__file__).resolve().parents[1] / "bot" / "demo" / "demo_org.yaml").spec
    doc = org.load(EXAMPLE).spec
    strip = {"holidays", "holiday_calendar"}
    assert [b.model_dump(exclude=strip) for b in demo.branches] == [
        b.model_dump(exclude=strip) for b in doc.branches
    ]
    assert demo.teams == doc.teams


def test_removing_a_branch_refused_with_staff_or_chats_else_removed(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx.call(apply, org.load(write(tmp_path, GOOD)))
    only_sh = GOOD.split("  - code: JKT")[0] + "teams:\n  - {code: SH-1, name: 一组, branch: SH}\n"

    def staff(s):  # type: ignore[no-untyped-def]
        jkt = s.execute(select(Branch).where(Branch.code == "JKT")).scalar_one()
        f.employee(s, "C0101", jkt)

    ctx.call(staff)
    with pytest.raises(org.OrgFileError) as exc:
        ctx.call(apply, org.load(write(tmp_path, only_sh)))
    assert "branch JKT is not in the file but still has 1 employee(s)" in str(exc.value)
    ctx.call(lambda s: s.execute(delete(Employee)))
    ctx.call(
        lambda s: f.hr_chat(
            s,
            -100901,
            s.execute(select(Branch).where(Branch.code == "JKT")).scalar_one(),
            ctx.clock.now(),
        )
    )
    with pytest.raises(org.OrgFileError) as exc:
        ctx.call(apply, org.load(write(tmp_path, only_sh)))
    assert "group chat -100901" in str(exc.value)
    ctx.call(lambda s: s.execute(delete(GroupChat)))
    plan = ctx.call(apply, org.load(write(tmp_path, only_sh)))
    assert {str(c) for c in plan.changes} == {"- team JKT-1: Team 1", "- branch JKT: 雅加达分公司"}
    assert [b[0] for b in snapshot(ctx)[0]] == ["SH"]


def test_show_annotates_branches_and_teams(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx.call(apply, org.load(write(tmp_path, GOOD)))
    shown = ctx.call(export, comments=True)
    assert (
        "- code: SH  # calls 08:00-22:00, max 6/debtor/day (every attempt); plan at 08:40" in shown
    )
    assert "- {code: SH-1, name: 一组, branch: SH}  # 0 member(s)" in shown
    # the comments do not change what the file means
    assert org.parse(shown, Path("show.yaml")).spec == org.parse(ctx.call(export), Path("e")).spec


def test_a_lead_from_another_branch_is_refused(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ctx.call(apply, org.load(write(tmp_path, GOOD)))

    def jkt_person(s):  # type: ignore[no-untyped-def]
        f.employee(s, "L0101", s.execute(select(Branch).where(Branch.code == "JKT")).scalar_one())

    ctx.call(jkt_person)
    before = snapshot(ctx)
    text = GOOD.replace(
        "{code: SH-1, name: 一组, branch: SH}", "{code: SH-1, name: 一组, branch: SH, lead: L0101}"
    )
    with pytest.raises(org.OrgFileError) as exc:
        ctx.call(apply, org.load(write(tmp_path, text)))
    assert "field teams[0].lead: lead L0101" in str(exc.value) and "works in JKT, not SH" in str(
        exc.value
    )
    assert snapshot(ctx) == before


def test_apply_before_db_upgrade_says_so(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(
            cli_helpers.full_app(), ["org", "apply", str(write(tmp_path, GOOD))]
        )
    finally:
        get_settings.cache_clear()
    assert res.exit_code == 2 and "run `coachbot db upgrade` first" in res.output, res.output
