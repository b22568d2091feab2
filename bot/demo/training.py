"""Demo data for training: the starter content, the compliance exam pushed to two teams with
attempts of varied results (a few trainees behind), a course push, and an open question."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.training import content, service
from coaching.training.service import AnswerOutcome, QuestionView
from db.models import Employee, TraineeQuestion, TrainingAssignment

REPO = Path(__file__).resolve().parents[2]


def simulate_attempt(
    s: Session,
    assignment_id: int,
    employee_id: int,
    p_correct: float,
    rng: random.Random,
    at: datetime,
    cfg: service.Config,
) -> service.Result | None:
    """Answer a whole quiz the way a trainee with accuracy `p_correct` would."""
    view = service.start(s, assignment_id, employee_id, at, cfg)
    while isinstance(view, QuestionView):
        from db.models import QuizAttempt, QuizQuestion

        att = s.get(QuizAttempt, view.attempt_id)
        assert att is not None
        q = s.get(QuizQuestion, att.question_ids[view.index])
        assert q is not None
        right = rng.random() < p_correct
        wrong = [i for i in range(len(q.options)) if i not in q.correct]
        picks = list(q.correct) if right or not wrong else [rng.choice(wrong)]
        out: Any = None
        if q.multiple:
            for i in picks:
                service.answer(s, att.id, employee_id, view.index, str(i), at, cfg)
            out = service.answer(s, att.id, employee_id, view.index, "s", at, cfg)
        else:
            out = service.answer(s, att.id, employee_id, view.index, str(picks[0]), at, cfg)
        assert isinstance(out, AnswerOutcome)
        if out.result is not None:
            return out.result
        view = out.next  # type: ignore[assignment]
    return None


def extend_demo(ctx: Any, world: Any) -> str:
    s: Session = world.session
    rng: random.Random = world.rng
    now: datetime = world.now
    cfg = service.config_from(ctx.settings)
    from bot.cli.training import default_content_dir
    from coaching.training import rules

    rep = content.import_dir(
        s,
        default_content_dir(ctx.settings.training_content_dir),
        now,
        rules=rules.from_settings(ctx.settings),
    )
    if rep.errors:
        return f"training: content refused ({rep.errors[0]})"
    trainer = next((t for t in world.trainers), None)
    by_id = trainer.id if trainer is not None else None
    pushed_at = now - timedelta(days=10)
    attempts = 0
    for team in ("SH-1", "JKT-1"):
        res = service.push(
            s, "compliance-exam", "team", team, pushed_at, days=7, by_id=by_id, cfg=cfg
        )
        if isinstance(res, service.TargetError):
            continue
        rows = s.execute(
            select(TrainingAssignment).where(TrainingAssignment.push_id == res.push_id)
        ).scalars()
        for i, a in enumerate(list(rows)):
            persona = world.personas.get(a.employee_id)
            skill = persona.skill if persona else 0.6
            if i % 5 == 4:
                continue  # never started: behind
            at = pushed_at + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 6))
            for _ in range(3):
                r = simulate_attempt(s, a.id, a.employee_id, 0.55 + 0.45 * skill, rng, at, cfg)
                attempts += 1
                if r is None or r.passed or rng.random() < 0.4:
                    break
                at += timedelta(days=1)
    # A course pushed to a second team, half read through.
    res = service.push(
        s,
        "compliance-course",
        "team",
        "SH-2",
        now - timedelta(days=3),
        days=7,
        by_id=by_id,
        cfg=cfg,
    )
    if not isinstance(res, service.TargetError):
        for i, a in enumerate(
            s.execute(
                select(TrainingAssignment).where(TrainingAssignment.push_id == res.push_id)
            ).scalars()
        ):
            if i % 2:
                continue
            v = service.start(s, a.id, a.employee_id, now - timedelta(days=2), cfg)
            while isinstance(v, service.LessonView):
                nxt = service.lesson_next(s, v.attempt_id, a.employee_id, v.index, now)
                v = nxt if isinstance(nxt, service.LessonView) else None  # type: ignore[assignment]
    # A new hire's question, unanswered for 30 hours (the 24-hour clock will catch it).
    newbie = s.execute(select(Employee).where(Employee.employee_no == "C0001")).scalar_one_or_none()
    if newbie is not None:
        s.add(
            TraineeQuestion(
                employee_id=newbie.id,
                text="债务人说已经在筹钱但要下个月才能还，我可以约定下个月的承诺还款吗？",
                asked_at=now - timedelta(hours=30),
            )
        )
    s.flush()
    return (
        f"training: {len(rep.created)} content items, compliance exam pushed to SH-1 and JKT-1 "
        f"({attempts} attempts), course pushed to SH-2"
    )
