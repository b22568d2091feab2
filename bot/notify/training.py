"""Notices for a push made outside the chat (the CLI): each trainee gets the same "new
assignment" message as after /push, and the trainers' chat of each branch reached is told
about the push, all through the outbox (delivered by the running bot, never twice)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import t
from bot.outbox import enqueue
from coaching.people import group_chats_for
from coaching.training.service import PushResult, notify_targets
from db.models import Branch, Employee, TrainingAssignment


def queue_push_notices(s: Session, res: PushResult, target: str, now: datetime) -> tuple[int, int]:
    """Queue the notices of push `res` (target like "team:SH-1"); returns (trainees, chats)."""
    trainees = 0
    for chat_id, locale, title, due, mandatory in notify_targets(s, res.push_id):
        trainees += enqueue(
            s,
            key=f"train-assigned:{res.push_id}:{chat_id}",
            kind="training_assigned",
            chat_id=chat_id,
            payload={
                "text": str(
                    t(locale, "training.assigned_notice", title=title, due=due, mandatory=mandatory)
                )
            },
            now=now,
        )
    branch_ids = set(
        s.execute(
            select(Employee.branch_id)
            .join(TrainingAssignment, TrainingAssignment.employee_id == Employee.id)
            .where(TrainingAssignment.push_id == res.push_id)
        ).scalars()
    )
    chats = 0
    for bid in sorted(branch_ids):
        branch = s.get(Branch, bid)
        assert branch is not None
        for chat in group_chats_for(s, "trainers", bid):
            chats += enqueue(
                s,
                key=f"train-pushed:{res.push_id}:{chat}",
                kind="training_pushed",
                chat_id=chat,
                payload={
                    "text": str(t(branch.locale, "training.pushed_cli", r=res, target=target))
                },
                now=now,
            )
    return trainees, chats
