"""Training jobs: overdue reminders, the 24-hour question clock, the weekly trainers' digest.

Each job does its database work and enqueues messages in the outbox under dedupe keys, so a
re-run (restart, catch-up, `/job`) never sends twice.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.charts import worker as charts
from bot.charts.worker import Chart
from bot.context import AppContext
from bot.i18n import t
from bot.outbox import enqueue
from coaching.calendar import BranchInfo
from coaching.people import group_chats_for, reachable_chat
from coaching.training import analytics, questions, service
from coaching.training.questions import REMINDER_KIND
from db.models import Employee, TrainingAssignment, TrainingItem


def reminders(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    """Onboarding items for new hires, then reminders for overdue assignments every
    `training_reminder_every_days` days, and the overdue list to the trainers' chat."""
    cfg = service.config_from(ctx.settings)
    local_today = branch.local(now).date()

    def work(s: Session) -> tuple[int, int, int]:
        onboard = service.ensure_onboarding(s, branch.id, now, cfg)
        # Tell the new hires about what they just got (one notice per assignment).
        for a, emp in s.execute(
            select(TrainingAssignment, Employee)
            .join(Employee, Employee.id == TrainingAssignment.employee_id)
            .where(Employee.branch_id == branch.id, TrainingAssignment.created_at == now)
        ).all():
            chat_id = reachable_chat(emp)
            if chat_id is None:
                continue
            enqueue(
                s,
                key=f"train-assigned:{a.id}",
                kind="training_assigned",
                chat_id=chat_id,
                employee_id=emp.id,
                payload={
                    "text": t(
                        emp.effective_locale,
                        "training.assigned_notice",
                        title=a.item.title,
                        due=a.due_at.astimezone(branch.tz).strftime("%Y-%m-%d"),
                        mandatory=a.item.mandatory,
                    )
                },
                now=now,
                local_date=local_today,
            )
        rows = s.execute(
            select(TrainingAssignment, Employee)
            .join(Employee, Employee.id == TrainingAssignment.employee_id)
            .where(
                Employee.branch_id == branch.id,
                TrainingAssignment.status == "open",
                TrainingAssignment.due_at < now,
            )
            .order_by(Employee.employee_no, TrainingAssignment.due_at)
        ).all()
        sent, listing = 0, []
        for a, emp in rows:
            due_local = a.due_at.astimezone(ZoneInfo(branch.timezone)).date()
            listing.append((emp.employee_no, emp.name, a.item.title, due_local.isoformat(), False))
            days_late = (local_today - due_local).days
            if days_late < 1 or (days_late - 1) % cfg.remind_every_days:
                continue
            chat_id = reachable_chat(emp)
            if chat_id is None:
                continue
            sent += enqueue(
                s,
                key=f"train-remind:{a.id}:{local_today.isoformat()}",
                kind="training_reminder",
                chat_id=chat_id,
                employee_id=emp.id,
                payload={
                    "text": t(
                        emp.effective_locale,
                        "training.reminder",
                        title=a.item.title,
                        due=due_local.isoformat(),
                        mandatory=a.item.mandatory,
                    )
                },
                now=now,
                local_date=local_today,
            )
        # Mandatory items failed with no retakes left stay on the trainers' list.
        for a, emp in s.execute(
            select(TrainingAssignment, Employee)
            .join(Employee, Employee.id == TrainingAssignment.employee_id)
            .join(TrainingItem, TrainingItem.id == TrainingAssignment.item_id)
            .where(
                Employee.branch_id == branch.id,
                Employee.status != "left",
                TrainingAssignment.status == "failed",
                TrainingItem.mandatory.is_(True),
            )
            .order_by(Employee.employee_no)
        ).all():
            due_local = a.due_at.astimezone(branch.tz).date()
            listing.append((emp.employee_no, emp.name, a.item.title, due_local.isoformat(), True))
        if listing:
            for chat in group_chats_for(s, "trainers", branch.id):
                enqueue(
                    s,
                    key=f"train-overdue:{branch.code}:{local_today.isoformat()}:{chat}",
                    kind="training_overdue_list",
                    chat_id=chat,
                    payload={
                        "text": t(
                            branch.locale, "training.overdue_list", branch=branch.code, rows=listing
                        )
                    },
                    now=now,
                    local_date=local_today,
                )
        return onboard, sent, len(listing)

    onboard, sent, overdue = ctx.call(work)
    return f"{onboard} onboarding assignments, {overdue} behind, {sent} reminders queued"


def question_clock(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    """Questions unanswered for `training_question_hours`: flag them and remind the trainers."""
    hours = ctx.settings.training_question_hours

    def work(s: Session) -> tuple[int, int]:
        n = 0
        found = questions.flag_overdue(s, branch.id, now, hours)
        for q in found:
            for r in q.recipients:
                n += enqueue(
                    s,
                    key=f"tq-remind:{q.question_id}:{r.chat_id}",
                    kind=REMINDER_KIND,
                    chat_id=r.chat_id,
                    employee_id=r.trainer_id,
                    payload={
                        "text": t(
                            r.locale,
                            "training.question_overdue",
                            qid=q.question_id,
                            no=q.employee_no,
                            name=q.name,
                            text=q.text,
                            hours=q.hours,
                        )
                    },
                    now=now,
                )
        return len(found), n

    found, n = ctx.call(work)
    return f"{found} questions past {hours} h, {n} reminders queued"


def digest(ctx: AppContext, branch: BranchInfo, now: datetime) -> str:
    """The week's figures (same as /stats) and the chart to the trainers' chat."""
    year, week, _ = branch.local(now).isocalendar()

    def work(s: Session) -> int:
        st = analytics.compute(s, now, branch.id, branch.code)
        if not st.pushes and not st.quizzes:
            return 0
        png = charts.draw_sync(
            Chart("bot.charts.training:chart", (st,), {"locale": branch.locale}),
            ctx.output_dir / f"training-digest-{branch.code}-{year}W{week}.png",
        )
        n = 0
        for chat in group_chats_for(s, "trainers", branch.id):
            payload: dict[str, object] = {"text": t(branch.locale, "training.stats", st=st)}
            n += enqueue(
                s,
                key=f"train-digest:{branch.code}:{year}W{week:02d}:{chat}",
                kind="training_digest",
                chat_id=chat,
                payload=payload,
                now=now,
            )
            if png is not None:
                enqueue(
                    s,
                    key=f"train-digest-chart:{branch.code}:{year}W{week:02d}:{chat}",
                    kind="training_digest",
                    chat_id=chat,
                    payload={"text": t(branch.locale, "training.chart_caption"), "photo": str(png)},
                    now=now,
                )
        return n

    n = ctx.call(work)
    return f"{n} digests queued"
