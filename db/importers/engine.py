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
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, select, text
from sqlalchemy import Table as SaTable
from sqlalchemy.orm import Session

from coaching.csv_safe import SafeWriter
from db.importers.authz import role_guard
from db.importers.fields import mask
from db.importers.kinds import KINDS, CaseRef, EmpRef, Kind, Problem, Refs
from db.importers.reader import InputError, Mapping, Table, header_map
from db.models import Branch, Case, Employee, EmployeeRole, Team
from db.models.ops import AuditLog

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


def load_refs(s: Session, kind: Kind, secret: str, default_tz: str) -> Refs:
    refs = Refs(secret=secret, default_tz=ZoneInfo(default_tz))
    tz_cache: dict[str, ZoneInfo] = {}
    branches = {b.id: b for b in s.execute(select(Branch)).scalars()}
    refs.branches = {b.code: b.id for b in branches.values()}
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


# --- writers ----------------------------------------------------------------------------------


class Writer:
    inserted = 0
    updated = 0

    def write(self, rows: list[tuple[Any, ...]], lines: list[int], unique: bool = False) -> None:
        """Stage `rows`; `unique` promises that no natural key repeats within them."""
        raise NotImplementedError

    def finish(self, duplicates: bool) -> None:
        pass

    def close(self) -> None:
        """Stop using the connection (on errors and when nothing is to be applied)."""


def _update_columns(kind: Kind, present: set[str]) -> list[str]:
    return [
        c
        for c in kind.db_columns
        if c not in kind.natural_key and present.intersection(kind.sources.get(c, ()))
    ]


class SqliteWriter(Writer):
    """executemany into a temporary staging table, then one INSERT … SELECT … ON CONFLICT."""

    STAGE = "_ingest_stage"

    def __init__(self, s: Session, kind: Kind, present: set[str]) -> None:
        self.s = s
        self.kind = kind
        self.present = present
        table: SaTable = kind.table  # type: ignore[assignment]
        self.table = table
        conn = s.connection()
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{self.STAGE}"))
        self.stage = SaTable(
            self.STAGE,
            MetaData(),
            *(Column(c, table.c[c].type) for c in kind.db_columns),
            Column("_line", Integer),
            prefixes=["TEMPORARY"],
        )
        self.stage.create(conn)
        dialect = conn.dialect
        self.procs = [table.c[c].type._cached_bind_processor(dialect) for c in kind.db_columns]
        marks = ", ".join("?" for _ in range(len(kind.db_columns) + 1))
        names = ", ".join(f'"{c}"' for c in (*kind.db_columns, "_line"))
        self.insert_sql = f"INSERT INTO {self.STAGE} ({names}) VALUES ({marks})"
        self.raw = conn.connection.driver_connection
        self.rows = 0

    def write(self, rows: list[tuple[Any, ...]], lines: list[int], unique: bool = False) -> None:
        # SQLAlchemy's own bind processors (same storage format as the ORM), then the
        # driver's executemany: no per-row dicts.
        procs = self.procs
        data = [
            (*(v if p is None or v is None else p(v) for p, v in zip(procs, r, strict=True)), ln)
            for r, ln in zip(rows, lines, strict=True)
        ]
        cur = self.raw.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(self.insert_sql, data)
        finally:
            cur.close()
        self.rows += len(rows)

    def finish(self, duplicates: bool) -> None:
        conn = self.s.connection()
        if self.rows:
            k = self.kind
            t = self.table.name
            cols = ", ".join(f'"{c}"' for c in k.db_columns)
            key = ", ".join(f'"{c}"' for c in k.natural_key)
            where = (
                f"WHERE rowid IN (SELECT max(rowid) FROM {self.STAGE} GROUP BY {key})"
                if duplicates
                else "WHERE true"  # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT
            )
            upd = _update_columns(k, self.present)
            if upd:
                sets = ", ".join(f'"{c}" = excluded."{c}"' for c in upd)
                differs = " OR ".join(f'"{t}"."{c}" IS NOT excluded."{c}"' for c in upd)
                conflict = f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE {differs}"
            else:
                conflict = f"ON CONFLICT ({key}) DO NOTHING"
            count_sql = text(f'SELECT count(*) FROM "{t}"')
            before = conn.execute(count_sql).scalar_one()
            # rowcount is sqlite3_changes(): the statement's own rows, not those written by
            # triggers (total_changes counts call_month_activity's too).
            changed = conn.execute(
                text(
                    f'INSERT INTO "{t}" ({cols}) SELECT {cols} FROM {self.STAGE} '
                    f"{where} ORDER BY rowid {conflict}"
                )
            ).rowcount
            self.inserted = conn.execute(count_sql).scalar_one() - before
            self.updated = changed - self.inserted
        conn.execute(text(f"DROP TABLE IF EXISTS temp.{self.STAGE}"))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(v: Any) -> str:
    """One value in COPY's text format."""
    if v is None:
        return "\\N"
    if isinstance(v, str):
        return v.translate(_COPY_ESCAPES)
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, int | Decimal | float):
        return str(v)
    if isinstance(v, datetime):
        if v.tzinfo is not None:  # timestamp columns hold naive UTC
            v = v.astimezone(UTC).replace(tzinfo=None)
        return v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    raise TypeError(f"no COPY text format for {type(v).__name__}")


def copy_text(rows: list[tuple[Any, ...]], lines: list[int]) -> bytes:
    """Rows plus their line numbers as a COPY … FROM STDIN text-format payload."""
    fmt = _copy_field
    return "".join(
        ["\t".join([fmt(v) for v in r]) + f"\t{ln}\n" for r, ln in zip(rows, lines, strict=True)]
    ).encode()


class PostgresWriter(Writer):
    """Per chunk: COPY into a temporary staging table, then one merge statement
    (INSERT … SELECT DISTINCT ON (key) … ON CONFLICT DO UPDATE … WHERE the row differs).

    Chunks are loaded by one background thread while the caller validates the next chunk, so
    the server's work (COPY, index and foreign-key checks) overlaps Python's. Same
    transaction, one connection: only the worker touches it while rows are being written.
    """

    STAGE = "_ingest_stage"

    def __init__(self, s: Session, kind: Kind, present: set[str]) -> None:
        self.kind = kind
        table: SaTable = kind.table  # type: ignore[assignment]
        cols = ", ".join(f'"{c}"' for c in kind.db_columns)
        conn = s.connection()
        conn.execute(text(f"DROP TABLE IF EXISTS {self.STAGE}"))
        conn.execute(
            text(
                f"CREATE TEMP TABLE {self.STAGE} ON COMMIT DROP AS "
                f'SELECT {cols}, 0::bigint AS _line FROM "{table.name}" WITH NO DATA'
            )
        )
        self.copy_sql = f"COPY {self.STAGE} ({cols}, _line) FROM STDIN"
        self.raw = conn.connection.driver_connection
        key = ", ".join(f'"{c}"' for c in kind.natural_key)
        t = table.name
        # The last row for a key wins, as it would row by row. When the importer saw no key
        # twice in a chunk (the usual case) the DISTINCT ON sort is skipped.
        select_dedup = (
            f"SELECT DISTINCT ON ({key}) {cols} FROM {self.STAGE} ORDER BY {key}, _line DESC"
        )
        # Rows are merged in key order: concurrent imports of overlapping keys then lock them
        # in the same order instead of deadlocking (7 of 16 overlapping posts failed before).
        select_plain = f"SELECT {cols} FROM {self.STAGE} ORDER BY {key}"
        upd = _update_columns(kind, present)
        if upd:
            sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in upd)
            old = ", ".join(f'"{t}"."{c}"' for c in upd)
            new = ", ".join(f'EXCLUDED."{c}"' for c in upd)
            conflict = (
                f"ON CONFLICT ({key}) DO UPDATE SET {sets} "
                f"WHERE ROW({old}) IS DISTINCT FROM ROW({new})"
            )
        else:
            conflict = f"ON CONFLICT ({key}) DO NOTHING"
        self.merge_sql, self.merge_unique_sql = (
            f'WITH up AS (INSERT INTO "{t}" ({cols}) {select_sql} {conflict} '
            f"RETURNING (xmax = 0) AS ins) "
            f"SELECT count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) FROM up"
            for select_sql in (select_dedup, select_plain)
        )
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-copy")
        self.pending: Future[None] | None = None

    def _load(
        self, rows: list[tuple[Any, ...]], lines: list[int], unique: bool, data: bytes | None
    ) -> None:
        with self.raw.cursor() as cur:  # type: ignore[union-attr]
            cur.execute(f"TRUNCATE {self.STAGE}")
            with cur.copy(self.copy_sql) as cp:
                if data is not None:
                    cp.write(data)
                else:
                    for r, line in zip(rows, lines, strict=True):
                        cp.write_row((*r, line))
            cur.execute(self.merge_unique_sql if unique else self.merge_sql)
            ins, upd = cur.fetchone()
        self.inserted += int(ins)
        self.updated += int(upd)

    def _wait(self) -> None:
        if self.pending is not None:
            pending, self.pending = self.pending, None
            pending.result()  # re-raises a database error from the worker

    def write(self, rows: list[tuple[Any, ...]], lines: list[int], unique: bool = False) -> None:
        # The COPY payload is built here, in the validating thread: it has time to spare while
        # the server merges the previous chunk, and the worker (which holds the connection)
        # then only has to send bytes instead of competing for the GIL to format rows.
        data: bytes | None
        try:
            data = copy_text(rows, lines)
        except TypeError:
            data = None  # an unusual value type: let psycopg adapt it row by row
        self._wait()
        self.pending = self.pool.submit(self._load, rows, lines, unique, data)

    def finish(self, duplicates: bool) -> None:
        try:
            self._wait()
        finally:
            self.pool.shutdown(wait=True)

    def close(self) -> None:
        self.pool.shutdown(wait=True)


class EmployeeWriter(Writer):
    """Employees go through the ORM: their roles live in a child table. Every created or
    changed employee gets an audit row naming the writer and the changed fields."""

    def __init__(
        self, s: Session, kind: Kind, present: set[str], actor: str = "cli", now: Any = None
    ) -> None:
        self.s = s
        self.present = present
        self.actor = actor
        self.now = now
        self.changes: list[tuple[Employee, str]] = []

    def write(self, rows: list[tuple[Any, ...]], lines: list[int], unique: bool = False) -> None:
        s = self.s
        nos = [r[0] for r in rows]
        existing = {
            e.employee_no: e
            for e in s.execute(select(Employee).where(Employee.employee_no.in_(nos))).scalars()
        }
        # Key order (stable: a repeated key's last row still wins) for a fixed lock order.
        ordered = sorted(rows, key=lambda r: r[0])
        for no, name, branch_id, team_id, roles, hired, status, left_on, locale in ordered:
            emp = existing.get(no)
            new = {
                "name": name,
                "branch_id": branch_id,
                "team_id": team_id,
                "hire_date": hired,
                "status": status,
                "left_on": left_on,
                "locale": locale,
            }
            src = {"branch_id": "branch", "team_id": "team", "hire_date": "hire_date"}
            if emp is None:
                emp = Employee(employee_no=no, **new)
                emp.role_rows = [EmployeeRole(role=r) for r in roles]
                s.add(emp)
                existing[no] = emp
                self.inserted += 1
                self.changes.append((emp, "created roles=" + ";".join(roles)))
                continue
            fields: list[str] = []
            for attr, value in new.items():
                if src.get(attr, attr) not in self.present:
                    continue
                if getattr(emp, attr) != value:
                    setattr(emp, attr, value)
                    fields.append(attr)
            if set(roles) != set(emp.roles):
                fields.append(f"roles {';'.join(sorted(emp.roles))}→{';'.join(roles)}")
                # Edit the role set in place: replacing the list would insert before deleting.
                for r in [r for r in emp.role_rows if r.role not in roles]:
                    emp.role_rows.remove(r)
                have = {r.role for r in emp.role_rows}
                emp.role_rows.extend(EmployeeRole(role=r) for r in roles if r not in have)
            if fields:
                self.changes.append((emp, "changed " + ", ".join(fields)))
            self.updated += bool(fields)
        s.flush()

    def finish(self, duplicates: bool) -> None:
        # In the import's own transaction: the audit commits (or rolls back) with the rows.
        for emp, what in self.changes:
            self.s.add(
                AuditLog(
                    at=self.now,
                    employee_id=emp.id,
                    action="import.employees.row",
                    outcome="allowed",
                    detail=f"{self.actor} {emp.employee_no}: {what}"[:500],
                )
            )
        self.s.flush()


def make_writer(
    s: Session, kind: Kind, present: set[str], actor: str = "cli", now: Any = None
) -> Writer:
    if kind.table is None:
        return EmployeeWriter(s, kind, present, actor, now)
    if s.get_bind().dialect.name == "postgresql":
        return PostgresWriter(s, kind, present)
    return SqliteWriter(s, kind, present)


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
    secret: str,
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
                secret=settings.pii_hmac_key,
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
    return report
