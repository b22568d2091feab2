"""Loading and validating `config/risk.yaml`; errors name the file and the bad field."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coaching.yamlpos import syntax_where

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "risk.yaml"
LEVELS = ("watch", "high", "critical")


class RiskConfigError(ValueError):
    pass


class Levels(BaseModel):
    model_config = ConfigDict(extra="forbid")
    watch: float = Field(30, ge=0, le=100)
    high: float = Field(50, ge=0, le=100)
    critical: float = Field(70, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> Levels:
        if not self.watch < self.high < self.critical:
            raise ValueError("levels must rise: watch < high < critical")
        return self


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    daily: dict[str, Any] = Field(default_factory=lambda: {"hour": 8, "minute": 0})
    weekly: dict[str, Any] = Field(
        default_factory=lambda: {"day_of_week": "mon", "hour": 9, "minute": 30}
    )
    branches: dict[str, dict[str, dict[str, Any]]] = Field(default_factory=dict)

    def cron(self, which: str, branch_code: str) -> dict[str, Any]:
        return dict(self.branches.get(branch_code, {}).get(which) or getattr(self, which))


class Alerts(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_level: str = "watch"
    snooze_days: int = Field(14, gt=0)
    max_reasons: int = Field(3, gt=0)
    schedule: Schedule = Field(default_factory=Schedule)

    @model_validator(mode="after")
    def _level(self) -> Alerts:
        if self.min_level not in LEVELS:
            raise ValueError(f"min_level must be one of {', '.join(LEVELS)}")
        return self


class RiskConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    levels: Levels = Field(default_factory=Levels)
    alerts: Alerts = Field(default_factory=Alerts)
    # signal name → {"weight": points, ...thresholds}
    signals: dict[str, dict[str, Any]]
    path: str = ""

    @model_validator(mode="after")
    def _weights(self) -> RiskConfig:
        for name, params in self.signals.items():
            w = params.get("weight")
            if not isinstance(w, int | float) or w < 0:
                raise ValueError(f"signals.{name}.weight must be a number ≥ 0")
        return self

    def weight(self, signal: str) -> float:
        return float(self.signals.get(signal, {}).get("weight", 0.0))

    def level_for(self, score: float) -> str | None:
        found = None
        for name in LEVELS:
            if score >= getattr(self.levels, name):
                found = name
        return found


def level_rank(level: str | None) -> int:
    return LEVELS.index(level) + 1 if level in LEVELS else 0


def config_path(path: str | Path | None = None) -> Path:
    return Path(path or os.environ.get("COACHBOT_RISK_CONFIG") or DEFAULT_PATH)


def load_config(path: str | Path | None = None) -> RiskConfig:
    p = config_path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise RiskConfigError(f"{p}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        where = syntax_where(exc) or "?"
        raise RiskConfigError(f"{p}: {where}: invalid YAML") from None
    if not isinstance(raw, dict):
        raise RiskConfigError(f"{p}: the top level must be a mapping")
    try:
        cfg = RiskConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise RiskConfigError(f"{p}: {loc}: {first['msg']}") from None
    cfg.path = str(p)
    return cfg


def write_weights(src: Path, weights: dict[str, float], dest: Path) -> None:
    """Rewrite only the `weight:` lines under `signals:`, keeping comments and layout."""
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    in_signals = False
    current: str | None = None
    out = []
    for line in lines:
        if re.match(r"^\S", line):
            in_signals = line.startswith("signals:")
            current = None
        elif in_signals:
            m = re.match(r"^  (\w+):", line)
            if m:
                current = m.group(1)
            m = re.match(r"^(\s{4}weight:\s*)([-\d.]+)(.*)$", line.rstrip("\n"))
            if m and current in weights:
                line = f"{m.group(1)}{weights[current]:g}{m.group(3)}\n"
        out.append(line)
    dest.write_text("".join(out), encoding="utf-8")
