"""Attrition-risk signals: a registry of functions, each scoring every person at once.

A signal takes a `Query` (session, branch-local `as_of` date, the people, its own config
section) and returns a `SignalOutput`: a `Hit` (strength 0..1 plus the numbers its reason
text needs) for each person it fires for, the people it has no data on, and — when its data
source is not built — `unavailable`, which the CLI and docs show. New signals register with
`@signal("name")`; their weight and thresholds come from `config/risk.yaml`.
"""

from coaching.risk.signals.base import (
    ACTIONS,
    SIGNALS,
    Hit,
    Person,
    Query,
    SignalFn,
    SignalOutput,
    _clip,
    _month_start,
    signal,
)
from coaching.risk.signals.people import (
    TRAINING_SIGNALS,
    _training,
    complaints_spike,
    disengaged,
    failed_mandatory,
    teammate_left,
    training_lag,
    unanswered_questions,
)
from coaching.risk.signals.work import (
    _falls,
    _overlap,
    leave_increase,
    score_falling,
    tenure,
)

__all__ = [
    "ACTIONS",
    "SIGNALS",
    "TRAINING_SIGNALS",
    "Hit",
    "Person",
    "Query",
    "SignalFn",
    "SignalOutput",
    "_clip",
    "_falls",
    "_month_start",
    "_overlap",
    "_training",
    "complaints_spike",
    "disengaged",
    "failed_mandatory",
    "leave_increase",
    "score_falling",
    "signal",
    "teammate_left",
    "tenure",
    "training_lag",
    "unanswered_questions",
]
