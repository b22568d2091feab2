"""What an import reports: per-row errors, counts, timings; options; the rejects file.

Shared by the row path (`engine`) and the PostgreSQL staging path (`staged`), so both name a
bad row the same way (file line, header as written, column, masked or redacted value, reason).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from coaching.csv_safe import SafeWriter
from coaching.ingest.fields import mask
from coaching.ingest.reader import Mapping

Progress = Any  # Callable[[int, int | None], None]


@dataclass
class RowError:
    line: int
    column: str  # header as written in the input
    field: str  # column name (docs/data-formats.md)
    value: str  # masked for debtor identifiers
    reason: str


@dataclass
class ImportReport:
    kind: str
    source: str
    encoding: str | None = None
    rows: int = 0
    valid: int = 0
    rejected: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0  # rows repeating an earlier row's key in the same input (last wins)
    auto_findings: int = 0
    applied: bool = False
    dry_run: bool = False
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    rejects_path: str | None = None
    seconds: float = 0.0
    # Where the time went: read+validate+stage, merge, auto compliance.
    timings: dict[str, float] = field(default_factory=dict)
    fatal: str | None = None  # the input as a whole could not be read

    @property
    def ok(self) -> bool:
        return self.fatal is None and self.rejected == 0

    def to_dict(self, max_errors: int = 1000) -> dict[str, Any]:
        d = asdict(self)
        d["errors"] = [asdict(e) for e in self.errors[:max_errors]]
        d["errors_truncated"] = len(self.errors) > max_errors
        d["rows_per_second"] = round(self.rows / self.seconds) if self.seconds else None
        return d


@dataclass
class Options:
    dry_run: bool = False
    skip_invalid: bool = False
    mapping: Mapping | None = None
    rejects_path: Path | None = None  # written when rows are rejected (with --skip-invalid)
    progress: Progress | None = None
    auto_compliance: bool = True
    # Who writes, for the audit log ("cli", "token:7"); a token may not change roles.
    actor: str = "cli"
    may_change_roles: bool = True
    # PostgreSQL: calls from CSV take the staging path (coaching.ingest.staged); False forces
    # the row path (the tests compare the two).
    bulk_staging: bool = True


def rejects_path_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def reason_of(e: dict[str, Any]) -> str:
    """A pydantic error as the report states it."""
    if e["type"] == "missing":
        return "required value missing"
    msg = str(e["msg"])
    return msg.removeprefix("Value error, ")


def _redact(text: str) -> str:
    from coaching.redact import redact

    return redact(text)


class Rejecter:
    """Records rejected rows in the report (and for the rejects file): debtor identifiers
    masked, any other bad cell redacted before it is printed."""

    def __init__(
        self, report: ImportReport, opts: Options, display: dict[str, str], pii: set[str]
    ) -> None:
        self.report = report
        self.display = display
        self.pii = pii
        self.skip_invalid = opts.skip_invalid
        self.keep = opts.rejects_path is not None
        self.rows: list[tuple[int, list[Any], str]] = []

    def reject(self, line: int, cells: list[Any], problems: list[tuple[str, Any, str]]) -> None:
        report, pii = self.report, self.pii
        report.rejected += 1
        for col, value, why in problems:
            shown = mask(value) if col in pii else ("" if value is None else str(value)[:100])
            if col not in pii and shown:
                shown = _redact(shown)  # a bad free-text cell is printed: redacted first
            report.errors.append(
                RowError(line, self.display.get(col, col), col, shown, _redact(why))
            )
        if self.keep:
            self.rows.append((line, cells, "; ".join(f"{c}: {w}" for c, _, w in problems)))

    def write(self, path: Path | None, headers: list[str]) -> None:
        if self.keep and self.rows and path is not None:
            write_rejects(path, headers, self.rows, self.display, self.pii)
            self.report.rejects_path = str(path)


def write_rejects(
    path: Path,
    headers: list[str],
    rows: list[tuple[int, list[Any], str]],
    display: dict[str, str],
    pii: set[str],
) -> None:
    """Rejected rows as they came, plus line and reasons; debtor identifiers masked, other
    text redacted (`coaching.redact`), and columns the import does not know left empty:
    nobody checked what they hold."""
    from coaching.redact import redact

    masked_idx = {headers.index(h) for c, h in display.items() if c in pii}
    known_idx = {headers.index(h) for h in display.values() if h in headers}

    def cell(i: int, v: Any) -> Any:
        if v is None or i not in known_idx:
            return ""
        if i in masked_idx:
            return mask(v)
        return redact(v) if isinstance(v, str) else v

    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = SafeWriter(f)  # rejected cells are whatever the file held: escape formulas
        w.writerow(["line", *headers, "errors"])
        for line, cells, why in rows:
            w.writerow([line, *(cell(i, v) for i, v in enumerate(cells)), redact(why)])
