"""Automatic compliance findings derived from call logs (QA findings with source `auto`).

Two rules, each evaluated per debtor and *branch-local* day:
- `too_many_calls`: more than N calls (or, for some profiles, N connected calls) to one debtor
  by all the branch's collectors together; a finding for each collector who placed a call
  beyond the limit;
- `outside_hours`: any call outside the allowed hours (e.g. 08:00–21:00), a finding per
  collector who placed one.

The rule profile is chosen per branch (`Branch.rule_profile`): `default` (3 calls, 08–21, both
configurable through settings), `cn_cba` (≤ 6 dial attempts, no calls 22:00–08:00), `cn_nifa`
(≤ 3 connected calls, no calls 22:00–08:00). A branch's org file may set its own call window,
maximum and what counts as a call (`branch_rule`). Findings carry the natural key
`auto:<rule>:<collector>:<debtor>:<local date>`, so re-running never adds a second one.

Set-based: one INSERT … SELECT … ON CONFLICT DO NOTHING per branch (both rules), for
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

from db.models import Branch, Employee

log = logging.getLogger(__name__)

CONNECTED = ("contacted", "rpc", "promise")
WORK_MEM = "128MB"  # PostgreSQL, while the findings are computed


@dataclass(frozen=True)
class RuleProfile:
    name: str
    max_calls: int  # more than this per collector, debtor and local day is a finding
    count_outcomes: tuple[str, ...] | None  # None: every attempt counts
    start: time  # calls allowed from (inclusive) …
    end: time  # … until (exclusive), branch-local
    severity: str = "minor"
    # Calls shorter than this do not count toward max_calls (they still count for the hours).
    min_seconds: int = 0


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


def branch_rule(rules: dict[str, RuleProfile], b: Branch) -> RuleProfile:
    """The branch's rule: its profile, with the values its org file set (call window, max
    calls per debtor per day, what counts as a call) in place of the profile's."""
    base = rules.get(b.rule_profile)
    if base is None:
        log.warning("branch %s: unknown rule profile %r, using default", b.code, b.rule_profile)
        base = rules["default"]
    over: dict[str, Any] = {}
    if b.call_window_start is not None and b.call_window_end is not None:
        over["start"], over["end"] = b.call_window_start, b.call_window_end
    if b.max_calls_per_debtor is not None:
        over["max_calls"] = b.max_calls_per_debtor
    if b.count_calls is not None:
        over["count_outcomes"] = CONNECTED if b.count_calls == "connected" else None
    if b.min_call_seconds is not None:
        over["min_seconds"] = b.min_call_seconds
    if not over:
        return base
    return replace(base, name=f"{base.name}/{b.code}", **over)


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


def _sql(dialect: str, profile: RuleProfile, offset: int | None = None) -> str:
    """The INSERT … SELECT of both rules' findings (too many calls, outside hours) for one
    branch.

    Too many calls counts every collector's calls to the debtor that local day (the rules
    count per debtor: NIFA says "lender and agencies together"); the finding goes to each
    collector who placed a call beyond the limit, so one collector's four calls give them one
    finding, and two collectors' two each give it to whoever made the 4th: one window pass
    numbers each debtor-day's calls by time. (The WITH comes after INSERT: sqlite3 reports
    rowcount only for statements that start with INSERT.)"""
    if offset is not None:
        # A fixed UTC offset all through the range (no DST, e.g. Shanghai, Jakarta): plain
        # arithmetic, much cheaper per row than a time-zone lookup.
        local = (
            f"(c.started_at + make_interval(secs => {offset:d}))"
            if dialect == "postgresql"
            else f"datetime(c.started_at, '{offset:+d} seconds')"
        )
    elif dialect == "postgresql":
        local = "timezone(CAST(:tz AS TEXT), timezone('UTC', c.started_at))"
    else:
        local = "coach_local(c.started_at, :tz)"
    if dialect == "postgresql":
        day, tod, day_txt = f"({local})::date", f"({local})::time", "g.d::text"
        # Grouping needs equality only: byte order sorts much faster than the locale's.
        debtor = 'c.debtor_key COLLATE "C"'
    else:
        day, tod, day_txt = f"substr({local}, 1, 10)", f"substr({local}, 12, 8)", "g.d"
        debtor = "c.debtor_key"
    counted = (
        " AND ".join(
            (["c.outcome IN :outcomes"] if profile.count_outcomes else [])
            + (["c.duration_s >= :min_seconds"] if profile.min_seconds else [])
        )
        or "1 = 1"
    )
    # The branch's collectors as a list, not a join: one bitmap over
    # ix_calls_collector_started for all of them reads each heap page once (a join probed it
    # per collector: 16 visits per page at 1M calls, bench/README.md). Both rules read these
    # rows from one CTE (referenced twice: computed once), so the heap is scanned once.
    head = f"""
INSERT INTO qa_findings
    (finding_key, collector_id, case_id, rule, severity, note, source, found_at)
WITH x AS (
    SELECT c.id, c.collector_id, {debtor} AS debtor_key, c.case_id, c.started_at,
           {day} AS d, {tod} AS t, CASE WHEN {counted} THEN 1 ELSE 0 END AS counts
    FROM calls c
    WHERE c.collector_id IN :collectors AND c.started_at >= :lo AND c.started_at < :hi
      AND {day} IN :days
)"""
    # Too many: only the debtor-days over the limit are numbered. A hash aggregate counts
    # every debtor-day first (few exceed the limit), so the window's sort by debtor key
    # covers their calls, not every call of the range.
    many = f"""
SELECT 'auto:too_many_calls:' || e.employee_no || ':' || g.debtor_key || ':' || {day_txt},
       g.collector_id, g.case_id, 'too_many_calls', CAST(:severity AS TEXT),
       CAST(g.n AS TEXT) || CAST(:note_many AS TEXT), 'auto', g.at
FROM (
    SELECT r.collector_id, r.debtor_key, r.d, max(r.n) AS n, min(r.case_id) AS case_id,
           min(r.started_at) AS at
    FROM (
        SELECT x.collector_id, x.debtor_key, x.d, x.case_id, x.started_at,
               count(*) OVER w AS n,
               row_number() OVER (w ORDER BY x.started_at, x.id) AS k
        FROM x
        JOIN (
            SELECT y.debtor_key, y.d FROM x y WHERE y.counts = 1
            GROUP BY y.debtor_key, y.d HAVING count(*) > :max_calls
        ) hot ON hot.debtor_key = x.debtor_key AND hot.d = x.d
        WHERE x.counts = 1
        WINDOW w AS (PARTITION BY x.debtor_key, x.d)
    ) r
    WHERE r.k > :max_calls
    GROUP BY r.collector_id, r.debtor_key, r.d
) g
JOIN employees e ON e.id = g.collector_id"""
    outside = f"""
SELECT 'auto:outside_hours:' || e.employee_no || ':' || g.debtor_key || ':' || {day_txt},
       g.collector_id, g.case_id, 'outside_hours', CAST(:severity AS TEXT),
       CAST(g.n AS TEXT) || CAST(:note_out AS TEXT), 'auto', g.at
FROM (
    SELECT x.collector_id, x.debtor_key, x.d, count(*) AS n, min(x.case_id) AS case_id,
           min(x.started_at) AS at
    FROM x
    WHERE x.t < :start OR x.t >= :end
    GROUP BY x.collector_id, x.debtor_key, x.d
) g
JOIN employees e ON e.id = g.collector_id"""
    # In key order: concurrent imports of one branch take the keys' locks in the same order.
    return f"{head}{many}\nUNION ALL{outside}\nORDER BY 1\nON CONFLICT (finding_key) DO NOTHING\n"


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
    restore: dict[str, str] = {}
    if dialect == "postgresql":
        # Transaction-local, restored below. The GROUP BY covers up to one group per call: with
        # the default 4 MB work_mem it sorts on disk. Right after a million-row merge the
        # statistics of `calls` are stale (a few hundred rows estimated for 500,000): the
        # planner would sort every call by debtor key to count, and loop over the CTE per hot
        # debtor-day (hours at 1M). Hash joins and aggregates need no estimate to be right;
        # JIT is off because the disabled paths' costs would trigger its full compilation.
        want = {"work_mem": WORK_MEM, "enable_nestloop": "off", "enable_sort": "off", "jit": "off"}
        for k, v in want.items():
            restore[k] = conn.execute(text("SELECT current_setting(:k)"), {"k": k}).scalar_one()
            conn.execute(text("SELECT set_config(:k, :v, true)"), {"k": k, "v": v})
    try:
        return _check(conn, dialect, by_branch, branches, rules)
    finally:
        for k, v in restore.items():
            conn.execute(text("SELECT set_config(:k, :v, true)"), {"k": k, "v": v})


def _check(
    conn: Any,
    dialect: str,
    by_branch: dict[int, set[date]],
    branches: dict[int, Branch],
    rules: dict[str, RuleProfile],
) -> int:
    created = 0
    for branch_id, dset in sorted(by_branch.items()):
        b = branches[branch_id]
        collectors = list(
            conn.execute(select(Employee.id).where(Employee.branch_id == branch_id)).scalars()
        )
        if not collectors:
            continue
        profile = branch_rule(rules, b)
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
        offset = _fixed_offset(tz, lo, hi)
        params: dict[str, Any] = {
            "severity": profile.severity,
            "note_many": (
                f" {'connected ' if profile.count_outcomes else ''}calls"
                f"{f' of {profile.min_seconds}s or more' if profile.min_seconds else ''} "
                f"to one debtor in one day (limit {profile.max_calls}, profile {profile.name})"
            ),
            "note_out": (
                f" call(s) outside {profile.start:%H:%M}–{profile.end:%H:%M} "
                f"(profile {profile.name})"
            ),
            "collectors": collectors,
            "tz": b.timezone,
            "lo": lo_n if pg else lo_n.strftime(fmt),
            "hi": hi_n if pg else hi_n.strftime(fmt),
            "days": day_values,
            "max_calls": profile.max_calls,
            "start": profile.start if pg else profile.start.strftime("%H:%M:%S"),
            "end": profile.end if pg else profile.end.strftime("%H:%M:%S"),
        }
        if profile.count_outcomes:
            params["outcomes"] = list(profile.count_outcomes)
        if profile.min_seconds:
            params["min_seconds"] = profile.min_seconds
        sql = _sql(dialect, profile, offset)
        stmt = text(sql).bindparams(
            bindparam("days", expanding=True), bindparam("collectors", expanding=True)
        )
        if ":outcomes" in sql:
            stmt = stmt.bindparams(bindparam("outcomes", expanding=True))
        created += conn.execute(stmt, params).rowcount or 0
    return created
