"""Backtest: replay history month by month, score everyone as of each month-end with the
same signals (historical mode: no peeking past the month-end), and measure the score against
who actually left in the following `horizon` days.

- AUC: sklearn.metrics.roc_auc_score over every (person, month-end) pair.
- precision@k: at each month-end, the share of the k highest scores (firm-wide) who left
  within the horizon; averaged over the month-ends.
- fit: logistic regression (scikit-learn) of "left within the horizon" on the signal
  strengths; positive coefficients become the new weights, scaled so the weights of the
  fitted signals keep their current total (the score scale and level thresholds stay
  meaningful). Signals without any variation in the history keep their configured weight.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar import all_branches
from coaching.risk.config import RiskConfig
from coaching.risk.score import assess
from db.models import Employee, Repayment


@dataclass(frozen=True)
class Sample:
    as_of: date
    employee_id: int
    employee_no: str
    score: float
    features: dict[str, float]
    left: bool


@dataclass
class Replay:
    samples: list[Sample]
    month_ends: list[date]
    status: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metrics:
    n: int
    positives: int
    auc: float | None
    precision_at_k: float | None
    k: int
    per_month: list[tuple[date, int, int, float | None]]  # as_of, people, leavers, p@k


def _month_end(d: date) -> date:
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def month_ends(s: Session, today: date, horizon: int, months: int | None) -> list[date]:
    """Month-ends whose whole horizon lies in the past, from the first month with data."""
    first = s.execute(select(func.min(Repayment.paid_at))).scalar_one_or_none()
    hired = s.execute(select(func.min(Employee.hire_date))).scalar_one_or_none()
    start = first.date() if first else hired
    if start is None:
        return []
    out = []
    d = _month_end(start)
    while d + timedelta(days=horizon) <= today:
        out.append(d)
        d = _month_end(d + timedelta(days=1))
    return out[-months:] if months else out


def replay(
    s: Session,
    cfg: RiskConfig,
    today: date,
    *,
    horizon: int = 60,
    months: int | None = None,
) -> Replay:
    ends = month_ends(s, today, horizon, months)
    samples: list[Sample] = []
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for as_of in ends:
        for b in all_branches(s):
            run = assess(s, b, as_of, cfg, historical=True)
            for k, v in run.status.items():
                seen[k][v] += 1
            for a in run.assessments:
                left_on = a.person.left_on
                left = left_on is not None and as_of < left_on <= as_of + timedelta(days=horizon)
                samples.append(
                    Sample(as_of, a.person.id, a.person.employee_no, a.score, a.features, left)
                )
    # Every distinct status with how often: an early month-end with no snapshots yet must not
    # stand for the whole replay.
    status = {
        k: next(iter(c)) if len(c) == 1 else "; ".join(f"{v} [{n}×]" for v, n in c.most_common())
        for k, c in seen.items()
    }
    return Replay(samples, ends, status)


def metrics(samples: list[Sample], k: int = 10) -> Metrics:
    from sklearn.metrics import roc_auc_score

    y = [int(x.left) for x in samples]
    auc = roc_auc_score(y, [x.score for x in samples]) if 0 < sum(y) < len(y) else None
    per_month = []
    by_month: dict[date, list[Sample]] = {}
    for x in samples:
        by_month.setdefault(x.as_of, []).append(x)
    precisions = []
    for d in sorted(by_month):
        ranked = sorted(by_month[d], key=lambda x: (-x.score, x.employee_no))
        top = ranked[:k]
        p = sum(x.left for x in top) / len(top) if top else None
        if p is not None:
            precisions.append(p)
        per_month.append((d, len(ranked), sum(x.left for x in ranked), p))
    pk = sum(precisions) / len(precisions) if precisions else None
    return Metrics(len(samples), sum(y), None if auc is None else float(auc), pk, k, per_month)


def fit(samples: list[Sample], cfg: RiskConfig) -> dict[str, float]:
    """New weights from a logistic regression on the replay (see module docstring)."""
    from sklearn.linear_model import LogisticRegression

    names = [n for n in cfg.signals if any(x.features.get(n, 0.0) for x in samples)]
    y = [int(x.left) for x in samples]
    if not names or not 0 < sum(y) < len(y):
        raise ValueError("history has no leavers (or only leavers) to fit on")
    X = [[x.features.get(n, 0.0) for n in names] for x in samples]
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    model.fit(X, y)
    coefs = {n: max(0.0, float(c)) for n, c in zip(names, model.coef_[0], strict=True)}
    budget = sum(cfg.weight(n) for n in names)
    total = sum(coefs.values())
    weights = {n: cfg.weight(n) for n in cfg.signals}
    for n in names:
        weights[n] = round(budget * coefs[n] / total, 1) if total else 0.0
    return weights
