"""Automatic compliance findings derived from call logs (QA findings with source `auto`).

Two rules, each evaluated per collector, debtor and *branch-local* day:
- `too_many_calls`: more than N calls (or, for some profiles, N connected calls) to one debtor;
- `outside_hours`: any call outside the allowed hours (e.g. 08:00–21:00).

The rule profile is chosen per branch (`Branch.rule_profile`): `default` (3 calls, 08–21, both
configurable through settings), `cn_cba` (≤ 6 dial attempts, no calls 22:00–08:00), `cn_nifa`
(≤ 3 connected calls, no calls 22:00–08:00). Findings carry the natural key
`auto:<rule>:<collector>:<debtor>:<local date>`, so re-running never adds a second one.

Set-based: one INSERT … SELECT … GROUP BY … ON CONFLICT DO NOTHING per branch and rule, for
the local days an import touched. PostgreSQL computes local time with `timezone()`; SQLite
with a registered deterministic function backed by zoneinfo (DST-correct on both).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from db.models import Branch

log = logging.getLogger(__name__)

CONNECTED = ("contacted", "rpc", "promise")


@dataclass(frozen=True)
class RuleProfile:
    name: str
    max_calls: int  # more than this per collector, debtor and local day is a finding
    count_outcomes: tuple[str, ...] | None  # None: every attempt counts
    start: time  # calls allowed from (inclusive) …
    end: time  # … until (exclusive), branch-local
    severity: str = "minor"


PROFILES: dict[str, RuleProfile] = {
    "default": RuleProfile("default", 3, None, time(8), time(21)),
    "cn_cba": RuleProfile("cn_cba", 6, None, time(8), time(22)),
    "cn_nifa": RuleProfile("cn_nifa", 3, CONNECTED, time(8), time(22)),
}


def parse_hours(v: str) -> tuple[time, time]:
    """'08:00-21:00' -> (08:00, 21:00)."""
    try:
        a, b = (x.strip() for x in v.replace("–", "-").split("-"))
        start, end = time.fromisoformat(a), time.fromisoformat(b)
    except ValueError:
        raise ValueError("expected HH:MM-HH:MM, e.g. 08:00-21:00") from None
    if not start < end:
        raise ValueError("the start must be before the end")
    return start, end


def rules_from_settings(settings: Any) -> dict[str, RuleProfile]:
    """Built-in profiles, with `default` taken from the settings."""
    start, end = parse_hours(settings.auto_call_hours)
    default = replace(PROFILES["default"], max_calls=settings.auto_max_calls, start=start, end=end)
    return {**PROFILES, "default": default}


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local(value: str | None, tzname: str) -> str | None:
    if value is None:
        return None
    dt = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return dt.astimezone(_zone(tzname)).strftime("%Y-%m-%d %H:%M:%S")


def _fixed_offset(tz: ZoneInfo, lo: datetime, hi: datetime) -> int | None:
    """The zone's UTC offset in seconds if it is the same all through [lo, hi], else None."""
    offsets = set()
    t = lo
    while t <= hi + timedelta(days=1):
        off = t.astimezone(tz).utcoffset()
        offsets.add(off.total_seconds() if off is not None else 0)
        t += timedelta(hours=12)
    return int(offsets.pop()) if len(offsets) == 1 else None


def _sql(dialect: str, rule: str, profile: RuleProfile, offset: int | None = None) -> str:
    if dialect == "postgresql":
        local = "timezone(b.timezone, timezone('UTC', c.started_at))"
        day, tod = f"({local})::date", f"({local})::time"
        day_txt = "x.d::text"
    else:
        # SQLite has no time zones: a fixed offset (no DST in range, e.g. Shanghai, Jakarta)
        # is plain date arithmetic; otherwise a zoneinfo-backed function does it.
        local = (
            f"datetime(c.started_at, '{offset:+d} seconds')"
            if offset is not None
            else "coach_local(c.started_at, b.timezone)"
        )
        day, tod = f"substr({local}, 1, 10)", f"substr({local}, 12, 8)"
        day_txt = "x.d"
    where = ["x.d IN :days"]
    if rule == "too_many_calls":
        if profile.count_outcomes:
            where.append("x.outcome IN :outcomes")
        having, found = "count(*) > :max_calls", "max(x.started_at)"
    else:
        where.append("(x.t < :start OR x.t >= :end)")
        having, found = "count(*) > 0", "min(x.started_at)"
    return f"""
INSERT INTO qa_findings
    (finding_key, collector_id, case_id, rule, severity, note, source, found_at)
SELECT 'auto:' || CAST(:rule AS TEXT) || ':' || x.employee_no || ':' || x.debtor_key || ':'
           || {day_txt},
       x.collector_id, min(x.case_id), CAST(:rule AS TEXT), CAST(:severity AS TEXT),
       CAST(:note_a AS TEXT) || CAST(count(*) AS TEXT) || CAST(:note_b AS TEXT), 'auto', {found}
FROM (
    SELECT c.collector_id, e.employee_no, c.debtor_key, c.case_id, c.started_at, c.outcome,
           {day} AS d, {tod} AS t
    FROM calls c
    JOIN employees e ON e.id = c.collector_id
    JOIN branches b ON b.id = e.branch_id
    WHERE e.branch_id = :branch_id AND c.started_at >= :lo AND c.started_at < :hi
) x
WHERE {" AND ".join(where)}
GROUP BY x.collector_id, x.employee_no, x.debtor_key, x.d
HAVING {having}
ON CONFLICT (finding_key) DO NOTHING
"""


def check_days(
    s: Session,
    days: Iterable[tuple[int, date]],
    rules: dict[str, RuleProfile] | None = None,
) -> int:
    """Create the automatic findings for these (branch id, local date) pairs; returns how many
    new findings were stored."""
    rules = rules or PROFILES
    by_branch: dict[int, set[date]] = defaultdict(set)
    for branch_id, d in days:
        by_branch[branch_id].add(d)
    if not by_branch:
        return 0
    conn = s.connection()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        raw = conn.connection.driver_connection
        raw.create_function("coach_local", 2, _sqlite_local, deterministic=True)  # type: ignore[union-attr]
    branches = {
        b.id: b for b in s.execute(select(Branch).where(Branch.id.in_(list(by_branch)))).scalars()
    }
    created = 0
    for branch_id, dset in sorted(by_branch.items()):
        b = branches[branch_id]
        profile = rules.get(b.rule_profile)
        if profile is None:
            log.warning("branch %s: unknown rule profile %r, using default", b.code, b.rule_profile)
            profile = rules["default"]
        tz = _zone(b.timezone)
        lo_day, hi_day = min(dset), max(dset)
        lo = datetime.combine(lo_day, time(), tz).astimezone(UTC) - timedelta(hours=1)
        hi = datetime.combine(hi_day + timedelta(days=1), time(), tz).astimezone(UTC) + timedelta(
            hours=1
        )
        lo_n, hi_n = lo.replace(tzinfo=None), hi.replace(tzinfo=None)
        fmt = "%Y-%m-%d %H:%M:%S"
        pg = dialect == "postgresql"
        day_values = sorted(dset) if pg else [d.isoformat() for d in sorted(dset)]
        offset = None if pg else _fixed_offset(tz, lo, hi)
        for rule in ("too_many_calls", "outside_hours"):
            if rule == "too_many_calls":
                note_a = ""
                note_b = (
                    f" {'connected ' if profile.count_outcomes else ''}calls to one debtor "
                    f"in one day (limit {profile.max_calls}, profile {profile.name})"
                )
            else:
                note_a = ""
                note_b = (
                    f" call(s) outside {profile.start:%H:%M}–{profile.end:%H:%M} "
                    f"(profile {profile.name})"
                )
            params: dict[str, Any] = {
                "rule": rule,
                "severity": profile.severity,
                "note_a": note_a,
                "note_b": note_b,
                "branch_id": branch_id,
                "lo": lo_n if pg else lo_n.strftime(fmt),
                "hi": hi_n if pg else hi_n.strftime(fmt),
                "days": day_values,
            }
            stmt = text(_sql(dialect, rule, profile, offset)).bindparams(
                bindparam("days", expanding=True)
            )
            if rule == "too_many_calls":
                params["max_calls"] = profile.max_calls
                if profile.count_outcomes:
                    params["outcomes"] = list(profile.count_outcomes)
                    stmt = stmt.bindparams(bindparam("outcomes", expanding=True))
            else:
                params["start"] = profile.start if pg else profile.start.strftime("%H:%M:%S")
                params["end"] = profile.end if pg else profile.end.strftime("%H:%M:%S")
            created += conn.execute(stmt, params).rowcount or 0
    return created
