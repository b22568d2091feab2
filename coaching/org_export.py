"""Export the database's organisation as an org file (`coachbot org export` / `org show`).

`org apply` of the export changes nothing (round trip). Times are always quoted, blocks are
one flow mapping a line as in config/plans.yaml, and `show` adds what is in effect beyond the
file (rules, plan times, member counts) as comments.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Branch, Team
from db.models.org import EmployeeStatus


def _compliance_item(b: Branch) -> dict[str, Any]:
    item: dict[str, Any] = {"profile": b.rule_profile}
    if b.call_window_start is not None and b.call_window_end is not None:
        item["call_window"] = f"{b.call_window_start:%H:%M}-{b.call_window_end:%H:%M}"
    for k in ("max_calls_per_debtor", "count_calls", "min_call_seconds"):
        if getattr(b, k) is not None:
            item[k] = getattr(b, k)
    return item


def _plan_item(stored: dict[str, Any]) -> dict[str, Any]:
    item = {k: stored[k] for k in ("send_at", "recap_at") if k in stored}
    if "blocks" in stored:
        # Flow style, one block a line, as in config/plans.yaml.
        item["blocks"] = [_Flow(b) for b in stored["blocks"]]
    return item


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping yaml dumps on one line ({id: …, start: …})."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    _Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v.items(), flow_style=True)
)
_HHMM = re.compile(r"^\d\d:\d\d(-\d\d:\d\d)?$")


def _str(d: yaml.SafeDumper, v: str) -> yaml.Node:
    # Times always quoted: YAML 1.1 reads some unquoted HH:MM as numbers (08:40 -> 520).
    style = "'" if _HHMM.match(v) else None
    return d.represent_scalar("tag:yaml.org,2002:str", v, style=style)


_Dumper.add_representer(str, _str)


def export(s: Session, *, comments: bool = False, rules: dict[str, Any] | None = None) -> str:
    """The database's organisation in the org-file format (`org apply` of it changes nothing).
    With `comments`, each branch and team also shows what is in effect beyond the file: the
    compliance rule (profile and branch values; `rules` from the settings), the plan's send
    time and blocks, member counts."""
    doc: dict[str, Any] = {"branches": [], "teams": []}
    notes: dict[str, str] = {}
    branches = s.execute(select(Branch).order_by(Branch.code)).scalars().all()
    for b in branches:
        item: dict[str, Any] = {
            "code": b.code,
            "name": b.name,
            "timezone": b.timezone,
            "locale": b.locale,
        }
        if getattr(b, "currency", None):
            item["currency"] = b.currency
        item["workdays"] = sorted(b.workday_set)
        item["scoring_profile"] = b.score_profile
        item["compliance"] = _compliance_item(b)
        if b.plan_config:
            item["plan"] = _plan_item(b.plan_config)
        days = sorted(b.holidays, key=lambda h: h.day)
        if days:
            item["holidays"] = [
                {"date": h.day, "name": h.name, **({"is_workday": True} if h.is_workday else {})}
                for h in days
            ]
        doc["branches"].append(item)
        notes[f"branches:{b.code}"] = _branch_note(b, rules)
    for t in s.execute(select(Team).order_by(Team.code)).scalars():
        item = {"code": t.code, "name": t.name, "branch": t.branch.code}
        if t.lead is not None:
            item["lead"] = t.lead.employee_no
        doc["teams"].append(item)
        n = len([m for m in t.members if m.status != EmployeeStatus.LEFT])
        notes[f"teams:{t.code}"] = f"{n} member(s)" + (f", lead {t.lead.name}" if t.lead else "")
    text = yaml.dump(
        doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=None
    )
    if not comments:
        return text
    lines, section = [], ""
    for line in text.splitlines():
        if not line.startswith((" ", "-")):
            section = line.rstrip(":")
        m = re.match(r"^\s*- \{?code: ([^,}\s]+)", line)
        note = notes.get(f"{section}:{m.group(1)}") if m else None
        lines.append(f"{line}  # {note}" if note else line)
    return "\n".join(lines) + "\n"


def _branch_note(b: Branch, rules: dict[str, Any] | None) -> str:
    from coaching.compliance_auto import PROFILES, branch_rule
    from coaching.plans.config import get_config

    p = branch_rule(rules or PROFILES, b)
    counted = "connected calls" if p.count_outcomes else "every attempt"
    if p.min_seconds:
        counted += f" of {p.min_seconds}s or more"
    rule = f"calls {p.start:%H:%M}-{p.end:%H:%M}, max {p.max_calls}/debtor/day ({counted})"
    try:
        cfg = get_config().for_branch(b.code, b.plan_config)
    except Exception:  # a note only; `coachbot doctor` reports a bad config
        return f"{rule}; plan config unreadable"
    blocks = " ".join(f"{x.start:%H:%M}-{x.end:%H:%M} {x.id}" for x in cfg.by_time)
    return f"{rule}; plan at {cfg.send_at:%H:%M}, recap {cfg.recap_at:%H:%M}; blocks {blocks}"
