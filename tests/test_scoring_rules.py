"""One test per scoring rule of docs/scoring.md, each against a hand-computed example.

Unit tests call the rule functions on a row like the SQL returns (cent sums per bucket
a0…a5 / r0…r5, handled cases h0…h5); the rest run the real engine on a small world.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from coaching.calendar import all_branches
from coaching.scoring.config import load_config, parse_config
from coaching.scoring.engine import Scorecard, compute_branch
from coaching.scoring.money import format_amount, format_pct, format_score, plain_amount, r1
from coaching.scoring.rules import raw_values, recovery
from db.models import CollectorCost, PromiseToPay, ScoreSnapshot
from tests import factories as f
from tests import scoring_fixtures as sf

MARCH = date(2026, 3, 1)

# A config whose profiles isolate one rule each.
RULES_CONFIG = """
version: rules-1
bucket_weights: {M1: 1.0, M2: 1.0, M3: 1.0, M4: 1.0, M5: 1.0, M6+: 1.4}
compliance: {minor_deduction: 10, major_veto: true}
components:
  recovery: {target: 1.0, zero_at: 0}
  complaints: {target: 0.01, zero_at: 0.05}
  compliance: {}
  skill_growth: {target: 10, zero_at: -10, baseline_months: 3}
  ptp_kept: {target: 0.8, zero_at: 0.4}
  cost_per_case: {target: 50, zero_at: 250}
profiles:
  R: {weights: {recovery: 1}}
  A: {weights: {recovery: 40, complaints: 25, compliance: 35}}
  X: {weights: {ptp_kept: 1, cost_per_case: 1, skill_growth: 1}}
branches:
  OV:
    components:
      recovery: {target: 0.5, zero_at: 0}
"""


def _row(**kw: int) -> dict[str, object]:
    row: dict[str, object] = {f"{p}{i}": 0 for p in "arh" for i in range(6)}
    row.update(calls=0, connected=0, complaints=0, minors=0, majors=0, skills_n=0)
    row.update(skills_prev_n=0, ptp_kept=0, ptp_broken=0, cost_n=0, cases=1)
    row.update(kw)
    return row


def _cards(ctx, cfg, code: str, as_of: date | None = None) -> dict[str, Scorecard]:  # type: ignore[no-untyped-def]
    with ctx.db.session() as s:
        b = next(b for b in all_branches(s) if b.code == code)
        return {c.employee_no: c for c in compute_branch(s, cfg, b, MARCH, as_of)}


# --- 1. exact arithmetic -------------------------------------------------------------------


def test_display_rounds_half_up_once() -> None:
    # Binary floats and Python's round() give 84.2 / 72.2 here; the firm means 84.3 / 72.3.
    assert f"{84.25:.1f}" == "84.2" and round(72.25, 1) == 72.2
    assert format_score(Decimal("84.25")) == "84.3" and format_score(72.25) == "72.3"
    assert r1(Decimal("69.95")) == 70.0 and r1(None) is None
    assert format_pct(Decimal("0.8525")) == "85.3%"


def test_team_average_is_taken_from_unrounded_totals(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Recovery-only profile, band 0 → 100 %: scores are the rates × 100.
    84.04 + 84.04 + 84.67 = 252.75 → 84.25 → 84.3. Rounding each first would give
    84.0 + 84.0 + 84.7 = 252.7 → 84.23 → 84.2."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "RB", score_profile="R")
        t = f.team(s, b, "RB-1")
        for no, paid in (("E1", 8_404), ("E2", 8_404), ("E3", 8_467)):
            e = f.employee(s, no, b, team=t)
            k = sf.case(s, e, 10_000, 10, date(2026, 3, 1))
            sf.pay(s, k, paid, sf.sh(5))
    cs = _cards(ctx, cfg, "RB")
    assert cs["E1"].total_exact == Decimal("84.04") and cs["E1"].total == 84.0
    assert cs["E3"].total == 84.7
    assert cs["E1"].team_average_total == 84.3
    assert cs["E1"].tied_team and cs["E2"].tied_team and cs["E1"].rank_team == 2


def test_money_per_currency_never_rounds_up() -> None:
    assert format_amount(Decimal("9999.99"), "CNY") == "¥9,999.99"
    assert format_amount(Decimal("1234567.899"), "CNY") == "¥1,234,567.89"
    assert format_amount(10_000, "CNY") == "¥10,000"
    assert format_amount(Decimal("12345678.90"), "IDR") == "Rp 12.345.678"
    assert format_amount(Decimal("999.99"), "IDR") == "Rp 999"
    assert format_amount(Decimal("-1500.5"), "CNY") == "-¥1,500.50"
    assert format_amount(5, "CNY", cents=True) == "¥5.00"
    assert plain_amount(9999.99) == "9,999.99"  # the templates' `money` filter


# --- 2. availability ------------------------------------------------------------------------


def test_compliance_is_na_without_calls(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Profile A. N1: a case and a repayment but no call → complaints and compliance n/a,
    recovery 4,000 / 10,000 = 0.4 → 40.0 carries 100 % of the weight → total 40.0 (it was
    (40 × 40 + 35 × 100) / 75 = 68.0 when no calls earned full compliance marks).
    N2: no call but a minor finding → compliance 90 is something to score:
    (40 × 40 + 35 × 90) / 75 = 63.3."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "NA", score_profile="A")
        for no in ("N1", "N2"):
            e = f.employee(s, no, b)
            k = sf.case(s, e, 10_000, 10, date(2026, 3, 1))
            sf.pay(s, k, 4_000, sf.sh(5))
            if no == "N2":
                sf.finding(s, e, "minor", sf.sh(6))
    cs = _cards(ctx, cfg, "NA")
    n1 = cs["N1"].components
    assert n1["compliance"].score is None and n1["compliance"].na_reason == "no_calls"
    assert n1["complaints"].na_reason == "no_handled"
    assert n1["recovery"].effective_weight == 100.0 and cs["N1"].total == 40.0
    assert cs["N2"].components["compliance"].score == 90.0 and cs["N2"].total == 63.3


def test_recovery_is_na_before_any_activity(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Open cases but nothing done yet this month (the 1st): no 0 % verdict, no rank."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "D1", score_profile="A")
        e = f.employee(s, "Z1", b)
        sf.case(s, e, 10_000, 10, date(2026, 2, 1))
    c = _cards(ctx, cfg, "D1", as_of=date(2026, 3, 1))["Z1"]
    assert c.components["recovery"].na_reason == "no_activity"
    assert c.total is None and c.rank_branch is None


# --- 3. calibration from the domain (the shipped config) ------------------------------------


def test_seed_examples_read_right_with_shipped_defaults(ctx) -> None:  # type: ignore[no-untyped-def]
    """100 M1 cases of 2,000 each (assigned 200,000), each called once; profile A.
    strong  85 % recovered, 2 complaints (2 % per case)   → 100, 100, 100      → 100.0
    weak    72 % recovered, 12 complaints (12 %)          → 76.36, 0, 100      → 65.5
              (40 × (0.72 − 0.30) / 0.55 × 100 + 25 × 0 + 35 × 100) / 100 = 65.545
    better  85 % recovered, 5 complaints (5 %)            → 100, 70, 100      → 92.5"""
    cfg = load_config()
    with ctx.db.session() as s:
        b = f.branch(s, "CAL", score_profile="A")
        for no, paid, complaints in (("S", 170_000, 2), ("W", 144_000, 12), ("I", 170_000, 5)):
            e = f.employee(s, no, b)
            ks = [sf.case(s, e, 2_000, 10, date(2026, 3, 1)) for _ in range(100)]
            for k in ks:
                sf.calls(s, k, 1, 1, sf.sh(3))
            sf.pay(s, ks[0], paid, sf.sh(20))
            for _ in range(complaints):
                sf.complaint(s, e, sf.sh(10))
    cs = _cards(ctx, cfg, "CAL")
    assert cs["S"].total == 100.0
    w = cs["W"]
    assert w.components["recovery"].score == 76.4 and w.components["complaints"].score == 0.0
    assert w.total == 65.5
    assert cs["I"].components["complaints"].score == 70.0 and cs["I"].total == 92.5
    assert cs["S"].rank_branch == 1 and cs["W"].rank_branch == 3


def test_mixed_book_is_held_to_the_blend_of_bucket_bands() -> None:
    """10,000 M1 + 10,000 M6+: band target (0.85 + 0.15) / 2 = 0.50, zero (0.30 + 0) / 2 =
    0.15; credited 5,800 → 0.29 → 100 × (0.29 − 0.15) / 0.35 = 40.0."""
    cfg = load_config()
    vals = raw_values(cfg, "SH", _row(a0=1_000_000, a5=1_000_000, r0=300_000, r5=200_000))
    raw, _, band = vals["recovery"]
    assert raw == Decimal("0.29") and band is not None
    assert band.target == Decimal("0.50") and band.zero_at == Decimal("0.15")
    from coaching.scoring.rules import normalise

    assert normalise(cfg, "recovery", raw, band) == Decimal(40)


def test_targets_per_branch_override(ctx) -> None:  # type: ignore[no-untyped-def]
    """Branch OV's recovery band is 0 → 50 %: 4,000 / 10,000 = 0.4 → 80 (default band: 40)."""
    cfg = parse_config(RULES_CONFIG)
    assert cfg.component("recovery", "OV").target == Decimal("0.5")
    assert cfg.component("recovery", "SH").target == Decimal("1.0")
    row = _row(a0=1_000_000, r0=400_000, calls=1)
    from coaching.scoring.rules import normalise

    for code, want in (("OV", 80), ("SH", 40)):
        raw, _, band = raw_values(cfg, code, row)["recovery"]
        assert normalise(cfg, "recovery", raw, band) == Decimal(want)


def test_complaints_per_case_handled_with_m6_weight() -> None:
    """Shipped default `per: case`: 8 M1 + 2 M6+ cases handled → 8 + 2 × 1.4 = 10.8;
    1 complaint → 0.0926 → 100 × (0.12 − 0.0926) / 0.10 = 27.4. Per connected call (the
    option) it would be 1 / 40 = 2.5 %."""
    cfg = load_config()
    vals = raw_values(cfg, "SH", _row(h0=8, h5=2, complaints=1, calls=40, connected=40))
    raw, detail, band = vals["complaints"]
    assert detail["handled_weighted"] == Decimal("10.8") and detail["per"] == "case"
    from coaching.scoring.rules import normalise

    assert r1(normalise(cfg, "complaints", raw, band)) == 27.4
    other = parse_config(
        RULES_CONFIG.replace("zero_at: 0.05}", "zero_at: 0.05, per: connected_call}")
    )
    assert raw_values(other, "SH", _row(h0=8, complaints=1, connected=40))["complaints"][0] == (
        Decimal("0.025")
    )


# --- 4. M6+ weighting ---------------------------------------------------------------------


def test_m6_recovery_counts_more_without_inflating_the_denominator() -> None:
    """The docs' example: 10,000 M1 + 10,000 M6+ assigned, 3,000 + 2,000 repaid →
    (3,000 + 2,000 × 1.4) / 20,000 = 29.0 % (unweighted 25 %; the old rule gave 24.2 %)."""
    cfg = load_config()
    rec = recovery(cfg, "SH", _row(a0=1_000_000, a5=1_000_000, r0=300_000, r5=200_000))
    assert rec["raw"] == Decimal("0.29") and rec["assigned"] == 20_000
    assert rec["credited"] == 5_800 and rec["repaid"] == 5_000


def test_m6_credit_is_capped_at_the_bucket_amount() -> None:
    """8,000 of a 10,000 M6+ book: 8,000 × 1.4 = 11,200 is capped at 10,000 → with 3,000 of
    10,000 M1: 13,000 / 20,000 = 65 % (not 71 %). Money beyond the assigned amount (an M1
    overpayment) is credited as it came in, with no weight."""
    cfg = load_config()
    rec = recovery(cfg, "SH", _row(a0=1_000_000, a5=1_000_000, r0=300_000, r5=800_000))
    assert rec["credited"] == 13_000 and rec["raw"] == Decimal("0.65")
    over = recovery(cfg, "SH", _row(a0=1_000_000, r0=1_200_000))
    assert over["credited"] == 12_000


# --- 5. new components -----------------------------------------------------------------------


def test_ptp_kept_cost_per_case_and_skill_growth(ctx) -> None:  # type: ignore[no-untyped-def]
    """Profile X (ptp_kept, cost_per_case, skill_growth, equal weights).
    P1: promises due in March: 3 kept, 1 broken, 2 still open (not counted), 1 kept due in
        April (not counted) → 3 / 4 = 0.75 → 100 × (0.75 − 0.4) / 0.4 = 87.5;
        cost 1,000 for 10 cases handled → 100 per case → 100 × (250 − 100) / 200 = 75;
        assessments Jan 70, Feb 90 (baseline 80), Mar 85 → +5 → 100 × (5 + 10) / 20 = 75;
        total (87.5 + 75 + 75) / 3 = 79.17 → 79.2.
    P2: nothing of that → all three n/a with their reasons, total n/a."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "PX", score_profile="X")
        p1 = f.employee(s, "P1", b)
        f.employee(s, "P2", b)
        ks = [sf.case(s, p1, 1_000, 10, date(2026, 2, 1)) for _ in range(10)]
        for k in ks:
            sf.calls(s, k, 1, 1, sf.sh(2))
        for i, (due, status) in enumerate(
            [(3, "kept"), (9, "kept"), (15, "kept"), (20, "broken"), (25, "open"), (30, "open")]
        ):
            s.add(
                PromiseToPay(
                    case_id=ks[i].id,
                    collector_id=p1.id,
                    amount=Decimal(100),
                    promised_on=date(2026, 2, 28),
                    due_date=date(2026, 3, due),
                    status=status,
                )
            )
        s.add(
            PromiseToPay(
                case_id=ks[9].id,
                collector_id=p1.id,
                amount=Decimal(100),
                promised_on=date(2026, 3, 1),
                due_date=date(2026, 4, 2),
                status="kept",
            )
        )
        s.add(CollectorCost(employee_id=p1.id, month=MARCH, amount=Decimal(1_000)))
        sf.assessment(s, p1, 70, sf.sh(10, month=1))
        sf.assessment(s, p1, 90, sf.sh(10, month=2))
        sf.assessment(s, p1, 85, sf.sh(10))
        sf.assessment(s, p1, 50, sf.sh(10, month=11).replace(year=2025))  # outside baseline
    cs = _cards(ctx, cfg, "PX")
    c = cs["P1"].components
    assert c["ptp_kept"].raw_exact == Decimal("0.75") and c["ptp_kept"].score == 87.5
    assert c["ptp_kept"].detail["due"] == 4
    assert c["cost_per_case"].raw_exact == Decimal(100) and c["cost_per_case"].score == 75.0
    assert c["skill_growth"].raw_exact == Decimal(5) and c["skill_growth"].score == 75.0
    assert c["skill_growth"].detail["before"] == Decimal(80)
    assert cs["P1"].total == 79.2
    reasons = {n: x.na_reason for n, x in cs["P2"].components.items()}
    assert reasons == {
        "ptp_kept": "no_ptp_due",
        "cost_per_case": "no_cost_data",
        "skill_growth": "no_baseline",
    }
    assert cs["P2"].total is None


# --- 7. honest ranks -------------------------------------------------------------------------


def test_team_lead_ranked_only_when_carrying_cases(ctx) -> None:  # type: ignore[no-untyped-def]
    """L1 leads and collects (10 calls on a member's case, none of its own): scored (complaints
    and compliance 100) but neither ranked nor in the team average. L2 carries a case: ranked
    and marked as a lead."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "LD", score_profile="A")
        t = f.team(s, b, "LD-1")
        l1 = f.employee(s, "L1", b, "team_lead", "collector", team=t)
        l2 = f.employee(s, "L2", b, "team_lead", "collector", team=t)
        c1 = f.employee(s, "C1", b, team=t)
        k = sf.case(s, c1, 10_000, 10, date(2026, 3, 1))
        sf.pay(s, k, 5_000, sf.sh(4))
        sf.calls(s, k, 10, 0, sf.sh(3))
        sf.calls(s, sf.case(s, l2, 10_000, 10, date(2026, 3, 1)), 10, 0, sf.sh(3))
        other = sf.case(s, c1, 1_000, 10, date(2026, 3, 1))
        # L1's calls are on a team member's case (coaching a call), none of its own.
        from sqlalchemy import insert

        from db.models import Call

        s.execute(
            insert(Call),
            [
                dict(
                    call_ref=f"LC{i}",
                    case_id=other.id,
                    collector_id=l1.id,
                    debtor_key="dk",
                    started_at=sf.sh(3),
                    duration_s=60,
                    outcome="no_answer",
                )
                for i in range(10)
            ],
        )
    cs = _cards(ctx, cfg, "LD")
    assert cs["L1"].total is not None and cs["L1"].rank_team is None
    assert cs["L1"].is_lead and not cs["L1"].carries_cases
    assert cs["L2"].is_lead and cs["L2"].rank_team is not None
    # C1: 5,000 / 11,000 → 45.45; 0 complaints / 1 case handled → 100; compliance 100
    #     → (40 × 45.45 + 25 × 100 + 35 × 100) / 100 = 78.18 → 78.2.
    # L2: 0 / 10,000 → 0; 100; 100 → 60.0. Average over C1 and L2 only: 69.09 → 69.1.
    assert cs["C1"].total == 78.2 and cs["L2"].total == 60.0 and cs["L1"].total == 100.0
    assert cs["C1"].team_average_total == 69.1 and cs["C1"].team_size == 2


def test_live_month_paces_the_recovery_target(ctx) -> None:  # type: ignore[no-untyped-def]
    """On March 10 (10 of 31 days) the 0 → 100 % band becomes 0 → 32.26 %: a 20 %
    month-to-date rate scores 62.0; the full month (as_of None) scores it 20.0."""
    cfg = parse_config(RULES_CONFIG)
    with ctx.db.session() as s:
        b = f.branch(s, "PC", score_profile="R")
        e = f.employee(s, "Q1", b)
        sf.pay(s, sf.case(s, e, 10_000, 10, date(2026, 3, 1)), 2_000, sf.sh(5))
    live = _cards(ctx, cfg, "PC", as_of=date(2026, 3, 10))["Q1"].components["recovery"]
    assert live.detail["pace"] == (10, 31) and live.score == 62.0
    assert _cards(ctx, cfg, "PC")["Q1"].components["recovery"].score == 20.0


# --- 6. the promotion ladder -----------------------------------------------------------------


def _snaps(s, emp, months: list[tuple[date, float, bool]]) -> None:  # type: ignore[no-untyped-def]
    for m, total, vetoed in months:
        s.add(
            ScoreSnapshot(
                employee_id=emp.id,
                month=m,
                profile="A",
                total=total,
                vetoed=vetoed,
                components={},
                computed_at=datetime(2026, 1, 1, tzinfo=UTC),
            )
        )


def test_promotion_ladder_both_steps_with_evidence(ctx) -> None:  # type: ignore[no-untyped-def]
    """Months 2025-04 … 2026-03 (12). Senior: ≥ 75 in all 12 and a passed instalment_m6
    drill. S1 qualifies (and, with ≥ 90 in the last 3, is also an account-manager
    candidate); S2 has no drill; S3 was vetoed once; S4 has 11 months."""
    from coaching.scoring.engine import add_months
    from coaching.scoring.promotion import ladder
    from db.models import Drill

    cfg = parse_config(sf.TEST_CONFIG)
    months = [add_months(date(2025, 4, 1), i) for i in range(12)]
    with ctx.db.session() as s:
        b = f.branch(s, "PR")
        people = {no: f.employee(s, no, b) for no in ("S1", "S2", "S3", "S4")}
        _snaps(s, people["S1"], [(m, 80 if i < 9 else 95, False) for i, m in enumerate(months)])
        _snaps(s, people["S2"], [(m, 80, False) for m in months])
        _snaps(s, people["S3"], [(m, 80, i == 5) for i, m in enumerate(months)])
        _snaps(s, people["S4"], [(m, 80, False) for m in months[1:]])
        for no in ("S1", "S3", "S4"):
            s.add(
                Drill(
                    employee_id=people[no].id,
                    scenario_id="instalment_m6",
                    status="done",
                    passed=True,
                    started_at=datetime(2026, 2, 10, tzinfo=UTC),
                    ended_at=datetime(2026, 2, 10, 1, tzinfo=UTC),
                )
            )
    with ctx.db.session() as s:
        cands = ladder(s, cfg, date(2026, 3, 1))
    got = {(c.employee_no, c.step) for c in cands}
    assert got == {("S1", "account_manager"), ("S1", "senior")}
    senior = next(c for c in cands if c.step == "senior")
    assert senior.skill_proof == ("drill instalment_m6 2026-02-10",)
    assert len(senior.totals) == 12 and min(senior.totals) == 80
    # Per branch: PR needs only 11 months for senior → S4 joins.
    per_branch = parse_config(
        sf.TEST_CONFIG
        + "branches:\n  PR:\n    promotion:\n      senior: {months: 11, threshold: 75}\n"
    )
    with ctx.db.session() as s:
        got = {(c.employee_no, c.step) for c in ladder(s, per_branch, date(2026, 3, 1))}
    assert ("S4", "senior") in got and ("S2", "senior") not in got
