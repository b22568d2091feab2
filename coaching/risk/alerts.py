"""Alerts to the branch's HR chat: only people new or escalated since the last alert, with
reasons and suggested actions, and the HR buttons (contacted / snooze / not a risk)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from coaching.calendar import BranchInfo
from coaching.notices import Button, Card, Notice
from coaching.people import Caller, audit, group_chats_for
from coaching.risk.config import LEVELS, RiskConfig, level_rank
from coaching.risk.score import Assessment, Run, latest
from coaching.risk.signals import ACTIONS
from db.models import Branch, Employee, RiskAction, RiskAlertState, Team

ACTIONS_BUTTONS = ("contacted", "snooze", "not_risk")
CODES = {"c": "contacted", "s": "snooze", "n": "not_risk"}


def person_view(
    emp: Employee, score: float, level: str, reasons: list[dict[str, Any]], today: date, n: int
) -> dict[str, Any]:
    actions: list[str] = []
    for r in reasons[:n]:
        for a in ACTIONS.get(r["signal"], ()):
            if a == "mentor" and r["key"] == "tenure_window":
                continue
            if a not in actions:
                actions.append(a)
    team: Team | None = emp.team
    return {
        "employee_no": emp.employee_no,
        "name": emp.name,
        "team": team.name if team else "-",
        "months": max(0, (today - emp.hire_date).days) // 30,
        "score": round(score),
        "level": level,
        "reasons": [{"key": r["key"], "p": r["params"]} for r in reasons[:n]],
        "actions": actions,
    }


def _view(s: Session, a: Assessment, today: date, n: int) -> dict[str, Any]:
    emp = s.get(Employee, a.person.id)
    assert emp is not None
    reasons = [
        {"signal": r.signal, "key": r.key, "params": r.params, "points": r.points}
        for r in a.reasons
    ]
    return person_view(emp, a.score, a.level or "", reasons, today, n)


def buttons(employee_id: int) -> tuple[tuple[Button, ...], ...]:
    """The HR actions for one person: contacted / snooze / not a risk."""
    return (
        tuple(
            Button(f"hr.btn_{name}", f"hrr:{code}:{employee_id}") for code, name in CODES.items()
        ),
    )


def card(locale: str, v: dict[str, Any], employee_id: int) -> Card:
    """One person's alert card with its action buttons."""
    return Card(locale, "hr.alert_person", {"v": v}, buttons(employee_id))


def select_new(
    s: Session, run: Run, min_level: str, today: date, now: datetime
) -> list[Assessment]:
    """People to alert now; updates the alert state (the caller posts them)."""
    ids = [a.person.id for a in run.assessments]
    states = {
        st.employee_id: st
        for st in s.execute(
            select(RiskAlertState).where(RiskAlertState.employee_id.in_(ids))
        ).scalars()
    }
    picked = []
    for a in run.assessments:
        st = states.get(a.person.id)
        rank = level_rank(a.level)
        if st is not None and rank < level_rank(st.alerted_level):
            # Dropped since the last alert: remember, so a later rise counts as escalation.
            st.alerted_level = a.level
            st.updated_at = now
        if rank == 0 or rank < level_rank(min_level):
            continue
        if st is not None:
            if rank <= level_rank(st.alerted_level):
                continue
            if st.snooze_until and today <= st.snooze_until and rank <= level_rank(st.snooze_level):
                continue
            if st.dismissed_level and rank <= level_rank(st.dismissed_level):
                continue
        picked.append(a)
    return picked


def _mark_alerted(s: Session, picked: list[Assessment], now: datetime) -> None:
    for a in picked:
        st = s.execute(
            select(RiskAlertState).where(RiskAlertState.employee_id == a.person.id)
        ).scalar_one_or_none()
        if st is None:
            st = RiskAlertState(employee_id=a.person.id, updated_at=now)
            s.add(st)
        st.alerted_level = a.level
        st.alerted_at = now
        st.updated_at = now
        # The level rose above what HR silenced: the silence no longer applies.
        if level_rank(a.level) > level_rank(st.snooze_level):
            st.snooze_until = None
            st.snooze_level = None
        if level_rank(a.level) > level_rank(st.dismissed_level):
            st.dismissed_level = None
    s.flush()


@dataclass
class Posted:
    people: int
    chats: int
    notices: list[Notice]


def post(
    s: Session,
    branch: BranchInfo,
    run: Run,
    cfg: RiskConfig,
    now: datetime,
    *,
    min_level: str,
    kind: str,
) -> Posted:
    """The notices for new/escalated people of `run` to the branch's HR chat(s); marks them
    alerted in the same transaction (the caller queues the notices in it)."""
    today = branch.local(now).date()
    chats = group_chats_for(s, "hr_alerts", branch.id)
    if not chats:
        return Posted(0, 0, [])  # state untouched: they are alerted once a chat is registered
    picked = select_new(s, run, min_level, today, now)
    if not picked:
        return Posted(0, len(chats), [])
    locale = branch.locale
    n = cfg.alerts.max_reasons
    tag = hashlib.sha1(",".join(f"{a.person.id}:{a.level}" for a in picked).encode()).hexdigest()[
        :10
    ]
    notices: list[Notice] = []
    if len(picked) > 1:
        views = [(a.person.id, _view(s, a, today, n)) for a in picked]
        for chat in chats:
            notices += _digest(chat, kind, branch, today, views, tag)
    else:
        for chat in chats:
            head = Card(
                locale,
                "hr.alert_header",
                {
                    "kind": kind,
                    "branch": branch.name,
                    "count": len(picked),
                    "day": today.isoformat(),
                },
            )
            notices.append(
                Notice(
                    f"hr-risk-head:{chat}:{kind}:{today}:{tag}", "hr_risk", chat, head, None, today
                )
            )
            for a in picked:
                notices.append(
                    Notice(
                        f"hr-risk:{chat}:{a.person.id}:{a.level}:{today}",
                        "hr_risk",
                        chat,
                        card(locale, _view(s, a, today, n), a.person.id),
                        None,  # the person is the subject, never the recipient
                        today,
                    )
                )
    _mark_alerted(s, picked, now)
    audit(s, now, "hr:risk_alert", "allowed", detail=f"{branch.code} {kind}: {len(picked)} people")
    return Posted(len(picked), len(chats), notices)


DIGEST_PEOPLE = 10  # people per digest message: keeps it well under Telegram's 4,096 chars


def _digest(
    chat: int,
    kind: str,
    branch: BranchInfo,
    today: date,
    views: list[tuple[int, dict[str, Any]]],
    tag: str,
) -> list[Notice]:
    """Several people due for one group at once: one digest message (per DIGEST_PEOPLE) with a
    button per person that opens their card and its actions, instead of a message each — a
    group takes about 20 messages a minute."""
    parts = [views[i : i + DIGEST_PEOPLE] for i in range(0, len(views), DIGEST_PEOPLE)]
    out = []
    for i, part in enumerate(parts, 1):
        body = Card(
            branch.locale,
            "hr.alert_digest",
            {
                "kind": kind,
                "branch": branch.name,
                "count": len(views),
                "day": today.isoformat(),
                "people": [v for _, v in part],
                "part": i,
                "parts": len(parts),
            },
            tuple((Button("hr.alert_open", f"hrr:o:{pid}", {"v": v}),) for pid, v in part),
        )
        key = f"hr-risk-digest:{chat}:{kind}:{today}:{tag}:{i}"
        out.append(Notice(key, "hr_risk", chat, body, None, today))
    return out


def open_card(
    s: Session,
    employee_id: int,
    by: Caller,
    chat_id: int,
    chat_branch: int | None,
    now: datetime,
    cfg: RiskConfig,
) -> ActionResult:
    """A digest's person button: that person's alert card with the action buttons."""
    emp = s.get(Employee, employee_id)
    if emp is None:
        return ActionResult(False, "bad_button")
    if chat_branch is not None and emp.branch_id != chat_branch:
        audit(s, now, "hr:risk_open", "denied", employee_id=by.employee_id, chat_id=chat_id)
        return ActionResult(False, "other_branch")
    row = latest(s, emp.id)
    if row is None:
        return ActionResult(False, "bad_button")
    today = now.astimezone(ZoneInfo(emp.branch.timezone)).date()
    view = person_view(emp, row.score, row.level, row.reasons, today, cfg.alerts.max_reasons)
    audit(
        s,
        now,
        "hr:risk_open",
        "allowed",
        employee_id=by.employee_id,
        chat_id=chat_id,
        detail=emp.employee_no,
    )
    return ActionResult(True, card=card(emp.branch.locale, view, emp.id))


# --- buttons -------------------------------------------------------------------------------


@dataclass
class ActionResult:
    ok: bool
    error: str = ""  # template key suffix when refused
    card: Card | None = None


def record_action(
    s: Session,
    code: str,
    employee_id: int,
    by: Caller,
    chat_id: int,
    chat_branch: int | None,
    now: datetime,
    cfg: RiskConfig,
) -> ActionResult:
    action = CODES.get(code)
    emp = s.get(Employee, employee_id)
    if action is None or emp is None:
        return ActionResult(False, "bad_button")
    if chat_branch is not None and emp.branch_id != chat_branch:
        audit(
            s,
            now,
            "hr:risk_action",
            "denied",
            employee_id=by.employee_id,
            chat_id=chat_id,
            detail=f"{emp.employee_no} not in this chat's branch",
        )
        return ActionResult(False, "other_branch")
    today = now.astimezone(ZoneInfo(emp.branch.timezone)).date()
    st = s.execute(
        select(RiskAlertState).where(RiskAlertState.employee_id == emp.id)
    ).scalar_one_or_none()
    if st is None:
        st = RiskAlertState(employee_id=emp.id, updated_at=now)
        s.add(st)
    row = latest(s, emp.id)
    level = (row.level if row else "") or st.alerted_level or ""
    if action == "snooze":
        st.snooze_until = today + timedelta(days=cfg.alerts.snooze_days)
        st.snooze_level = level or LEVELS[0]
    elif action == "not_risk":
        st.dismissed_level = level or LEVELS[0]
    st.updated_at = now
    s.add(
        RiskAction(
            employee_id=emp.id,
            action=action,
            level=level,
            by_id=by.employee_id,
            chat_id=chat_id,
            at=now,
        )
    )
    audit(
        s,
        now,
        "hr:risk_action",
        "allowed",
        employee_id=by.employee_id,
        chat_id=chat_id,
        detail=f"{action} {emp.employee_no}",
    )
    v = None
    if row is not None:
        v = person_view(emp, row.score, row.level, row.reasons, today, cfg.alerts.max_reasons)
    s.flush()
    done = actions_taken(s, [emp.id])[emp.id]
    done_card = Card(emp.branch.locale, "hr.alert_done", {"done": done, "v": v}, buttons(emp.id))
    return ActionResult(True, card=done_card)


def actions_taken(s: Session, employee_ids: list[int]) -> dict[int, list[dict[str, str]]]:
    """HR's actions on each person since their last alert, oldest first — what the alert card
    lists as done after a button press, and the dashboard beside each person: the action,
    who, when (branch-local time) and, for a snooze, until when."""
    out: dict[int, list[dict[str, str]]] = {e: [] for e in employee_ids}
    if not employee_ids:
        return out
    states = {
        st.employee_id: st
        for st in s.execute(
            select(RiskAlertState).where(RiskAlertState.employee_id.in_(employee_ids))
        ).scalars()
    }
    by = aliased(Employee)
    rows = s.execute(
        select(RiskAction, by.name, Branch.timezone)
        .join(Employee, Employee.id == RiskAction.employee_id)
        .join(Branch, Branch.id == Employee.branch_id)
        .outerjoin(by, by.id == RiskAction.by_id)
        .where(RiskAction.employee_id.in_(employee_ids))
        .order_by(RiskAction.at, RiskAction.id)
    ).all()
    for h, name, tz in rows:
        st = states.get(h.employee_id)
        if st is not None and st.alerted_at is not None and h.at < st.alerted_at:
            continue  # acted on before the latest alert: that alert's business
        until = st.snooze_until if st is not None else None
        out[h.employee_id].append(
            {
                "action": h.action,
                "by": name or "?",
                "at": h.at.astimezone(ZoneInfo(tz)).strftime("%m-%d %H:%M"),
                "until": until.isoformat() if until else "",
            }
        )
    return out


def branch_view(s: Session, b: BranchInfo, now: datetime, cfg: RiskConfig) -> dict[str, Any]:
    """Who in one branch is at risk now (assessed live), with reasons and suggested actions."""
    from coaching.risk.score import assess

    today = b.local(now).date()
    run = assess(s, b, today, cfg)
    rows = [_view(s, a, today, cfg.alerts.max_reasons) for a in run.at_risk()]
    skipped = sorted(k for k, v in run.status.items() if v.startswith("skipped"))
    return {"branch": b.name, "day": today.isoformat(), "rows": rows, "skipped": skipped}


def current_views(
    s: Session, branch_ids: set[int] | None, now: datetime, cfg: RiskConfig, by_id: int | None
) -> list[dict[str, Any]]:
    """Who is at risk now, per branch in scope (for /risk); the view is audit-logged."""
    from coaching.calendar import all_branches

    out = []
    for b in all_branches(s):
        if branch_ids is not None and b.id not in branch_ids:
            continue
        view = branch_view(s, b, now, cfg)
        out.append(view)
        detail = f"{b.code}: {len(view['rows'])}"
        audit(s, now, "hr:risk_view", "allowed", employee_id=by_id, detail=detail)
    return out
