"""Plan templates from `config/plans.yaml`: the default day plus per-branch overrides.

Validated with pydantic; a bad file raises `PlanConfigError` naming the file and the key
(e.g. ``config/plans.yaml: branches.JKT.blocks.2.start: time must be HH:MM``).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections.abc import Mapping, Sequence
from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coaching.yamlpos import syntax_where

log = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "plans.yaml"
ENV_VAR = "COACHBOT_PLANS_CONFIG"

Selector = Literal[
    "promises", "target", "contactable", "second_pass", "small", "rotation", "evening"
]
SELECTORS: tuple[str, ...] = (
    "promises",
    "target",
    "contactable",
    "second_pass",
    "small",
    "rotation",
    "evening",
)


class PlanConfigError(ValueError):
    """A bad plan configuration; the message names the file and the key."""


def _parse_time(v: Any) -> time:
    if isinstance(v, time):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        # YAML 1.1 reads an unquoted 08:40 as a sexagesimal int (520): accept it.
        v = f"{v // 60:02d}:{v % 60:02d}"
    if not isinstance(v, str):
        raise ValueError("time must be HH:MM")
    try:
        hh, mm = v.strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(f"time must be HH:MM, got {v!r}") from None


parse_time = _parse_time  # for other files with plan times (the org file)


class Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=20, pattern=r"^[a-z0-9_]+$")
    start: time
    end: time
    selector: Selector
    priority: int = Field(ge=0)

    _t = field_validator("start", "end", mode="before")(classmethod(lambda cls, v: _parse_time(v)))

    @model_validator(mode="after")
    def _order(self) -> Block:
        if self.end <= self.start:
            raise ValueError(f"block {self.id}: end must be after start")
        return self


def check_blocks(blocks: Sequence[Block]) -> None:
    """The rules a day's block list must keep (also checked for an org file's blocks)."""
    if not blocks:
        raise ValueError("at least one block is needed")
    ids = [b.id for b in blocks]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate block id in {ids}")
    sels = [b.selector for b in blocks]
    if len(set(sels)) != len(sels):
        raise ValueError(f"each selector may be used once, got {sels}")
    ordered = sorted(blocks, key=lambda b: b.start)
    for a, b in itertools.pairwise(ordered):
        if b.start < a.end:
            raise ValueError(f"{a.id} and {b.id} overlap")


class DayPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    send_at: time = time(8, 40)
    recap_at: time = time(19, 5)
    top: int = Field(5, ge=1, le=20)
    more_limit: int = Field(30, ge=1, le=100)
    history_days: int = Field(30, ge=1, le=365)
    contactable_days: int = Field(14, ge=1, le=365)
    small_amount: float = Field(10000, gt=0)
    evening_after: time = time(18, 0)
    evening_min_attempts: int = Field(3, ge=1)
    # The promises block also takes open promises due up to this many days after the plan day.
    promise_days_ahead: int = Field(7, ge=0, le=60)
    blocks: tuple[Block, ...]

    _t = field_validator("send_at", "recap_at", "evening_after", mode="before")(
        classmethod(lambda cls, v: _parse_time(v))
    )

    @model_validator(mode="after")
    def _blocks(self) -> DayPlan:
        try:
            check_blocks(self.blocks)
        except ValueError as exc:
            raise ValueError(f"blocks: {exc}") from None
        return self

    @property
    def by_priority(self) -> list[Block]:
        return sorted(self.blocks, key=lambda b: (b.priority, b.start))

    @property
    def by_time(self) -> list[Block]:
        return sorted(self.blocks, key=lambda b: b.start)

    def block(self, block_id: str) -> Block | None:
        return next((b for b in self.blocks if b.id == block_id), None)


class PlansFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: dict[str, Any]
    branches: dict[str, dict[str, Any]] = Field(default_factory=dict)


class PlanConfig:
    """The validated file: `for_branch(code)` gives that branch's day."""

    def __init__(self, default: DayPlan, branches: dict[str, DayPlan], source: str) -> None:
        self.default = default
        self.branches = branches
        self.source = source
        self._merged: dict[tuple[str, str], DayPlan] = {}

    def for_branch(self, code: str, stored: str | Mapping[str, Any] | None = None) -> DayPlan:
        """The branch's day: this file's default and `branches:` entry, then the values the
        org file stored on the branch (`stored`: send_at, recap_at, blocks; JSON or a dict)."""
        base = self.branches.get(code, self.default)
        if not stored:
            return base
        key = stored if isinstance(stored, str) else json.dumps(stored, sort_keys=True)
        hit = self._merged.get((code, key))
        if hit is None:
            why = self.stored_error(code, key)
            if why is None:
                hit = DayPlan.model_validate({**base.model_dump(), **json.loads(key)})
            else:
                # Validated when the org file was applied, so only a hand-edited row gets
                # here; one bad branch must not stop the scheduler: keep the file's day.
                log.error("branch %s: stored plan settings ignored: %s", code, why)
                hit = base
            self._merged[(code, key)] = hit
        return hit

    def stored_error(self, code: str, stored: str) -> str | None:
        """Why the plan settings stored on a branch (JSON) cannot be used, or None."""
        base = self.branches.get(code, self.default)
        try:
            over = json.loads(stored)
            DayPlan.model_validate({**base.model_dump(), **over})
        except ValidationError as exc:
            err = exc.errors()[0]
            where = ".".join(str(x) for x in err["loc"])
            return f"{where}: {err['msg'].removeprefix('Value error, ')}"
        except (ValueError, TypeError) as exc:
            return str(exc)
        return None


def _where(source: str, prefix: str, exc: ValidationError) -> PlanConfigError:
    err = exc.errors()[0]
    loc = ".".join(str(x) for x in (prefix, *err["loc"]) if x != "")
    msg = err["msg"].removeprefix("Value error, ")
    return PlanConfigError(f"{source}: {loc}: {msg}")


def parse(data: Any, source: str = "plans config") -> PlanConfig:
    if not isinstance(data, dict):
        raise PlanConfigError(f"{source}: the file must be a mapping with `default:`")
    try:
        top = PlansFile.model_validate(data)
    except ValidationError as exc:
        raise _where(source, "", exc) from None
    try:
        default = DayPlan.model_validate(top.default)
    except ValidationError as exc:
        raise _where(source, "default", exc) from None
    branches: dict[str, DayPlan] = {}
    for code, over in top.branches.items():
        if not isinstance(over, dict):
            raise PlanConfigError(f"{source}: branches.{code}: must be a mapping")
        try:
            branches[str(code)] = DayPlan.model_validate({**top.default, **over})
        except ValidationError as exc:
            raise _where(source, f"branches.{code}", exc) from None
    return PlanConfig(default, branches, source)


def load(path: str | Path | None = None) -> PlanConfig:
    p = Path(path or os.environ.get(ENV_VAR) or DEFAULT_PATH)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanConfigError(f"{p}: cannot read plan config: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        w = syntax_where(exc)
        where = f" {w}" if w else ""
        raise PlanConfigError(f"{p}:{where} invalid YAML: {exc}") from None
    return parse(data, str(p))


@lru_cache(maxsize=4)
def _cached(path: str) -> PlanConfig:
    return load(path)


def get_config(path: str | Path | None = None) -> PlanConfig:
    """The cached configuration (the file named by COACHBOT_PLANS_CONFIG, else the default)."""
    return _cached(str(path or os.environ.get(ENV_VAR) or DEFAULT_PATH))
