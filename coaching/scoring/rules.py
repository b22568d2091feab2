"""Each component's raw value, its n/a rule and its 0–100 score, in exact `Decimal`.

The SQL (engine.py) hands over one row of integer counts and cent sums per collector; this
module turns them into raw values following docs/scoring.md. Every n/a carries a reason code
(`NA_REASONS`) that the card spells out in words.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
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


@dataclass(slots=True)
class Bounds:
    """A band computed per collector (cheaper than building a pydantic `Band` per row)."""

    target: Decimal
    zero_at: Decimal


_A = tuple(f"a{i}" for i in range(len(BUCKETS)))
_R = tuple(f"r{i}" for i in range(len(BUCKETS)))
_H = tuple(f"h{i}" for i in range(len(BUCKETS)))


def _scaled(values: Sequence[Decimal]) -> tuple[tuple[int, ...], int]:
    """Decimals as integers at one scale: value = integer / 10**places (exact)."""
    places = max([0, *(-int(v.as_tuple().exponent) for v in values)])
    return tuple(int(v.scaleb(places)) for v in values), places


class Plan:
    """The config resolved once for one branch: bucket weights, recovery bands per bucket and
    component specs. Looking these up per collector (pydantic attribute access, branch
    overrides) cost more than the arithmetic itself over a 5,000-collector branch.

    The per-bucket sums are done in integers (weights and bands scaled to whole numbers),
    and only the month's totals become `Decimal`s: the same exact values as summing a
    `Decimal` per bucket (docs/scoring.md, *Exact arithmetic*), at a fraction of the cost."""

    __slots__ = (
        "band_places",
        "band_unit",
        "bands",
        "branch",
        "cache",
        "cfg",
        "credit_unit",
        "months",
        "rec_spec",
        "specs",
        "t_int",
        "w_int",
        "w_places",
        "w_unit",
        "weights",
        "z_int",
    )

    def __init__(self, cfg: ScoringConfig, branch: str) -> None:
        self.cfg, self.branch = cfg, branch
        # Decimals by the integers they are computed from (a weighted case count, a complaint
        # rate, a finding count): collectors share most of them, and a shared Decimal keeps
        # its hash, which the engine's memo would otherwise compute for each (costly for 28
        # digits). Per plan, so per computation.
        self.cache: dict[tuple[object, ...], Decimal | None] = {}
        self.weights = tuple(cfg.bucket_weight(b) for b in BUCKETS)
        spec = self.rec_spec = cfg.component("recovery", branch)
        bands = [spec.buckets.get(b, spec) for b in BUCKETS]
        self.bands = tuple((bd.target or ZERO, bd.zero_at or ZERO) for bd in bands)
        self.specs = {name: cfg.component(name, branch) for name in cfg.components}
        self.months = spec_months(cfg, branch)
        self.w_int, self.w_places = _scaled(self.weights)
        tz, self.band_places = _scaled([t for t, _ in self.bands] + [z for _, z in self.bands])
        self.t_int, self.z_int = tz[: len(BUCKETS)], tz[len(BUCKETS) :]
        # Scaled integers back to amounts: × 10^-places (exact; cheaper than scaleb).
        self.w_unit = Decimal(1).scaleb(-self.w_places)
        self.credit_unit = CENT * self.w_unit
        self.band_unit = CENT * Decimal(1).scaleb(-self.band_places)


def plan_for(cfg: ScoringConfig, branch: str, plan: Plan | None = None) -> Plan:
    return (
        plan
        if plan is not None and plan.cfg is cfg and plan.branch == branch
        else Plan(cfg, branch)
    )


def bucket_totals(row: dict[str, object], p: Plan) -> tuple[int, int, int, int, int]:
    """From per-bucket cent sums (a0…a5, r0…r5): assigned, repaid, credited (units of
    10^-(2+w_places)), and the band numerators Σ A_b × target_b / zero_at_b (units of
    10^-(2+band_places)). What queries._combined computes in SQL; kept for rows given
    per bucket (tests, one-off rows)."""
    get = row.get
    scale = 10**p.w_places
    assigned = repaid = credited = t_acc = z_acc = 0
    for ka, kr, w, t, z in zip(_A, _R, p.w_int, p.t_int, p.z_int, strict=True):
        a, r = int(get(ka) or 0), int(get(kr) or 0)  # type: ignore[call-overload]
        rw, cap = r * w, (r if r > a else a) * scale
        credited += rw if rw < cap else cap
        assigned, repaid = assigned + a, repaid + r
        t_acc += a * t
        z_acc += a * z
    return assigned, repaid, credited, t_acc, z_acc


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
    return _recovery(row, pace, plan_for(cfg, branch, plan))


def _recovery(row: dict[str, object], pace: tuple[int, int] | None, p: Plan) -> dict[str, object]:
    if "credited" in row:  # combined by the SQL statement (queries._combined)
        # Integers from both databases (BIGINT arithmetic), never NULL (COALESCEd).
        assigned, repaid, credited = row["assigned"], row["repaid"], row["credited"]
        t_acc, z_acc = row["t_acc"], row["z_acc"]
    else:
        assigned, repaid, credited, t_acc, z_acc = bucket_totals(row, p)
    assigned_d = Decimal(assigned) * CENT
    credited_d = Decimal(credited) * p.credit_unit
    cases = row.get("cases")
    if not assigned > 0:  # type: ignore[operator]
        return {
            "assigned": assigned_d,
            "repaid": Decimal(repaid) * CENT,
            "credited": credited_d,
            "cases": int(cases) if cases else 0,  # type: ignore[call-overload]
            "pace": pace,
        }
    # The portfolio's band: each bucket's band weighted by its assigned amount.
    target = Decimal(t_acc) * p.band_unit / assigned_d
    zero_at = Decimal(z_acc) * p.band_unit / assigned_d
    if pace:  # (× 1 for a complete month would change nothing: skipped)
        share = Decimal(pace[0]) / Decimal(pace[1])
        target, zero_at = target * share, zero_at * share
    # One dict literal in the order the keys always had (built once per collector).
    return {
        "assigned": assigned_d,
        "repaid": Decimal(repaid) * CENT,
        "credited": credited_d,
        "cases": int(cases) if cases else 0,  # type: ignore[call-overload]
        "raw": credited_d / assigned_d,
        "band": Bounds(target, zero_at),
        "target": target,
        "pace": pace,
    }


def _handled_int(row: dict[str, object], p: Plan) -> tuple[int, int]:
    """Cases worked (called at least once) in the month: plain, and with M6+ counting its
    bucket weight (an integer at the weights' scale, 10^-w_places)."""
    if "handled_w" in row:  # combined by the SQL statement
        return row["handled"], row["handled_w"]  # type: ignore[return-value]
    get = row.get
    n = acc = 0
    for k, w in zip(_H, p.w_int, strict=True):
        h = get(k)
        if h:
            n += int(h)  # type: ignore[call-overload]
            acc += int(h) * w  # type: ignore[call-overload]
    return n, acc


def _handled(row: dict[str, object], p: Plan) -> tuple[int, Decimal]:
    n, acc = _handled_int(row, p)
    return n, Decimal(acc) * p.w_unit


def handled_weighted(
    cfg: ScoringConfig, row: dict[str, object], plan: Plan | None = None
) -> Decimal:
    """Cases worked (called at least once) in the month, M6+ counting its bucket weight."""
    p = plan if plan is not None and plan.cfg is cfg else Plan(cfg, "")
    return _handled(row, p)[1]


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
    scoring many rows (engine.py). Runs once per collector: plain code, nothing built that
    the profile does not use."""
    want = COMPONENTS if names is None else names
    return planned_raw_values(row, pace, want, plan_for(cfg, branch, plan))


def planned_raw_values(
    row: dict[str, object], pace: tuple[int, int] | None, want: Collection[str], plan: Plan
) -> dict[str, Raw]:
    """raw_values with the config already resolved (`plan`) and `want` the components to
    compute: what the engine calls once per collector."""
    specs = plan.specs
    cache = plan.cache
    get = row.get
    # Counts from SQL (COUNT, integer SUMs): ints on both databases, or NULL.
    calls = get("calls") or 0
    complaints = get("complaints") or 0
    minors, majors = get("minors") or 0, get("majors") or 0
    skills_n = get("skills_n") or 0
    out: dict[str, Raw] = {}
    if "recovery" in want:
        rec = _recovery(row, pace, plan)
        # Recovery needs the collector to have done something this month: with no call,
        # payment, complaint, finding or assessment yet (the 1st of the month, a month-long
        # leave) a 0 % rate would be a verdict on nothing.
        if not (calls or complaints or minors or majors or skills_n or repaid_any(row)):
            rec.pop("raw", None)
            rec["na"] = "no_activity" if rec["assigned"] else "no_assigned"
            out["recovery"] = (None, rec, rec.get("band"))  # type: ignore[assignment]
        else:
            out["recovery"] = (rec.get("raw"), rec, rec.get("band"))  # type: ignore[assignment]
    handled = -1
    for name in ("complaints", "satisfaction", "cost_per_case"):
        if name not in want:
            continue
        if handled < 0:
            if "handled_w" in row:  # combined by the SQL statement (_handled_int, inline)
                handled, hw = row["handled"], row["handled_w"]
            else:
                handled, hw = _handled_int(row, plan)
            handled_w = cache.get(("hw", hw))
            if handled_w is None:
                handled_w = cache[("hw", hw)] = Decimal(hw) * plan.w_unit
        spec = specs.get(name)
        if name == "cost_per_case":
            cost = _money(row, "cost") if get("cost_n") else None
            out[name] = (
                cost / Decimal(handled) if cost is not None and handled else None,
                {"cost": cost, "handled": handled},
                spec,
            )
            continue
        per = spec.per if spec else "case"
        connected = get("connected") or 0
        # complaints / connected calls or / weighted cases handled; n/a without either.
        key = (per, complaints, connected if per == "connected_call" else hw)
        if key in cache:
            rate = cache[key]
        else:
            denom = Decimal(connected) if per == "connected_call" else handled_w  # type: ignore[arg-type]
            rate = cache[key] = Decimal(complaints) / denom if denom > 0 else None
        detail = {
            "complaints": complaints,
            "per": per,
            "connected_calls": connected,
            "handled": handled,
            "handled_weighted": handled_w,
        }
        out[name] = rate, detail, spec  # type: ignore[assignment]
    if "compliance" in want:
        # Nothing to be compliant about without calls; a finding is something, though.
        minor_d = cache.get(("minor", minors))
        if minor_d is None:
            minor_d = cache[("minor", minors)] = Decimal(minors)
        out["compliance"] = (
            minor_d if calls or minors else None,
            {"minor": minors, "major": majors, "calls": calls},
            None,
        )
    if "skills" in want or "skill_growth" in want:
        skills_avg = Decimal(repr(float(row["skills_avg"]))) if skills_n else None  # type: ignore[arg-type]
        out["skills"] = (skills_avg, {"assessments": skills_n}, specs.get("skills"))
    if "skill_growth" in want:
        prev_n = _int(row, "skills_prev_n")
        prev_avg = Decimal(repr(float(row["skills_prev_avg"]))) if prev_n else None  # type: ignore[arg-type]
        out["skill_growth"] = (
            skills_avg - prev_avg if skills_avg is not None and prev_avg is not None else None,
            {
                "assessments": skills_n,
                "now": skills_avg,
                "before": prev_avg,
                "before_n": prev_n,
                "months": plan.months,
            },
            specs.get("skill_growth"),
        )
    if "ptp_kept" in want:
        kept, broken = _int(row, "ptp_kept"), _int(row, "ptp_broken")
        out["ptp_kept"] = (
            Decimal(kept) / Decimal(kept + broken) if kept + broken else None,
            {"kept": kept, "due": kept + broken},
            specs.get("ptp_kept"),
        )
    return out


def repaid_any(row: dict[str, object]) -> bool:
    if "repaid_any" in row:
        return bool(row["repaid_any"])
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
