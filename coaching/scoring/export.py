"""The stable JSON and CSV shapes of scorecards (documented in docs/scoring.md).

Schema "coachbot.scorecards/1": add fields only; never rename or remove one without bumping
the schema number.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from coaching.csv_safe import SafeWriter
from coaching.scoring.config import ScoringConfig
from coaching.scoring.engine import Scorecard

SCHEMA = "coachbot.scorecards/1"


def card_json(c: Scorecard) -> dict[str, Any]:
    return {
        "employee_no": c.employee_no,
        "name": c.name,
        "branch": c.branch_code,
        "team": c.team_code,
        "profile": c.profile,
        "month": c.month.strftime("%Y-%m"),
        "total": c.total,
        "vetoed": c.vetoed,
        "veto_reason": c.veto_reason or None,
        "rank_team": c.rank_team,
        "team_size": c.team_size,
        "rank_branch": c.rank_branch,
        "branch_size": c.branch_size,
        "team_average_total": c.team_average_total,
        "previous_total": c.previous_total,
        "improve": c.improve,
        "currency": c.currency,
        "tied_team": c.tied_team,
        "tied_branch": c.tied_branch,
        "team_lead": c.is_lead,
        "carries_cases": c.carries_cases,
        "components": {
            n: {
                "available": comp.available,
                "raw": comp.raw,
                "score": comp.score,
                "weight": comp.weight,
                "effective_weight": comp.effective_weight,
                "team_average": comp.team_average,
                "team_average_raw": comp.team_average_raw,
                "previous_score": comp.previous,
                "na_reason": comp.na_reason,
            }
            for n, comp in c.components.items()
        },
    }


def document(cfg: ScoringConfig, month: date, cards: Sequence[Scorecard]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "config_version": cfg.version,
        "month": month.strftime("%Y-%m"),
        "scorecards": [card_json(c) for c in cards],
    }


def to_csv(cards: Sequence[Scorecard]) -> str:
    names: list[str] = []
    for c in cards:
        for n in c.components:
            if n not in names:
                names.append(n)
    head = [
        "employee_no",
        "name",
        "branch",
        "team",
        "profile",
        "month",
        "total",
        "vetoed",
        "veto_reason",
        "rank_team",
        "rank_branch",
    ]
    for n in names:
        head += [f"{n}_raw", f"{n}_score", f"{n}_weight", f"{n}_team_average"]
    buf = io.StringIO()
    w = SafeWriter(buf, lineterminator="\n")  # names and reasons are untrusted text
    w.writerow(head)
    for c in cards:
        row: list[Any] = [
            c.employee_no,
            c.name,
            c.branch_code,
            c.team_code or "",
            c.profile,
            c.month.strftime("%Y-%m"),
            "" if c.total is None else c.total,
            int(c.vetoed),
            c.veto_reason,
            c.rank_team or "",
            c.rank_branch or "",
        ]
        for n in names:
            comp = c.components.get(n)
            if comp is None:
                row += ["", "", "", ""]
            else:
                row += [
                    "" if comp.raw is None else comp.raw,
                    "" if comp.score is None else comp.score,
                    comp.weight,
                    "" if comp.team_average is None else comp.team_average,
                ]
        w.writerow(row)
    return buf.getvalue()
