"""Attrition chart: monthly and quarterly rates by branch, by tenure band, exit reasons."""

from __future__ import annotations

from pathlib import Path

from bot.charts import kit as ck
from bot.charts.kit import label
from coaching.risk.attrition import Period, Rate, Report


def chart(rep: Report, path: Path, *, locale: str | None = None) -> Path:
    """Four panels: monthly and quarterly rate by branch, rate by tenure band, exit reasons.
    Labels in the reader's language; the running month/quarter is hatched and labelled."""

    def rate(rs: list[Rate], g: str) -> float:
        return 100 * (next(r for r in rs if r.group == g).rate or 0)

    def tick(p: Period) -> str:
        return label(locale, "partial_tick", label=p.label) if p.partial else p.label

    with ck.LOCK:
        fig, axes = ck.new_figure(2, 2, figsize=(10, 7.4), dpi=90)
        try:
            (a1, a2), (a3, a4) = axes
            groups = [r.group for r in rep.monthly[0][1]] if rep.monthly else []
            gname = {g: label(locale, "names.group", g=g) for g in groups}
            xs = list(range(len(rep.monthly)))
            for i, g in enumerate(groups):
                colour = ck.SERIES[i % len(ck.SERIES)]
                ys = [rate(rs, g) for _, rs in rep.monthly]
                a1.plot(xs, ys, marker="o", color=colour, label=gname[g])
                for x, (p, _) in zip(xs, rep.monthly, strict=True):
                    if p.partial:  # hollow marker: the month is not over
                        a1.plot(
                            [x],
                            [ys[x]],
                            marker="o",
                            markersize=9,
                            markerfacecolor="white",
                            markeredgecolor=colour,
                        )
            for x, (p, _) in zip(xs, rep.monthly, strict=True):
                if p.partial:
                    ck.partial_span(a1, x)
            a1.set_xticks(xs, [tick(p) for p, _ in rep.monthly])
            a1.set_title(label(locale, "monthly_title"))
            a1.set_ylim(bottom=0)
            a1.tick_params(axis="x", labelrotation=45, labelsize=7)
            ck.partial_note(a1, locale)
            width = 0.8 / max(1, len(groups))
            for i, g in enumerate(groups):
                ck.bars(
                    a2,
                    [x + i * width for x in range(len(rep.quarterly))],
                    [rate(rs, g) for _, rs in rep.quarterly],
                    width=width,
                    colours=ck.SERIES[i % len(ck.SERIES)],
                    partial=[p.partial for p, _ in rep.quarterly],
                    limit=max([rate(rs, g) for _, rs in rep.quarterly] + [10]),
                    fmt="{:.1f}",
                    label_text=gname[g],
                )
            a2.set_xticks(
                [x + width * (len(groups) - 1) / 2 for x in range(len(rep.quarterly))],
                [tick(p) for p, _ in rep.quarterly],
                fontsize=8,
            )
            a2.set_title(label(locale, "quarterly_title"))
            ck.partial_note(a2, locale)
            tenure = [r for r in rep.by_tenure if r.group != "all"]
            vals = [100 * (r.rate or 0) for r in tenure]
            ck.category_bars(
                a3,
                vals,
                [label(locale, "names.band", b=r.group) for r in tenure],
                label(locale, "tenure_title"),
                colours=ck.BAD,
                fmt="{:.1f}",
                limit=max([*vals, 10]),
            )
            counts = list(rep.reasons.values())
            ck.category_bars(
                a4,
                counts,
                [label(locale, "names.reason_category", c=c) for c in rep.reasons],
                label(locale, "reasons_title"),
                ylabel=label(locale, "people_axis"),
                colours=ck.NEUTRAL,
                limit=max([*counts, 5]),
            )
            fig.suptitle(
                label(locale, "attrition_title", scope=rep.scope, day=rep.today.isoformat())
            )
            ck.save(fig, path, format="png")
        finally:
            ck.close(fig)
    return path
