"""Calls summed per (collector, case, UTC month), kept by the database itself.

Scoring needs, per collector and month, the calls, the connected calls and the cases called
at least once. Grouping two million calls per (collector, case) on every /score was most of
the scorecards' time; this table holds those groups (≈ 20× fewer rows) so scoring reads them
instead (coaching/scoring/queries.py adds the few hours by which a branch-local month differs
from the UTC month straight from `calls`).

Why triggers, not importer code: every write path (the importers' bulk merges, corrections
and deletes, the ORM, the demo, a DBA's UPDATE) must keep it right, and a trigger sees them
all. The month is the UTC one so the trigger needs no branch time zone (a branch may change
its zone; a collector may move). PostgreSQL uses statement-level triggers with transition
tables: one grouped upsert per statement, so a 2M-row COPY costs one aggregate, not 2M
upserts. SQLite (development, tests) uses row triggers.

A row whose calls went back to 0 (its calls deleted or moved) stays with 0: readers filter.

A later migration that rebuilds `calls` on SQLite (`batch_alter_table` copies the table and
drops its triggers) must call `install(op.get_bind())` again; tests/test_scoring_activity.py
runs the whole chain and fails if the triggers are gone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, PrimaryKeyConstraint
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from db import triggers
from db.base import Base
from db.models.work import Call


class CallMonthActivity(Base):
    __tablename__ = "call_month_activity"
    __table_args__ = (PrimaryKeyConstraint("month", "collector_id", "case_id"),)

    # No foreign keys: the rows mirror `calls`, whose own keys are checked already.
    month: Mapped[date] = mapped_column(Date)  # first day of the UTC month
    collector_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(Integer)
    calls: Mapped[int] = mapped_column(Integer)
    connected: Mapped[int] = mapped_column(Integer)  # outcome other than no_answer


# Order only (no foreign key): `calls` sorts after this table, so a delete-everything in
# reverse dependency order (bot/demo reset_all) deletes the calls first — their trigger
# subtracts — and then this table, leaving it empty rather than with negative counts.
Call.__table__.add_is_dependent_on(CallMonthActivity.__table__)

_T = "call_month_activity"
_UPSERT_PG = f"""
INSERT INTO {_T} AS a (month, collector_id, case_id, calls, connected)
SELECT m, collector_id, case_id, sum(n), sum(c) FROM ({{rows}}) d
GROUP BY m, collector_id, case_id HAVING sum(n) <> 0 OR sum(c) <> 0
ORDER BY m, collector_id, case_id
ON CONFLICT (month, collector_id, case_id)
DO UPDATE SET calls = a.calls + EXCLUDED.calls, connected = a.connected + EXCLUDED.connected
"""
# Keys locked in a fixed order (ORDER BY) so concurrent imports queue instead of deadlocking.


def _rows_pg(table: str, sign: int) -> str:
    return (
        f"SELECT date_trunc('month', started_at)::date AS m, collector_id, case_id, "
        f"{sign} AS n, CASE WHEN outcome <> 'no_answer' THEN {sign} ELSE 0 END AS c "
        f"FROM {table}"
    )


def _function_pg(name: str, body: str) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n{body};\nRETURN NULL;\nEND $$"
    )


PG_STATEMENTS = [
    _function_pg("calls_activity_ins", _UPSERT_PG.format(rows=_rows_pg("new_calls", 1))),
    _function_pg("calls_activity_del", _UPSERT_PG.format(rows=_rows_pg("old_calls", -1))),
    _function_pg(
        "calls_activity_upd",
        _UPSERT_PG.format(rows=f"{_rows_pg('new_calls', 1)} UNION ALL {_rows_pg('old_calls', -1)}"),
    ),
    _function_pg("calls_activity_trunc", f"DELETE FROM {_T}"),
    "DROP TRIGGER IF EXISTS calls_activity_ins ON calls",
    "DROP TRIGGER IF EXISTS calls_activity_del ON calls",
    "DROP TRIGGER IF EXISTS calls_activity_upd ON calls",
    "DROP TRIGGER IF EXISTS calls_activity_trunc ON calls",
    "CREATE TRIGGER calls_activity_ins AFTER INSERT ON calls REFERENCING NEW TABLE AS "
    "new_calls FOR EACH STATEMENT EXECUTE FUNCTION calls_activity_ins()",
    "CREATE TRIGGER calls_activity_del AFTER DELETE ON calls REFERENCING OLD TABLE AS "
    "old_calls FOR EACH STATEMENT EXECUTE FUNCTION calls_activity_del()",
    "CREATE TRIGGER calls_activity_upd AFTER UPDATE ON calls REFERENCING OLD TABLE AS "
    "old_calls NEW TABLE AS new_calls FOR EACH STATEMENT EXECUTE FUNCTION calls_activity_upd()",
    "CREATE TRIGGER calls_activity_trunc AFTER TRUNCATE ON calls "
    "FOR EACH STATEMENT EXECUTE FUNCTION calls_activity_trunc()",
]
PG_DROP = [
    *(
        f"DROP TRIGGER IF EXISTS calls_activity_{k} ON calls"
        for k in ("ins", "del", "upd", "trunc")
    ),
    *(f"DROP FUNCTION IF EXISTS calls_activity_{k}()" for k in ("ins", "del", "upd", "trunc")),
]


def _add_sqlite(row: str, sign: str) -> str:
    # Timestamps are stored as 'YYYY-MM-DD HH:MM:SS[.ffffff]' (naive UTC), dates 'YYYY-MM-DD'.
    return (
        f"INSERT INTO {_T} (month, collector_id, case_id, calls, connected) VALUES ("
        f"substr({row}.started_at, 1, 7) || '-01', {row}.collector_id, {row}.case_id, "
        f"{sign}1, CASE WHEN {row}.outcome <> 'no_answer' THEN {sign}1 ELSE 0 END) "
        f"ON CONFLICT (month, collector_id, case_id) DO UPDATE SET "
        f"calls = calls + excluded.calls, connected = connected + excluded.connected;"
    )


SQLITE_STATEMENTS = [
    "DROP TRIGGER IF EXISTS calls_activity_ins",
    "DROP TRIGGER IF EXISTS calls_activity_del",
    "DROP TRIGGER IF EXISTS calls_activity_upd",
    f"CREATE TRIGGER calls_activity_ins AFTER INSERT ON calls BEGIN {_add_sqlite('NEW', '')} END",
    f"CREATE TRIGGER calls_activity_del AFTER DELETE ON calls BEGIN {_add_sqlite('OLD', '-')} END",
    "CREATE TRIGGER calls_activity_upd AFTER UPDATE OF started_at, collector_id, case_id, "
    f"outcome ON calls BEGIN {_add_sqlite('OLD', '-')} {_add_sqlite('NEW', '')} END",
]
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS calls_activity_{k}" for k in ("ins", "del", "upd")]

BACKFILL = {
    "postgresql": f"DELETE FROM {_T}; " + _UPSERT_PG.format(rows=_rows_pg("calls", 1)),
    "sqlite": (
        f"DELETE FROM {_T}; INSERT INTO {_T} (month, collector_id, case_id, calls, connected) "
        "SELECT substr(started_at, 1, 7) || '-01', collector_id, case_id, count(*), "
        "sum(CASE WHEN outcome <> 'no_answer' THEN 1 ELSE 0 END) FROM calls "
        "GROUP BY 1, 2, 3"
    ),
}


def install(conn: Connection, backfill: bool = False) -> None:
    """(Re)create the triggers; with `backfill`, rebuild the table from `calls` (migration,
    or repair after writes made with triggers disabled)."""
    name = conn.dialect.name
    stmts = PG_STATEMENTS if name == "postgresql" else SQLITE_STATEMENTS
    for sql in stmts:
        conn.exec_driver_sql(sql)
    if backfill:
        for sql in BACKFILL["postgresql" if name == "postgresql" else "sqlite"].split("; "):
            conn.exec_driver_sql(sql)


def uninstall(conn: Connection) -> None:
    triggers.run(conn, PG_DROP, SQLITE_DROP)


triggers.install_with(_T, install)


__all__ = ["CallMonthActivity", "install", "uninstall"]
