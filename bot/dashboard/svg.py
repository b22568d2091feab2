"""Charts as inline SVG, drawn on the server: no chart library, no build step, nothing fetched
at run time. Colours are CSS variables, so the charts follow Telegram's light/dark theme.

Honest gaps: a missing value (n/a) is a gap in the line, never a zero; a vetoed month is a red
dot at 0 (the score really is 0); a partial period is drawn hollow.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = ("var(--accent)", "var(--c2)", "var(--c3)", "var(--c4)", "var(--c5)")


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def sparkline(
    values: Sequence[float | None],
    vetoed_last: bool = False,
    *,
    width: int = 84,
    height: int = 22,
    lo: float = 0.0,
    hi: float = 100.0,
) -> Markup:
    n = len(values)
    if n == 0 or all(v is None for v in values):
        return Markup(
            f'<svg class="spark" width="{width}" height="{height}" aria-hidden="true"></svg>'
        )
    step = (width - 4) / max(1, n - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        y = height - 2 - (min(max(v, lo), hi) - lo) / (hi - lo) * (height - 4)
        return 2 + i * step, y

    parts: list[str] = []
    run: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(run) > 1:
                parts.append(f'<polyline points="{" ".join(run)}"/>')
            run = []
            continue
        x, y = xy(i, v)
        run.append(f"{x:.1f},{y:.1f}")
    if len(run) > 1:
        parts.append(f'<polyline points="{" ".join(run)}"/>')
    last = values[-1]
    if last is not None:
        x, y = xy(n - 1, last)
        cls = "dot veto" if vetoed_last else "dot"
        parts.append(f'<circle class="{cls}" cx="{x:.1f}" cy="{y:.1f}" r="2.2"/>')
    return Markup(
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-hidden="true">{"".join(parts)}</svg>'
    )


def lines(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    hi: float | None = None,
    unit: str = "",
    marks: Sequence[bool] | None = None,
    hollow: Sequence[bool] | None = None,
    width: int = 340,
    height: int = 160,
) -> Markup:
    """A line chart: x = labels, one line per (name, values); `marks[i]` draws point i of the
    first series red (a veto); `hollow[i]` marks a partial period."""
    left, right, top, bottom = 30, 8, 10, 34
    vals = [v for _, vs in series for v in vs if v is not None]
    top_v = hi if hi is not None else max([1.0, *vals]) * 1.15
    n = max(1, len(labels))
    pw, ph = width - left - right, height - top - bottom
    step = pw / max(1, n - 1) if n > 1 else 0

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step + (pw / 2 if n == 1 else 0), top + ph - v / top_v * ph

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'preserveAspectRatio="xMidYMid meet">'
    ]
    for frac in (0, 0.5, 1):
        y = top + ph - frac * ph
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="axis" x="{left - 4}" y="{y + 3:.1f}" text-anchor="end">'
            f"{_fmt(top_v * frac)}{escape(unit)}</text>"
        )
    every = max(1, -(-n // 7))
    for i, lab in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x, _ = xy(i, 0)
            out.append(
                f'<text class="axis" x="{x:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{escape(lab)}</text>'
            )
    for k, (name, vs) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        run: list[str] = []
        for i, v in enumerate(vs):
            if v is None:
                if len(run) > 1:
                    out.append(f'<polyline style="stroke:{color}" points="{" ".join(run)}"/>')
                run = []
                continue
            x, y = xy(i, v)
            run.append(f"{x:.1f},{y:.1f}")
            veto = k == 0 and marks is not None and i < len(marks) and marks[i]
            part = hollow is not None and i < len(hollow) and hollow[i]
            cls = "dot veto" if veto else ("dot hollow" if part else "dot")
            out.append(
                f'<circle class="{cls}" style="fill:{color};stroke:{color}" cx="{x:.1f}" '
                f'cy="{y:.1f}" r="3"><title>{escape(name)} {escape(labels[i])}: {_fmt(v)}'
                f"{escape(unit)}</title></circle>"
            )
        if len(run) > 1:
            out.append(f'<polyline style="stroke:{color}" points="{" ".join(run)}"/>')
        out.append(
            f'<text class="legend" x="{left + k * 110}" y="{height - 4}" style="fill:{color}">'
            f"■ {escape(name)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def bars(
    rows: Sequence[tuple[str, float | None, bool]],
    *,
    threshold: float | None = None,
    unit: str = "%",
    width: int = 340,
    bar_h: int = 16,
) -> Markup:
    """Horizontal bars on a 0-100 scale: (label, value or None = n/a, flagged)."""
    left, right = 120, 40
    pw = width - left - right
    height = max(1, len(rows)) * (bar_h + 6) + 8
    out = [f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img">']
    for i, (lab, v, flagged) in enumerate(rows):
        y = 4 + i * (bar_h + 6)
        text = lab if len(lab) <= 10 else lab[:9] + "…"
        out.append(
            f'<text class="axis" x="{left - 6}" y="{y + bar_h - 4}" text-anchor="end">'
            f"<title>{escape(lab)}</title>{escape(text)}</text>"
        )
        if v is None:
            out.append(f'<text class="axis" x="{left + 4}" y="{y + bar_h - 4}">n/a</text>')
            continue
        w = max(1.0, pw * min(v, 100) / 100)
        cls = "bar flag" if flagged else "bar"
        out.append(f'<rect class="{cls}" x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}"/>')
        out.append(
            f'<text class="axis" x="{left + w + 4:.1f}" y="{y + bar_h - 4}">'
            f"{_fmt(v)}{escape(unit)}</text>"
        )
    if threshold is not None:
        x = left + pw * threshold / 100
        out.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}"/>')
    out.append("</svg>")
    return Markup("".join(out))
