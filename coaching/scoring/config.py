"""The scoring model from `config/scoring.yaml`, validated with pydantic.

A bad file raises `ScoringConfigError` with one line naming the file, the key and (where
the YAML has it) the line and column.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coaching.yamlpos import position, syntax_where
from db.models.work import BUCKETS

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "scoring.yaml"
ENV_VAR = "COACHBOT_SCORING_CONFIG"

COMPONENTS = ("recovery", "complaints", "satisfaction", "compliance", "skills")
# Lower raw values are better for these (rates of complaints).
LOWER_IS_BETTER = frozenset({"complaints", "satisfaction"})


class ScoringConfigError(ValueError):
    """A bad scoring config; the message names the file, key and position."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ComponentSpec(_Strict):
    # Higher-is-better: raw value that earns 100. Lower-is-better: raw value at or below which
    # the component earns 100.
    target: float | None = Field(None, ge=0)
    # Lower-is-better only: the raw value at or above which the component earns 0.
    zero_at: float | None = Field(None, gt=0)


class ComplianceSpec(_Strict):
    minor_deduction: float = Field(10, ge=0, le=100)
    major_veto: bool = True


class ProfileSpec(_Strict):
    label: str = ""
    weights: dict[str, Annotated[float, Field(gt=0)]]

    @model_validator(mode="after")
    def _weights(self) -> ProfileSpec:
        if not self.weights:
            raise ValueError("a profile needs at least one weighted component")
        for name in self.weights:
            if name not in COMPONENTS:
                raise ValueError(f"unknown component {name!r}; known: {', '.join(COMPONENTS)}")
        return self


class PromotionSpec(_Strict):
    months: int = Field(3, ge=1, le=36)
    threshold: float = Field(90, ge=0, le=100)


class ScoringConfig(_Strict):
    version: int | str
    bucket_weights: dict[str, float]
    compliance: ComplianceSpec = ComplianceSpec()
    components: dict[str, ComponentSpec]
    profiles: dict[str, ProfileSpec]
    promotion: PromotionSpec = PromotionSpec()

    @model_validator(mode="after")
    def _check(self) -> ScoringConfig:
        for b in self.bucket_weights:
            if b not in BUCKETS:
                raise ValueError(f"bucket_weights: unknown bucket {b!r}; known: {BUCKETS}")
        for b, w in self.bucket_weights.items():
            if w <= 0:
                raise ValueError(f"bucket_weights: weight of {b} must be > 0")
        for name in self.components:
            if name not in COMPONENTS:
                raise ValueError(f"components: unknown component {name!r}")
        for pname, prof in self.profiles.items():
            for name in prof.weights:
                if name not in self.components:
                    raise ValueError(f"profiles.{pname}: component {name!r} is not defined")
        for name, spec in self.components.items():
            if name == "compliance":
                continue
            if spec.target is None:
                raise ValueError(f"components.{name}.target is required")
            if name in LOWER_IS_BETTER:
                if spec.zero_at is None:
                    raise ValueError(f"components.{name}.zero_at is required")
                if spec.zero_at <= spec.target:
                    raise ValueError(f"components.{name}.zero_at must be above its target")
            elif spec.target <= 0:
                raise ValueError(f"components.{name}.target must be > 0")
        return self

    def bucket_weight(self, bucket: str) -> float:
        return self.bucket_weights.get(bucket, 1.0)

    def profile(self, name: str) -> ProfileSpec:
        try:
            return self.profiles[name]
        except KeyError:
            raise ScoringConfigError(
                f"scoring profile {name!r} is not in the config (known: "
                f"{', '.join(sorted(self.profiles))})"
            ) from None


def parse_config(text: str, source: str = "<string>") -> ScoringConfig:
    try:
        data = yaml.safe_load(text)
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
