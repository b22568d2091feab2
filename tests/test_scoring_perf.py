"""The fast scorecard path (issue #22) gives exactly the numbers of the formulas in
docs/scoring.md, and its PostgreSQL tuning stays inside the statement.

The engine resolves the config once per branch (`rules.Plan`) and SQL hands integer sums
over; these tests compare that path with the docs' formulas written out naively (config
looked up per bucket, amounts from cents one by one), on random books.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from coaching.calendar import all_branches
from coaching.scoring.config import load_config
from coaching.scoring.engine import compute_branch
from coaching.scoring.money import format_amount, format_pct, r4
from coaching.scoring.queries import raw_rows
from coaching.scoring.rules import (
    Bounds,
    Plan,
    band_score,
    handled_weighted,
    raw_values,
    recovery,
)
from db.models.work import BUCKETS
from tests import scoring_fixtures as sf

CFG = load_config()
MARCH = date(2026, 3, 1)


def _amount(cents: object) -> Decimal:
    return Decimal(int(cents)).scaleb(-2) if cents else Decimal(0)  # type: ignore[call-overload]


def _reference_recovery(row: dict[str, object], pace: tuple[int, int] | None):  # type: ignore[no-untyped-def]
    """docs/scoring.md, *Recovery*: credited_b = min(R_b × w_b, max(A_b, R_b)); the band is
    the amount-weighted blend of the bucket bands, scaled by the month's pace."""
    spec = CFG.component("recovery", "SH")
    assigned = credited = t_acc = z_acc = Decimal(0)
    for i, b in enumerate(BUCKETS):
        a, r = _amount(row[f"a{i}"]), _amount(row[f"r{i}"])
        if not a and not r:
            continue
        assigned += a
        credited += min(r * CFG.bucket_weights.get(b, Decimal(1)), max(a, r))
        band = spec.buckets.get(b, spec)
        t_acc += a * (band.target or 0)
        z_acc += a * (band.zero_at or 0)
    if not assigned:
        return None
    share = Decimal(pace[0]) / Decimal(pace[1]) if pace else Decimal(1)
    return credited / assigned, t_acc / assigned * share, z_acc / assigned * share, credited


cents = st.integers(min_value=0, max_value=10**11)  # up to 1,000,000,000.00
counts = st.integers(min_value=0, max_value=500)


@settings(max_examples=300, deadline=None)
@given(
    a=st.lists(cents, min_size=6, max_size=6),
    r=st.lists(cents, min_size=6, max_size=6),
    h=st.lists(counts, min_size=6, max_size=6),
    pace=st.one_of(st.none(), st.tuples(st.integers(1, 28), st.just(31))),
)
def test_planned_path_matches_the_formulas_exactly(a, r, h, pace) -> None:  # type: ignore[no-untyped-def]
    row: dict[str, object] = {f"a{i}": v for i, v in enumerate(a)}
    row |= {f"r{i}": v for i, v in enumerate(r)} | {f"h{i}": v for i, v in enumerate(h)}
    row |= {"calls": 1, "connected": 1, "complaints": 1, "cases": 1}
    plan = Plan(CFG, "SH")
    fast = recovery(CFG, "SH", row, pace, plan)
    ref = _reference_recovery(row, pace)
    # Same values (the fast path sums integers and may write a Decimal with other trailing
    # zeros: 0.0 vs 0E+1), so every display — rounded by value, money.py — is identical too.
    assert recovery(CFG, "SH", row, pace) == fast
    if ref is None:
        assert "raw" not in fast
    else:
        raw, target, zero_at, credited = ref
        assert fast["raw"] == raw and fast["credited"] == credited
        assert format_pct(fast["raw"]) == format_pct(raw) and r4(fast["raw"]) == r4(raw)
        assert format_amount(fast["credited"]) == format_amount(credited)
        band = fast["band"]
        assert (band.target, band.zero_at) == (target, zero_at)  # type: ignore[attr-defined]
        assert band_score("recovery", fast["raw"], band) == band_score(  # type: ignore[arg-type]
            "recovery", raw, Bounds(target, zero_at)
        )
    pairs = zip(h, BUCKETS, strict=True)
    weighted = sum((Decimal(n) * CFG.bucket_weight(b) for n, b in pairs), Decimal(0))
    assert handled_weighted(CFG, row, plan) == weighted == handled_weighted(CFG, row)
    with_plan = raw_values(CFG, "SH", row, pace, plan=plan)
    without = raw_values(CFG, "SH", row, pace)
    assert {k: v[0] for k, v in with_plan.items()} == {k: v[0] for k, v in without.items()}


def test_a_plan_for_another_branch_or_config_is_not_reused() -> None:
    row = {"a0": 100_000, "r0": 50_000, "cases": 1, "calls": 1}
    jkt = Plan(CFG, "JKT")
    assert recovery(CFG, "SH", row, None, jkt) == recovery(CFG, "SH", row)
    other = load_config()
    assert recovery(other, "SH", row, None, Plan(CFG, "SH")) == recovery(other, "SH", row)


def test_sql_hands_over_integers_and_keeps_work_mem_local(ctx) -> None:  # type: ignore[no-untyped-def]
    sf.seed(ctx)
    with ctx.db.session() as s:
        pg = s.get_bind().dialect.name == "postgresql"
        if pg:
            s.execute(text("SET work_mem = '5MB'"))  # the session's own setting
        b = next(b for b in all_branches(s) if b.code == "SH")
        rows = raw_rows(s, CFG, b, MARCH)
        # The bucket sums combined in SQL (queries._combined), and the plain sums.
        sums = ["assigned", "repaid", "credited", "t_acc", "z_acc", "handled", "handled_w"]
        sums += ["repaid_any", "calls", "connected", "cost"]
        assert rows
        for row in rows:
            for k in sums:
                # PostgreSQL's SUM(bigint) is NUMERIC; the statement casts it back.
                assert row[k] is None or type(row[k]) is int, (k, row[k])
            assert not any(k[0] in "arh" and k[1:].isdigit() for k in row)  # no bucket columns
        assert any(row["assigned"] for row in rows) and any(row["credited"] for row in rows)
        assert compute_branch(s, CFG, b, MARCH)
        if pg:
            assert s.execute(text("SHOW work_mem")).scalar_one() == "5MB"
