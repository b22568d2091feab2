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
from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from coaching.ingest import staged
from coaching.ingest.authz import role_guard
from coaching.ingest.kinds import KINDS, CaseRef, EmpRef, Kind, Problem, Refs
from coaching.ingest.reader import InputError, Table, header_map
from coaching.ingest.report import (  # noqa: F401 (re-exported)
    ImportReport,
    Options,
    Progress,
    Rejecter,
    RowError,
    reason_of,
    rejects_path_for,
    write_rejects,
)
from coaching.ingest.writers import copy_text, make_writer  # noqa: F401 (re-exported)
from coaching.privacy import Keyring, keyring_from
from db.analyze import analyze_changed
from db.models import Branch, Call, CallMonthActivity, Case, Employee, QaFinding, Team
from db.models.ops import AuditLog, DashboardSnapshot
from db.sql import lock_for_writers

log = logging.getLogger(__name__)

CHUNK = 5_000
# Rows read ahead to look up their cases at once: a few hundred kB of cells per import.
LOOKUP = 1_000


# --- references -------------------------------------------------------------------------------


def load_refs(
    s: Session, kind: Kind, secret: str | Keyring, default_tz: str, cls: type[Refs] = Refs
) -> Refs:
    refs = cls(secret=secret, default_tz=ZoneInfo(default_tz))
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
        refs.case_source = lambda wanted: cases_named(s, wanted)
    return refs


def cases_named(s: Session, refs: list[str]) -> dict[str, CaseRef]:
    """The cases with these refs (case_ref is unique), in statements of at most 900 refs.

    Read on a connection of their own, outside the import's transaction (the kinds that
    look cases up never write them). Read inside it on SQLite, after rows were staged, every
    import of bench/memory.py failed with "database is locked" through all six retries
    while the outbox and the jobs committed (twice in two runs; with this, 8 of 8 applied):
    a read there plausibly pins a WAL snapshot that the next commit elsewhere makes stale."""
    out: dict[str, CaseRef] = {}
    cols = (Case.id, Case.case_ref, Case.collector_id, Case.debtor_key)
    bind = s.get_bind()
    own = isinstance(bind, Engine) and ":memory:" not in str(bind.url)
    with Session(bind) if own else nullcontext(s) as look:
        for i in range(0, len(refs), 900):
            for cid, ref, coll, key in look.execute(
                select(*cols).where(Case.case_ref.in_(refs[i : i + 900]))
            ):
                out[ref] = CaseRef(cid, coll, key)
    return out


def _with_cases(
    batches: Iterator[list[tuple[int, list[Any], dict[str, Any]]]], refs: Refs
) -> Iterator[tuple[int, list[Any], dict[str, Any]]]:
    """The rows, each chunk's cases looked up before its rows are validated."""
    for batch in batches:
        wanted = {str(v).strip() for _, _, rec in batch if (v := rec.get("case_ref")) is not None}
        refs.prefetch_cases(wanted)
        yield from batch


# --- the import -------------------------------------------------------------------------------


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
    rejecter = Rejecter(report, opts, display, pii)
    if staged.applies(s, kind, table, opts):
        return staged.run(
            s,
            kind,
            table,
            hmap,
            report,
            rejecter,
            opts,
            secret=secret,
            load=lambda cls: load_refs(s, kind, secret, default_tz, cls),
            rules=rules,
            t0=t0,
        )
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
    writing = True
    chunk_unique = True  # no key in `buf` repeats a key seen earlier in the input

    def reject(line: int, cells: list[Any], problems: list[tuple[str, Any, str]]) -> None:
        nonlocal writing
        if not opts.skip_invalid:
            writing = False
        rejecter.reject(line, cells, problems)

    def records() -> Iterator[list[tuple[int, list[Any], dict[str, Any]]]]:
        batch: list[tuple[int, list[Any], dict[str, Any]]] = []
        for line, cells in table.rows:
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
            batch.append((line, cells, rec))
            if len(batch) >= LOOKUP:
                yield batch
                batch = []
        if batch:
            yield batch

    n = 0
    try:
        for line, cells, rec in _with_cases(records(), refs):
            n += 1
            try:
                row = model.model_validate(rec)
                values = resolve(row, refs)
                if guard is not None:
                    guard(values)
            except ValidationError as exc:
                probs = []
                for e in exc.errors(include_input=False, include_url=False):
                    col = str(e["loc"][0]) if e["loc"] else "?"
                    probs.append((col, rec.get(col), reason_of(e)))
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
        # (On PostgreSQL a key repeated in a later 5,000-row chunk counts as an update.)
        report.unchanged = max(
            0, report.valid - report.duplicates - report.inserted - report.updated
        )
        if kind.name == "calls" and opts.auto_compliance and refs.call_days:
            report.auto_findings = compliance_auto.check_days(s, refs.call_days, rules=rules)
            report.timings["auto_compliance"] = round(time.perf_counter() - t2, 3)
        report.applied = not opts.dry_run
    rejecter.write(opts.rejects_path, table.headers)
    report.seconds = time.perf_counter() - t0
    return report


# --- one call for the CLI and the API -----------------------------------------------------------


def import_table(ctx: Any, kind: str, table: Table, opts: Options) -> ImportReport:
    """Open a transaction, run the import, commit only when it was applied; audit the run.

    `ctx` is the AppContext (settings, db, clock)."""
    from coaching.compliance_auto import rules_from_settings

    db, settings = ctx.db, ctx.settings
    now = ctx.clock.now()
    # The COPYs run on the driver's own connection: their errors are the driver's, not
    # DBAPIError; they are handed on as DBAPIError (retry, the CLI's and API's handlers).
    driver_error = getattr(db.engine.dialect.dbapi, "Error", None) or ()
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
        except driver_error as exc:
            s.rollback()
            raise DBAPIError.instance(None, None, exc, driver_error) from exc
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
        analyze_changed(db.engine, _written(kind, report))
    return report


def _written(kind: str, report: ImportReport) -> dict[str, int]:
    """Rows the import wrote, per table (for the planner statistics, db/analyze.py)."""
    k = KINDS[kind]
    n = report.inserted + report.updated
    out = {k.table.name if k.table is not None else Employee.__tablename__: n}
    if out.keys() == {Call.__tablename__}:
        out[CallMonthActivity.__tablename__] = n  # its triggers write at most one row per call
        out[QaFinding.__tablename__] = report.auto_findings
    return out


def _mark_dashboard_stale(db: Any) -> None:
    """The dashboard's precomputed pages now show older data: they say so, and the
    dashboard_precompute job recomputes them on its next check (within a minute). After the
    import's commit, in a transaction of its own: it never holds up or fails an import.

    A new `stamp` tells a computation that was running meanwhile that it may have missed this
    import (bot/dashboard/snapshots.refresh keeps its parts stale then); the table lock keeps
    the mark from landing on rows that computation is replacing."""
    for attempt in (1, 2, 3):
        try:
            with db.session() as s:
                lock_for_writers(s, DashboardSnapshot.__tablename__)
                s.execute(
                    update(DashboardSnapshot).values(stale=True, stamp=f"imported:{uuid4().hex}")
                )
            return
        except DBAPIError as exc:  # e.g. the database went away; the import itself stands
            log.warning(
                "could not mark the dashboard data stale (try %d): %s",
                attempt,
                exc.__class__.__name__,
            )
