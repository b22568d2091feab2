"""Shared look of every PNG chart: the CJK font, colours, localized labels, visible zeros,
hatched partial periods and readable text on coloured cells.

The font ships as a Python dependency (pylopdf-fonts-zh-cn: Noto Sans SC, SIL OFL 1.1), so a
machine without system CJK fonts still draws Chinese. Labels come from the same templates as
messages (bot/templates/<locale>/chart.j2 and names.j2), unescaped: a PNG is not HTML.
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib import pyplot as plt

from bot.i18n import t

log = logging.getLogger(__name__)

# One palette everywhere: the person/first series, team/reference, good, bad, neutral bars,
# and a series cycle for groups (branches).
OWN = "#1f6feb"
REFERENCE = "#6e7781"
GOOD = "#2da44e"
BAD = "#cf222e"
NEUTRAL = "#0969da"
SERIES = ("#1f6feb", "#bf8700", "#8250df", "#1a7f37", "#cf222e", "#6e7781")
PARTIAL_HATCH = "///"
# Bars of value 0 get this share of the axis so they stay visible.
ZERO_STUB = 0.012

FONT_FAMILY = "Noto Sans SC"
_SYSTEM_CJK = ("Noto Sans CJK SC", "WenQuanYi", "Source Han Sans", "Droid Sans Fallback")
_setup_done = False
# pyplot keeps global state: draw one chart at a time (handlers run in threads).
LOCK = threading.RLock()


def font_path() -> str | None:
    """The bundled CJK font file, or None when the package is missing."""
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    return str(pylopdf_fonts_zh_cn.sans_path())


def setup() -> str:
    """Register the CJK font once; returns the family used for CJK text."""
    global _setup_done
    family = FONT_FAMILY
    if not _setup_done:
        path = font_path()
        if path is not None:
            font_manager.fontManager.addfont(path)
            family = font_manager.FontProperties(fname=path).get_name()
        else:  # fall back to a system font rather than drawing empty boxes
            names = {f.name for f in font_manager.fontManager.ttflist}
            found = [n for n in names if any(h in n for h in _SYSTEM_CJK)]
            family = found[0] if found else "DejaVu Sans"
            log.warning("pylopdf-fonts-zh-cn not installed; CJK font: %s", family)
        # DejaVu Sans second: glyphs the CJK font lacks fall back per character.
        plt.rcParams["font.family"] = "sans-serif"
        plt.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
        plt.rcParams["axes.unicode_minus"] = False
        globals()["FONT_FAMILY"] = family
        _setup_done = True
    return FONT_FAMILY


def label(locale: str | None, key: str, **kw: Any) -> str:
    """A chart text from the message templates (`chart.x`, `names.x`), as plain text."""
    if "." not in key:
        key = f"chart.{key}"
    return html.unescape(t(locale, key, **kw))


def short(text: str, n: int = 12) -> str:
    """Cut a title for an axis label, marking the cut."""
    return text if len(text) <= n else text[: n - 1] + "…"


def text_colour(rgba: Sequence[float]) -> str:
    """Black or white text, whichever reads better on a cell of this colour (WCAG luminance)."""

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(float(x)) for x in rgba[:3])
    lum = 0.2126 * r + 0.7152 * g + 0.0722 * b
    # Contrast with black is (L+0.05)/0.05, with white 1.05/(L+0.05): equal at L ≈ 0.179.
    return "#000000" if lum > 0.179 else "#ffffff"


def bars(
    ax: Any,
    positions: Sequence[float],
    values: Sequence[float | None],
    *,
    horizontal: bool = False,
    width: float = 0.8,
    colours: Sequence[str] | str = NEUTRAL,
    partial: Sequence[bool] | None = None,
    limit: float = 100.0,
    fmt: str = "{:.0f}",
    label_text: str | None = None,
    value_labels: bool = True,
) -> None:
    """Bars with their value written on them; a 0 is a thin stub plus "0" (never invisible),
    a missing value is written as "–"; partial periods are hatched."""
    n = len(values)
    cols = [colours] * n if isinstance(colours, str) else list(colours)
    parts = list(partial) if partial is not None else [False] * n
    stub = limit * ZERO_STUB
    for i, (pos, v) in enumerate(zip(positions, values, strict=True)):
        shown = stub if not v else float(v)
        kw: dict[str, Any] = {
            "color": cols[i],
            "edgecolor": cols[i],
            "label": label_text if i == 0 else None,
        }
        if parts[i]:
            kw.update(hatch=PARTIAL_HATCH, alpha=0.55, edgecolor="#24292f")
        if horizontal:
            ax.barh(pos, shown, height=width, **kw)
        else:
            ax.bar(pos, shown, width=width, **kw)
        if not value_labels:
            continue
        txt = "–" if v is None else fmt.format(v)
        if horizontal:
            ax.annotate(
                txt,
                (shown, pos),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                ha="left",
                fontsize=7,
            )
        else:
            ax.annotate(
                txt,
                (pos, shown),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )


def partial_note(ax: Any, locale: str | None) -> None:
    """A legend entry explaining the hatched (partial-period) bars."""
    from matplotlib.patches import Patch

    handles, labels = ax.get_legend_handles_labels()
    handles.append(Patch(facecolor="white", edgecolor="#24292f", hatch=PARTIAL_HATCH))
    labels.append(label(locale, "partial_period"))
    ax.legend(handles, labels, fontsize=7, loc="upper left")


def partial_span(ax: Any, x: float, **kw: Any) -> None:
    """The hatched band over a period still running (its point or bars are drawn apart)."""
    ax.axvspan(
        x - 0.4,
        x + 0.4,
        facecolor="none",
        edgecolor="#8c959f",
        hatch=PARTIAL_HATCH,
        linewidth=0,
        alpha=0.35,
        **kw,
    )


def category_bars(
    ax: Any,
    values: Sequence[float],
    names: Sequence[str],
    title: str,
    *,
    ylabel: str | None = None,
    **bar_kw: Any,
) -> None:
    """Vertical bars, one per category, named on the x axis (small type: names are long)."""
    xs = range(len(values))
    bars(ax, xs, values, **bar_kw)
    ax.set_xticks(xs, names, fontsize=8)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title)


def percent_bars(
    ax: Any,
    values: Sequence[float],
    names: Sequence[str],
    colours: Sequence[str],
    title: str,
    flag: float,
    flag_label: str,
) -> None:
    """Horizontal 0–100 % bars, first item on top, with the dashed line where an item gets
    flagged (training: completion per push, correct answers per question)."""
    y = list(range(len(values)))
    bars(ax, y, values, horizontal=True, colours=colours)
    ax.set_yticks(y, names, fontsize=8)
    ax.invert_yaxis()
    ax.axvline(flag, color=REFERENCE, linestyle="--", label=flag_label)
    ax.set_xlim(0, 108)  # room for the value written after a 100 % bar
    ax.set_xticks(range(0, 101, 20))
    ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")


def save(fig: Any, path: Path, **kw: Any) -> Path:
    """Lay the figure out and write it (the folder created if needed)."""
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, **kw)
    return path


def new_figure(*args: Any, **kw: Any) -> tuple[Any, Any]:
    setup()
    return plt.subplots(*args, **kw)


def close(fig: Any) -> None:
    plt.close(fig)
