"""The engine scores a statement row by position (engine._Scorer.card, no dict per row) and
builds each component's detail only when it is read: both must give exactly what the
reference path, rules.raw_values + rules.normalise, gives for the same row (issue #22)."""

from __future__ import annotations

import pickle
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from coaching.calendar import BranchInfo
from coaching.scoring.config import COMPONENTS, parse_config
from coaching.scoring.engine import _Scorer
from coaching.scoring.queries import COLUMNS
from coaching.scoring.rules import NA_REASONS, normalise, raw_values
from tests.scoring_fixtures import TEST_CONFIG

MARCH = date(2026, 3, 1)
# Every component in one profile, odd weights; the fixtures' config, by case and per call.
PROFILES = TEST_CONFIG.replace(
    "profiles:",
    "profiles:\n  ALL: {weights: {"
    + ", ".join(f"{n}: {7 + 3 * i}.5" for i, n in enumerate(COMPONENTS))
    + "}}",
)
CONFIGS = [
    parse_config(PROFILES),
    parse_config(PROFILES.replace("per: connected_call", "per: case")),
]
BRANCH = BranchInfo(1, "SH", "Shanghai", "Asia/Shanghai", "zh_CN", frozenset(), "ALL", "A")

small = st.one_of(st.none(), st.integers(0, 5))
cents = st.integers(-10_000, 10**9)
scores = st.one_of(st.none(), st.sampled_from([0.0, 55.5, 80.0, 99.99]), st.floats(0, 100))


@st.composite
def rows(draw: st.DrawFn) -> dict[str, object]:
    """A statement row (queries.COLUMNS): the combined integer sums and the plain counts."""
    assigned = draw(st.one_of(st.just(0), cents))
    row: dict[str, object] = dict.fromkeys(COLUMNS)
    row |= {"eid": 1, "employee_no": "E1", "name": "e", "team_id": None, "is_lead": False}
    row |= {
        "cases": draw(small),
        "calls": draw(small),
        "connected": draw(small),
        "complaints": draw(small),
        "minors": draw(small),
        "majors": draw(st.one_of(st.none(), st.just(0))),
        "skills_n": draw(small),
        "skills_avg": draw(scores),
        "skills_prev_n": draw(small),
        "skills_prev_avg": draw(scores),
        "ptp_kept": draw(small),
        "ptp_broken": draw(small),
        "cost": draw(st.one_of(st.none(), cents)),
        "cost_n": draw(small),
        "assigned": assigned,
        "repaid": draw(cents),
        "credited": draw(st.one_of(st.just(0), cents)),
        "t_acc": draw(st.integers(0, 10**12)),
        "z_acc": draw(st.integers(0, 10**11)),
        "handled": draw(st.integers(0, 40)),
        "handled_w": draw(st.integers(0, 600)),
        "repaid_any": draw(st.sampled_from([0, 1])),
    }
    if row["skills_n"] and row["skills_avg"] is None:
        row["skills_avg"] = 50.0
    if row["skills_prev_n"] and row["skills_prev_avg"] is None:
        row["skills_prev_avg"] = 61.25
    return row


@settings(max_examples=400, deadline=None)
@given(row=rows(), which=st.sampled_from([0, 1]), live=st.booleans())
def test_the_card_path_gives_the_reference_values_and_details(row, which, live) -> None:  # type: ignore[no-untyped-def]
    cfg = CONFIGS[which]
    scorer = _Scorer(cfg, BRANCH, MARCH, date(2026, 3, 11) if live else None)
    card = scorer.card(tuple(row[k] for k in COLUMNS))
    ref = raw_values(cfg, "SH", row, scorer.pace, names=list(COMPONENTS))
    assert list(card.components) == list(COMPONENTS)
    for name, comp in card.components.items():
        raw, detail, band = ref[name]
        exact = normalise(cfg, name, raw, band)
        assert (repr(comp.raw_exact), repr(comp.exact)) == (repr(raw), repr(exact)), name
        assert comp.na_reason == (None if raw is not None else detail.get("na") or NA_REASONS[name])
        if exact is not None:
            assert comp.score == float(exact.quantize(Decimal("0.1"), ROUND_HALF_UP))
        # Built on first read, for the whole card: the reference's detail, key order included.
        assert list(comp.detail.items()) == list(detail.items()), name
        assert comp.detail is comp.detail
    # Pickled (the chart process) with the detail built, nothing of the computation along.
    back = pickle.loads(pickle.dumps(card))
    assert back.components["recovery"]._detail.__class__ is dict
    assert back.team_average_total == card.team_average_total and back.total == card.total
    for name, comp in back.components.items():
        was = card.components[name]
        assert (comp.detail, repr(comp.exact), comp.team_average) == (
            was.detail,
            repr(was.exact),
            was.team_average,
        )


def test_a_card_built_by_hand_has_an_empty_detail() -> None:
    from coaching.scoring.cards import Component

    comp = Component("recovery", 40, score=50.0)
    assert comp.detail == {} and comp.detail is comp.detail
    comp.detail = {"assigned": Decimal(1)}
    assert comp.detail == {"assigned": Decimal(1)}
    assert comp.team_average is None and comp.team_average_raw is None
    comp.team_average = 12.5
    assert comp.team_average == 12.5


def test_hand_built_cards_get_their_team_averages_at_once() -> None:
    from coaching.scoring.cards import Component, Scorecard
    from coaching.scoring.ranking import rank_and_average

    def card(i: int, total: str, team: int | None) -> Scorecard:
        comp = Component(
            "recovery", 40, score=float(total), raw_exact=Decimal(i), exact=Decimal(total)
        )
        return Scorecard(
            i, f"E{i}", "", 1, "B", team, "T", "T", "A", MARCH, {"recovery": comp}, float(total),
            total_exact=Decimal(total),
        )  # fmt: skip

    cards = [card(1, "80", 7), card(2, "60.5", 7), card(3, "70", None)]
    rank_and_average(cards)
    assert [c.team_average_total for c in cards] == [70.3, 70.3, None]
    assert [c.components["recovery"].team_average_raw for c in cards] == [1.5, 1.5, None]
