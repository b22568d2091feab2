"""Every field of every scorecard `compute_branch` returns, for several configs, profiles and
months, written one line per card: diff two dumps to check a change to the scoring is
bit-identical (exact Decimals with their exponent, floats by repr, detail dicts in order).

    .venv/bin/python bench/scoring_dump.py --pg postgresql+psycopg://…/scratch out-pg.txt
    .venv/bin/python bench/scoring_dump.py out-sqlite.txt        # a temporary SQLite file

Loads the bench's synthetic branch (bench/_seed.py, its tables dropped and recreated) plus
what the seed lacks: team leads with and without cases, collectors without a team, joiners and
leavers, promises, costs, earlier assessments, veto notes — then scores live months (paced),
complete months, and months with a previous snapshot (random frozen totals and scores).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml
from sqlalchemy import insert, text

from bench._seed import MONTH, generate, loaded
from coaching.calendar import all_branches
from coaching.scoring.config import COMPONENTS, DEFAULT_PATH, ScoringConfig, _DecimalLoader
from coaching.scoring.engine import compute_branch
from db.models import Base
from db.session import Database


def _configs() -> dict[str, ScoringConfig]:
    base = yaml.load(DEFAULT_PATH.read_text(), Loader=_DecimalLoader)
    default = ScoringConfig.model_validate(base)
    v = yaml.load(DEFAULT_PATH.read_text(), Loader=_DecimalLoader)
    v["bucket_weights"].update({"M6+": "1.25", "M5": "1.1", "M2": "0.95"})
    v["compliance"] = {"minor_deduction": "7.5", "major_veto": False}
    v["components"]["complaints"]["per"] = "connected_call"
    v["components"]["satisfaction"]["per"] = "connected_call"
    v["components"]["skill_growth"]["baseline_months"] = 2
    v["components"]["cost_per_case"] = {"target": "35.5", "zero_at": "180"}
    v["branches"]["SH"] = {
        "components": {
            "recovery": {
                "target": "0.7",
                "zero_at": "0.2",
                "buckets": {"M1": {"target": "0.75", "zero_at": "0.25"}},
            },
            "ptp_kept": {"target": "0.9", "zero_at": "0.333"},
        }
    }
    weights = ("22.5", "10", "7", "20", "8", "12.5", "10", "10")
    v["profiles"]["C"] = {"weights": dict(zip(COMPONENTS, weights, strict=True))}
    v["profiles"]["D"] = {"weights": {"recovery": 1}}
    v["profiles"]["E"] = {"weights": {"skills": 3, "ptp_kept": 1, "cost_per_case": 2}}
    return {"default": default, "variant": ScoringConfig.model_validate(v)}


def _ids(rows: list[dict[str, object]], first: int) -> list[dict[str, object]]:
    for i, r in enumerate(rows):
        r["id"] = first + i
    return rows


def _enrich(db: Database, n: int) -> None:
    """What the bench's seed does not have, so every branch of the scoring runs."""
    rng = random.Random(7)
    t = Base.metadata.tables

    def ts(d: date) -> datetime:
        return datetime.combine(d, datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(86_400)
        )

    with db.engine.begin() as c:
        extra = []
        for i in range(1, 31):
            hire, left = date(2024, 1, 1), None
            if i > 20:
                hire = date(2026, 4, 1) if i <= 25 else date(2025, 6, 1)
                left = date(2026, 2, 15) if i == 26 else date(2026, 3, 10) if i == 27 else None
            team = None if i % 2 else (i % max(1, n // 100)) + 1
            extra.append(
                {
                    "id": n + i,
                    "employee_no": f"L{i:03d}",
                    "name": f"lead {i}",
                    "branch_id": 1,
                    "team_id": team,
                    "hire_date": hire,
                    "status": "active",
                    "left_on": left,
                }
            )
        c.execute(insert(t["employees"]), extra)
        roles = [{"employee_id": n + i, "role": "collector"} for i in range(1, 31)]
        roles += [{"employee_id": n + i, "role": "team_lead"} for i in range(1, 16)]
        roles += [{"employee_id": i, "role": "team_lead"} for i in range(1, 31)]
        _ids(roles, 10_000_000)  # the seed's rows were given ids: no sequence to rely on
        c.execute(insert(t["employee_roles"]), roles)
        c.execute(text("UPDATE employees SET team_id = NULL WHERE id % 37 = 0"))
        c.execute(text("UPDATE employees SET left_on = '2026-03-20' WHERE id % 53 = 0"))
        c.execute(text("UPDATE qa_findings SET note = 'note ' || id WHERE id % 3 = 0"))
        promises, k = [], 0
        for e in range(1, n + 1):
            for _ in range(rng.randrange(5)):
                k += 1
                case = (e - 1) * 20 + rng.randrange(20) + 1
                due = date(2026, 2, 20) + timedelta(days=rng.randrange(45))
                promises.append(
                    {
                        "id": k,
                        "case_id": case,
                        "collector_id": e,
                        "amount": "100.00",
                        "promised_on": date(2026, 2, 1) + timedelta(days=k % 17),
                        "due_date": due,
                        "status": rng.choice(["kept", "kept", "broken", "open"]),
                    }
                )
        c.execute(insert(t["promises"]), promises)
        costs = [
            {
                "employee_id": e,
                "month": m,
                "amount": f"{rng.randrange(0, 500000) / 100:.2f}" if e % 29 else "0.00",
                "note": "",
            }
            for e in range(1, n + 1)
            for m in (date(2026, 2, 1), MONTH)
            if rng.random() < 0.7
        ]
        c.execute(insert(t["collector_costs"]), _ids(costs, 1))
        assess = [
            {
                "employee_id": e,
                "source": "drill",
                "ref": f"old{e}-{j}",
                "competency": "",
                "score": rng.choice([rng.uniform(30, 100), 80.0, 72.5]),
                "passed": True,
                "mandatory": False,
                "at": ts(date(2025, 12, 1) + timedelta(days=rng.randrange(90))),
            }
            for e in range(1, n + 1)
            if rng.random() < 0.6
            for j in range(rng.randrange(1, 4))
        ]
        c.execute(insert(t["assessment_results"]), _ids(assess, 10_000_000))
        if db.engine.dialect.name == "postgresql":
            c.execute(text("ANALYZE"))


def _snapshots(db: Database, n: int, month: date) -> None:
    rng = random.Random(11)
    rows = []
    for e in range(1, n + 31):
        if rng.random() < 0.15:
            continue
        comps = {
            name: {"raw": None, "score": rng.choice([None, round(rng.uniform(0, 100), 1)])}
            for name in COMPONENTS
            if rng.random() < 0.8
        }
        rows.append(
            {
                "employee_id": e,
                "month": month,
                "profile": "A",
                "total": rng.choice([None, round(rng.uniform(0, 100), 1), 55.0]),
                "vetoed": False,
                "veto_reason": "",
                "rank_team": None,
                "rank_branch": None,
                "components": comps if rng.random() < 0.95 else {},
                "computed_at": datetime(2026, 3, 1, tzinfo=UTC),
            }
        )
    with db.engine.begin() as c:
        c.execute(insert(Base.metadata.tables["score_snapshots"]), _ids(rows, month.month * 10**5))


# Component's fields as they always were (`detail` may be built lazily, behind a property).
COMPONENT_FIELDS = (
    "name",
    "weight",
    "raw",
    "score",
    "effective_weight",
    "team_average",
    "team_average_raw",
    "previous",
    "arrow",
    "detail",
    "na_reason",
    "raw_exact",
    "exact",
)


# Scorecard's fields as they always were (team averages may be computed when read).
CARD_FIELDS = (
    "employee_id",
    "employee_no",
    "name",
    "branch_id",
    "branch_code",
    "team_id",
    "team_code",
    "team_name",
    "profile",
    "month",
    "components",
    "total",
    "vetoed",
    "veto_reason",
    "rank_team",
    "rank_branch",
    "team_size",
    "branch_size",
    "team_average_total",
    "previous_total",
    "arrow",
    "improve",
    "total_exact",
    "currency",
    "is_lead",
    "carries_cases",
    "tied_team",
    "tied_branch",
)


def _line(card: object) -> str:
    parts = []
    for name in CARD_FIELDS:
        v = getattr(card, name)
        if name == "components":
            v = [
                (
                    k,
                    [
                        (g, list(comp.detail.items())) if g == "detail" else (g, getattr(comp, g))
                        for g in COMPONENT_FIELDS
                    ],
                    comp.available,
                )
                for k, comp in v.items()
            ]
        parts.append(f"{name}={v!r}")
    parts.append(f"ranked={card.ranked!r} has_data={card.has_data!r}")  # type: ignore[attr-defined]
    return " ".join(parts)


PROFILES = {"default": ("A", "B"), "variant": ("A", "B", "C", "D", "E")}
DATES = (
    (MONTH, None),
    (MONTH, date(2026, 3, 17)),
    (MONTH, date(2026, 3, 1)),
    (MONTH, date(2026, 3, 31)),
    (date(2026, 2, 1), date(2026, 2, 27)),
    (date(2026, 4, 1), date(2026, 4, 10)),
)


def dump(db: Database, out: Path, n: int) -> int:
    configs = _configs()
    lines = 0
    with out.open("w") as fh:
        for snap in (False, True):
            if snap:
                _snapshots(db, n, date(2026, 2, 1))
                _snapshots(db, n, date(2026, 1, 1))
            for cname, cfg in configs.items():
                for profile in PROFILES[cname]:
                    for month, as_of in DATES:
                        with db.session() as s:
                            [branch] = all_branches(s)
                            branch = dataclasses.replace(branch, score_profile=profile)
                            cards = compute_branch(s, cfg, branch, month, as_of)
                        fh.write(f"# snap={snap} {cname} {profile} {month} {as_of}\n")
                        for card in cards:
                            fh.write(_line(card) + "\n")
                        lines += len(cards)
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--pg", help="a scratch PostgreSQL database (wiped); SQLite otherwise")
    ap.add_argument("--collectors", type=int, default=1_000)
    ap.add_argument("--calls", type=int, default=100_000)
    args = ap.parse_args()
    data = generate(
        argparse.Namespace(
            collectors=args.collectors,
            calls=args.calls,
            repayments=args.calls // 10,
            complaints=args.calls // 50,
        )
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = loaded(data, args.pg, Path(tmp) / "dump.db")
        _enrich(db, args.collectors)
        print(f"{dump(db, args.out, args.collectors)} cards → {args.out}")
        db.dispose()


if __name__ == "__main__":
    main()
