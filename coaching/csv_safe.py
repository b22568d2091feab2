"""Spreadsheet formula injection: every CSV/XLSX cell the product writes goes through here.

OWASP (CSV Injection): a cell starting with `=`, `+`, `-`, `@`, tab or carriage return is a
formula to Excel/LibreOffice (`=HYPERLINK(...)` exfiltrates, `=cmd|...` runs DDE); prefix it
with a single quote so it shows as text. A value already starting with a quote gets one too,
which makes the escape reversible (`unescape_cell`). Only text is escaped: numbers stay
numbers (a negative score is not a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE_START = (*FORMULA_START, "'")


def escape_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_ESCAPE_START):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    return value[1:] if value.startswith("'") else value


def escape_row(row: Iterable[Any]) -> list[Any]:
    return [escape_cell(v) for v in row]


class SafeWriter:
    """csv.writer whose rows are escaped; same arguments as csv.writer."""

    def __init__(self, f: Any, **kwargs: Any) -> None:
        self._w = csv.writer(f, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow(escape_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for r in rows:
            self.writerow(r)
