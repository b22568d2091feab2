"""The scenario library: one YAML file per simulated debtor under `content/scenarios/`.

Files are validated with pydantic; a bad file raises `ScenarioError` naming the file, the item
and the reason (with line and column for YAML syntax errors).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coaching.yamlpos import syntax_where
from db.models.results import COMPETENCIES
from db.models.work import bucket_for

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "content" / "scenarios"
CRITERIA = ("compliance", "empathy", "negotiation", "problem_solving", "outcome")
DEFAULT_SCENARIO = "no_money"


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names file, item and reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Persona(_Strict):
    pseudonym: str = Field(min_length=1, max_length=20)
    age: int = Field(ge=18, le=90)
    job: str
    amount_owed: float = Field(gt=0)
    days_overdue: int = Field(ge=1)
    bucket: str
    personality: Literal["evasive", "hostile", "distressed", "cooperative", "manipulative"]
    # Who answers: the debtor, or a third party (relative, colleague) who must learn nothing.
    speaker: str = "本人"

    @model_validator(mode="after")
    def _bucket(self) -> Persona:
        expected = bucket_for(self.days_overdue)
        if self.bucket != expected:
            raise ValueError(
                f"bucket {self.bucket!r} does not match {self.days_overdue} days overdue "
                f"(expected {expected})"
            )
        return self


class HiddenFact(_Strict):
    fact: str
    # Words in the collector's line that lead the offline debtor to reveal it.
    reveal_when: list[str] = Field(min_length=1)


class Objection(_Strict):
    when: list[str] = Field(min_length=1)
    reply: str


def _regexes(v: list[str]) -> list[str]:
    for p in v:
        try:
            re.compile(p)
        except re.error as exc:
            raise ValueError(f"bad regular expression {p!r}: {exc}") from None
    return v


REACTIONS = (
    "too_much",
    "too_much_known",
    "too_early",
    "too_early_known",
    "full",
    "need_date",
    "need_amount",
    "need_plan",
    "discount_ask",
    "discount_proper",
    "cold",
    "unrecorded",
    "minor",
    "soften",
    "pressure",
    "deal",
    "deal_monthly",
)


class Terms(_Strict):
    """What the debtor can really pay (offline mode): the scripted debtor agrees only to an
    offer the collector actually made that fits these, and says why not otherwise."""

    today: int = Field(10, ge=1, le=28)  # day of the month of the simulated call
    weekday: int = Field(3, ge=1, le=7)  # 1 = Monday
    can_pay_first: int = Field(gt=0)  # the most the debtor can pay as the first payment
    can_pay_monthly: int | None = Field(None, gt=0)  # instalment ceiling (None: no plan needed)
    money_day: int | None = Field(None, ge=1, le=62)  # money arrives; earlier dates refused
    # The hidden fact (index) that explains the limits; once revealed, refusals name them.
    money_fact: int | None = Field(None, ge=0)
    goal_first: int = Field(0, ge=0)  # the objective's minimum first payment
    goal_by: int = Field(31, ge=1, le=93)  # the objective's latest date (> 31: next month)
    needs_empathy: bool = False  # no deal before the collector acknowledged the debtor
    needs_record: bool = False  # no deal before the dispute is taken down for checking
    record_words: list[str] = ["记录", "核实", "核对", "提交", "查一下", "查清"]
    discount_red_line: bool = False  # promising a discount on the call breaks policy here


class Script(_Strict):
    """What the debtor says in offline mode (no LLM configured)."""

    opening: str
    # Said in order when no objection or hidden fact matches.
    lines: list[str] = Field(min_length=1)
    objections: list[Objection] = []
    # Regular expressions: a collector line matching one ends the drill as a success (for
    # goals that are not a payment: the crisis protocol, a call-back, a next contact).
    success_patterns: list[str] = []
    closing: str = ""  # said when a success pattern matched
    hangup: str
    # Replies to what the collector offered (see REACTIONS); defaults in scripted.py.
    reactions: dict[str, str] = {}

    @field_validator("success_patterns")
    @classmethod
    def _regex(cls, v: list[str]) -> list[str]:
        return _regexes(v)

    @field_validator("reactions")
    @classmethod
    def _reactions(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [k for k in v if k not in REACTIONS]
        if unknown:
            raise ValueError(f"unknown reactions {', '.join(unknown)}; use {', '.join(REACTIONS)}")
        return v


class Scenario(_Strict):
    id: str = Field(pattern=r"^[a-z0-9_]{2,32}$")
    title: str
    title_en: str
    summary: str
    difficulty: int = Field(ge=1, le=3)
    competency: str
    persona: Persona
    hidden_facts: list[HiddenFact] = []
    objectives: list[str] = Field(min_length=1)
    red_lines: list[str] = []
    # The drill's simulated local time of the call ("HH:MM"), for the allowed-hours rule.
    local_time: str = Field("10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    # The person on the phone is not the debtor: any disclosure of the debt is a violation.
    third_party: bool = False
    # A self-harm threat: success is the crisis protocol, pressure is a violation.
    crisis: bool = False
    # One exemplary collector line per criterion, used by rule-based grading.
    model_lines: dict[str, str]
    # Regular expressions per criterion that count as evidence in rule-based grading where
    # the generic ones do not fit (the crisis protocol, a third party); see grading.py.
    evidence: dict[str, str] = {}
    terms: Terms | None = None
    script: Script

    @model_validator(mode="after")
    def _goal(self) -> Scenario:
        if self.terms is None and not self.script.success_patterns:
            raise ValueError("script.success_patterns or terms: the drill needs a way to succeed")
        if self.script.success_patterns and not self.script.closing:
            raise ValueError("script.closing: needed with success_patterns")
        t = self.terms
        if t and t.money_fact is not None and t.money_fact >= len(self.hidden_facts):
            raise ValueError("terms.money_fact: no hidden fact with that index")
        return self

    @field_validator("evidence")
    @classmethod
    def _evidence(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = [c for c in v if c not in CRITERIA]
        if unknown:
            raise ValueError(f"unknown criteria {', '.join(unknown)}")
        _regexes(list(v.values()))
        return v

    @field_validator("competency")
    @classmethod
    def _competency(cls, v: str) -> str:
        if v not in COMPETENCIES:
            raise ValueError(f"must be one of {', '.join(COMPETENCIES)}")
        return v

    @field_validator("model_lines")
    @classmethod
    def _model_lines(cls, v: dict[str, str]) -> dict[str, str]:
        missing = [c for c in CRITERIA if c not in v]
        if missing:
            raise ValueError(f"missing criteria: {', '.join(missing)}")
        return v

    @property
    def local_hour(self) -> int:
        return int(self.local_time.split(":")[0])


def _loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(file)"


def load_file(path: Path) -> Scenario:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        where = syntax_where(exc) or "?"
        raise ScenarioError(f"{path.name}: {where}: {exc.problem}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path.name}: cannot read: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path.name}: (file): expected a mapping of scenario fields")
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise ScenarioError(f"{path.name}: {_loc(err['loc'])}: {err['msg']}") from None
    if sc.id != path.stem:
        raise ScenarioError(f"{path.name}: id: {sc.id!r} must match the file name {path.stem!r}")
    return sc


def load_dir(directory: Path | str | None = None) -> dict[str, Scenario]:
    d = Path(directory) if directory else DEFAULT_DIR
    files = sorted(d.glob("*.yaml"))
    if not files:
        raise ScenarioError(f"{d}: no scenario files (*.yaml)")
    return {sc.id: sc for sc in (load_file(p) for p in files)}


@lru_cache(maxsize=4)
def library(directory: str | None = None) -> dict[str, Scenario]:
    """The scenarios, loaded once per process (the files ship with the code)."""
    return load_dir(directory)
