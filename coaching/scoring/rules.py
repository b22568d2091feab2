"""Each component's raw value, its n/a rule and its 0–100 score, in exact `Decimal`.

The SQL (engine.py) hands over one row of integer counts and cent sums per collector; this
module turns them into raw values following docs/scoring.md. Every n/a carries a reason code
(`NA_REASONS`) that the card spells out in words.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from coaching.scoring.config import COMPONENTS, LOWER_IS_BETTER, Band, ScoringConfig
from db.models.work import BUCKETS

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)
CENT = Decimal("0.01")

# Why a component is n/a (the card renders each code in words).
NA_REASONS = {
    "recovery": "no_assigned",  # or "no_activity" (see raw_values)
    "complaints": "no_handled",
    "satisfaction": "no_handled",
    "compliance": "no_calls",
    "skills": "no_assessment",
    "skill_growth": "no_baseline",
    "ptp_kept": "no_ptp_due",
    "cost_per_case": "no_cost_data",
}


def _int(row: dict[str, object], key: str) -> int:
    return int(row.get(key) or 0)  # type: ignore[call-overload]


def _money(row: dict[str, object], key: str) -> Decimal:
    """A cent sum from SQL (int or Decimal) as an exact amount."""
    v = row.get(key)
    return Decimal(int(v)).scaleb(-2) if v else ZERO  # type: ignore[call-overload]


@dataclass(frozen=True, slots=True)
class Bounds:
    """A band computed per collector (cheaper than building a pydantic `Band` per row)."""

    target: Decimal
    zero_at: Decimal


_A = tuple(f"a{i}" for i in range(len(BUCKETS)))
_R = tuple(f"r{i}" for i in range(len(BUCKETS)))
_H = tuple(f"h{i}" for i in range(len(BUCKETS)))
_BI = tuple(zip(range(len(BUCKETS)), _A, _R, strict=True))


class Plan:
    """The config resolved once for one branch: bucket weights, recovery bands per bucket and
    component specs. Looking these up per collector (pydantic attribute access, branch
    overrides) cost more than the arithmetic itself over a 5,000-collector branch."""

    __slots__ = ("bands", "branch", "cfg", "months", "rec_spec", "specs", "weights")

    def __init__(self, cfg: ScoringConfig, branch: str) -> None:
        self.cfg, self.branch = cfg, branch
        self.weights = tuple(cfg.bucket_weight(b) for b in BUCKETS)
        spec = self.rec_spec = cfg.component("recovery", branch)
        bands = [spec.buckets.get(b, spec) for b in BUCKETS]
        self.bands = tuple((bd.target or ZERO, bd.zero_at or ZERO) for bd in bands)
        self.specs = {name: cfg.component(name, branch) for name in cfg.components}
        self.months = spec_months(cfg, branch)


def plan_for(cfg: ScoringConfig, branch: str, plan: Plan | None = None) -> Plan:
    return (
        plan
        if plan is not None and plan.cfg is cfg and plan.branch == branch
        else Plan(cfg, branch)
    )


def band_score(name: str, raw: Decimal, band: Band | Bounds) -> Decimal:
    """100 at `target`, 0 at `zero_at`, linear between, clamped to [0, 100]."""
    t, z = band.target, band.zero_at
    assert t is not None and z is not None
    if name in LOWER_IS_BETTER:
        if raw <= t:
            return HUNDRED
        if raw >= z:
            return ZERO
        return HUNDRED * (z - raw) / (z - t)
    if raw >= t:
        return HUNDRED
    if raw <= z:
        return ZERO
    return HUNDRED * (raw - z) / (t - z)


def recovery(
    cfg: ScoringConfig,
    branch: str,
    row: dict[str, object],
    pace: tuple[int, int] | None = None,
    plan: Plan | None = None,
) -> dict[str, object]:
    """Per bucket: assigned A_b, repaid R_b, credited C_b = min(R_b × w_b, max(A_b, R_b)).

    The bucket weight raises what an M6+ case *earns* but never what it owes (the denominator
    is the plain assigned amount), and a bucket can never be credited above its own assigned
    amount (or, if more came in than was assigned, above what came in).

    `pace` = (days elapsed, days in month) for a month still running: the band is scaled by
    that share, so a month-to-date rate is held to where the month should be by now."""
    p = plan_for(cfg, branch, plan)
    weights, bands = p.weights, p.bands
    get = row.get
    assigned = repaid = credited = ZERO
    t_acc = z_acc = ZERO
    for i, ka, kr in _BI:
        av, rv = get(ka), get(kr)
        if not av and not rv:
            continue
        a = Decimal(int(av)).scaleb(-2) if av else ZERO  # type: ignore[call-overload]
        r = Decimal(int(rv)).scaleb(-2) if rv else ZERO  # type: ignore[call-overload]
        c = min(r * weights[i], max(a, r))
        assigned, repaid, credited = assigned + a, repaid + r, credited + c
        t, z = bands[i]
        t_acc += a * t
        z_acc += a * z
    out: dict[str, object] = {
        "assigned": assigned,
        "repaid": repaid,
        "credited": credited,
        "cases": _int(row, "cases"),
    }
    if assigned > 0:
        out["raw"] = credited / assigned
        # The portfolio's band: each bucket's band weighted by its assigned amount.
        share = Decimal(pace[0]) / Decimal(pace[1]) if pace else ONE
        target = t_acc / assigned * share
        out["band"] = Bounds(target, z_acc / assigned * share)
        out["target"] = target
    out["pace"] = pace
    return out


def handled_weighted(
    cfg: ScoringConfig, row: dict[str, object], plan: Plan | None = None
) -> Decimal:
    """Cases worked (called at least once) in the month, M6+ counting its bucket weight."""
    weights = plan.weights if plan is not None and plan.cfg is cfg else None
    acc = ZERO
    for i, b in enumerate(BUCKETS):
        h = row.get(_H[i])
        if h:
            acc = acc + Decimal(int(h)) * (  # type: ignore[call-overload]
                weights[i] if weights is not None else cfg.bucket_weight(b)
            )
    return acc


Raw = tuple[Decimal | None, dict[str, object], Band | Bounds | None]


def raw_values(
    cfg: ScoringConfig,
    branch: str,
    row: dict[str, object],
    pace: tuple[int, int] | None = None,
    names: Collection[str] | None = None,
    plan: Plan | None = None,
) -> dict[str, Raw]:
    """name → (raw value or None for n/a, the counts behind it, the band to score it with),
    for `names` (default: every component). `plan`: the config resolved for the branch, when
    scoring many rows (engine.py)."""
    plan = plan_for(cfg, branch, plan)
    specs = plan.specs
    rec = recovery(cfg, branch, row, pace, plan)
    get = row.get  # inlined _int: this runs for every collector of a branch
    calls = int(get("calls") or 0)  # type: ignore[call-overload]
    connected = int(get("connected") or 0)  # type: ignore[call-overload]
    complaints = int(get("complaints") or 0)  # type: ignore[call-overload]
    minors, majors = int(get("minors") or 0), int(get("majors") or 0)  # type: ignore[call-overload]
    handled = sum(int(get(k) or 0) for k in _H)  # type: ignore[call-overload]
    handled_w = handled_weighted(cfg, row, plan)

    def complaint_rate(name: str) -> tuple[Decimal | None, dict[str, object], Band | None]:
        spec = specs.get(name)
        per = spec.per if spec else "case"
        denom = Decimal(connected) if per == "connected_call" else handled_w
        detail = {
            "complaints": complaints,
            "per": per,
            "connected_calls": connected,
            "handled": handled,
            "handled_weighted": handled_w,
        }
        return (Decimal(complaints) / denom if denom > 0 else None), detail, spec

    skills_n, prev_n = _int(row, "skills_n"), _int(row, "skills_prev_n")
    skills_avg = Decimal(repr(float(row["skills_avg"]))) if skills_n else None  # type: ignore[arg-type]
    prev_avg = Decimal(repr(float(row["skills_prev_avg"]))) if prev_n else None  # type: ignore[arg-type]

    def spec(name: str) -> Band | None:
        return specs.get(name)

    # Recovery needs the collector to have done something this month: with no call, payment,
    # complaint, finding or assessment yet (the 1st of the month, a month-long leave) a 0 %
    # rate would be a verdict on nothing.
    active = calls or repaid_any(row) or complaints or minors or majors or skills_n
    if not active:
        rec.pop("raw", None)
        rec["na"] = "no_activity" if rec["assigned"] else "no_assigned"
    out: dict[str, Raw] = {"recovery": (rec.get("raw"), rec, rec.get("band"))}  # type: ignore[dict-item]
    want = set(COMPONENTS if names is None else names)
    for name in ("complaints", "satisfaction"):
        if name in want:
            out[name] = complaint_rate(name)
    # Nothing to be compliant about without calls; a finding is something, though.
    out["compliance"] = (
        Decimal(minors) if calls or minors else None,
        {"minor": minors, "major": majors, "calls": calls},
        None,
    )
    out["skills"] = (skills_avg, {"assessments": skills_n}, spec("skills"))
    if "skill_growth" in want:
        out["skill_growth"] = (
            skills_avg - prev_avg if skills_avg is not None and prev_avg is not None else None,
            {
                "assessments": skills_n,
                "now": skills_avg,
                "before": prev_avg,
                "before_n": prev_n,
                "months": plan.months,
            },
            spec("skill_growth"),
        )
    if "ptp_kept" in want:
        kept, broken = _int(row, "ptp_kept"), _int(row, "ptp_broken")
        out["ptp_kept"] = (
            Decimal(kept) / Decimal(kept + broken) if kept + broken else None,
            {"kept": kept, "due": kept + broken},
            spec("ptp_kept"),
        )
    if "cost_per_case" in want:
        cost = _money(row, "cost") if row.get("cost_n") else None
        out["cost_per_case"] = (
            cost / Decimal(handled) if cost is not None and handled else None,
            {"cost": cost, "handled": handled},
            spec("cost_per_case"),
        )
    return out


def repaid_any(row: dict[str, object]) -> bool:
    return any(row.get(k) for k in _R)


def spec_months(cfg: ScoringConfig, branch: str) -> int:
    if "skill_growth" not in cfg.components:
        return 3
    return cfg.component("skill_growth", branch).baseline_months


def normalise(
    cfg: ScoringConfig, name: str, raw: Decimal | None, band: Band | Bounds | None
) -> Decimal | None:
    """0–100 (exact) for a raw value; None stays None (n/a)."""
    if raw is None:
        return None
    if name == "compliance":
        return max(ZERO, HUNDRED - cfg.compliance.minor_deduction * raw)
    assert band is not None
    return band_score(name, raw, band)
