"""The scoring model from `config/scoring.yaml`, validated with pydantic.

A bad file raises `ScoringConfigError` with one line naming the file, the key and (where
the YAML has it) the line and column. Numbers are kept as `Decimal` (parsed from the YAML's
text form), so targets like 0.85 are exact in every comparison.
"""

from __future__ import annotations

import os
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coaching.yamlpos import position, syntax_where
from db.models.work import BUCKETS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"
ENV_VAR = "COACHBOT_SCORING_CONFIG"

COMPONENTS = (
    "recovery",
    "complaints",
    "satisfaction",
    "compliance",
    "skills",
    "skill_growth",
    "ptp_kept",
    "cost_per_case",
)
# Lower raw values are better for these (rates of complaints, money spent per case).
LOWER_IS_BETTER = frozenset({"complaints", "satisfaction", "cost_per_case"})
# Raw values that may be negative (a drop in skill scores).
SIGNED = frozenset({"skill_growth"})


class ScoringConfigError(ValueError):
    """A bad scoring config; the message names the file, key and position."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    """Raw value that earns 100 (`target`) and raw value that earns 0 (`zero_at`); linear in
    between. Higher-is-better: zero_at < target. Lower-is-better: zero_at > target."""

    target: Decimal | None = None
    zero_at: Decimal | None = None


class ComponentSpec(Band):
    # recovery only: per-bucket bands (a portfolio's band is the amount-weighted blend).
    buckets: dict[str, Band] = {}
    # complaints / satisfaction: the rate's denominator.
    per: Literal["case", "connected_call"] = "case"
    # skill_growth: how many earlier months form the baseline.
    baseline_months: int = Field(3, ge=1, le=12)


class ComplianceSpec(_Strict):
    minor_deduction: Decimal = Field(Decimal(10), ge=0, le=100)
    major_veto: bool = True


class ProfileSpec(_Strict):
    label: str = ""
    weights: dict[str, Annotated[Decimal, Field(gt=0)]]

    @model_validator(mode="after")
    def _weights(self) -> ProfileSpec:
        if not self.weights:
            raise ValueError("a profile needs at least one weighted component")
        for name in self.weights:
            if name not in COMPONENTS:
                raise ValueError(f"unknown component {name!r}; known: {', '.join(COMPONENTS)}")
        return self


class StepSpec(_Strict):
    """trainee → account manager: `months` consecutive frozen months ≥ `threshold`."""

    months: int = Field(3, ge=1, le=36)
    threshold: Decimal = Field(Decimal(90), ge=0, le=100)


class SeniorSpec(StepSpec):
    """account manager → senior: `months` consecutive months on target (≥ `threshold`) plus
    proof of M6+ / restructuring skill: a passed drill of one of `drill_scenarios` or a passed
    quiz of one of `quizzes` (training item keys)."""

    months: int = Field(12, ge=1, le=36)
    threshold: Decimal = Field(Decimal(75), ge=0, le=100)
    drill_scenarios: tuple[str, ...] = ("instalment_m6",)
    quizzes: tuple[str, ...] = ()


class PromotionSpec(_Strict):
    account_manager: StepSpec = StepSpec()
    senior: SeniorSpec = SeniorSpec()


class BranchOverride(_Strict):
    """Per-branch overrides (by branch code): component bands replace the default's keys."""

    components: dict[str, ComponentSpec] = {}
    promotion: PromotionSpec | None = None


def _check_band(where: str, name: str, band: Band) -> None:
    if band.target is None or band.zero_at is None:
        raise ValueError(f"{where}: target and zero_at are required")
    if name in LOWER_IS_BETTER:
        if band.target < 0 or band.zero_at <= band.target:
            raise ValueError(f"{where}.zero_at must be above its target")
    else:
        if name not in SIGNED and band.target <= 0:
            raise ValueError(f"{where}.target must be > 0")
        if name not in SIGNED and band.zero_at < 0:
            raise ValueError(f"{where}.zero_at must be >= 0")
        if band.zero_at >= band.target:
            raise ValueError(f"{where}.zero_at must be below its target")


def _check_component(where: str, name: str, spec: ComponentSpec) -> None:
    if name not in COMPONENTS:
        raise ValueError(f"{where}: unknown component {name!r}")
    if name == "compliance":
        return
    _check_band(where, name, spec)
    for b, band in spec.buckets.items():
        if name != "recovery":
            raise ValueError(f"{where}.buckets: only recovery has per-bucket targets")
        if b not in BUCKETS:
            raise ValueError(f"{where}.buckets: unknown bucket {b!r}; known: {BUCKETS}")
        _check_band(f"{where}.buckets.{b}", name, band)


class ScoringConfig(_Strict):
    version: int | str
    # Multiplies what a case in the bucket *earns* (recovered amount, handled cases), never
    # what it owes: see docs/scoring.md "M6+".
    bucket_weights: dict[str, Decimal]
    compliance: ComplianceSpec = ComplianceSpec()
    components: dict[str, ComponentSpec]
    profiles: dict[str, ProfileSpec]
    promotion: PromotionSpec = PromotionSpec()
    branches: dict[str, BranchOverride] = {}

    @model_validator(mode="after")
    def _check(self) -> ScoringConfig:
        for b, w in self.bucket_weights.items():
            if b not in BUCKETS:
                raise ValueError(f"bucket_weights.{b}: unknown bucket; known: {', '.join(BUCKETS)}")
            if w <= 0:
                raise ValueError(f"bucket_weights.{b}: the weight must be > 0")
        for name, spec in self.components.items():
            _check_component(f"components.{name}", name, spec)
        for pname, prof in self.profiles.items():
            for name in prof.weights:
                if name not in self.components:
                    raise ValueError(f"profiles.{pname}: component {name!r} is not defined")
        for code, ov in self.branches.items():
            for name, spec in ov.components.items():
                _check_component(f"branches.{code}.components.{name}", name, spec)
        return self

    def bucket_weight(self, bucket: str) -> Decimal:
        return self.bucket_weights.get(bucket, Decimal(1))

    def component(self, name: str, branch: str | None = None) -> ComponentSpec:
        """The component's spec for a branch (its override, if any, else the default)."""
        ov = self.branches.get(branch or "")
        if ov is not None and name in ov.components:
            return ov.components[name]
        return self.components[name]

    def promotion_for(self, branch: str | None = None) -> PromotionSpec:
        ov = self.branches.get(branch or "")
        return ov.promotion if ov is not None and ov.promotion is not None else self.promotion

    def profile(self, name: str) -> ProfileSpec:
        try:
            return self.profiles[name]
        except KeyError:
            raise ScoringConfigError(
                f"scoring profile {name!r} is not in the config (known: "
                f"{', '.join(sorted(self.profiles))})"
            ) from None


class _DecimalLoader(yaml.SafeLoader):
    """YAML floats as Decimal from their text, so 0.85 stays exactly 0.85."""


_DecimalLoader.add_constructor(
    "tag:yaml.org,2002:float",
    lambda loader, node: Decimal(loader.construct_scalar(node).replace("_", "")),
)


def parse_config(text: str, source: str = "<string>") -> ScoringConfig:
    try:
        data = yaml.load(text, Loader=_DecimalLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        w = syntax_where(exc)
        where = f", {w}" if w else ""
        raise ScoringConfigError(f"{source}{where}: not valid YAML") from None
    if not isinstance(data, dict):
        raise ScoringConfigError(f"{source}: expected a mapping at the top level")
    try:
        return ScoringConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(x for x in err["loc"] if x not in ("function-after",))
        key = ".".join(str(x) for x in loc) or "(top level)"
        pos = position(text, loc)
        msg = err["msg"].removeprefix("Value error, ")
        if not loc and (m := re.match(r"[A-Za-z_][\w+]*(?:\.[\w+]+)+", msg)):
            # A whole-model check names its key path first: locate that in the YAML.
            key, loc = m.group(0), tuple(m.group(0).split("."))
            pos = position(text, loc)
            msg = msg[len(key) :].lstrip(": ") or msg
        raise ScoringConfigError(
            f"{source}: {key}{' (' + pos + ')' if pos else ''}: {msg}"
        ) from None


def load_config(path: str | Path | None = None) -> ScoringConfig:
    p = Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringConfigError(f"{p}: cannot read the scoring config ({exc.strerror})") from None
    return parse_config(text, str(p))


@lru_cache(maxsize=4)
def _cached(path: str) -> ScoringConfig:
    return load_config(path)


def get_config() -> ScoringConfig:
    """The config in force (cached; COACHBOT_SCORING_CONFIG overrides the shipped file)."""
    return _cached(os.environ.get(ENV_VAR) or str(DEFAULT_PATH))
