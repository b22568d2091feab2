"""Automatic compliance findings from imported calls: branch-local days and hours."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from bot.context import AppContext
from bot.settings import load_settings
from coaching.compliance_auto import rules_from_settings
from db.models import Branch, QaFinding
from tests.ingest_helpers import count, run, seed_cases, world, write

HEAD = "call_ref,case_ref,started_at,duration_s,outcome\n"


def calls_csv(tmp: Path, name: str, rows: list[tuple[str, str, str, str]]) -> Path:
    body = HEAD + "".join(f"{ref},{case},{at},30,{outcome}\n" for ref, case, at, outcome in rows)
    return write(tmp / name, body)


def findings(ctx: AppContext) -> set[tuple[str, str, str]]:
    """(rule, collector no, local date) of every automatic finding."""

    def q(s):
        out = set()
        for f in s.execute(select(QaFinding).where(QaFinding.source == "auto")).scalars():
            _, rule, no, _debtor, day = f.finding_key.split(":")
            out.add((rule, no, day))
            assert f.rule == rule and f.severity == "minor"
        return out

    return ctx.call(q)


def test_local_days_and_hours_in_two_time_zones(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)  # K1 → C0001 in Shanghai (+8), K2 → C0002 in Jakarta (+7)
    rows = [
        # Shanghai, local 2026-03-02: 6 calls to one debtor, two outside 08:00–21:00.
        ("S1", "K1", "2026-03-02 07:59", "no_answer"),
        ("S2", "K1", "2026-03-02 08:00", "no_answer"),
        ("S3", "K1", "2026-03-02 12:00", "rpc"),
        ("S4", "K1", "2026-03-02 20:59:59", "no_answer"),
        ("S5", "K1", "2026-03-02 21:00", "no_answer"),
        ("S6", "K1", "2026-03-02 23:59:59", "no_answer"),
        # 30 s after local midnight: a new local day with one (late) call.
        ("S7", "K1", "2026-03-03 00:00:30", "no_answer"),
        # Jakarta: 2 calls in the evening of 03-02 (+ X2 below), 06:30 and 09:00 on 03-03.
        # In UTC four of them fall on 03-02 and in Shanghai time 20:10 is after 21:00: only
        # Jakarta's own day and hours count.
        ("J1", "K2", "2026-03-02 20:00", "no_answer"),
        ("J2", "K2", "2026-03-02 20:10", "no_answer"),
        ("J3", "K2", "2026-03-03 09:00", "rpc"),
        ("J4", "K2", "2026-03-03 06:30", "no_answer"),
        # An explicit UTC time: 16:30Z is 00:30 on 03-03 in Shanghai, 23:30 on 03-02 in
        # Jakarta — each is outside hours on its own local date.
        ("X1", "K1", "2026-03-02T16:30:00Z", "no_answer"),
        ("X2", "K2", "2026-03-02T16:30:00Z", "no_answer"),
    ]
    rep = run(ctx, "calls", calls_csv(tmp_path, "calls.csv", rows))
    assert rep.ok, rep.errors
    expected = {
        ("too_many_calls", "C0001", "2026-03-02"),
        ("outside_hours", "C0001", "2026-03-02"),
        ("outside_hours", "C0001", "2026-03-03"),
        ("outside_hours", "C0002", "2026-03-03"),
        ("outside_hours", "C0002", "2026-03-02"),
    }
    assert findings(ctx) == expected
    assert rep.auto_findings == len(expected)

    notes = ctx.call(
        lambda s: {
            f.finding_key.split(":")[1] + f.finding_key[-10:] + f.finding_key.split(":")[2]: f.note
            for f in s.execute(select(QaFinding)).scalars()
        }
    )
    assert notes["too_many_calls2026-03-02C0001"].startswith("6 calls to one debtor")
    assert notes["outside_hours2026-03-02C0001"].startswith("3 call(s) outside 08:00–21:00")

    # Importing again, or an overlapping file, never creates them twice.
    again = run(ctx, "calls", tmp_path / "calls.csv")
    assert again.auto_findings == 0 and findings(ctx) == expected
    more = [("J5", "K2", "2026-03-02 21:15", "no_answer")]  # a 4th call on Jakarta's 03-02
    rep = run(ctx, "calls", calls_csv(tmp_path, "more.csv", more))
    assert rep.auto_findings == 1
    assert findings(ctx) == expected | {("too_many_calls", "C0002", "2026-03-02")}


def test_too_many_calls_adds_up_collectors_and_flags_who_went_over(
    ctx: AppContext, tmp_path: Path
) -> None:
    """The limit is per debtor (NIFA: "lender and agencies together"), not per collector."""
    from tests import factories

    world(ctx)
    seed_cases(ctx, tmp_path)
    ctx.call(
        lambda s: factories.employee(
            s, "C0003", s.execute(select(Branch).where(Branch.code == "SH")).scalar_one()
        )
    )

    def calls(name: str, rows: list[tuple[str, str, str]]) -> Path:
        head = "call_ref,case_ref,collector,started_at,duration_s,outcome\n"
        body = "".join(f"{ref},K1,{who},2026-03-02 {at},30,no_answer\n" for ref, who, at in rows)
        return write(tmp_path / name, head + body)

    # Two calls each by C0001 and C0003 to K1's debtor: four in the day, the 4th by C0003.
    rep = run(
        ctx,
        "calls",
        calls(
            "a.csv",
            [
                ("A1", "C0001", "09:00"),
                ("A2", "C0001", "10:00"),
                ("B1", "C0003", "11:00"),
                ("B2", "C0003", "12:00"),
            ],
        ),
    )
    assert rep.ok and rep.auto_findings == 1
    assert findings(ctx) == {("too_many_calls", "C0003", "2026-03-02")}
    note = ctx.call(lambda s: s.execute(select(QaFinding.note)).scalar_one())
    assert note.startswith("4 calls to one debtor")
    # A late file with an earlier call by C0001: C0003's calls are still the 4th and 5th.
    rep = run(ctx, "calls", calls("b.csv", [("A0", "C0001", "08:30")]))
    assert rep.auto_findings == 0
    assert findings(ctx) == {("too_many_calls", "C0003", "2026-03-02")}
    # C0001 calls again in the afternoon: the 6th call, their own finding; nothing twice.
    rep = run(ctx, "calls", calls("c.csv", [("A3", "C0001", "15:00")]))
    assert rep.auto_findings == 1
    assert findings(ctx) == {
        ("too_many_calls", "C0003", "2026-03-02"),
        ("too_many_calls", "C0001", "2026-03-02"),
    }
    assert run(ctx, "calls", tmp_path / "a.csv").auto_findings == 0


def test_branch_rule_profile_and_settings(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    ctx.call(
        lambda s: s.execute(update(Branch).where(Branch.code == "SH").values(rule_profile="cn_cba"))
    )
    ctx.call(
        lambda s: s.execute(
            update(Branch).where(Branch.code == "JKT").values(rule_profile="cn_nifa")
        )
    )
    rows = [(f"S{i}", "K1", f"2026-03-02 {9 + 2 * i}:30", "no_answer") for i in range(6)]
    # cn_cba: ≤ 6 attempts and calls until 22:00 — 6 calls ending 19:30, then 21:30, is 7.
    rows.append(("S9", "K1", "2026-03-02 21:30", "no_answer"))
    # cn_nifa: ≤ 3 *connected* calls — 5 unanswered and 3 connected is fine, a 4th is not.
    rows += [(f"J{i}", "K2", f"2026-03-02 09:{10 + i}", "no_answer") for i in range(5)]
    rows += [(f"K{i}", "K2", f"2026-03-03 10:{10 + i}", "contacted") for i in range(4)]
    rep = run(ctx, "calls", calls_csv(tmp_path, "p.csv", rows))
    assert rep.ok
    assert findings(ctx) == {
        ("too_many_calls", "C0001", "2026-03-02"),
        ("too_many_calls", "C0002", "2026-03-03"),
    }
    assert count(ctx, QaFinding) == 2


def test_default_profile_is_configurable(ctx: AppContext, tmp_path: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp_path)
    settings = load_settings(
        _env_file=None,
        DATABASE_URL=ctx.db.url,
        COACHBOT_AUTO_MAX_CALLS="1",
        COACHBOT_AUTO_CALL_HOURS="09:00-18:00",
    )
    rules = rules_from_settings(settings)
    assert rules["default"].max_calls == 1 and rules["cn_cba"].max_calls == 6
    ctx.settings = settings
    rows = [("A", "K1", "2026-03-02 08:30", "rpc"), ("B", "K1", "2026-03-02 10:00", "rpc")]
    run(ctx, "calls", calls_csv(tmp_path, "c.csv", rows))
    assert findings(ctx) == {
        ("too_many_calls", "C0001", "2026-03-02"),
        ("outside_hours", "C0001", "2026-03-02"),
    }


def test_daylight_saving_zone(ctx: AppContext, tmp_path: Path) -> None:
    """A branch whose offset changes inside the imported range (New York, 2026-03-08)."""
    from tests import factories

    def build(s):
        ny = factories.branch(s, "NY", tz="America/New_York", locale="en")
        factories.employee(s, "N0001", ny)

    ctx.call(build)
    cases = "case_ref,collector,debtor_id,amount_owed,days_overdue,assigned_on\n"
    cases += "N1,N0001,D-1,10,3,2026-03-01\n"
    assert run(ctx, "cases", write(tmp_path / "n.csv", cases)).ok
    rows = [
        ("D1", "N1", "2026-03-07 07:30", "no_answer"),  # EST: 12:30Z, outside hours
        ("D2", "N1", "2026-03-08 07:30", "no_answer"),  # EDT: 11:30Z, outside hours
        ("D3", "N1", "2026-03-08T12:30:00Z", "no_answer"),  # 08:30 EDT: allowed
        ("D4", "N1", "2026-03-09T00:30:00Z", "no_answer"),  # 20:30 EDT on 03-08: allowed
        ("D5", "N1", "2026-03-09T01:30:00Z", "no_answer"),  # 21:30 EDT on 03-08: outside
    ]
    rep = run(ctx, "calls", calls_csv(tmp_path, "ny.csv", rows))
    assert rep.ok
    notes = ctx.call(
        lambda s: {f.finding_key[-10:]: f.note for f in s.execute(select(QaFinding)).scalars()}
    )
    assert findings(ctx) == {
        ("outside_hours", "N0001", "2026-03-07"),
        ("outside_hours", "N0001", "2026-03-08"),
        ("too_many_calls", "N0001", "2026-03-08"),
    }
    assert notes["2026-03-07"].startswith("1 call(s)")
