"""The SQL of the PostgreSQL staging path (`coaching.ingest.staged`): the check that resolves
staged call rows in bulk, with the same values the row path computes, and the merge."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.ingest.fields import YEAR_MAX, YEAR_MIN
from coaching.ingest.kinds import OUTCOMES, Kind
from coaching.ingest.writers import pg_conflict
from db.models import Branch

RAW, READY = "_ingest_raw", "_ingest_ready"

# Characters Python's str.strip() removes (a superset of what pydantic strips): a cell that
# starts or ends with one goes to the fallback, which strips exactly as the row path does.
WHITESPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())
EDGE = f"^[{WHITESPACE}]|[{WHITESPACE}]$"
# The date-time shape the staging path resolves in bulk: `YYYY-MM-DD HH:MM[:SS]` (or T), which
# `datetime.fromisoformat` reads the same way. The stream checks it in Python — this regex
# (hours, minutes, seconds in range) and, once per distinct date, `real_day` — and flags the row
# (`_ts_ok`), so the SQL casts only cells that cast as Python reads them; any other cell leaves
# the flag NULL and the row goes to the fallback.
# (The same check in SQL — translate, six substrings, a day-of-month test — cost ~1.8 s of
# server CPU per million rows.)
ISO_SHAPE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?"
)


def real_day(d: str) -> bool:
    """`YYYY-MM-DD` (ISO_SHAPE's date) is a real day in the accepted years."""
    try:
        return YEAR_MIN <= date.fromisoformat(d).year <= YEAR_MAX
    except ValueError:  # e.g. February 30th
        return False


PLAIN_INT = r"^(0|[1-9][0-9]{0,4})$"


@lru_cache(maxsize=64)
def fixed_since(tzname: str) -> tuple[datetime, int]:
    """(local time from which the zone's UTC offset stays the same through YEAR_MAX, offset
    in seconds). Local times after it convert to UTC by subtraction, exactly as zoneinfo does."""
    tz = ZoneInfo(tzname)
    day = timedelta(days=1)
    t = datetime(YEAR_MAX + 1, 1, 1, tzinfo=UTC)
    off = t.astimezone(tz).utcoffset()
    while t.year >= YEAR_MIN and (t - day).astimezone(tz).utcoffset() == off:
        t -= day
    # Two days' margin past the last change: nothing after it is ambiguous or skipped.
    since = (t + 2 * day).astimezone(tz).replace(tzinfo=None)
    return since, int(off.total_seconds()) if off is not None else 0


def _labels(allowed: dict[str, str]) -> list[tuple[str, str]]:
    """The exact cells the enum parser maps without case folding or stripping."""
    table = {k.lower(): v for k, v in allowed.items()} | {v.lower(): v for v in allowed.values()}
    return sorted(table.items())


def _values(name: str, rows: list[tuple[Any, ...]], casts: tuple[str, ...]) -> tuple[str, dict]:
    """A VALUES list with bound parameters, for the small lookup tables."""
    params: dict[str, Any] = {}
    out = []
    for i, r in enumerate(rows):
        cells = []
        for j, (v, cast) in enumerate(zip(r, casts, strict=True)):
            params[f"{name}{i}_{j}"] = v
            cells.append(f"CAST(:{name}{i}_{j} AS {cast})")
        out.append(f"({', '.join(cells)})")
    return ", ".join(out), params


def check_sql(s: Session) -> tuple[str, dict[str, Any]]:
    """INSERT … SELECT of the rows the database can resolve on its own (see the module doc)."""
    zones = sorted(set(s.execute(select(Branch.timezone)).scalars()))
    zrows = [(z, *fixed_since(z)) for z in zones] or [("UTC", datetime(1900, 1, 1), 0)]
    zsql, params = _values("z", zrows, ("text", "timestamp", "integer"))
    osql, oparams = _values("o", _labels(OUTCOMES), ("text", "text"))
    params |= oparams | {"edge": EDGE, "int": PLAIN_INT}

    def off(x: str) -> str:  # the zone's UTC offset at local time x
        return f"({x} - timezone('UTC', timezone(e.tz, {x})))"

    # r: the staged row with its date-time and duration parsed (OFFSET 0: once per row; the
    # date-time's shape was checked in the stream, see ISO_SHAPE).
    # Lookups: the employee placing the call (the collector cell, else the case's collector)
    # with the branch, zone and the zone's fixed-offset span (see fixed_since).
    sql = f"""
INSERT INTO {READY} (call_ref, case_id, collector_id, debtor_key, started_at, duration_s,
                     outcome, _line, _branch, _day)
SELECT r.call_ref, c.id, e.id, COALESCE(r.debtor_ref_key, r.debtor_key, c.debtor_key),
       CASE WHEN r.ts >= e.since THEN r.ts - e.off
            ELSE timezone('UTC', timezone(e.tz, r.ts)) END,
       r.dur, o.value, r._line, e.branch_id, r.ts::date
FROM (
    SELECT r.*, CASE WHEN r._ts_ok THEN r.started_at::timestamp END AS ts,
           CASE WHEN r.duration_s ~ :int THEN r.duration_s::int END AS dur
    FROM {RAW} r OFFSET 0
) r
JOIN cases c ON c.case_ref = r.case_ref
LEFT JOIN employees ec ON ec.employee_no = r.collector
JOIN (
    SELECT e.id, e.branch_id, z.name AS tz, z.since, make_interval(secs => z.off) AS off
    FROM employees e JOIN branches b ON b.id = e.branch_id
    JOIN (VALUES {zsql}) AS z(name, since, off) ON z.name = b.timezone
) e ON e.id = CASE WHEN r.collector IS NULL THEN c.collector_id ELSE ec.id END
JOIN (VALUES {osql}) AS o(label, value) ON o.label = r.outcome
WHERE r.ts IS NOT NULL AND r.dur <= 86400
  AND length(r.call_ref) <= 64 AND r.call_ref !~ :edge
  AND length(r.case_ref) <= 64 AND r.case_ref !~ :edge
  AND (r.collector IS NULL OR (length(r.collector) <= 64 AND r.collector !~ :edge))
  AND (r.debtor_ref_key IS NOT NULL OR r.debtor_ref_mask IS NULL)
  AND (r.debtor_key IS NOT NULL OR r.debtor_mask IS NULL)
  AND (r.ts >= e.since OR ({off("(r.ts - interval '1 day')")} = {off("r.ts")}
                           AND {off("(r.ts + interval '1 day')")} = {off("r.ts")}))
"""
    return sql, params


def _key_order(kind: Kind) -> str:
    """The natural key as the merge orders it: text in byte order (`COLLATE "C"`), which sorts
    with abbreviated keys and memcmp — the key's equality is the same in any deterministic
    collation, and every import uses this one order, which is all the lock order needs."""
    t = kind.table
    return ", ".join(
        f'"{c}" COLLATE "C"' if t.c[c].type.python_type is str else f'"{c}"'  # type: ignore[union-attr]
        for c in kind.natural_key
    )


def fresh_sql(kind: Kind) -> str | None:
    """One index range probe: true when no stored row's key lies between the ready rows'
    smallest and largest key, so every ready key is new (a dialler's next export: call ids
    grow). None for a composite key."""
    if len(kind.natural_key) != 1:
        return None
    t, k = kind.table.name, kind.natural_key[0]  # type: ignore[union-attr]
    return (
        f'SELECT NOT EXISTS (SELECT 1 FROM "{t}" WHERE "{k}" BETWEEN '
        f'(SELECT min("{k}") FROM {READY}) AND (SELECT max("{k}") FROM {READY}))'
    )


def insert_sql(kind: Kind) -> str:
    """The insert-only merge when every key is new: no DISTINCT ON, no ON CONFLICT probe per
    row, no materialised CTE. A key repeated in the file, or stored meanwhile by a concurrent
    import, raises a unique violation: the caller rolls back to its savepoint and merges."""
    t = kind.table.name  # type: ignore[union-attr]
    cols = ", ".join(f'"{c}"' for c in kind.db_columns)
    return f'INSERT INTO "{t}" ({cols}) SELECT {cols} FROM {READY} ORDER BY {_key_order(kind)}'


def merge_sql(kind: Kind, present: set[str]) -> str:
    """The upsert from the ready table: the last row for a key wins; returns (distinct keys,
    inserted, updated)."""
    t = kind.table.name  # type: ignore[union-attr]
    cols = ", ".join(f'"{c}"' for c in kind.db_columns)
    order = _key_order(kind)
    conflict = pg_conflict(kind, present)
    # `src` is read twice, so it is materialised once, in key order; the insert reads it in
    # that order, so concurrent imports lock overlapping keys in the same order.
    return f"""
WITH src AS (SELECT DISTINCT ON ({order}) {cols} FROM {READY} ORDER BY {order}, _line DESC),
up AS (INSERT INTO "{t}" ({cols}) SELECT {cols} FROM src {conflict} RETURNING (xmax = 0) AS ins)
SELECT (SELECT count(*) FROM src), count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins)
FROM up
"""
