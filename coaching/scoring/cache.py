"""A branch's scorecards, kept for a short while per process.

/score, its trend button, /team and the heat map of everyone in a branch all rank against the
same branch-wide cards, and computing them is the bulk of those replies (issue #22: /score
was 0.4 s of SQL on the demo). Cards are reused while nothing that feeds them changed — the
newest row id of every input table is compared on each use (one cheap statement), so a new
import shows at once — and for at most TTL_S seconds, which bounds how long an edit of an
existing row (a re-import that changes a call's outcome, a team move) takes to show.
"""

from __future__ import annotations

import threading
import time
import weakref
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar import BranchInfo
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard, compute_branch
from db.models import (
    AssessmentResult,
    Call,
    Case,
    CollectorCost,
    Complaint,
    Employee,
    PromiseToPay,
    QaFinding,
    Repayment,
    Team,
)

TTL_S = 30.0
_INPUTS = (Call, Case, Repayment, PromiseToPay, Complaint, QaFinding, AssessmentResult)
_INPUTS += (CollectorCost, Employee, Team)

# Per engine (so test databases never share entries): key -> (expires, version, cfg, cards).
_cache: weakref.WeakKeyDictionary[Any, dict[tuple, tuple]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _version(s: Session) -> tuple:
    row = s.execute(select(*(select(func.max(m.id)).scalar_subquery() for m in _INPUTS))).one()
    return tuple(row)


def inputs_version(s: Session) -> tuple:
    """The newest row id of every table the scorecards read: new rows change it."""
    return _version(s)


def branch_cards(
    s: Session, cfg: ScoringConfig, b: BranchInfo, month: date, today: date | None = None
) -> list[Scorecard]:
    """`compute_branch(s, cfg, b, month, today)`, reused while its inputs are unchanged."""
    if TTL_S <= 0:
        return compute_branch(s, cfg, b, month, today)
    engine = s.get_bind()
    key = (b.id, b.timezone, month, today, id(cfg))
    version = _version(s)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(engine, {}).get(key)
    if hit is not None and hit[0] > now and hit[1] == version and hit[2] is cfg:
        return list(hit[3])  # callers may sort their list
    cards = compute_branch(s, cfg, b, month, today)
    with _lock:
        entries = _cache.setdefault(engine, {})
        if len(entries) > 256:  # months and days roll over: drop what is stale
            for k in [k for k, v in entries.items() if v[0] <= now]:
                del entries[k]
        entries[key] = (now + TTL_S, version, cfg, cards)
    return list(cards)


def clear() -> None:
    with _lock:
        _cache.clear()
