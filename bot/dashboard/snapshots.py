"""Each branch's dashboard data, precomputed (the `dashboard_precompute` job) so that a page
is a read of stored JSON, never a cold computation: scoring a 5,000-collector branch, its
training analytics or its risk assessment takes seconds; reading one team's part takes
milliseconds.

Parts per branch (rows of `dashboard_snapshots`, written together in one transaction):

- `team:<id>`     a team's scoreboard in rank order with sparklines (sorted per request);
- `people:<id>`   each member's score entry for the person page (the card /score shows and
                  this month's live trend point); `people:-` for collectors without a team;
- `branches`      the branch's team comparison;
- `training`      the branch's training analytics and answer clock;
- `risk`          who is at risk now (reasons, suggested actions) with attrition and exits;
- `meta`          when, from what (`stamp`), how long it took.

An import marks every part `stale` (coaching/ingest/engine.py): the page says newer data is
being computed until the job's next check replaces it.

Parts over every branch (`branch_id` NULL: an admin's "all" views) are refreshed by the run
of the first branch (by code): `training:*`, `risk:*` (attrition and exits of all branches).

What stays live on each request, because it is cheap and must show at once: every scope
check, the team list, a person's plan days, training path and drills, and HR's actions on the
risk list (`data.with_actions`). Nothing is stored per viewer: the scope filter picks parts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.dashboard import data
from bot.dashboard.person import score_entry
from coaching.calendar import BranchInfo
from coaching.risk import alerts
from coaching.risk.config import RiskConfig
from coaching.scoring import service as svc
from coaching.scoring.cache import inputs_version
from coaching.scoring.config import ScoringConfig
from db.models import (
    DashboardSnapshot,
    ExitRecord,
    QuizAttempt,
    RiskScore,
    ScoreSnapshot,
    TraineeQuestion,
    TrainingAssignment,
)
from db.sql import lock_for_writers

ALL = "*"
# Besides the scorecards' inputs (coaching.scoring.cache): new rows here change the pages.
_MORE_INPUTS = (TrainingAssignment, QuizAttempt, TraineeQuestion, RiskScore, ExitRecord)
_MORE_INPUTS += (ScoreSnapshot,)


@dataclass(frozen=True)
class Inputs:
    scoring: ScoringConfig
    risk: RiskConfig
    question_hours: int


@dataclass(frozen=True)
class Snap:
    data: Any
    computed_at: datetime
    stale: bool


def stamp(s: Session, b: BranchInfo, now: datetime) -> str:
    """What the data is computed from: the branch-local date (live figures are paced to it)
    and the newest row id of every input table (an import adds rows)."""
    more = s.execute(select(*(select(func.max(m.id)).scalar_subquery() for m in _MORE_INPUTS)))
    ids = (*inputs_version(s), *more.one())
    return f"{b.local(now).date().isoformat()}|{','.join(str(i or 0) for i in ids)}"


# Changes are taken in at most this often per branch: an ingest API fed every minute must not
# keep a big branch recomputing (16 s for 5,000 collectors) all day; the pages say "stale".
MIN_AGE = timedelta(minutes=2)


def due(s: Session, b: BranchInfo, now: datetime, max_age: timedelta) -> str | None:
    """Why the branch's parts need computing now, or None when they are current (or were
    computed less than MIN_AGE ago)."""
    meta = s.execute(
        select(DashboardSnapshot).where(
            DashboardSnapshot.branch_id == b.id, DashboardSnapshot.part == "meta"
        )
    ).scalar_one_or_none()
    if meta is None:
        return "no data yet"
    if now - meta.computed_at < MIN_AGE:
        return None
    if meta.stale:
        return "data imported"
    if meta.stamp != stamp(s, b, now):
        return "inputs changed"
    if now - meta.computed_at >= max_age:
        return "max age"
    return None


def compute(
    s: Session, b: BranchInfo, now: datetime, inp: Inputs, everywhere: bool
) -> dict[tuple[int | None, str], Any]:
    """Every part of one branch (and, with `everywhere`, the all-branch parts), through the
    same functions the live pages call."""
    parts: dict[tuple[int | None, str], Any] = {}
    views = svc.branch_views(s, inp.scoring, b.id, now)
    for tv in views.teams:
        parts[(b.id, f"team:{tv.team.id}")] = data.board(s, tv)
    people: dict[str, dict[str, Any]] = {}
    for eid, v in views.mine.items():
        team = v.card.team_id
        entry = score_entry(v, views.live.get(eid), views.month)
        people.setdefault(f"people:{team if team is not None else '-'}", {})[str(eid)] = entry
    for key, entries in people.items():
        parts[(b.id, key)] = entries
    cards = list(views.live.values())
    parts[(b.id, "branches")] = data.branch_row(s, inp.scoring, b.id, now, cards)
    parts[(b.id, "training")] = data.training(s, now, b.id, b.code, inp.question_hours)
    view = data.with_ids(s, [alerts.branch_view(s, b, now, inp.risk)])[0]
    parts[(b.id, "risk")] = {"view": view, **data.risk_history(s, {b.id}, now)}
    if everywhere:
        parts[(None, f"training:{ALL}")] = data.training(s, now, None, ALL, inp.question_hours)
        parts[(None, f"risk:{ALL}")] = data.risk_history(s, None, now)
    return parts


def store(
    s: Session,
    b: BranchInfo,
    parts: dict[tuple[int | None, str], Any],
    now: datetime,
    stamp_: str,
    meta: dict[str, Any],
    stale: bool = False,
) -> None:
    """Replace the branch's parts (and the all-branch ones given) in one transaction: a
    reader sees the old set or the new one, never a mix; a team gone is gone."""
    s.execute(delete(DashboardSnapshot).where(DashboardSnapshot.branch_id == b.id))
    globals_ = [p for (bid, p) in parts if bid is None]
    if globals_:
        s.execute(
            delete(DashboardSnapshot).where(
                DashboardSnapshot.branch_id.is_(None), DashboardSnapshot.part.in_(globals_)
            )
        )
    rows = [
        DashboardSnapshot(branch_id=bid, part=p, computed_at=now, stamp=stamp_, data=d, stale=stale)
        for (bid, p), d in parts.items()
    ]
    rows.append(
        DashboardSnapshot(
            branch_id=b.id, part="meta", computed_at=now, stamp=stamp_, data=meta, stale=stale
        )
    )
    s.add_all(rows)


def refresh(
    s: Session, b: BranchInfo, now: datetime, inp: Inputs, everywhere: bool
) -> tuple[int, float]:
    """Compute and store every part of the branch; (parts written, seconds taken)."""
    t = time.perf_counter()
    marked = _meta_stamp(s, b)
    st = stamp(s, b, now)  # before computing: rows arriving meanwhile make the next run due
    parts = compute(s, b, now, inp, everywhere)
    took = time.perf_counter() - t
    # An import that marked the parts stale while they were computed (it gives them a new
    # stamp) may not be in them: they stay stale, and the next check computes again. The
    # lock orders this read and the replacement with the import's mark.
    lock_for_writers(s, DashboardSnapshot.__tablename__)
    stale = _meta_stamp(s, b) != marked
    store(s, b, parts, now, st, {"took_s": round(took, 3), "parts": len(parts)}, stale=stale)
    return len(parts), took


def _meta_stamp(s: Session, b: BranchInfo) -> str | None:
    return s.execute(
        select(DashboardSnapshot.stamp).where(
            DashboardSnapshot.branch_id == b.id, DashboardSnapshot.part == "meta"
        )
    ).scalar_one_or_none()


# --- reading -------------------------------------------------------------------------------


def load(s: Session, branch_id: int | None, part: str) -> Snap | None:
    q = select(DashboardSnapshot.data, DashboardSnapshot.computed_at, DashboardSnapshot.stale)
    if branch_id is None:
        q = q.where(DashboardSnapshot.branch_id.is_(None))
    else:
        q = q.where(DashboardSnapshot.branch_id == branch_id)
    row = s.execute(q.where(DashboardSnapshot.part == part)).one_or_none()
    return Snap(row[0], row[1], row[2]) if row is not None else None


def updated(at: datetime, tz: str, now: datetime, stale: bool, live: bool) -> dict[str, Any]:
    """When the page's data was computed, for "更新于 hh:mm" (the date too when not today),
    in the branch's time zone; `stale`: newer data is being computed; `live`: just now."""
    zone = ZoneInfo(tz)
    local = at.astimezone(zone)
    same_day = local.date() == now.astimezone(zone).date()
    return {
        "at": at.isoformat(timespec="seconds"),
        "local": local.strftime("%H:%M" if same_day else "%m-%d %H:%M"),
        "stale": stale,
        "live": live,
    }


def oldest(snaps: list[Snap]) -> Snap:
    """Several parts on one page: the oldest says how old the page is."""
    first = min(snaps, key=lambda x: x.computed_at)
    return Snap(first.data, first.computed_at, any(x.stale for x in snaps))
