"""The org file sets a branch's plan (send time, blocks) and its compliance values (call
window, max calls per debtor per day, what counts as a call): stored on the branch, used by
the plan jobs and the automatic compliance findings, round-tripped by export."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.context import AppContext
from bot.jobs.plans import config_for, cron_at
from coaching import org
from coaching.calendar import all_branches
from coaching.compliance_auto import CONNECTED, PROFILES, branch_rule
from coaching.org_apply import apply
from db.models import Branch, QaFinding
from tests import cli_helpers
from tests.ingest_helpers import run, seed_cases, world, write
from tests.test_ingest_compliance import HEAD, findings

run_cli = cli_helpers.run_cli  # the fixture

FILE = """\
branches:
  - code: SH
    name: 上海分公司
    timezone: Asia/Shanghai
    compliance:
      profile: cn_cba
      call_window: "09:00-20:00"
      max_calls_per_debtor: 2
      count_calls: connected
      min_call_seconds: 20
    plan:
      send_at: "07:15"
      blocks:
        - {id: promises, start: "08:00", end: "10:00", selector: promises, priority: 1}
        - {id: target, start: "10:00", end: "12:00", selector: target, priority: 2}
  - code: JKT
    name: 雅加达分公司
    timezone: Asia/Jakarta
teams: []
"""


def branch(ctx: AppContext, code: str) -> Branch:
    def q(s):  # type: ignore[no-untyped-def]
        b = s.execute(select(Branch).where(Branch.code == code)).scalar_one()
        s.expunge(b)
        return b

    return ctx.call(q)


def test_stored_used_round_tripped_and_idempotent(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "org.yaml"
    p.write_text(FILE, encoding="utf-8")
    res = run_cli("org", "apply", str(p), "--dry-run")
    assert res.exit_code == 0, res.output
    res = run_cli("org", "apply", str(p))
    assert res.exit_code == 0, res.output
    sh = branch(ctx, "SH")
    assert (sh.call_window_start, sh.call_window_end) == (time(9), time(20))
    assert (sh.max_calls_per_debtor, sh.count_calls, sh.min_call_seconds) == (2, "connected", 20)
    assert sh.plan_config and sh.plan_config["send_at"] == "07:15"
    jkt = branch(ctx, "JKT")
    assert jkt.plan_config is None and jkt.max_calls_per_debtor is None

    # The plan jobs use it: SH at 07:15 with its two blocks; JKT keeps config/plans.yaml's.
    infos = {b.code: b for b in ctx.call(all_branches)}
    cfg = config_for(infos["SH"])
    assert cfg.send_at == time(7, 15) and [b.id for b in cfg.by_time] == ["promises", "target"]
    assert cfg.recap_at == time(19, 5)  # not set: the default's
    assert cron_at(infos["SH"], "send_at") == {"hour": 7, "minute": 15}
    assert cron_at(infos["SH"], "promises") == {"hour": 8, "minute": 0}
    assert config_for(infos["JKT"]).send_at == time(8, 30)  # config/plans.yaml's JKT entry
    # The compliance rule is the profile with the branch's values in place.
    rule = branch_rule(PROFILES, sh)
    assert (rule.start, rule.end, rule.max_calls, rule.min_seconds) == (time(9), time(20), 2, 20)
    assert rule.count_outcomes == CONNECTED and rule.severity == PROFILES["cn_cba"].severity
    assert branch_rule(PROFILES, jkt) == PROFILES["default"]

    res = run_cli("org", "apply", str(p))
    assert "no changes" in res.output, res.output
    res = run_cli("org", "export", "-o", str(tmp_path / "back.yaml"))
    assert res.exit_code == 0, res.output
    back = (tmp_path / "back.yaml").read_text(encoding="utf-8")
    assert "call_window: '09:00-20:00'" in back and "send_at: '07:15'" in back
    assert "- {id: promises, start: '08:00', end: '10:00', selector: promises" in back

    def parts(text: str) -> dict[str, tuple]:
        spec = org.parse(text, Path("x.yaml")).spec
        return {b.code: (b.plan, b.compliance) for b in spec.branches}

    assert parts(back) == parts(FILE)
    res = run_cli("org", "apply", str(tmp_path / "back.yaml"))
    assert "no changes" in res.output, res.output
    shown = run_cli("org", "show").output
    assert (
        "calls 09:00-20:00, max 2/debtor/day (connected calls of 20s or more); "
        "plan at 07:15, recap 19:05; blocks 08:00-10:00 promises 10:00-12:00 target" in shown
    )
    assert "plan at 08:30" in shown  # JKT, from config/plans.yaml

    # Taking the values out of the file restores the defaults.
    p.write_text(
        "branches:\n  - {code: SH, name: 上海分公司, compliance: {profile: cn_cba}}\n"
        "  - {code: JKT, name: 雅加达分公司, timezone: Asia/Jakarta}\nteams: []\n"
    )
    res = run_cli("org", "apply", str(p))
    assert '~ branch SH: plan {"send_at":"07:15","blocks":' in res.output, res.output
    assert "compliance.call_window 09:00-20:00 -> (default)" in res.output, res.output
    assert "compliance.count_calls 'connected' -> (default)" in res.output, res.output
    sh = branch(ctx, "SH")
    assert sh.plan_config is None and sh.call_window_start is None and sh.count_calls is None
    infos = {b.code: b for b in ctx.call(all_branches)}
    assert config_for(infos["SH"]).send_at == time(8, 40)
    assert branch_rule(PROFILES, sh) == PROFILES["cn_cba"]


def _bad(old: str, new: str) -> str:
    assert old in FILE
    return FILE.replace(old, new)


BAD = [
    (
        _bad('send_at: "07:15"', 'send_at: "25:00"'),
        "line 12, column 7: field branches[0].plan.send_at: time must be HH:MM",
    ),
    (_bad('send_at: "07:15"', "send_at: soon"), "time must be HH:MM, got 'soon'"),
    (
        _bad('start: "10:00", end: "12:00"', 'start: "09:30", end: "12:00"'),
        "line 13, column 7: field branches[0].plan.blocks: promises and target overlap",
    ),
    (
        _bad('end: "12:00", selector: target', 'end: "09:00", selector: target'),
        "field branches[0].plan.blocks[1]: block target: end must be after start",
    ),
    (_bad("selector: target", "selector: promises"), "each selector may be used once"),
    (_bad("selector: target", "selector: nearest"), "field branches[0].plan.blocks[1].selector"),
    (_bad("plan:\n", "plan:\n      sendat: '07:00'\n"), "field branches[0].plan.sendat: unknown"),
    (
        _bad('"09:00-20:00"', '"21:00-08:00"'),
        "line 7, column 7: field branches[0].compliance.call_window: the start must be before",
    ),
    (_bad('"09:00-20:00"', "nine to five"), "expected HH:MM-HH:MM"),
    (
        _bad("max_calls_per_debtor: 2", "max_calls_per_debtor: 0"),
        "line 8, column 7: field branches[0].compliance.max_calls_per_debtor",
    ),
    (_bad("count_calls: connected", "count_calls: answered"), "compliance.count_calls"),
    (_bad("min_call_seconds: 20", "min_call_seconds: -1"), "compliance.min_call_seconds"),
]


@pytest.mark.parametrize("text,expected", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_values_one_clear_error_nothing_stored(ctx, run_cli, tmp_path, text, expected) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "org.yaml"
    p.write_text(text, encoding="utf-8")
    res = run_cli("org", "apply", str(p))
    assert res.exit_code == 2, res.output
    assert expected in res.output, res.output
    errors = [ln for ln in res.output.splitlines() if str(p) in ln]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    assert ctx.call(lambda s: s.execute(select(Branch)).first()) is None


def test_a_changed_call_window_changes_the_findings_at_import(ctx, run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Export the organisation, set SH's window, max and counting in the file, apply it: the
    next call import finds what the branch's own values say."""
    world(ctx)
    seed_cases(ctx, tmp_path)  # K1 -> C0001 in Shanghai
    res = run_cli("org", "export", "-o", str(tmp_path / "org.yaml"))
    assert res.exit_code == 0, res.output
    text = (tmp_path / "org.yaml").read_text(encoding="utf-8")

    def calls(name: str, day: str) -> Path:
        # 08:30 (inside the default 08:00-21:00, outside 09:00-20:00), then 3 more calls:
        # 4 in all (> 3), of which 2 connected and 30 s or longer.
        rows = [
            (f"{name}1", f"{day} 08:30", 5, "no_answer"),
            (f"{name}2", f"{day} 10:00", 40, "rpc"),
            (f"{name}3", f"{day} 11:00", 10, "contacted"),
            (f"{name}4", f"{day} 12:00", 35, "promise"),
        ]
        body = HEAD + "".join(f"{r},K1,{at},{d},{o}\n" for r, at, d, o in rows)
        return write(tmp_path / f"{name}.csv", body)

    # Defaults (profile default: 08:00-21:00, max 3, every attempt): too many calls only.
    assert run(ctx, "calls", calls("A", "2026-03-02")).ok
    assert findings(ctx) == {("too_many_calls", "C0001", "2026-03-02")}

    # The branch's window 09:00-20:00: the 08:30 call is now outside hours. Max 1 connected
    # call of 30 s or more: the two such calls exceed it; the 10-second one does not count.
    sh = "  compliance: {profile: default}\n"
    assert text.count(sh) == 2  # SH and JKT (export order: JKT first)
    i = text.index("code: SH")
    text = text[:i] + text[i:].replace(
        sh,
        "  compliance: {profile: default, call_window: '09:00-20:00', "
        "max_calls_per_debtor: 1, count_calls: connected, min_call_seconds: 30}\n",
        1,
    )
    (tmp_path / "org.yaml").write_text(text, encoding="utf-8")
    res = run_cli("org", "apply", str(tmp_path / "org.yaml"))
    assert res.exit_code == 0 and "~ branch SH" in res.output, res.output
    assert run(ctx, "calls", calls("B", "2026-03-03")).ok
    new = findings(ctx) - {("too_many_calls", "C0001", "2026-03-02")}
    assert new == {
        ("outside_hours", "C0001", "2026-03-03"),
        ("too_many_calls", "C0001", "2026-03-03"),
    }
    notes = ctx.call(
        lambda s: [
            f.note
            for f in s.execute(select(QaFinding)).scalars()
            if f.finding_key.endswith("2026-03-03") and f.rule == "too_many_calls"
        ]
    )
    assert notes == [
        "2 connected calls of 30s or more to one debtor in one day (limit 1, profile default/SH)"
    ]
    # Three connected calls, only one of them 30 s or longer: within the limit, no finding.
    day = "2026-03-04"
    body = HEAD + "".join(
        f"C{i},K1,{day} {10 + i}:00,{d},rpc\n" for i, d in enumerate((45, 10, 29))
    )
    assert run(ctx, "calls", write(tmp_path / "c.csv", body)).ok
    assert not {f for f in findings(ctx) if f[2] == day}


async def test_the_running_scheduler_follows_a_changed_send_time(ctx, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Moved later by the org file just before 08:40: nothing at 08:40, the plan at 09:05."""
    from datetime import UTC, datetime, timedelta

    from bot.scheduler import Scheduler
    from tests.test_scheduler import _runs

    def org_file(plan: str) -> org.OrgFile:
        p = tmp_path / "org.yaml"
        p.write_text(f"branches:\n  - {{code: SH, name: 上海{plan}}}\nteams: []\n")
        return org.load(p)

    ctx.call(apply, org_file(""))
    sched = Scheduler(ctx)
    at_0840 = datetime(2026, 3, 2, 0, 40, tzinfo=UTC)  # Monday 08:40 in Shanghai
    clock.set(at_0840 - timedelta(minutes=1))
    await sched.tick()  # the 08:40 schedule is known
    ctx.call(apply, org_file(", plan: {send_at: '09:05'}"))
    clock.set(at_0840 + timedelta(seconds=1))
    await sched.tick()
    assert _runs(ctx, "morning_plan") == []
    clock.set(at_0840 + timedelta(minutes=25, seconds=1))
    await sched.tick()
    assert _runs(ctx, "morning_plan") == ["morning_plan:SH:2026-03-02"]


def test_a_hand_edited_bad_plan_row_falls_back_and_doctor_says_so(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.doctor import check_branches

    p = tmp_path / "org.yaml"
    p.write_text("branches:\n  - {code: SH, name: 上海, plan: {send_at: '07:15'}}\nteams: []\n")
    ctx.call(apply, org.load(p))

    def vandalise(s):  # type: ignore[no-untyped-def]
        b = s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        b.plan_config = {"send_at": "7 in the morning"}

    ctx.call(vandalise)
    [info] = ctx.call(all_branches)
    assert config_for(info).send_at == time(8, 40)  # config/plans.yaml's, not a crash
    [check] = check_branches(ctx, ctx.clock.now())
    assert check.status == "warn" and "stored plan settings unusable (send_at:" in check.detail
    assert "coachbot org apply" in (check.fix or "")
