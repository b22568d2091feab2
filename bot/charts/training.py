"""Training chart: completion % per push and correct % per question, in the reader's language."""

from __future__ import annotations

from pathlib import Path

from bot.charts import kit as ck
from bot.charts.kit import label
from coaching.training.analytics import COMPLETION_FLAG, QUESTION_FLAG, Stats


def chart(st: Stats, path: Path, *, locale: str | None = None) -> Path | None:
    """A PNG with completion % per push and correct % per question, in the reader's language
    (titles of the courses/quizzes, "question N"; never slugs)."""
    if not st.pushes and not st.questions:
        return None
    with ck.LOCK:
        fig, axes = ck.new_figure(1, 2, figsize=(11, 4.8), dpi=90)
        try:
            ax = axes[0]
            pushes = st.pushes[-10:]
            names = [
                label(locale, "push_label", id=p.push_id, title=ck.short(p.title), target=p.target)
                if p.push_id
                else label(
                    locale,
                    "auto_push_label",
                    title=ck.short(p.title),
                    target=label(locale, "names.target", k=p.target.split(":")[0]),
                )
                for p in pushes
            ]
            vals = [p.completion_pct for p in pushes]
            y = list(range(len(pushes)))
            ck.bars(
                ax,
                y,
                vals,
                horizontal=True,
                colours=[ck.BAD if p.flagged else ck.GOOD for p in pushes],
            )
            ax.set_yticks(y, names, fontsize=8)
            ax.invert_yaxis()
            ax.axvline(
                COMPLETION_FLAG,
                color=ck.REFERENCE,
                linestyle="--",
                label=label(locale, "completion_flag", n=f"{COMPLETION_FLAG:.0f}"),
            )
            ax.set_xlim(0, 108)
            ax.set_xticks(range(0, 101, 20))
            ax.set_title(label(locale, "completion_title"))
            ax.legend(fontsize=7, loc="lower right")
            ax = axes[1]
            worst = sorted(st.questions, key=lambda q: q.correct_pct)[:12]
            y = list(range(len(worst)))
            ck.bars(
                ax,
                y,
                [q.correct_pct for q in worst],
                horizontal=True,
                colours=[ck.BAD if q.flagged else ck.NEUTRAL for q in worst],
            )
            ax.set_yticks(
                y,
                [
                    label(locale, "question_label", title=ck.short(q.quiz_title), n=q.number)
                    for q in worst
                ],
                fontsize=8,
            )
            ax.invert_yaxis()
            ax.axvline(
                QUESTION_FLAG,
                color=ck.REFERENCE,
                linestyle="--",
                label=label(locale, "completion_flag", n=f"{QUESTION_FLAG:.0f}"),
            )
            ax.set_xlim(0, 108)
            ax.set_xticks(range(0, 101, 20))
            ax.set_title(label(locale, "weakest_title"))
            ax.legend(fontsize=7, loc="lower right")
            fig.tight_layout()
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, dpi=90)
        finally:
            ck.close(fig)
    return path
