"""Validate rows, then upsert them on their natural key in one transaction.

Bulk paths: PostgreSQL COPYs the valid rows into a temporary staging table and merges with one
`INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (row differs)`; SQLite runs `executemany`
of the same upsert in chunks. Rows are validated and written in a stream, so a million-row
file never sits in memory as objects. All-or-nothing by default: any invalid row and the
transaction is rolled back (writing stops at the first invalid row; validation goes on so the
report lists every problem).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from coaching.csv_safe import SafeWriter
from coaching.ingest.authz import role_guard
from coaching.ingest.fields import mask
from coaching.ingest.kinds import KINDS, CaseRef, EmpRef, Kind, Problem, Refs
from coaching.ingest.reader import InputError, Mapping, Table, header_map
from coaching.ingest.writers import copy_text, make_writer  # noqa: F401 (re-exported)
from coaching.privacy import Keyring, keyring_from
from db.models import Branch, Case, Employee, Team
from db.models.ops import AuditLog, DashboardSnapshot

log = logging.getLogger(__name__)

CHUNK = 20_000
Progress = Callable[[int, int | None], None]


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


def rejects_path_for(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


# --- references -------------------------------------------------------------------------------


def load_refs(s: Session, kind: Kind, secret: str | Keyring, default_tz: str) -> Refs:
    refs = Refs(secret=secret, default_tz=ZoneInfo(default_tz))
    tz_cache: dict[str, ZoneInfo] = {}
    branches = {b.id: b for b in s.execute(select(Branch)).scalars()}
    refs.branches = {b.code: b.id for b in branches.values()}
    refs.currencies = {b.id: b.currency for b in branches.values()}
    refs.teams = {t.code: (t.id, t.branch_id) for t in s.execute(select(Team)).scalars()}
    if "employees" in kind.needs:
        for eid, no, bid in s.execute(
            select(Employee.id, Employee.employee_no, Employee.branch_id)
        ):
            tzname = branches[bid].timezone
            tz = tz_cache.setdefault(tzname, ZoneInfo(tzname))
            e = EmpRef(eid, bid, tz)
            refs.employees[no] = e
            refs.employees_by_id[eid] = e
    if "cases" in kind.needs:
        for cid, ref, coll, key in s.execute(
            select(Case.id, Case.case_ref, Case.collector_id, Case.debtor_key)
        ):
            refs.cases[ref] = CaseRef(cid, coll, key)
    return refs


# --- the import -------------------------------------------------------------------------------


def _reason(e: dict[str, Any]) -> str:
    if e["type"] == "missing":
        return "required value missing"
    msg = str(e["msg"])
    return msg.removeprefix("Value error, ")


def run_import(
    s: Session,
    kind_name: str,
    table: Table,
    *,
    secret: str | Keyring,
    default_tz: str,
    now: datetime,
    opts: Options,
    rules: Any = None,
) -> ImportReport:
    """Validate and stage every row inside the caller's transaction.

    Returns the report; the caller commits when `report.applied` and rolls back otherwise.
    """
    from coaching import compliance_auto

    kind = KINDS[kind_name]
    report = ImportReport(kind=kind.name, source=table.source, encoding=table.encoding)
    report.dry_run = opts.dry_run
    t0 = time.perf_counter()
    hmap = header_map(kind, table.headers, opts.mapping)
    present = set(hmap.values())
    report.ignored_columns = [
        str(h) for i, h in enumerate(table.headers) if i not in hmap and h and str(h).strip()
    ]
    display = {name: str(table.headers[i]) for i, name in hmap.items()}
    pii = {c.name for c in kind.columns if c.pii}
    value_maps = {
        col: {k.strip().lower(): v for k, v in m.items()}
        for col, m in (opts.mapping.values if opts.mapping else {}).items()
    }
    refs = load_refs(s, kind, secret, default_tz)
    guard = None if opts.may_change_roles else role_guard(s, kind)
    writer = make_writer(s, kind, present, opts.actor, now)
    items = list(hmap.items())
    model = kind.model
    resolve = kind.resolve
    kidx = kind.key_index
    seen: set[tuple[Any, ...]] = set()
    buf: list[tuple[Any, ...]] = []
    buf_lines: list[int] = []
    rejected_rows: list[tuple[int, list[Any], str]] = []
    keep_rejects = opts.rejects_path is not None
    writing = True
    chunk_unique = True  # no key in `buf` repeats a key seen earlier in the input

    def reject(line: int, cells: list[Any], problems: list[tuple[str, Any, str]]) -> None:
        nonlocal writing
        report.rejected += 1
        if not opts.skip_invalid:
            writing = False
        for col, value, why in problems:
            shown = mask(value) if col in pii else ("" if value is None else str(value)[:100])
            if col not in pii and shown:
                shown = _redact(shown)  # a bad free-text cell is printed: redacted first
            report.errors.append(RowError(line, display.get(col, col), col, shown, _redact(why)))
        if keep_rejects:
            rejected_rows.append((line, cells, "; ".join(f"{c}: {w}" for c, _, w in problems)))

    n = 0
    try:
        for line, cells in table.rows:
            n += 1
            width = len(cells)
            # Blank cells are left out: required ones become "missing", optional ones default.
            rec = {
                name: v
                for i, name in items
                if i < width
                and (v := cells[i]) is not None
                and (v.__class__ is not str or v.strip())
            }
            for col, m in value_maps.items():
                v = rec.get(col)
                if v is not None and str(v).strip().lower() in m:
                    rec[col] = m[str(v).strip().lower()]
            try:
                row = model.model_validate(rec)
                values = resolve(row, refs)
                if guard is not None:
                    guard(values)
            except ValidationError as exc:
                probs = []
                for e in exc.errors(include_input=False, include_url=False):
                    col = str(e["loc"][0]) if e["loc"] else "?"
                    probs.append((col, rec.get(col), _reason(e)))
                reject(line, cells, probs)
                continue
            except Problem as p:
                reject(line, cells, [(p.column, rec.get(p.column), p.reason)])
                continue
            report.valid += 1
            key = tuple(values[i] for i in kidx)
            if key in seen:
                report.duplicates += 1
                chunk_unique = False
            else:
                seen.add(key)
            if writing:
                buf.append(values)
                buf_lines.append(line)
                if len(buf) >= CHUNK:
                    writer.write(buf, buf_lines, chunk_unique)
                    buf, buf_lines, chunk_unique = [], [], True
            if opts.progress and n % 5000 == 0:
                opts.progress(n, table.total)
    except BaseException:
        writer.close()
        raise
    report.rows = n
    if opts.progress:
        opts.progress(n, n)
    if writing and buf:
        writer.write(buf, buf_lines, chunk_unique)
    t1 = time.perf_counter()
    report.timings["validate_stage"] = round(t1 - t0, 3)
    if not writing:
        writer.close()
    else:
        writer.finish(report.duplicates > 0)
        t2 = time.perf_counter()
        report.timings["merge"] = round(t2 - t1, 3)
        report.inserted, report.updated = writer.inserted, writer.updated
        # (On PostgreSQL a key repeated in a later 20,000-row chunk counts as an update.)
        report.unchanged = max(
            0, report.valid - report.duplicates - report.inserted - report.updated
        )
        if kind.name == "calls" and opts.auto_compliance and refs.call_days:
            report.auto_findings = compliance_auto.check_days(s, refs.call_days, rules=rules)
            report.timings["auto_compliance"] = round(time.perf_counter() - t2, 3)
        report.applied = not opts.dry_run
    if keep_rejects and rejected_rows and opts.rejects_path is not None:
        write_rejects(opts.rejects_path, table.headers, rejected_rows, display, pii)
        report.rejects_path = str(opts.rejects_path)
    report.seconds = time.perf_counter() - t0
    return report


def _redact(text: str) -> str:
    from coaching.redact import redact

    return redact(text)


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


# --- one call for the CLI and the API -----------------------------------------------------------


def import_table(ctx: Any, kind: str, table: Table, opts: Options) -> ImportReport:
    """Open a transaction, run the import, commit only when it was applied; audit the run.

    `ctx` is the AppContext (settings, db, clock)."""
    from coaching.compliance_auto import rules_from_settings

    db, settings = ctx.db, ctx.settings
    now = ctx.clock.now()
    with Session(db.engine) as s:
        try:
            report = run_import(
                s,
                kind,
                table,
                secret=keyring_from(settings),
                default_tz=settings.default_timezone,
                now=now,
                opts=opts,
                rules=rules_from_settings(settings),
            )
        except InputError as exc:
            s.rollback()
            report = ImportReport(kind=kind, source=table.source, encoding=table.encoding)
            report.fatal = str(exc)
            if exc.line is not None:
                report.errors.append(
                    RowError(exc.line, exc.column or "", exc.column or "", "", str(exc))
                )
        else:
            if report.applied:
                s.commit()
            else:
                s.rollback()
    detail = (
        f"{opts.actor} kind={kind} {report.source}: rows={report.rows} valid={report.valid} "
        f"rejected={report.rejected} inserted={report.inserted} updated={report.updated} "
        f"unchanged={report.unchanged} dry_run={report.dry_run}"
    )
    log.info("import %s %s applied=%s", kind, detail, report.applied)
    with db.session() as s:
        s.add(
            AuditLog(
                at=now,
                action=f"import.{kind}",
                outcome="allowed" if report.applied else "error",
                detail=detail[:500],
            )
        )
    if report.applied and (report.inserted or report.updated):
        _mark_dashboard_stale(db)
    return report


def _mark_dashboard_stale(db: Any) -> None:
    """The dashboard's precomputed pages now show older data: they say so, and the
    dashboard_precompute job recomputes them on its next check (within a minute). After the
    import's commit, in a transaction of its own: it never holds up or fails an import."""
    try:
        with db.session() as s:
            s.execute(update(DashboardSnapshot).where(~DashboardSnapshot.stale).values(stale=True))
    except DBAPIError as exc:  # e.g. a deadlock with the job replacing the same rows
        log.warning("could not mark the dashboard data stale: %s", exc.__class__.__name__)
