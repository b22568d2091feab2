"""Limits on what an import will read, checked before the expensive part, each with a clear
message naming the file (and line/column where there is one).

- file size, rows, columns, cell length;
- XLSX: the zip's declared uncompressed size and compression ratio (zip bombs) and the sheet's
  declared dimension (an `A1:XFD1048576` dimension made openpyxl pad every row to 16,384
  cells: 42 CPU-minutes with the transaction open) — checked before any row is read;
- JSON: an array of flat objects (depth 2); deeper values are refused, and a document nested
  past the parser's recursion limit is refused instead of raising RecursionError;
- NUL bytes anywhere in text (PostgreSQL cannot store them; usually a binary or UTF-16 file).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from coaching.ingest.reader import InputError


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 500_000_000
    max_rows: int = 5_000_000
    max_columns: int = 200
    max_cell_chars: int = 10_000
    xlsx_max_uncompressed: int = 1_000_000_000
    xlsx_max_ratio: int = 200  # uncompressed / compressed, per member
    json_max_depth: int = 2  # [ {field: scalar} ]

    def with_settings(self, settings: Any) -> Limits:
        return replace(
            self,
            max_file_bytes=getattr(settings, "import_max_file_bytes", self.max_file_bytes),
            max_rows=getattr(settings, "import_max_rows", self.max_rows),
        )


DEFAULT = Limits()


def check_size(size: int, source: str, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise InputError(
            f"{source}: {size:,} bytes is over the {limits.max_file_bytes:,}-byte import limit "
            "(COACHBOT_IMPORT_MAX_FILE_BYTES); split the file"
        )


def check_nul(text: str, source: str) -> None:
    at = text.find("\x00")
    if at < 0:
        return
    line = text.count("\n", 0, at) + 1
    col = at - (text.rfind("\n", 0, at) + 1) + 1
    raise InputError(
        f"{source}:{line}:{col}: a NUL byte — this is not a text CSV (binary, or UTF-16 without "
        "a BOM?); save it as UTF-8 CSV",
        line=line,
        column=f"char {col}",
    )


def check_headers(headers: list[Any], source: str, limits: Limits) -> None:
    if len(headers) > limits.max_columns:
        raise InputError(
            f"{source}:1: {len(headers)} columns, over the limit of {limits.max_columns}",
            line=1,
        )
    for i, h in enumerate(headers, start=1):
        if h is not None and len(str(h)) > 200:
            raise InputError(
                f"{source}:1:{i}: a header of {len(str(h))} characters; headers are short names",
                line=1,
                column=f"column {i}",
            )


def limit_rows(
    rows: Iterator[tuple[int, list[Any]]], source: str, limits: Limits, text_cells: bool
) -> Iterator[tuple[int, list[Any]]]:
    """Pass rows through, refusing the input at the first row over a limit."""
    for n, (line, cells) in enumerate(rows, start=1):
        check_row(n, line, cells, source, limits, text_cells)
        yield line, cells


def check_row(
    n: int, line: int, cells: list[Any], source: str, limits: Limits, text_cells: bool
) -> None:
    """Refuse the input at row `n` (file line `line`) when it is over a limit."""
    max_rows, max_cols, max_cell = limits.max_rows, limits.max_columns, limits.max_cell_chars
    if n > max_rows:
        raise InputError(
            f"{source}:{line}: more than {max_rows:,} rows (COACHBOT_IMPORT_MAX_ROWS); "
            "split the file",
            line=line,
        )
    if len(cells) > max_cols:
        raise InputError(
            f"{source}:{line}: {len(cells)} cells, over the limit of {max_cols}", line=line
        )
    if text_cells:
        longest = max(map(len, cells), default=0)
    else:
        longest = max((len(c) for c in cells if isinstance(c, str)), default=0)
    if longest > max_cell:
        col = next(i for i, c in enumerate(cells, 1) if isinstance(c, str) and len(c) == longest)
        raise InputError(
            f"{source}:{line}:{col}: a cell of {longest:,} characters, over the limit of "
            f"{max_cell:,}",
            line=line,
            column=f"column {col}",
        )


def check_xlsx_zip(data: bytes, source: str, limits: Limits) -> None:
    """Refuse zip bombs before openpyxl inflates anything."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InputError(f"{source}: not a readable XLSX workbook ({exc})") from None
    total = 0
    with zf:
        for info in zf.infolist():
            total += info.file_size
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > 1_000_000 and ratio > limits.xlsx_max_ratio:
                raise InputError(
                    f"{source}: workbook part {info.filename} inflates {ratio:.0f}× "
                    f"(over {limits.xlsx_max_ratio}×); refusing a likely zip bomb"
                )
    if total > limits.xlsx_max_uncompressed:
        raise InputError(
            f"{source}: the workbook inflates to {total:,} bytes, over the "
            f"{limits.xlsx_max_uncompressed:,}-byte limit"
        )


def check_dimension(ws: Any, source: str, limits: Limits) -> None:
    """The sheet's declared size (read-only mode reads it from <dimension>) within limits."""
    rows, cols = ws.max_row or 0, ws.max_column or 0
    if rows > limits.max_rows + 1 or cols > limits.max_columns:
        ref = getattr(ws, "calculate_dimension", lambda: "?")()
        raise InputError(
            f"{source}: sheet {ws.title!r} declares {rows:,} rows × {cols:,} columns "
            f"(dimension {ref}), over the limits ({limits.max_rows:,} rows, "
            f"{limits.max_columns} columns); copy the data into a new sheet or save as CSV"
        )


def check_json_record(obj: dict[str, Any], index: int, source: str, limits: Limits) -> None:
    """Record `index` (1-based) holds only scalars: no nesting, no NUL, no huge strings."""
    for k, v in obj.items():
        if isinstance(v, dict | list):
            raise InputError(
                f"{source}: record {index}, field {k!r}: a nested {type(v).__name__} — each "
                f"record is a flat object (depth limit {limits.json_max_depth})",
                line=index,
                column=str(k),
            )
        if isinstance(v, str):
            if "\x00" in v:
                raise InputError(
                    f"{source}: record {index}, field {k!r}: a NUL character",
                    line=index,
                    column=str(k),
                )
            if len(v) > limits.max_cell_chars:
                raise InputError(
                    f"{source}: record {index}, field {k!r}: {len(v):,} characters, over the "
                    f"limit of {limits.max_cell_chars:,}",
                    line=index,
                    column=str(k),
                )
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise InputError(
                f"{source}: record {index}, field {k!r}: {v} is not a number",
                line=index,
                column=str(k),
            )
