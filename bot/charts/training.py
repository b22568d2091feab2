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
            pushes = st.pushes[-10:]
            ck.percent_bars(
                axes[0],
                [p.completion_pct for p in pushes],
                [
                    label(
                        locale, "push_label", id=p.push_id, title=ck.short(p.title), target=p.target
                    )
                    if p.push_id
                    else label(
                        locale,
                        "auto_push_label",
                        title=ck.short(p.title),
                        target=label(locale, "names.target", k=p.target.split(":")[0]),
                    )
                    for p in pushes
                ],
                [ck.BAD if p.flagged else ck.GOOD for p in pushes],
                label(locale, "completion_title"),
                COMPLETION_FLAG,
                label(locale, "completion_flag", n=f"{COMPLETION_FLAG:.0f}"),
            )
            worst = sorted(st.questions, key=lambda q: q.correct_pct)[:12]
            ck.percent_bars(
                axes[1],
                [q.correct_pct for q in worst],
                [
                    label(locale, "question_label", title=ck.short(q.quiz_title), n=q.number)
                    for q in worst
                ],
                [ck.BAD if q.flagged else ck.NEUTRAL for q in worst],
                label(locale, "weakest_title"),
                QUESTION_FLAG,
                label(locale, "completion_flag", n=f"{QUESTION_FLAG:.0f}"),
            )
            ck.save(fig, path, dpi=90)
        finally:
            ck.close(fig)
    return path
