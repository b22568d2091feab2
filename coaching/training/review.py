"""A finished (or running) quiz attempt as the trainee saw it: the questions in the order they
were asked, the options in the order they were shown, and the letters chosen and correct in
that same order (the shuffle is recorded on the attempt)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.training.content import LETTERS
from coaching.training.service import option_order
from db.models import QuizAnswer, QuizAttempt, QuizQuestion


@dataclass(frozen=True)
class Reviewed:
    index: int  # 0-based, in the order asked
    text: str
    options: list[str]  # as shown
    chosen: list[int]  # display positions; empty when not answered
    correct: list[int]  # display positions
    answered: bool
    is_correct: bool

    @property
    def chosen_letters(self) -> str:
        return "".join(LETTERS[i] for i in self.chosen)

    @property
    def correct_letters(self) -> str:
        return "".join(LETTERS[i] for i in self.correct)


def review(s: Session, attempt_id: int) -> list[Reviewed]:
    att = s.get(QuizAttempt, attempt_id)
    if att is None:
        return []
    answers = {
        a.question_id: a
        for a in s.execute(select(QuizAnswer).where(QuizAnswer.attempt_id == att.id)).scalars()
    }
    out = []
    for i, qid in enumerate(att.question_ids):
        q = s.get(QuizQuestion, qid)
        if q is None:
            continue
        order = option_order(att, q)
        a = answers.get(qid)
        out.append(
            Reviewed(
                index=i,
                text=q.text,
                options=[q.options[k] for k in order],
                chosen=sorted(order.index(c) for c in a.chosen) if a else [],
                correct=sorted(order.index(c) for c in q.correct),
                answered=a is not None,
                is_correct=bool(a and a.correct),
            )
        )
    return out
