"""Writers: how validated rows reach the database. PostgreSQL COPYs them into a temporary
staging table and merges with one INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (row
differs); SQLite runs executemany of the same upsert in chunks; employees go through their
own writer (roles are rows of their own)."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, Integer, MetaData, select, text
from sqlalchemy import Table as SaTable
from sqlalchemy.orm import Session

from coaching.ingest.kinds import Kind
from db.models import Employee, EmployeeRole
from db.models.ops import AuditLog


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


def update_columns(kind: Kind, present: set[str]) -> list[str]:
    return [
        c
        for c in kind.db_columns
        if c not in kind.natural_key and present.intersection(kind.sources.get(c, ()))
    ]


def pg_conflict(kind: Kind, present: set[str]) -> str:
    """PostgreSQL's ON CONFLICT clause for an upsert into `kind`'s table: the columns the file
    brought are updated, and only where the row differs (an unchanged row is not rewritten)."""
    t = kind.table.name  # type: ignore[union-attr]
    key = ", ".join(f'"{c}"' for c in kind.natural_key)
    upd = update_columns(kind, present)
    if not upd:
        return f"ON CONFLICT ({key}) DO NOTHING"
    sets = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in upd)
    old = ", ".join(f'"{t}"."{c}"' for c in upd)
    new = ", ".join(f'EXCLUDED."{c}"' for c in upd)
    return f"ON CONFLICT ({key}) DO UPDATE SET {sets} WHERE ROW({old}) IS DISTINCT FROM ROW({new})"


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
            upd = update_columns(k, self.present)
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
        conflict = pg_conflict(kind, present)
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
