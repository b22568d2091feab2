"""Training figures at scale: content import, answering a quiz, and the /stats computation.

Builds a throwaway SQLite database with N synthetic trainees (default 600), pushes the starter
compliance exam to all of them, simulates their attempts (with retakes), then times the
analytics that /stats, the weekly digest and `coachbot training stats` share.

    .venv/bin/python bench/training_stats.py [N]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figure import Figure
from bot.charts.training import chart as training_chart
from bot.context import AppContext
from bot.demo.training import simulate_attempt
from bot.settings import load_settings
from coaching.clock import FrozenClock
from coaching.training import analytics, content, service, signals
from db.models import Branch, Employee, EmployeeRole, Team, TrainingAssignment
from db.session import Database

REPO = Path(__file__).resolve().parents[1]


def main(n: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp())
    out: dict[str, float] = {}
    db = Database(f"sqlite:///{tmp / 'bench.db'}")
    db.create_all()
    settings = load_settings(_env_file=None, DATABASE_URL=db.url)
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    ctx = AppContext(settings=settings, db=db, clock=FrozenClock(now))
    cfg = service.config_from(settings)
    rng = random.Random(1)
    with db.session() as s:
        b = Branch(code="SH", name="SH", timezone="Asia/Shanghai")
        s.add(b)
        s.flush()
        teams = [Team(code=f"T{i}", name=f"T{i}", branch_id=b.id) for i in range(n // 10)]
        s.add_all(teams)
        s.flush()
        for i in range(n):
            e = Employee(
                employee_no=f"C{i:05d}",
                name=f"e{i}",
                branch_id=b.id,
                team_id=teams[i // 10].id,
                hire_date=date(2025, 1, 1),
            )
            e.role_rows = [EmployeeRole(role="collector")]
            s.add(e)
    t = time.perf_counter()
    with db.session() as s:
        rep = content.import_dir(s, REPO / "content" / "training", now)
    out["import_s"] = time.perf_counter() - t
    print(f"content import ({len(rep.created)} items): {out['import_s']:.2f} s")
    t = time.perf_counter()
    with db.session() as s:
        res = service.push(s, "compliance-exam", "branch", "SH", now, cfg=cfg)
    out["push_s"] = time.perf_counter() - t
    print(f"push to {len(res.assigned)} trainees: {out['push_s']:.2f} s")
    t = time.perf_counter()
    attempts = answers = 0
    with db.session() as s:
        from sqlalchemy import select

        rows = list(s.execute(select(TrainingAssignment)).scalars())
        for a in rows:
            if rng.random() < 0.15:
                continue
            for _ in range(3):
                r = simulate_attempt(s, a.id, a.employee_id, rng.uniform(0.5, 1.0), rng, now, cfg)
                attempts += 1
                answers += 20
                if r is None or r.passed:
                    break
    dt = time.perf_counter() - t
    out["answer_ms"] = 1000 * dt / answers
    print(
        f"{attempts} attempts / {answers} answers: {dt:.1f} s "
        f"({1000 * dt / answers:.2f} ms per answer)"
    )
    for label, branch_id in (("all branches", None), ("branch SH", 1)):
        t = time.perf_counter()
        with db.session() as s:
            st = analytics.compute(s, now, branch_id)
        out[f"stats_ms {label}"] = 1000 * (time.perf_counter() - t)
        print(
            f"analytics.compute ({label}): {1000 * (time.perf_counter() - t):.0f} ms — "
            f"{len(st.pushes)} push rows, {len(st.questions)} questions, {len(st.behind)} behind"
        )
    t = time.perf_counter()
    training_chart(st, tmp / "chart.png")
    out["chart_ms"] = 1000 * (time.perf_counter() - t)
    print(f"chart PNG: {out['chart_ms']:.0f} ms")
    with db.session() as s:
        ids = list(range(1, n + 1))
        t = time.perf_counter()
        signals.overdue_assignments(s, ids, now)
        signals.unanswered_questions(s, ids, now)
        out["signals_ms"] = 1000 * (time.perf_counter() - t)
        print(f"signals for {n} employees: {out['signals_ms']:.0f} ms")
        t = time.perf_counter()
        for i in ids[:100]:
            signals.weakest_competencies(s, i)
        print(f"weakest_competencies x100: {1000 * (time.perf_counter() - t):.0f} ms")
    db.dispose()
    del ctx
    return out


def figures(quick: bool) -> list[Figure]:
    """For bench/run_all.py: 150 trainees quick, 600 full (SQLite, like the script). No
    target is stated (docs/training.md): info figures."""
    from bench.figure import info

    n = 150 if quick else 600
    r = main(n)
    return [
        info(f"training: answering a quiz question ({n} trainees)", r["answer_ms"], "ms"),
        info(
            f"training: /stats analytics, all branches ({n} trainees)",
            r["stats_ms all branches"],
            "ms",
        ),
        info("training: chart PNG", r["chart_ms"], "ms"),
        info(f"training: signals for {n} employees", r["signals_ms"], "ms"),
    ]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 600)
