"""Apply an organisation file to the database, or export the database as one.

`plan_changes` compares the file with the database and lists what would change (the dry-run
diff); `apply` writes exactly those changes. Everything is checked before anything is written,
and the caller runs both in one transaction, so a refused file leaves the database unchanged.
Applying the same file twice changes nothing the second time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from coaching.org import BranchSpec, HolidaySpec, OrgFile, OrgFileError, read_calendar
from coaching.org_export import export
from db.models import Branch, Employee, GroupChat, Holiday, JobRun, Team
from db.models.org import EmployeeStatus

# The scoring helper may add Branch.currency; store the file's currency only where it exists.
HAS_CURRENCY = hasattr(Branch, "currency")

__all__ = ["Change", "Plan", "apply", "export", "plan_changes"]


@dataclass
class Change:
    kind: str  # branch / team / holidays
    code: str
    action: str  # add / change / remove
    detail: str = ""

    def __str__(self) -> str:
        sign = {"add": "+", "remove": "-"}.get(self.action, "~")
        return f"{sign} {self.kind} {self.code}{': ' + self.detail if self.detail else ''}"


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Resolved values the apply step needs.
    holidays: dict[str, list[HolidaySpec] | None] = field(default_factory=dict)
    leads: dict[str, int | None] = field(default_factory=dict)


def _branch_values(b: BranchSpec) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": b.name,
        "timezone": b.timezone,
        "locale": b.locale,
        "workdays": ",".join(str(d) for d in b.workdays),
        "score_profile": b.scoring_profile,
        "rule_profile": b.compliance.profile,
        # Not in the file: NULL, the default (config/plans.yaml, the rule profile's value).
        "plan_config": b.plan.stored() if b.plan else None,
        "call_window_start": b.compliance.window[0],
        "call_window_end": b.compliance.window[1],
        "max_calls_per_debtor": b.compliance.max_calls_per_debtor,
        "count_calls": b.compliance.count_calls,
        "min_call_seconds": b.compliance.min_call_seconds,
    }
    if HAS_CURRENCY and b.currency is not None:
        # Left out of the file: keep what the branch has (the column may have a default).
        values["currency"] = b.currency
    return values


# The diff names the file's fields, not the columns.
FIELDS = {
    "score_profile": "scoring_profile",
    "rule_profile": "compliance.profile",
    "plan_config": "plan",
    "max_calls_per_debtor": "compliance.max_calls_per_debtor",
    "count_calls": "compliance.count_calls",
    "min_call_seconds": "compliance.min_call_seconds",
}
OPTIONAL = {"plan_config", "max_calls_per_debtor", "count_calls", "min_call_seconds"}


def _show(v: Any, optional: bool = False) -> str:
    """A value in the dry-run diff: times as HH:MM, the plan settings as compact JSON; an
    optional setting left out is "(default)"."""
    if v is None and optional:
        return "(default)"
    if isinstance(v, dict):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return repr(v)


def _window(start: time | None, end: time | None) -> str:
    return f"{start:%H:%M}-{end:%H:%M}" if start and end else "(default)"


def _branch_diff(row: Branch, values: dict[str, Any]) -> list[str]:
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    out = []
    for k in changed:
        if k == "call_window_end" and "call_window_start" in changed:
            continue
        if k in ("call_window_start", "call_window_end"):
            old = _window(row.call_window_start, row.call_window_end)
            new = _window(values["call_window_start"], values["call_window_end"])
            out.append(f"compliance.call_window {old} -> {new}")
            continue
        old_v, new_v = getattr(row, k), values[k]
        out.append(
            f"{FIELDS.get(k, k)} {_show(old_v, k in OPTIONAL)} -> {_show(new_v, k in OPTIONAL)}"
        )
    return out


def _known_profiles() -> tuple[set[str], set[str]]:
    from coaching.compliance_auto import PROFILES
    from coaching.scoring.config import get_config

    return set(get_config().profiles), set(PROFILES)


def plan_changes(s: Session, f: OrgFile, *, defer_leads: bool = False) -> Plan:
    """What applying `f` would change; raises OrgFileError (naming file, line and field) for
    anything that cannot be applied."""
    plan = Plan()
    problems: list[str] = []
    scoring, compliance = _known_profiles()
    branches = {b.code: b for b in s.execute(select(Branch)).scalars()}
    teams = {t.code: t for t in s.execute(select(Team)).scalars()}
    wanted_b = {b.code for b in f.spec.branches}
    wanted_t = {t.code for t in f.spec.teams}

    for i, b in enumerate(f.spec.branches):
        if b.scoring_profile not in scoring:
            problems.append(
                f.problem(
                    ("branches", i, "scoring_profile"),
                    f"no scoring profile {b.scoring_profile!r} (have {', '.join(sorted(scoring))})",
                )
            )
        if b.compliance.profile not in compliance:
            problems.append(
                f.problem(
                    ("branches", i, "compliance", "profile"),
                    f"no compliance profile {b.compliance.profile!r} "
                    f"(have {', '.join(sorted(compliance))})",
                )
            )
        try:
            plan.holidays[b.code] = read_calendar(f, i)
        except OrgFileError as exc:
            problems.extend(exc.problems)
        row = branches.get(b.code)
        if row is None:
            plan.changes.append(Change("branch", b.code, "add", b.name))
        else:
            diff = _branch_diff(row, _branch_values(b))
            if diff:
                plan.changes.append(Change("branch", b.code, "change", "; ".join(diff)))
        if b.currency and not HAS_CURRENCY:
            plan.notes.append(f"branch {b.code}: currency {b.currency} not stored (no column yet)")

    by_no = {
        e.employee_no: e
        for e in s.execute(
            select(Employee).where(
                Employee.employee_no.in_([t.lead for t in f.spec.teams if t.lead])
            )
        ).scalars()
    }
    for i, t in enumerate(f.spec.teams):
        lead_id: int | None = None
        if t.lead:
            emp = by_no.get(t.lead)
            why = None
            if emp is None:
                why = f"lead {t.lead!r} is not an employee"
            elif emp.status == EmployeeStatus.LEFT:
                why = f"lead {t.lead} ({emp.name}) has left"
            elif emp.branch.code != t.branch:
                why = f"lead {t.lead} ({emp.name}) works in {emp.branch.code}, not {t.branch}"
            if why and defer_leads:
                plan.notes.append(f"team {t.code}: {why}; lead not set (apply again after import)")
                lead_id = teams[t.code].lead_id if t.code in teams else None
            elif why:
                problems.append(f.problem(("teams", i, "lead"), why))
            else:
                lead_id = emp.id  # type: ignore[union-attr]
        plan.leads[t.code] = lead_id
        row = teams.get(t.code)
        if row is None:
            plan.changes.append(Change("team", t.code, "add", f"{t.name} in {t.branch}"))
            continue
        diff = []
        if row.name != t.name:
            diff.append(f"name {row.name!r} -> {t.name!r}")
        if row.branch.code != t.branch:
            moving = _members(s, row)
            if moving:
                problems.append(
                    f.problem(
                        ("teams", i, "branch"),
                        f"team {t.code} still has members in {row.branch.code} "
                        f"({', '.join(moving)}); move them first",
                    )
                )
            diff.append(f"branch {row.branch.code} -> {t.branch}")
        if row.lead_id != lead_id:
            old = row.lead.employee_no if row.lead else None
            diff.append(f"lead {old} -> {t.lead if lead_id else None}")
        if diff:
            plan.changes.append(Change("team", t.code, "change", "; ".join(diff)))

    for code, row in sorted(teams.items()):
        if code not in wanted_t:
            members = _members(s, row)
            if members:
                problems.append(
                    f"{f.path}: field teams: team {code} is not in the file but still has "
                    f"members: {', '.join(members)}; move them (employee import) first"
                )
            plan.changes.append(Change("team", code, "remove", row.name))
    for code, row in sorted(branches.items()):
        if code not in wanted_b:
            n = s.execute(
                select(func.count()).select_from(Employee).where(Employee.branch_id == row.id)
            ).scalar_one()
            chats = (
                s.execute(select(GroupChat.chat_id).where(GroupChat.branch_id == row.id))
                .scalars()
                .all()
            )
            if n or chats:
                what = [f"{n} employee(s)"] if n else []
                what += [f"group chat {c}" for c in chats]
                problems.append(
                    f"{f.path}: field branches: branch {code} is not in the file but still has "
                    f"{', '.join(what)}"
                )
            plan.changes.append(Change("branch", code, "remove", row.name))

    for b in f.spec.branches:
        days = plan.holidays.get(b.code)
        if days is None:
            continue
        row = branches.get(b.code)
        have = {(h.day, h.name, h.is_workday) for h in row.holidays} if row is not None else set()
        want = {(d.date, d.name, d.is_workday) for d in days}
        if have != want:
            plan.changes.append(
                Change(
                    "holidays",
                    b.code,
                    "change",
                    f"+{len(want - have)} -{len(have - want)} day(s)",
                )
            )
    if problems:
        raise OrgFileError(problems)
    return plan


def _members(s: Session, team: Team) -> list[str]:
    rows = s.execute(
        select(Employee.employee_no, Employee.name)
        .where(Employee.team_id == team.id, Employee.status != EmployeeStatus.LEFT)
        .order_by(Employee.employee_no)
    ).all()
    return [f"{no} {name}" for no, name in rows]


def apply(s: Session, f: OrgFile, *, defer_leads: bool = False) -> Plan:
    """Check, then write the changes (in the caller's transaction)."""
    plan = plan_changes(s, f, defer_leads=defer_leads)
    if not plan.changes:
        return plan
    branches = {b.code: b for b in s.execute(select(Branch)).scalars()}
    for b in f.spec.branches:
        row = branches.get(b.code)
        if row is None:
            row = branches[b.code] = Branch(code=b.code)
            s.add(row)
        for k, v in _branch_values(b).items():
            if getattr(row, k, None) != v:
                setattr(row, k, v)
    s.flush()
    teams = {t.code: t for t in s.execute(select(Team)).scalars()}
    wanted_t = {t.code for t in f.spec.teams}
    for code, row in teams.items():
        if code not in wanted_t:
            # Left members keep their history; they just no longer point at the team.
            for e in s.execute(select(Employee).where(Employee.team_id == row.id)).scalars():
                e.team_id = None
            s.delete(row)
    s.flush()
    for t in f.spec.teams:
        row = teams.get(t.code)
        if row is None:
            row = Team(code=t.code)
            s.add(row)
        row.name = t.name
        row.branch_id = branches[t.branch].id
        row.lead_id = plan.leads.get(t.code)
    s.flush()
    for code, days in plan.holidays.items():
        if days is None:
            continue
        bid = branches[code].id
        have = {
            h.day: h for h in s.execute(select(Holiday).where(Holiday.branch_id == bid)).scalars()
        }
        want = {d.date: d for d in days}
        for day, h in have.items():
            if day not in want:
                s.delete(h)
        for day, d in want.items():
            h = have.get(day)
            if h is None:
                s.add(Holiday(branch_id=bid, day=day, name=d.name, is_workday=d.is_workday))
            elif (h.name, h.is_workday) != (d.name, d.is_workday):
                h.name, h.is_workday = d.name, d.is_workday
    wanted_b = {b.code for b in f.spec.branches}
    for code, row in branches.items():
        if code not in wanted_b:
            # Nothing of a branch without staff or chats is worth keeping: its holidays and
            # job-run history go with it.
            s.execute(delete(Holiday).where(Holiday.branch_id == row.id))
            s.execute(delete(JobRun).where(JobRun.branch_id == row.id))
            s.expire(row, ["holidays"])
            s.delete(row)
    s.flush()
    return plan
