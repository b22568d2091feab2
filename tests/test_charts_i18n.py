"""Every chart in zh_CN and en: labels come from the templates, no glyph is missing, zeros and
partial periods are drawn, heatmap text contrasts with its cell. COACHBOT_CHART_SHOTS=DIR also
writes the zh_CN PNGs there (docs/img/ is refreshed that way)."""

from __future__ import annotations

import os
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from bot.charts import kit as ck
from bot.charts.attrition import chart as attrition_chart
from bot.charts.scoring import heatmap_chart, trend_chart
from bot.charts.training import chart as training_chart
from coaching.risk import attrition
from coaching.risk.attrition import Period, Rate, Report
from coaching.scoring.engine import Component, Scorecard
from coaching.scoring.snapshots import TrendPoint
from coaching.training.analytics import PushStat, QuestionStat, Stats

TODAY = date(2026, 3, 18)
# English words the old charts hard-coded, and internal keys that must not be drawn.
ENGLISH = ("team average", "score trend", "completion %", "correct %", "monthly attrition")
TOKENS = ("2y+", "0-1m", "unrecorded", "compliance_exam", "remedial", "path", "q01", "n/a")


def trend_points() -> list[TrendPoint]:
    return [
        TrendPoint(date(2025, 10, 1), 72.0, 70.0),
        TrendPoint(date(2025, 11, 1), 0.0, 68.0, vetoed=True),
        TrendPoint(date(2025, 12, 1), None, 69.0),
        TrendPoint(date(2026, 1, 1), 81.0, 71.5),
        TrendPoint(date(2026, 2, 1), 92.5, 73.0),
        TrendPoint(date(2026, 3, 1), 64.0, 70.0),
    ]


def cards() -> list[Scorecard]:
    out = []
    for i, (rec, comp, total) in enumerate(
        [(95, 100, 97), (50, None, 55), (10, 0, 0), (70, 80, 74)]
    ):
        comps = {
            "recovery": Component("recovery", 40, score=rec),
            "compliance": Component("compliance", 35, score=comp),
        }
        out.append(
            Scorecard(
                i,
                f"C000{i + 1}",
                "x",
                1,
                "SH",
                1,
                "SH-1",
                "一组",
                "A",
                date(2026, 3, 1),
                comps,
                total=total,
                vetoed=(i == 2),
            )
        )
    return out


def stats() -> Stats:
    st = Stats(as_of="2026-03-18T10:00", branch="SH")
    st.pushes = [
        PushStat(3, "compliance_exam", "合规考试", "team:SH-1", "", 10, 10, 0, 100.0, False),
        PushStat(4, "m01_basics", "催收基础", "branch:SH", "", 10, 0, 0, 0.0, True),
        PushStat(0, "remedial_m01", "补救练习：合规", "remedial", "", 4, 1, 3, 25.0, True),
        PushStat(0, "path_new", "新人路径", "path", "", 5, 5, 0, 100.0, False),
    ]
    st.questions = [
        QuestionStat(
            11,
            "compliance_exam",
            "q01",
            "t",
            "compliance",
            10,
            0,
            0.0,
            True,
            quiz_title="合规考试",
            number=1,
        ),
        QuestionStat(
            12,
            "compliance_exam",
            "q02",
            "t",
            "compliance",
            10,
            9,
            90.0,
            False,
            quiz_title="合规考试",
            number=2,
        ),
    ]
    return st


def report() -> Report:
    months = attrition.months(TODAY, 4)
    quarters = attrition.quarters(TODAY, 2)

    def rs(leavers: int) -> list[Rate]:
        return [Rate("SH", leavers, 30.0), Rate("JKT", 0, 20.0), Rate("all", leavers, 50.0)]

    return Report(
        today=TODAY,
        scope="SH, JKT",
        monthly=[(p, rs(i % 3)) for i, p in enumerate(months)],
        quarterly=[(p, rs(i + 1)) for i, p in enumerate(quarters)],
        trailing=Period("12m", date(2025, 3, 19), TODAY),
        by_tenure=[Rate(b, i % 2, 10.0) for i, b in enumerate(attrition.BANDS)]
        + [Rate("all", 2, 50.0)],
        reasons={"personal": 2, "internal": 0, "external": 1, "unrecorded": 0},
    )


CHARTS: dict[str, Any] = {
    "trend": lambda p, loc: trend_chart(trend_points(), "C0001", p, locale=loc, today=TODAY),
    "heatmap": lambda p, loc: heatmap_chart(cards(), "SH-1 2026-03", p, locale=loc),
    "training": lambda p, loc: training_chart(stats(), p, locale=loc),
    "attrition": lambda p, loc: attrition_chart(report(), p, locale=loc),
}
# Labels each chart must show, per language.
EXPECT = {
    ("trend", "zh_CN"): [
        "得分趋势 — C0001",
        "团队平均",
        "90 分晋升线",
        "2026-03（至今）",
        "当月被否决",
    ],
    ("trend", "en"): ["Score trend — C0001", "Team average", "2026-03 (to date)", "Vetoed month"],
    ("heatmap", "zh_CN"): ["回款率", "合规", "总分", "否决", "无数据"],
    ("heatmap", "en"): ["Total", "Veto"],
    ("training", "zh_CN"): [
        "各次推送完成率（%）",
        "#3 合规考试",
        "补救练习 · 补救练习：合规",
        "学习路径 · 新人路径",
        "合规考试 第 1 题",
        "80% 提醒线",
    ],
    ("training", "en"): [
        "Completion per push (%)",
        "Remedial practice · 补救练习：合规",
        "Learning path · 新人路径",
        "合规考试 Q1",
    ],
    ("attrition", "zh_CN"): [
        "月度离职率（%）",
        "2026-03（至今）",
        "2026Q1（至今）",
        "全部",
        "2 年以上",
        "不满 1 个月",
        "未登记",
        "截至今日（未满周期）",
    ],
    ("attrition", "en"): [
        "Monthly attrition rate (%)",
        "2026-03 (to date)",
        "All",
        "over 2 years",
        "Not recorded",
        "To date (period not over)",
    ],
}


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Figures handed to chartkit.close (so their artists can be inspected)."""
    figs: list[Any] = []
    real = ck.close

    def keep(fig: Any) -> None:
        figs.append(fig)
        real(fig)

    monkeypatch.setattr(ck, "close", keep)
    return figs


def texts(fig: Any) -> list[str]:
    out = [t.get_text() for t in fig.findobj(Text)]
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is not None:
            out += [t.get_text() for t in leg.get_texts()]
    return [t for t in out if t]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("name", list(CHARTS))
def test_chart_labels_in_the_readers_language(name: str, locale: str, captured, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}-{locale}.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = CHARTS[name](path, locale)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing
    assert out == path and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    [fig] = captured
    shown = texts(fig)
    joined = "\n".join(shown)
    for want in EXPECT[(name, locale)]:
        assert want in joined, f"{want!r} not in {shown}"
    if locale == "zh_CN":
        for word in ENGLISH:
            assert word not in joined.lower(), (word, shown)
    for tok in TOKENS:
        assert tok not in shown, (tok, shown)
    if locale == "zh_CN" and os.environ.get("COACHBOT_CHART_SHOTS"):
        dest = Path(os.environ["COACHBOT_CHART_SHOTS"]) / f"chart-{name}-zh_CN.png"
        dest.write_bytes(path.read_bytes())


def test_zero_bars_are_visible_and_partial_periods_hatched(captured, tmp_path) -> None:  # type: ignore[no-untyped-def]
    training_chart(stats(), tmp_path / "t.png", locale="zh_CN")
    attrition_chart(report(), tmp_path / "a.png", locale="zh_CN")
    training, attr = captured
    bars = [r for r in training.axes[0].patches if isinstance(r, Rectangle)]
    # The push at 0 % is a stub you can see, with "0" written next to it.
    assert len(bars) == 4 and min(r.get_width() for r in bars) > 0
    assert "0" in texts(training)
    quarter_bars = [r for r in attr.axes[1].patches if isinstance(r, Rectangle) and r.get_height()]
    hatched = [r for r in quarter_bars if r.get_hatch()]
    # Two quarters × three groups; the running quarter (Q1 2026) is the hatched one.
    assert len(quarter_bars) == 6 and len(hatched) == 3
    reasons = [r for r in attr.axes[3].patches if isinstance(r, Rectangle)]
    assert all(r.get_height() > 0 for r in reasons)  # "internal: 0" still drawn


def test_heatmap_text_colour_follows_cell_luminance(captured, tmp_path) -> None:  # type: ignore[no-untyped-def]
    heatmap_chart(cards(), "SH-1", tmp_path / "h.png", locale="zh_CN")
    [fig] = captured
    ax = fig.axes[0]
    cmap, norm = ax.images[0].get_cmap(), ax.images[0].norm
    cells = [t for t in ax.texts if t.get_text().isdigit()]
    assert cells
    for t in cells:
        rgba = cmap(norm(float(t.get_text())))
        lum = ck.text_colour(rgba)
        assert matplotlib.colors.to_hex(t.get_color()) == lum
    # Dark red (0) gets white text, pale yellow (50-ish) black.
    assert ck.text_colour(cmap(norm(0))) == "#ffffff"
    assert ck.text_colour(cmap(norm(55))) == "#000000"


def test_font_is_the_bundled_cjk_font() -> None:
    assert ck.font_path() is not None, "pylopdf-fonts-zh-cn is a dependency"
    assert ck.setup() == "Noto Sans SC"
    assert matplotlib.rcParams["axes.unicode_minus"] is False
