"""One way to print a listing from the CLI: a Rich table that folds long cells to the
terminal width (readable at 80 columns, nothing cut off), or `--format csv` / `--format json`
for scripts (the same columns, full values, no styling)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

FORMATS = ("table", "csv", "json")
# The option every listing takes: `fmt: FormatOption = "table"`.
FormatOption = typer.Option("--format", help="table, csv or json")


def check_format(fmt: str) -> str:
    from bot.cli import fail

    if fmt not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}")
    return fmt


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> Table:
    """A table whose cells wrap (fold) instead of being cut with "…" when the terminal is
    narrow; numbers stay on one line."""
    t = Table(title=title, expand=False, show_lines=False, pad_edge=False)
    for i, c in enumerate(columns):
        numeric = bool(rows) and all(_is_number(r[i]) for r in rows)
        t.add_column(
            c,
            overflow="fold",
            no_wrap=numeric,
            justify="right" if numeric else "left",
            min_width=min(len(c), 10) if numeric else None,
        )
    for r in rows:
        t.add_row(*["" if v is None else str(v) for v in r])
    return t


def _is_number(v: Any) -> bool:
    if isinstance(v, int | float):
        return True
    try:
        float(str(v).rstrip("%"))
    except ValueError:
        return False
    return True


def emit(
    console: Console,
    fmt: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
) -> None:
    if fmt == "json":
        data = [dict(zip(columns, r, strict=True)) for r in rows]
        console.print_json(json.dumps(data, ensure_ascii=False, default=str))
    elif fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        w.writerows([["" if v is None else v for v in r] for r in rows])
        # soft_wrap: a CSV line is never re-wrapped to the terminal width.
        console.print(buf.getvalue(), end="", markup=False, highlight=False, soft_wrap=True)
    else:
        console.print(table(columns, rows, title))
