"""One function per page: check the viewer's scope, fetch the data, return (status, data).

A refusal is a `Refused` (status, audit detail, message key); the route turns it into a 403
page or JSON error and writes the audit row. The same function serves the HTML page and the
JSON API, so the two can never disagree on scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dashboard import data
from bot.dashboard.cache import PageCache
from bot.dashboard.scope import Viewer
from coaching.people import audit
from coaching.scoring import service as svc
from coaching.scoring.config import ScoringConfig
from db.models import Branch, Employee


class Refused(Exception):
    def __init__(self, status: int, detail: str, key: str = "dash.refused_scope") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.key = key


@dataclass(frozen=True)
class Env:
    """What page functions need besides the session: config, clock reading, settings."""

    scoring: ScoringConfig
    risk: Any
    now: datetime
    question_hours: int
    cache: PageCache = field(default_factory=lambda: PageCache(0))


def _int(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise Refused(400, f"bad parameter {name}", "dash.bad_param")
    return int(raw)


def _require(v: Viewer, page: str) -> None:
    if not v.may_open(page):
        raise Refused(403, f"role may not open {page}", "dash.refused_role")


def home(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    return {"name": v.caller.name, "roles": sorted(v.caller.roles), "nav": v.nav()}


def team(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "team")
    sort = params.get("sort", "rank")
    if v.has("hr", "admin"):
        teams = data.team_list(s, v.branch_scope(), None)
    else:
        teams = data.team_list(s, None, v.led_teams)
    team_id = _int(params, "team")
    if team_id is None:
        if not teams:
            return {"teams": [], "board": None}
        team_id = teams[0]["id"]
    ref = svc.team_by_id(s, team_id)
    if ref is None:
        raise Refused(404, f"no team {team_id}", "dash.not_found")
    if not v.may_see_team(ref.id, ref.branch_id):
        raise Refused(403, f"team {ref.code} out of scope")
    allowed = set(data.SORTS) | {f"c:{n}" for n in env.scoring.components}
    if sort not in allowed:
        raise Refused(400, f"bad sort {sort[:40]}", "dash.bad_param")
    board = env.cache.get(
        ("team", ref.id, sort), lambda: data.scoreboard(s, env.scoring, ref.id, env.now, sort)
    )
    return {"teams": teams, "board": board}


def branches(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "branches")
    scope = v.branch_scope()
    ids = (
        [scope]
        if scope is not None
        else list(s.execute(select(Branch.id).order_by(Branch.code)).scalars())
    )
    rows = env.cache.get(
        ("branches", tuple(ids)), lambda: data.branches(s, env.scoring, ids, env.now)
    )
    return {"branches": rows}


def person(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    eid = _int(params, "e") or v.caller.employee_id
    emp = s.get(Employee, eid)
    if emp is None:
        raise Refused(404, f"no employee id {eid}", "dash.not_found")
    sections = v.sections_for(emp.id, emp.branch_id, emp.team_id)
    if not sections:
        raise Refused(403, f"{emp.employee_no} out of scope")
    out = env.cache.get(
        ("person", emp.id, sections),
        lambda: data.person(s, env.scoring, emp.id, env.now, sections),
    )
    assert out is not None
    return out


def training(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "training")
    everywhere = params.get("all") == "1"
    branch_id = None if everywhere else v.caller.branch_id
    label = "*" if everywhere else v.caller.branch_code
    return env.cache.get(
        ("training", branch_id),
        lambda: data.training(s, env.now, branch_id, label, env.question_hours),
    )


def risk(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "risk")
    scope = v.branch_scope()
    branch_ids = None if scope is None else {scope}
    fresh = []
    out = env.cache.get(
        ("risk", scope),
        lambda: (
            fresh.append(1) or data.risk(s, branch_ids, env.now, env.risk, v.caller.employee_id)
        ),
    )
    if not fresh:  # served from the cache: the view is audit-logged all the same
        for view in out["views"]:
            audit(
                s,
                env.now,
                "hr:risk_view",
                "allowed",
                employee_id=v.caller.employee_id,
                detail=f"{view['branch']}: {len(view['rows'])} (dashboard)",
            )
    return out


PAGES = {
    "home": home,
    "team": team,
    "branches": branches,
    "person": person,
    "training": training,
    "risk": risk,
}
