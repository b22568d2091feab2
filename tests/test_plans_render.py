"""The plan message's case lines and block names are the `case_line` / `block_name` macros'
text (the `plan` macro writes them inline, for the fan-out's speed: issue #22), and the whole-
amount fast path of `format_amount` prints what the Decimal path prints."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from bot.jobs.plans import _macros, render_plan
from coaching.plans.build import BlockPlan, CaseLine, Plan
from coaching.plans.config import get_config
from coaching.scoring.money import format_amount

LINES = [
    CaseLine("C1", 14_000.0, 31, "M2", None, None, None, None),
    CaseLine("C2<&>", 9_999.99, 3, "M1", "03-01 10:05", "03-01 11:00", 2_500.5, "2026-03-05"),
    CaseLine("C3", 5_000.0, 0, "M3+", None, "02-27 09:00", 100.0, "2026-03-02", "IDR"),
    CaseLine("C4", 0.5, 120, "M1", "02-20 19:10", None, None, None, "USD"),
    CaseLine("C5", 123_456_789.0, 7, "M1", None, None, None, None),
]


def _plan(locale: str) -> Plan:
    cfg = get_config().default
    counts = itertools.cycle([0, 1, 2, cfg.top + 4])
    blocks = []
    for blk in cfg.by_time:
        n = next(counts)
        cases = [LINES[i % len(LINES)] for i in range(min(n, cfg.top))]
        start, end = blk.start.strftime("%H:%M"), blk.end.strftime("%H:%M")
        blocks.append(BlockPlan(blk.id, blk.selector, start, end, n, cases))
    return Plan(1, "E1", "n", locale, "SH", date(2026, 3, 2), blocks)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_plan_lines_are_the_case_line_and_block_name_macros(locale: str) -> None:
    cfg = get_config().default
    plan = _plan(locale)
    m = _macros(locale)
    text, _ = render_plan(plan, cfg)
    lines = text.split("\n")
    for b in plan.blocks:
        name = str(m.block_name(b.selector))
        assert sum(name in ln and b.start in ln for ln in lines) == 1
        for c in b.cases:
            assert str(m.case_line(c)).strip() in lines
    shown = sum(len(b.cases) for b in plan.blocks)
    assert sum(ln.startswith("•") for ln in lines) == shown > 0
    assert "\n\n•" not in text  # one line per case, no blank line between them
    assert "C2&lt;&amp;&gt;" in text  # escaped once, as through the macro


@pytest.mark.parametrize(
    "v", [0, 0.0, -0.0, 1, -7.0, 999.0, 1000, -1000.0, 5_000.0, 123_456_789.0, 2.0**53, 1e20]
)
@pytest.mark.parametrize("code", [None, "CNY", "IDR", "VND", "XYZ"])
@pytest.mark.parametrize("cents", [None, True, False])
def test_whole_amounts_print_as_through_decimal(v: float, code: str | None, cents: bool) -> None:
    exact = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
    assert format_amount(v, code, cents=cents) == format_amount(exact, code, cents=cents)
