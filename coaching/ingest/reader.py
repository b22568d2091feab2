"""Reading tabular input: CSV (UTF-8, UTF-8 with BOM, GB18030/GBK — detected), XLSX, JSON
arrays; mapping headers (English, Chinese, or a mapping file) to each kind's columns."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from coaching.ingest.kinds import Kind

if TYPE_CHECKING:
    from coaching.ingest.limits import Limits


class InputError(ValueError):
    """The input as a whole cannot be read (not one bad row): encoding, format, headers."""

    def __init__(self, message: str, line: int | None = None, column: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


@dataclass
class Mapping:
    """A mapping file for exports with other headers or labels.

    ```yaml
    columns:            # header in the file -> column name (see docs/data-formats.md)
      CallID: call_ref
      坐席工号: collector
    values:             # optional: per column, label in the file -> accepted value
      outcome: {"Connected": contacted, "Busy": no_answer}
    encoding: gb18030   # optional: skip detection
    sheet: Calls        # optional: XLSX sheet name (default: the first sheet)
    delimiter: ";"      # optional: CSV delimiter (default: detected , ; tab |)
    ```
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    encoding: str | None = None
    sheet: str | None = None
    delimiter: str | None = None

    @classmethod
    def load(cls, path: Path) -> Mapping:
        try:
            raw = path.read_text(encoding="utf-8-sig")
            data = json.loads(raw) if path.suffix.lower() == ".json" else yaml.safe_load(raw)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise InputError(f"{path}: cannot read the mapping file ({exc})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}: a mapping file is a YAML/JSON object with `columns:`")
        unknown = set(data) - {"columns", "values", "encoding", "sheet", "delimiter"}
        if unknown:
            raise InputError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
        cols = data.get("columns") or {}
        vals = data.get("values") or {}
        if not isinstance(cols, dict) or not isinstance(vals, dict):
            raise InputError(f"{path}: `columns` and `values` must be mappings")
        return cls(
            columns={str(k): str(v) for k, v in cols.items()},
            values={str(k): {str(a): str(b) for a, b in v.items()} for k, v in vals.items()},
            encoding=data.get("encoding"),
            sheet=data.get("sheet"),
            delimiter=data.get("delimiter"),
        )


@dataclass
class Table:
    """Headers as found in the input, and rows as (line number, cells)."""

    source: str
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    total: int | None  # rows expected, for the progress bar (approximate for CSV)
    encoding: str | None = None
    # Every cell is a str (CSV): the PostgreSQL staging path may stream them as text.
    text_cells: bool = False


_NORM = re.compile(r"[\s_\-()（）]+")


def norm(h: str) -> str:
    return _NORM.sub("", str(h).strip().lower())


def header_map(kind: Kind, headers: list[str], mapping: Mapping | None) -> dict[int, str]:
    """Position -> column name; raises InputError for missing required or doubled columns."""
    aliases: dict[str, str] = {}
    for col in kind.columns:
        for a in (col.name, *col.aliases, *col.zh):
            aliases.setdefault(norm(a), col.name)
    explicit = {norm(k): v for k, v in (mapping.columns if mapping else {}).items()}
    names = {c.name for c in kind.columns}
    for target in explicit.values():
        if target not in names:
            raise InputError(f"mapping file: {target!r} is not a column of {kind.name}")
    result: dict[int, str] = {}
    seen: dict[str, str] = {}
    for i, h in enumerate(headers):
        if h is None or not str(h).strip():
            continue
        n = norm(h)
        col = explicit.get(n) or aliases.get(n)
        if col is None:
            continue
        if col in seen:
            raise InputError(
                f"columns {seen[col]!r} and {h!r} both mean {col}", line=1, column=str(h)
            )
        seen[col] = str(h)
        result[i] = col
    missing = [c.name for c in kind.columns if c.required and c.name not in seen]
    if missing:
        zh = {c.name: c.zh[0] for c in kind.columns}
        want = ", ".join(f"{m} ({zh[m]})" for m in missing)
        raise InputError(f"missing required column(s): {want}", line=1, column=missing[0])
    return result


# --- decoding ---------------------------------------------------------------------------------


def decode(data: bytes, forced: str | None = None, source: str = "input") -> tuple[str, str]:
    """Text and the encoding used (coaching.ingest.encoding: BOM, strict UTF-8, then detection
    with confidence; InputError naming the line when unsure)."""
    from coaching.ingest.encoding import decode_text

    return decode_text(data, source, forced)


def _decode_legacy(data: bytes, forced: str | None = None) -> tuple[str, str]:
    """The detection before issue 18 (kept for reference by the hostile-file tests)."""
    if forced:
        try:
            return data.decode(forced), forced
        except (LookupError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot decode as {forced}: {exc}") from None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    enc = (best.encoding if best else "") or ""
    # GB2312 and GBK are subsets of GB18030: decode with the superset so rare characters work.
    if enc.lower().replace("-", "").replace("_", "") in {"gb2312", "gbk", "gb18030", "hz", "cp936"}:
        enc = "gb18030"
    for candidate in [enc, "gb18030"] if enc else ["gb18030"]:
        try:
            return data.decode(candidate), candidate
        except (LookupError, UnicodeDecodeError):
            continue
    raise InputError("cannot detect the text encoding; save as UTF-8 or GBK CSV")


LINES_CHUNK = 1 << 20  # characters split into lines at once


def _lines(text: str) -> Iterator[str]:
    """The text's lines, ends kept, one at a time. A StringIO copy of a CSV body is 4 bytes
    per character (29 MB for 100,000 call rows), and several imports run at once; splitting
    about a megabyte at a time keeps only that part twice. A text with a lone CR (old Mac
    exports) keeps StringIO's universal newlines."""
    if text.count("\r") != text.count("\r\n"):
        return iter(io.StringIO(text, newline=""))
    return chain.from_iterable(_line_chunks(text))


def _line_chunks(text: str) -> Iterator[list[str]]:
    """Lists of the text's lines ("\n"-ended), a megabyte or so at a time: `splitlines` in C,
    unless the part holds a character it also breaks at (VT, FF, U+2028…), where the csv module
    must not see a line end — then sliced at each "\n"."""
    start, n = 0, len(text)
    while start < n:
        end = text.find("\n", start + LINES_CHUNK)
        end = n if end < 0 else end + 1
        part = text[start:end]
        start = end
        lines = part.splitlines(keepends=True)
        if len(lines) == part.count("\n") + (not part.endswith("\n")):
            yield lines
            continue
        out, i, m = [], 0, len(part)
        while i < m:
            j = part.find("\n", i)
            j = m if j < 0 else j + 1
            out.append(part[i:j])
            i = j
        yield out


def read_csv_text(
    text: str, source: str, delimiter: str | None = None, limits: Limits | None = None
) -> Table:
    """The CSV's header and rows; with `limits`, the input is refused at the first row over
    one (checked here, not by a generator around the rows: one layer less per row)."""
    if not text.strip():
        raise InputError(f"{source}: empty file", line=1)
    if delimiter is None:
        first = text.split("\n", 1)[0]
        delimiter = max([",", ";", "\t", "|"], key=first.count)
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        headers = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise InputError(f"{source}: no header line ({exc})", line=1) from None
    total = max(text.count("\n") - 1, 0) + (0 if text.endswith("\n") else 1)

    from coaching.ingest.limits import check_row

    max_rows = limits.max_rows if limits else 0
    max_cols = limits.max_columns if limits else 0
    # No cell is longer than the row's cells joined: the per-cell check runs only past that.
    max_cell = limits.max_cell_chars if limits else 0

    def rows() -> Iterator[tuple[int, list[Any]]]:
        start = reader.line_num + 1
        n = 0
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(f"{source}:{start}: broken CSV ({exc})", line=start) from None
            joined = "".join(cells)
            if joined.strip():  # not a blank line (one C call, not one per cell)
                n += 1
                if limits and (n > max_rows or len(cells) > max_cols or len(joined) > max_cell):
                    check_row(n, start, cells, source, limits, True)
                yield start, cells
            start = reader.line_num + 1

    return Table(source, headers, rows(), total, text_cells=True)


def read_xlsx(
    data: bytes | Path, source: str, sheet: str | None = None, limits: Limits | None = None
) -> Table:
    from openpyxl import load_workbook

    from coaching.ingest import limits as lim

    lm = limits or lim.DEFAULT
    if isinstance(data, Path):
        data = data.read_bytes()
    lim.check_xlsx_zip(data, source, lm)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"{source}: not a readable XLSX workbook ({exc})") from None
    if sheet and sheet not in wb.sheetnames:
        raise InputError(f"{source}: no sheet {sheet!r} (have {', '.join(wb.sheetnames)})")
    ws = wb[sheet] if sheet else wb.worksheets[0]
    try:
        lim.check_dimension(ws, source, lm)
        it = ws.iter_rows(values_only=True)
        headers = ["" if h is None else str(h) for h in next(it)]
    except StopIteration:
        raise InputError(f"{source}: empty sheet", line=1) from None
    except InputError:
        raise
    except Exception as exc:  # a malformed sheet part: openpyxl raises many kinds
        raise InputError(f"{source}: not a readable XLSX sheet ({exc})") from None
    lim.check_headers(headers, source, lm)

    def cell(v: Any) -> Any:
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return v

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for line, values in enumerate(it, start=2):
                cells = [cell(v) for v in values]
                if any(c is not None and str(c).strip() for c in cells):
                    yield line, cells
        except InputError:
            raise
        except Exception as exc:  # a malformed row in the sheet XML
            raise InputError(f"{source}: not a readable XLSX sheet ({exc})") from None
        finally:
            wb.close()

    total = (ws.max_row or 1) - 1 if ws.max_row else None
    return Table(source, headers, lim.limit_rows(rows(), source, lm, False), total)


def read_path(path: Path, mapping: Mapping | None = None, limits: Limits | None = None) -> Table:
    from coaching.ingest import limits as lim

    lm = limits or lim.DEFAULT
    try:
        lim.check_size(path.stat().st_size, str(path), lm)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in {".xlsx", ".xlsm"}:
        return read_xlsx(data, str(path), mapping.sheet if mapping else None, lm)
    if path.suffix.lower() == ".json":
        return read_json(data, str(path), lm)
    return read_bytes_csv(data, str(path), mapping, lm)


def read_bytes_csv(
    data: bytes, source: str, mapping: Mapping | None = None, limits: Limits | None = None
) -> Table:
    from coaching.ingest import limits as lim

    lm = limits or lim.DEFAULT
    lim.check_size(len(data), source, lm)
    text, enc = decode(data, mapping.encoding if mapping else None, source)
    lim.check_nul(text, source)
    t = read_csv_text(text, source, mapping.delimiter if mapping else None, lm)
    lim.check_headers(t.headers, source, lm)
    if (t.total or 0) > 2 * lm.max_rows:  # blank lines are skipped, but not for free
        raise InputError(
            f"{source}: {t.total:,} lines, far over the {lm.max_rows:,}-row limit; split the file"
        )
    t.encoding = enc
    return t


def read_json(data: bytes | list[Any], source: str, limits: Limits | None = None) -> Table:
    from coaching.ingest import limits as lim

    lm = limits or lim.DEFAULT
    if isinstance(data, bytes):
        lim.check_size(len(data), source, lm)
        try:
            data = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            line, col = _byte_position(data, exc.start + (3 if data[:3] == b"\xef\xbb\xbf" else 0))
            raise InputError(
                f"{source}:{line}:{col}: JSON must be UTF-8 ({exc.reason})", line=line
            ) from None
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{source}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})",
                line=exc.lineno,
                column=f"char {exc.colno}",
            ) from None
        except (ValueError, RecursionError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise InputError(f"{source}: not valid JSON ({why})") from None
    if not isinstance(data, list):
        raise InputError(f"{source}: expected a JSON array of objects, got a {type(data).__name__}")
    for i, x in enumerate(data, start=1):
        if not isinstance(x, dict):
            raise InputError(
                f"{source}: record {i} is a {type(x).__name__}; expected a JSON array of objects",
                line=i,
            )
        lim.check_json_record(x, i, source, lm)
    if len(data) > lm.max_rows:
        raise InputError(f"{source}: {len(data):,} records, over the limit of {lm.max_rows:,}")
    headers: list[str] = []
    seen: set[str] = set()
    for obj in data:
        for k in obj:
            if k not in seen:
                seen.add(k)
                headers.append(str(k))
    rows = data

    def it() -> Iterator[tuple[int, list[Any]]]:
        for i, obj in enumerate(rows, start=1):
            yield i, [obj.get(h) for h in headers]

    lim.check_headers(headers, source, lm)
    return Table(source, headers, it(), len(rows), "json")


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1
