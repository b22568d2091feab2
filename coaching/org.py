"""The organisation file (`coachbot org apply FILE.yaml`): branches and teams, declared.

Parsing and validation only (the database side is coaching/org_apply.py). Every problem is
reported as `FILE: line L, column C: field branches[1].timezone: why`, one line each, so an
operator can fix the file without reading a traceback. docs/examples/org.yaml is the
commented reference.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coaching.compliance_auto import parse_hours
from coaching.plans.config import Block, check_blocks, parse_time
from coaching.yamlpos import position, syntax_where

Code = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")]
Name = Annotated[str, Field(min_length=1, max_length=100)]
TRUE = {"1", "true", "yes", "y", "t", "是"}
FALSE = {"", "0", "false", "no", "n", "f", "否"}


class OrgFileError(ValueError):
    """One or more problems in an org file; str() is one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class HolidaySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    date: date
    name: Annotated[str, Field(max_length=100)] = ""
    is_workday: bool = False  # a make-up working day on a weekend


class ComplianceSpec(BaseModel):
    """The automatic compliance rules (coaching/compliance_auto.py): a profile, and the values
    this branch sets in place of the profile's. Left out: the profile's value."""

    model_config = ConfigDict(extra="forbid")

    profile: Annotated[str, Field(min_length=1, max_length=32)] = "default"
    call_window: str | None = None  # "08:00-21:00", branch-local; calls outside are findings
    max_calls_per_debtor: Annotated[int, Field(ge=1, le=100)] | None = None
    count_calls: Literal["all", "connected"] | None = None  # what counts toward the maximum
    min_call_seconds: Annotated[int, Field(ge=0, le=3600)] | None = None

    @field_validator("call_window", mode="before")
    @classmethod
    def _window(cls, v: Any) -> Any:
        if v is None:
            return v
        if not isinstance(v, str):
            raise ValueError('expected HH:MM-HH:MM in quotes, e.g. "08:00-21:00"')
        start, end = parse_hours(v)
        return f"{start:%H:%M}-{end:%H:%M}"

    @property
    def window(self) -> tuple[time, time] | tuple[None, None]:
        return parse_hours(self.call_window) if self.call_window else (None, None)


class PlanSpec(BaseModel):
    """The branch's daily plan (docs/plans.md): send time, recap time and time blocks, in
    place of config/plans.yaml's. `blocks` replaces the whole list."""

    model_config = ConfigDict(extra="forbid")

    send_at: time | None = None
    recap_at: time | None = None
    blocks: list[Block] | None = None

    _t = field_validator("send_at", "recap_at", mode="before")(
        classmethod(lambda cls, v: None if v is None else parse_time(v))
    )

    @field_validator("blocks")
    @classmethod
    def _blocks(cls, v: list[Block] | None) -> list[Block] | None:
        if v is not None:
            check_blocks(v)
        return v

    def stored(self) -> dict[str, Any] | None:
        """As kept in `branches.plan_config` (times as HH:MM), or None when nothing is set."""
        out: dict[str, Any] = {}
        for k in ("send_at", "recap_at"):
            v = getattr(self, k)
            if v is not None:
                out[k] = f"{v:%H:%M}"
        if self.blocks is not None:
            out["blocks"] = [
                {
                    "id": b.id,
                    "start": f"{b.start:%H:%M}",
                    "end": f"{b.end:%H:%M}",
                    "selector": b.selector,
                    "priority": b.priority,
                }
                for b in self.blocks
            ]
        return out or None


class BranchSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    name: Name
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh_CN", "en"] = "zh_CN"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] | None = None
    workdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5], min_length=1
    )
    scoring_profile: Annotated[str, Field(min_length=1, max_length=32)] = "A"
    compliance: ComplianceSpec = Field(default_factory=ComplianceSpec)
    plan: PlanSpec | None = None
    # Either a calendar file (CSV: date,name,is_workday; relative to the org file) or the days
    # inline. Neither: the branch's holidays are left as they are.
    holiday_calendar: str | None = None
    holidays: list[HolidaySpec] | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {v!r} (use an IANA name such as Asia/Shanghai)"
            ) from None
        return v

    @field_validator("workdays")
    @classmethod
    def _days(cls, v: list[int]) -> list[int]:
        if len(set(v)) != len(v):
            raise ValueError("a weekday is listed twice")
        return sorted(v)


class TeamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    name: Name
    branch: Code
    lead: Annotated[str, Field(min_length=1, max_length=32)] | None = None


class OrgSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    branches: list[BranchSpec] = Field(min_length=1)
    teams: list[TeamSpec] = Field(default_factory=list)


@dataclass
class OrgFile:
    spec: OrgSpec
    path: Path
    text: str

    def where(self, loc: tuple[Any, ...]) -> str:
        pos = position(self.text, loc)
        field = _field_name(loc)
        return f"{self.path}: {pos + ': ' if pos else ''}field {field}"

    def problem(self, loc: tuple[Any, ...], why: str) -> str:
        return f"{self.where(loc)}: {why}"


def _field_name(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _pydantic_problem(path: Path, text: str, e: dict[str, Any]) -> str:
    loc = tuple(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        msg = "unknown field (see docs/examples/org.yaml)"
    elif e["type"] == "missing":
        msg = "required field missing"
    pos = position(text, loc) or position(text, loc[:-1])
    return f"{path}: {pos + ': ' if pos else ''}field {_field_name(loc)}: {msg}"


def parse(text: str, path: Path) -> OrgFile:
    """Parse and validate the file's own content (no database): syntax, fields, codes."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = syntax_where(exc)
        why = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise OrgFileError(
            [f"{path}: {where + ': ' if where else ''}malformed YAML: {why}"]
        ) from None
    if not isinstance(data, dict):
        raise OrgFileError([f"{path}: line 1: expected a mapping with `branches:` and `teams:`"])
    try:
        spec = OrgSpec.model_validate(data)
    except ValidationError as exc:
        raise OrgFileError([_pydantic_problem(path, text, e) for e in exc.errors()]) from None
    f = OrgFile(spec, path, text)
    problems: list[str] = []
    seen: dict[str, int] = {}
    for i, b in enumerate(spec.branches):
        if b.code in seen:
            problems.append(
                f.problem(
                    ("branches", i, "code"),
                    f"duplicate branch code {b.code!r} (also branches[{seen[b.code]}])",
                )
            )
        seen.setdefault(b.code, i)
        if b.holiday_calendar is not None and b.holidays is not None:
            problems.append(
                f.problem(("branches", i, "holidays"), "use holiday_calendar or holidays, not both")
            )
    seen_t: dict[str, int] = {}
    for i, t in enumerate(spec.teams):
        if t.code in seen_t:
            problems.append(
                f.problem(
                    ("teams", i, "code"),
                    f"duplicate team code {t.code!r} (also teams[{seen_t[t.code]}])",
                )
            )
        seen_t.setdefault(t.code, i)
        if t.branch not in seen:
            problems.append(
                f.problem(("teams", i, "branch"), f"no branch {t.branch!r} in this file")
            )
    if problems:
        raise OrgFileError(problems)
    return f


def load(path: Path) -> OrgFile:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise OrgFileError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OrgFileError([f"{path}: cannot read ({exc})"]) from None
    return parse(text, path)


def read_calendar(f: OrgFile, index: int) -> list[HolidaySpec] | None:
    """A branch's holidays: inline, from its calendar file, or None (leave them alone)."""
    b = f.spec.branches[index]
    if b.holidays is not None:
        return b.holidays
    if b.holiday_calendar is None:
        return None
    cal = (f.path.parent / b.holiday_calendar).resolve()
    here = f.where(("branches", index, "holiday_calendar"))
    try:
        fh = cal.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise OrgFileError([f"{here}: cannot read {cal}: {exc.strerror}"]) from None
    days: list[HolidaySpec] = []
    with fh:
        reader = csv.DictReader(fh)
        if "date" not in [h.strip() for h in reader.fieldnames or []]:
            raise OrgFileError([f"{cal}: line 1: missing column date (date,name,is_workday)"])
        for line, row in enumerate(reader, start=2):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            flag = row.get("is_workday", "").lower()
            try:
                if flag not in TRUE | FALSE:
                    raise ValueError("is_workday must be true or false")
                days.append(
                    HolidaySpec(
                        date=date.fromisoformat(row["date"]),
                        name=row.get("name", ""),
                        is_workday=flag in TRUE,
                    )
                )
            except ValueError as exc:
                why = str(exc).splitlines()[0]
                raise OrgFileError([f"{cal}: line {line}: {why} ({row.get('date')!r})"]) from None
    if len({d.date for d in days}) != len(days):
        raise OrgFileError([f"{cal}: a date is listed twice"])
    return days
