"""One function per page: check the viewer's scope, fetch the data, return (status, data).

A refusal is a `Refused` (status, audit detail, message key); the route turns it into a 403
page or JSON error and writes the audit row. The same function serves the HTML page and the
JSON API, so the two can never disagree on scope.

Data comes from the branch's precomputed parts (bot/dashboard/snapshots.py) picked by the
viewer's scope after the scope checks; a part not computed yet (a new installation before the
job's first run, a team created since) is computed now, through the same functions, and kept
in the page cache. Every page says when its data was computed (`updated`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.dashboard import data, snapshots
from bot.dashboard import person as person_data
from bot.dashboard.cache import PageCache
from bot.dashboard.scope import Viewer
from coaching.people import audit
from coaching.scoring import service as svc
from coaching.scoring.config import ScoringConfig
from db.models import Branch, Employee

MAX_ID = 2**31 - 1  # the id columns are INTEGER


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
    # False: compute every page now (the bench's baseline and the tests' reference).
    snapshots: bool = True

    def snap(self, s: Session, branch_id: int | None, part: str) -> snapshots.Snap | None:
        return snapshots.load(s, branch_id, part) if self.snapshots else None

    def updated(self, s: Session, snap: snapshots.Snap | None, branch_id: int | None) -> dict:
        """When the data was computed, in the branch's time zone (the caller's for "all")."""
        b = s.get(Branch, branch_id) if branch_id is not None else None
        tz = b.timezone if b is not None else "Asia/Shanghai"
        if snap is None:
            return snapshots.updated(self.now, tz, self.now, False, True)
        return snapshots.updated(snap.computed_at, tz, self.now, snap.stale, False)


def _live(
    s: Session, env: Env, key: tuple[Any, ...], make: Any, branch_id: int | None
) -> tuple[Any, dict[str, Any]]:
    """A page's data computed now (no stored part yet), kept in the page cache together with
    when it was computed: a reused answer does not claim to be new."""
    return env.cache.get(key, lambda: (make(), env.updated(s, None, branch_id)))


def _int(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    # ASCII only: str.isdigit() also accepts "²" (int() refuses it: a 500) and "١٢" (12).
    # Ids are INTEGER columns: a larger number fails in the database (a 500), not a lookup.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 12 or int(raw) > MAX_ID:
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
            return {"teams": [], "board": None, "updated": None}
        team_id = teams[0]["id"]
    ref = svc.team_by_id(s, team_id)
    if ref is None:
        raise Refused(404, f"no team {team_id}", "dash.not_found")
    if not v.may_see_team(ref.id, ref.branch_id):
        raise Refused(403, f"team {ref.code} out of scope")
    allowed = set(data.SORTS) | {f"c:{n}" for n in env.scoring.components}
    if sort not in allowed:
        raise Refused(400, f"bad sort {sort[:40]}", "dash.bad_param")
    snap = env.snap(s, ref.branch_id, f"team:{ref.id}")
    if snap is not None:
        board, updated = data.sort_board(snap.data, sort), env.updated(s, snap, ref.branch_id)
    else:
        board, updated = _live(
            s,
            env,
            ("team", ref.id, sort),
            lambda: data.scoreboard(s, env.scoring, ref.id, env.now, sort),
            ref.branch_id,
        )
    return {"teams": teams, "board": board, "updated": updated}


def branches(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "branches")
    scope = v.branch_scope()
    ids = (
        [scope]
        if scope is not None
        else list(s.execute(select(Branch.id).order_by(Branch.code)).scalars())
    )
    snaps = [env.snap(s, bid, "branches") for bid in ids]
    if ids and all(x is not None for x in snaps):
        got = [x for x in snaps if x is not None]
        rows = [x.data for x in got]
        return {"branches": rows, "updated": env.updated(s, snapshots.oldest(got), ids[0])}
    rows, updated = _live(
        s,
        env,
        ("branches", tuple(ids)),
        lambda: data.branches(s, env.scoring, ids, env.now),
        v.caller.branch_id,
    )
    return {"branches": rows, "updated": updated}


def person(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    eid = _int(params, "e") or v.caller.employee_id
    emp = s.get(Employee, eid)
    if emp is None:
        raise Refused(404, f"no employee id {eid}", "dash.not_found")
    sections = v.sections_for(emp.id, emp.branch_id, emp.team_id)
    if not sections:
        raise Refused(403, f"{emp.employee_no} out of scope")
    scored = "score" in sections and "collector" in emp.roles
    team = emp.team_id if emp.team_id is not None else "-"
    snap = env.snap(s, emp.branch_id, f"people:{team}") if scored else None
    entry = snap.data.get(str(emp.id)) if snap is not None else None
    if entry is None:
        snap = None
    if entry is not None or not scored:
        # Only this person's own rows are read now (plan days, training, drills).
        out = person_data.person(s, env.scoring, emp.id, env.now, sections, score=entry)
        updated = env.updated(s, snap, emp.branch_id) if scored else None
    else:
        out, updated = _live(
            s,
            env,
            ("person", emp.id, sections),
            lambda: person_data.person(s, env.scoring, emp.id, env.now, sections),
            emp.branch_id,
        )
    assert out is not None
    return {**out, "updated": updated}


def training(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "training")
    everywhere = params.get("all") == "1"
    branch_id = None if everywhere else v.caller.branch_id
    label = "*" if everywhere else v.caller.branch_code
    part = f"training:{snapshots.ALL}" if everywhere else "training"
    snap = env.snap(s, branch_id, part)
    if snap is not None:
        out, updated = snap.data, env.updated(s, snap, v.caller.branch_id)
    else:
        out, updated = _live(
            s,
            env,
            ("training", branch_id),
            lambda: data.training(s, env.now, branch_id, label, env.question_hours),
            v.caller.branch_id,
        )
    return {**out, "updated": updated}


def risk(s: Session, v: Viewer, env: Env, params: dict[str, str]) -> dict[str, Any]:
    _require(v, "risk")
    scope = v.branch_scope()
    ids = (
        [scope]
        if scope is not None
        else list(s.execute(select(Branch.id).order_by(Branch.code)).scalars())
    )
    snaps = [env.snap(s, bid, "risk") for bid in ids]
    extra = env.snap(s, None, f"risk:{snapshots.ALL}") if scope is None else None
    if ids and all(x is not None for x in snaps) and (scope is not None or extra is not None):
        got = [x for x in snaps if x is not None]
        views = [x.data["view"] for x in got]
        hist = (extra if extra is not None else got[0]).data
        out = {
            "views": views,
            "attrition": hist["attrition"],
            "exits": hist["exits"],
            "updated": env.updated(s, snapshots.oldest(got + ([extra] if extra else [])), ids[0]),
        }
    else:
        made, updated = _live(
            s,
            env,
            ("risk", scope),
            lambda: data.risk(s, None if scope is None else {scope}, env.now, env.risk),
            v.caller.branch_id,
        )
        out = {**made, "updated": updated}
    # A view of who is at risk is audit-logged per branch as in the chat (/risk), whether
    # precomputed or computed now (the computation itself logs nothing).
    for view in out["views"]:
        audit(
            s,
            env.now,
            "hr:risk_view",
            "allowed",
            employee_id=v.caller.employee_id,
            detail=f"{view['branch']}: {len(view['rows'])} (dashboard)",
        )
    # HR's actions (contacted / snoozed / not a risk) are read now: they show at once.
    return {**out, "views": data.with_actions(s, out["views"])}


PAGES = {
    "home": home,
    "team": team,
    "branches": branches,
    "person": person,
    "training": training,
    "risk": risk,
}
