"""Scorecards against hand-computed values (test config in tests/scoring_fixtures.py).

Profile A weights: recovery 40 / complaints 25 / compliance 35.
Recovery band 0 → 0.5; complaints (per connected call here) 100 at ≤ 1 %, 0 at ≥ 5 %;
10 points per minor finding.

C0001 (the standard example):
  assigned  = 10,000 (M1) + 10,000 (M6+)                          = 20,000 (never weighted)
  credited  =  3,000 × 1.0 + min(2,000 × 1.4, 10,000)            =  5,800
              (a 5,000 repayment at Feb 28 23:59 Shanghai is February's)
  recovery  = 5,800 / 20,000 = 0.29 → 100 × 0.29 / 0.5            = 58.0
              (unweighted it would be 5,000 / 20,000 = 0.25: M6+ work now lifts the rate)
  complaints= 1 / 50 connected = 0.02 → 100 × (0.05 − 0.02) / 0.04 = 75
  compliance= 100 − 2 × 10 (100 calls, so available)               = 80
  total     = (40 × 58 + 25 × 75 + 35 × 80) / 100 = 69.95         → 70.0 (half-up, once)
C0002: same + a major finding → vetoed, total 0.
C0003: recovery n/a (only a case closed in February); complaints 0/10 → 100; compliance 100;
       weights 25 + 35 redistributed → total 100 (effective weights 41.7 / 58.3).
C0004: hired 2026-03-16, own data: 10,000 / 20,000 = 0.5 → 100; 0/20 → 100; 100 → 100.
C0005: no data at all → total n/a, unranked.
C0006 (team SH-2): 6,000 / 10,000 = 0.6 → capped 100; 0/30 → 100; 100 → 100.
L0001: team lead with the collector role, no cases → never ranked.
Ranks (competition): team SH-1: C0003 = C0004 = 1 (tied), C0001 = 3, C0002 = 4;
                     branch: C0003 = C0004 = C0006 = 1, C0001 = 4, C0002 = 5.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coaching.calendar import all_branches
from coaching.scoring.config import ScoringConfigError, load_config, parse_config
from coaching.scoring.engine import Scorecard, competition_ranks, compute_branch
from tests import scoring_fixtures as sf

MARCH = date(2026, 3, 1)


def cards(ctx, tmp_path, code: str = "SH") -> dict[str, Scorecard]:  # type: ignore[no-untyped-def]
    cfg = sf.config(tmp_path)
    with ctx.db.session() as s:
        b = next(b for b in all_branches(s) if b.code == code)
        return {c.employee_no: c for c in compute_branch(s, cfg, b, MARCH)}


def test_profile_a_hand_computed(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    c = cards(ctx, tmp_path)["C0001"]
    rec, cmp_, comp = (c.components[n] for n in ("recovery", "complaints", "compliance"))
    assert rec.raw_exact == Decimal("0.29")
    assert rec.detail["assigned"] == 20_000 and rec.detail["credited"] == 5_800
    assert rec.detail["repaid"] == 5_000
    assert rec.score == 58.0
    assert cmp_.raw == pytest.approx(0.02) and cmp_.score == pytest.approx(75.0)
    assert comp.raw == 2 and comp.score == pytest.approx(80.0)
    assert c.total_exact == Decimal("69.95") and c.total == 70.0
    assert [x.effective_weight for x in c.components.values()] == [40.0, 25.0, 35.0]
    assert not c.vetoed and c.improve == "recovery"


def test_veto_zeroes_total_and_names_reason(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    c = cards(ctx, tmp_path)["C0002"]
    assert c.vetoed and c.total == 0.0
    assert c.veto_reason == "private_collection: 私下收款"
    # Components are still shown for the record.
    assert c.components["recovery"].score == 58.0
    assert c.improve == "veto"


def test_na_component_weight_redistributed(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    cs = cards(ctx, tmp_path)
    c3 = cs["C0003"]
    assert c3.components["recovery"].raw is None and c3.components["recovery"].score is None
    assert c3.components["complaints"].effective_weight == pytest.approx(41.7)
    assert c3.components["compliance"].effective_weight == pytest.approx(58.3)
    assert c3.total == 100.0
    c5 = cs["C0005"]
    assert c5.total is None and c5.rank_team is None and c5.rank_branch is None
    assert all(x.score is None for x in c5.components.values())


def test_employee_hired_mid_month_scored_on_own_data(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    cs = cards(ctx, tmp_path)
    c4 = cs["C0004"]
    assert c4.components["recovery"].raw == pytest.approx(0.5)
    assert c4.total == 100.0
    assert "C0009" not in cs  # hired in April: not scored for March


def test_ranks_ties_and_team_averages(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    cs = cards(ctx, tmp_path)
    team = {n: cs[n].rank_team for n in ("C0001", "C0002", "C0003", "C0004")}
    assert team == {"C0003": 1, "C0004": 1, "C0001": 3, "C0002": 4}
    branch = {n: cs[n].rank_branch for n in ("C0001", "C0002", "C0003", "C0004", "C0006")}
    assert branch == {"C0003": 1, "C0004": 1, "C0006": 1, "C0001": 4, "C0002": 5}
    assert cs["C0001"].team_size == 4 and cs["C0001"].branch_size == 5
    # Team SH-1 exact totals 69.95, 0, 100, 100 → 67.4875 → 67.5; recovery scores 58, 58, 100
    # → 72.0. Ties are marked as ties.
    assert cs["C0001"].team_average_total == 67.5
    assert cs["C0001"].components["recovery"].team_average == 72.0
    assert cs["C0003"].tied_team and cs["C0004"].tied_team and not cs["C0001"].tied_team
    assert cs["C0006"].tied_branch
    assert cs["C0006"].team_average_total == 100.0


def test_profile_b_hand_computed(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Profile B: compliance 30 / recovery 40 / satisfaction 20 / skills 10.

    J0001 has the standard activity plus assessments 80 and 90 (avg 85 → 85 points):
      satisfaction = 100 × (0.04 − 0.02) / 0.04 = 50
      total = (30 × 80 + 40 × 58 + 20 × 50 + 10 × 85) / 100 = 65.7
    J0002's only assessment is in February: skills n/a →
      total = (30 × 80 + 40 × 58 + 20 × 50) / 90 = 63.56 → 63.6
    """
    sf.seed_jkt(ctx)
    cs = cards(ctx, tmp_path, "JKT")
    j1, j2 = cs["J0001"], cs["J0002"]
    assert j1.profile == "B" and list(j1.components) == [
        "compliance",
        "recovery",
        "satisfaction",
        "skills",
    ]
    assert j1.components["satisfaction"].score == pytest.approx(50.0)
    assert j1.components["skills"].raw == pytest.approx(85.0)
    assert j1.total == 65.7
    assert j2.components["skills"].score is None
    assert j2.total == 63.6 and j2.components["skills"].na_reason == "no_assessment"
    assert j2.components["recovery"].effective_weight == pytest.approx(44.4)
    # Jakarta's month boundary is UTC+7: the Feb 28 23:59 repayment is still excluded.
    assert j1.components["recovery"].detail["credited"] == 5_800


def test_competition_ranking_helper() -> None:
    def card(i: int, total: float | None) -> Scorecard:
        return Scorecard(i, f"E{i}", "", 1, "B", 1, "T", "T", "A", MARCH, {}, total)

    ranks = competition_ranks([card(1, 90), card(2, 95), card(3, 90), card(4, None), card(5, 80)])
    assert ranks == {2: 1, 1: 2, 3: 2, 5: 4}


def test_shipped_config_loads_both_profiles() -> None:
    cfg = load_config()
    assert cfg.profiles["A"].weights == {"recovery": 40, "complaints": 25, "compliance": 35}
    assert cfg.profiles["B"].weights == {
        "compliance": 30,
        "recovery": 40,
        "satisfaction": 20,
        "skill_growth": 10,
    }
    assert cfg.bucket_weights["M6+"] == Decimal("1.4") and cfg.version


def test_bad_config_names_the_key_and_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = sf.TEST_CONFIG.replace("recovery: 40, complaints", "recovery: -5, complaints")
    with pytest.raises(ScoringConfigError) as e:
        parse_config(bad, "scoring.yaml")
    msg = str(e.value)
    assert "scoring.yaml" in msg and "profiles.A.weights.recovery" in msg and "line 15" in msg
    assert "greater than 0" in msg
    with pytest.raises(ScoringConfigError, match=r"components\.complaints\.zero_at"):
        parse_config(sf.TEST_CONFIG.replace("zero_at: 0.05", "zero_at: 0.005"), "x.yaml")
    with pytest.raises(ScoringConfigError, match=r"x\.yaml, line \d+, column \d+: not valid YAML"):
        parse_config("version: [1\n", "x.yaml")
    p = tmp_path / "c.yaml"
    p.write_text(sf.TEST_CONFIG.replace("skills: {target: 100,", "skils: {target: 100,"))
    with pytest.raises(ScoringConfigError, match="unknown component 'skils'"):
        load_config(p)
