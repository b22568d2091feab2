"""PNG charts with matplotlib (Agg backend, no display needed).

Labels are English and people are shown by employee number: the machine may have no CJK font,
and employee numbers keep the pictures free of names. If a CJK font is installed, it is used so
that any Chinese text still renders.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from coaching.scoring.engine import Scorecard
from coaching.scoring.snapshots import TrendPoint

_CJK_HINTS = ("CJK", "WenQuanYi", "Droid Sans Fallback", "AR PL", "Source Han", "Noto Sans SC")


def _setup_fonts() -> None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    cjk = [n for n in names if any(h in n for h in _CJK_HINTS)]
    if cjk:
        plt.rcParams["font.sans-serif"] = [cjk[0], "DejaVu Sans"]
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["axes.unicode_minus"] = False


_setup_fonts()
# pyplot keeps global state: draw one chart at a time (handlers run in threads).
_LOCK = threading.Lock()


def trend_chart(points: Sequence[TrendPoint], employee_no: str, path: Path) -> Path:
    """The employee's monthly totals against their team's average."""
    labels = [p.month.strftime("%Y-%m") for p in points]
    x = np.arange(len(points))
    own = np.array([np.nan if p.total is None else p.total for p in points], dtype=float)
    team = np.array(
        [np.nan if p.team_average is None else p.team_average for p in points], dtype=float
    )
    with _LOCK:
        return _trend(points, employee_no, path, labels, x, own, team)


def _trend(points, employee_no, path, labels, x, own, team):  # type: ignore[no-untyped-def]
    fig, ax = plt.subplots(figsize=(6.4, 3.6), dpi=110)
    try:
        ax.plot(x, own, marker="o", linewidth=2.2, color="#1f6feb", label=employee_no)
        ax.plot(x, team, marker="s", linestyle="--", color="#8b949e", label="team average")
        for i, p in enumerate(points):
            if p.total is not None:
                ax.annotate(
                    f"{p.total:.0f}",
                    (i, p.total),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                )
            if p.vetoed:
                ax.plot([i], [0], marker="x", color="#d1242f", markersize=10)
        ax.axhline(90, color="#2da44e", linewidth=0.8, linestyle=":", label="90 (promotion)")
        ax.set_xticks(x, labels)
        ax.set_ylim(0, 105)
        ax.set_ylabel("score")
        ax.set_title(f"Score trend — {employee_no}")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="lower left", fontsize=8)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path


def heatmap_chart(cards: Sequence[Scorecard], title: str, path: Path) -> Path:
    """Components (rows) × people (columns), cell = normalised score; n/a cells are grey."""
    comps = list(cards[0].components) if cards else []
    rows = [*comps, "total"]
    data = np.full((len(rows), len(cards)), np.nan)
    for j, c in enumerate(cards):
        for i, name in enumerate(comps):
            sc = c.components[name].score
            if sc is not None:
                data[i, j] = sc
        if c.total is not None:
            data[len(rows) - 1, j] = c.total
    with _LOCK:
        return _heatmap(cards, title, path, comps, rows, data)


def _heatmap(cards, title, path, comps, rows, data):  # type: ignore[no-untyped-def]
    width = max(5.0, 1.0 + 0.55 * len(cards))
    fig, ax = plt.subplots(figsize=(width, 1.2 + 0.55 * len(rows)), dpi=110)
    try:
        cmap = matplotlib.colormaps["RdYlGn"].with_extremes(bad="#d0d7de")
        im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=0, vmax=100, aspect="auto")
        ax.set_xticks(range(len(cards)), [c.employee_no for c in cards], rotation=60, fontsize=8)
        ax.set_yticks(range(len(rows)), rows, fontsize=9)
        for i in range(len(rows)):
            for j, c in enumerate(cards):
                v = data[i, j]
                txt = "n/a" if np.isnan(v) else f"{v:.0f}"
                if i == len(rows) - 1 and c.vetoed:
                    txt = "VETO"
                ax.text(j, i, txt, ha="center", va="center", fontsize=7)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, fraction=0.03, pad=0.02)
        fig.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
    return path
