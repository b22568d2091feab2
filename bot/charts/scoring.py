"""PNG charts with matplotlib (Agg backend, no display needed).

People are shown by employee number (no names in pictures). Every other text comes from the
message templates in the reader's language (`locale`), drawn with the bundled CJK font
(bot.charts.kit). The current month is still running: its point is hollow and labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib
import numpy as np

from bot.charts import kit as ck
from bot.charts.kit import label
from coaching.scoring.engine import Scorecard
from coaching.scoring.snapshots import TrendPoint

PROMOTION_LINE = 90
# Kept for callers that imported it: the chart lock now lives in chartkit.
_LOCK = ck.LOCK


def trend_chart(
    points: Sequence[TrendPoint],
    employee_no: str,
    path: Path,
    *,
    locale: str | None = None,
    today: date | None = None,
) -> Path:
    """The employee's monthly totals against their team's average."""
    today = today or date.today()
    with ck.LOCK:
        return _trend(list(points), employee_no, path, locale, today)


def _trend(
    points: list[TrendPoint], employee_no: str, path: Path, locale: str | None, today: date
) -> Path:
    x = np.arange(len(points))
    partial = [(p.month.year, p.month.month) == (today.year, today.month) for p in points]
    labels = [
        label(locale, "partial_tick", label=p.month.strftime("%Y-%m"))
        if part
        else p.month.strftime("%Y-%m")
        for p, part in zip(points, partial, strict=True)
    ]
    own = np.array([np.nan if p.total is None else p.total for p in points], dtype=float)
    team = np.array(
        [np.nan if p.team_average is None else p.team_average for p in points], dtype=float
    )
    fig, ax = ck.new_figure(figsize=(6.4, 3.8), dpi=110)
    try:
        ax.plot(
            x,
            own,
            marker="o",
            linewidth=2.2,
            color=ck.OWN,
            label=label(locale, "own_series", who=employee_no),
        )
        ax.plot(
            x,
            team,
            marker="s",
            linestyle="--",
            color=ck.REFERENCE,
            label=label(locale, "team_average"),
        )
        for i, p in enumerate(points):
            if partial[i] and p.total is not None:  # hollow: the month is not over
                ax.plot(
                    [i],
                    [p.total],
                    marker="o",
                    markersize=9,
                    markerfacecolor="white",
                    markeredgecolor=ck.OWN,
                    markeredgewidth=2,
                )
            if p.total is not None:
                ax.annotate(
                    f"{p.total:.0f}",
                    (i, p.total),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                )
        vetoed = [i for i, p in enumerate(points) if p.vetoed]
        if vetoed:
            ax.plot(
                vetoed,
                [2] * len(vetoed),
                linestyle="none",
                marker="x",
                color=ck.BAD,
                markersize=10,
                label=label(locale, "vetoed_month"),
            )
        if any(partial):
            i = partial.index(True)
            ck.partial_span(ax, i, label=label(locale, "partial_period"))
        ax.axhline(
            PROMOTION_LINE,
            color=ck.GOOD,
            linewidth=0.8,
            linestyle=":",
            label=label(locale, "promotion_line", n=PROMOTION_LINE),
        )
        ax.set_xticks(x, labels, fontsize=8)
        ax.set_ylim(0, 105)
        ax.set_ylabel(label(locale, "score_axis"))
        ax.set_title(label(locale, "trend_title", who=employee_no))
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="lower left", fontsize=7)
        ck.save(fig, path, format="png")
    finally:
        ck.close(fig)
    return path


def heatmap_chart(
    cards: Sequence[Scorecard], title: str, path: Path, *, locale: str | None = None
) -> Path:
    """Components (rows) × people (columns), cell = normalised score; n/a cells are grey."""
    comps = list(cards[0].components) if cards else []
    data = np.full((len(comps) + 1, len(cards)), np.nan)
    for j, c in enumerate(cards):
        for i, name in enumerate(comps):
            sc = c.components[name].score
            if sc is not None:
                data[i, j] = sc
        if c.total is not None:
            data[len(comps), j] = c.total
    with ck.LOCK:
        return _heatmap(list(cards), title, path, comps, data, locale)


def _heatmap(
    cards: list[Scorecard],
    title: str,
    path: Path,
    comps: list[str],
    data: np.ndarray,
    locale: str | None,
) -> Path:
    rows = [label(locale, "score.cname", n=c) for c in comps] + [label(locale, "total")]
    width = max(5.0, 1.6 + 0.55 * len(cards))
    fig, ax = ck.new_figure(figsize=(width, 1.2 + 0.55 * len(rows)), dpi=110)
    try:
        cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#d0d7de")
        norm = matplotlib.colors.Normalize(vmin=0, vmax=100)
        im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, norm=norm, aspect="auto")
        ax.set_xticks(range(len(cards)), [c.employee_no for c in cards], rotation=60, fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=9)
        na, veto = label(locale, "na"), label(locale, "veto")
        for i in range(len(rows)):
            for j, c in enumerate(cards):
                v = data[i, j]
                txt = na if np.isnan(v) else f"{v:.0f}"
                if i == len(rows) - 1 and c.vetoed:
                    txt = veto
                rgba = cmap.get_bad() if np.isnan(v) else cmap(norm(v))
                ax.text(j, i, txt, ha="center", va="center", fontsize=7, color=ck.text_colour(rgba))
        ax.set_title(title)
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
        ck.save(fig, path, format="png")
    finally:
        ck.close(fig)
    return path
