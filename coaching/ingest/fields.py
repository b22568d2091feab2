"""Value parsers shared by every record kind, and masking of debtor identifiers.

The parsers accept what collection-system exports really contain: `2026/3/2 9:05`,
`2026-03-02T09:05:00+08:00`, `1,234.50`, `是/否`, Chinese enum labels. Date-times without an
offset are *local* and get the branch's time zone later (see `kinds.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

_DT = re.compile(
    r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6})\d*)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$",
    re.IGNORECASE,
)


# Dates outside this range are typos or hostile (year 1 and 9999 overflowed time-zone
# arithmetic): rejected per row.
YEAR_MIN, YEAR_MAX = 1900, 2100
_RANGE = f"outside the accepted range {YEAR_MIN}–{YEAR_MAX}"


def parse_datetime(v: Any) -> datetime:
    """A naive datetime (local, to be zoned later) or an aware one when an offset is given."""
    dt = _parse_datetime(v)
    if not YEAR_MIN <= dt.year <= YEAR_MAX:
        raise ValueError(f"date-time {_RANGE}")
    return dt


def _parse_datetime(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v
    if isinstance(v, date):
        return datetime(v.year, v.month, v.day)
    s = str(v).strip()
    if len(s) >= 16 and s[4] == "-" and s[10] in " T":  # the common ISO form, parsed in C
        try:
            return datetime.fromisoformat(s)
        except ValueError:
            pass
    m = _DT.match(s)
    if not m:
        raise ValueError("expected a date-time like 2026-03-02 09:05[:00][+08:00]")
    y, mo, d, hh, mm, ss, frac, off = m.groups()
    try:
        dt = datetime(
            int(y),
            int(mo),
            int(d),
            int(hh or 0),
            int(mm or 0),
            int(ss or 0),
            int((frac or "0").ljust(6, "0")),
        )
    except ValueError:
        raise ValueError("not a real date-time") from None
    if off:
        if off.upper() == "Z":
            return dt.replace(tzinfo=UTC)
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return dt.replace(tzinfo=timezone(sign * delta))
    return dt


def parse_date(v: Any) -> date:
    d = _parse_date(v)
    if not YEAR_MIN <= d.year <= YEAR_MAX:
        raise ValueError(f"date {_RANGE}")
    return d


def _parse_date(v: Any) -> date:
    if isinstance(v, datetime):
        if v.time() != datetime.min.time():
            raise ValueError("expected a date without a time")
        return v.date()
    if isinstance(v, date):
        return v
    m = _DT.match(str(v).strip())
    if not m or m.group(4) is not None:
        raise ValueError("expected a date like 2026-03-02")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError("not a real date") from None


def parse_money(v: Any) -> Decimal:
    if isinstance(v, Decimal | int | float):
        d = v if isinstance(v, Decimal) else Decimal(str(v))
        if not d.is_finite():
            raise ValueError("expected an amount like 1234.50")
        return d
    s = str(v).strip().replace(",", "").replace("，", "").lstrip("¥￥").removesuffix("元")
    try:
        d = Decimal(s.strip())
    except InvalidOperation:
        raise ValueError("expected an amount like 1234.50") from None
    if not d.is_finite():
        raise ValueError("expected an amount like 1234.50")
    return d


_TRUE = {"1", "true", "t", "yes", "y", "on", "是", "对", "√", "x"}
_FALSE = {"0", "false", "f", "no", "n", "off", "否", "不", "×"}


def parse_bool(v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ValueError("expected yes/no (是/否, true/false, 1/0)")


def enum_parser(allowed: dict[str, str]) -> Callable[[Any], str]:
    """Map labels (case-insensitive, Chinese included) to canonical values."""
    table = {k.lower(): v for k, v in allowed.items()}
    for v in set(allowed.values()):
        table[v.lower()] = v
    choices = ", ".join(sorted(set(allowed.values())))

    def parse(v: Any) -> str:
        got = table.get(str(v).strip().lower())
        if got is None:
            raise ValueError(f"use one of {choices}")
        return got

    return parse


def mask(value: Any) -> str:
    """Mask a debtor identifier for reports and reject files: never enough to recover it.

    `13800138000` → `1*********0`, `张三丰` → `张**`. Empty stays empty.
    """
    if value is None:
        return ""
    s = str(value).strip()
    if not s:
        return ""
    if len(s) <= 2:
        return s[0] + "*"
    if len(s) <= 4:
        return s[0] + "*" * (len(s) - 1)
    return s[0] + "*" * (len(s) - 2) + s[-1]
