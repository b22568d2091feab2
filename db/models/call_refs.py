"""The references of `calls` (case, collector), checked per statement instead of per row.

`calls` is the append-heavy fact table (a million rows per import). A foreign key checks each
row on its own: one queued trigger event and one lookup with a row lock per call, 2 × 1M of
them per million-row import — about a third of what a COPY into `calls` costs (bench/
ingest_floor.py). These triggers keep the same guarantee, no call without its case and
collector, for every write path (the importers' merges, the ORM, the demo, a DBA's SQL), with
set-based checks:

- PostgreSQL: statement-level AFTER INSERT / UPDATE triggers on `calls` read the statement's
  new rows (a transition table) once, lock the referenced cases and employees `FOR KEY SHARE`
  (what a foreign key takes: a concurrent DELETE of one waits for the import to commit, then
  finds the calls; a DELETE that came first makes the check fail) and raise
  `foreign_key_violation` (SQLSTATE 23503, an IntegrityError) for a reference that does not
  exist. On `cases` and `employees`, AFTER DELETE / UPDATE / TRUNCATE triggers refuse to
  remove a row that calls still reference (NO ACTION, as the foreign key did).
- SQLite (development, tests): row triggers that raise the same way (ABORT: IntegrityError).

Checked at the end of the statement, like a non-deferred foreign key. The ORM still knows the
order (`add_is_dependent_on`): calls are written after, and deleted before, cases and
employees.

A later migration that rebuilds `calls`, `cases` or `employees` on SQLite
(`batch_alter_table` copies the table and drops its triggers) must call `install` again;
tests/test_call_refs.py checks the migrated database.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from db import triggers
from db.models.org import Employee
from db.models.work import Call, Case

Call.__table__.add_is_dependent_on(Case.__table__)
Call.__table__.add_is_dependent_on(Employee.__table__)

# (parent table, the calls column that references it, the former foreign key's name)
REFS = (
    ("cases", "case_id", "fk_calls_case_id_cases"),
    ("employees", "collector_id", "fk_calls_collector_id_employees"),
)


def _raise(msg: str, detail: str) -> str:
    return f"RAISE EXCEPTION '{msg}' USING ERRCODE = 'foreign_key_violation', DETAIL = {detail}"


def _child_check_pg() -> str:
    # One pass over the statement's rows collects the distinct references (a million calls
    # name 20,000 cases): a semi-join and an anti-join per parent over every row cost 3-4x
    # as much (bench/README.md). Locking and the existence check then touch each id once.
    ids = ", ".join(f"array_agg(DISTINCT {col})" for _p, col, _n in REFS)
    into = ", ".join(f"ids_{col}" for _p, col, _n in REFS)
    body = [f"SELECT {ids} INTO {into} FROM new_calls"]
    for parent, col, name in REFS:
        body.append(f"PERFORM 1 FROM {parent} WHERE id = ANY(ids_{col}) ORDER BY id FOR KEY SHARE")
        body.append(
            f"SELECT x INTO missing FROM unnest(ids_{col}) x WHERE NOT EXISTS "
            f"(SELECT 1 FROM {parent} p WHERE p.id = x) LIMIT 1"
        )
        msg = f'insert or update on table "calls" violates foreign key constraint "{name}"'
        detail = f"""'Key ({col})=(' || missing || ') is not present in table "{parent}".'"""
        body.append(f"IF FOUND THEN {_raise(msg, detail)}; END IF")
    decl = "".join(f"ids_{col} integer[]; " for _p, col, _n in REFS)
    return (
        "CREATE OR REPLACE FUNCTION calls_refs_check() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"DECLARE {decl}missing integer;\nBEGIN\n" + ";\n".join(body) + ";\nRETURN NULL;\nEND $$"
    )


TRUNC_DETAIL = "'TRUNCATE left rows in calls.'"


def _parent_check_pg(parent: str, col: str, name: str) -> list[str]:
    msg = (
        f'update or delete on table "{parent}" violates foreign key constraint "{name}" '
        f'on table "calls"'
    )
    detail = """'Key (id)=(' || gone || ') is still referenced from table "calls".'"""
    gone = (
        "SELECT o.id INTO gone FROM old_rows o WHERE {cond} "
        f"EXISTS (SELECT 1 FROM calls c WHERE c.{col} = o.id) LIMIT 1"
    )
    fn = f"{parent}_calls_refs"
    return [
        # DELETE and UPDATE (an id changed): an old id that is gone and still referenced.
        f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE gone integer;\nBEGIN\n"
        + gone.format(
            cond=f"(TG_OP = 'DELETE' OR NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.id = o.id)) "
            "AND"
        )
        + f";\nIF FOUND THEN {_raise(msg, detail)}; END IF;\nRETURN NULL;\nEND $$",
        f"CREATE OR REPLACE FUNCTION {fn}_trunc() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\nIF EXISTS (SELECT 1 FROM calls) THEN {_raise(msg, TRUNC_DETAIL)}; END IF;\n"
        "RETURN NULL;\nEND $$",
        f"DROP TRIGGER IF EXISTS {fn}_del ON {parent}",
        f"DROP TRIGGER IF EXISTS {fn}_upd ON {parent}",
        f"DROP TRIGGER IF EXISTS {fn}_trunc ON {parent}",
        f"CREATE TRIGGER {fn}_del AFTER DELETE ON {parent} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        f"CREATE TRIGGER {fn}_upd AFTER UPDATE ON {parent} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
        # After the whole TRUNCATE: `TRUNCATE calls, cases` empties both first.
        f"CREATE TRIGGER {fn}_trunc AFTER TRUNCATE ON {parent} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}_trunc()",
    ]


PG_STATEMENTS = [
    _child_check_pg(),
    "DROP TRIGGER IF EXISTS calls_refs_ins ON calls",
    "DROP TRIGGER IF EXISTS calls_refs_upd ON calls",
    "CREATE TRIGGER calls_refs_ins AFTER INSERT ON calls REFERENCING NEW TABLE AS new_calls "
    "FOR EACH STATEMENT EXECUTE FUNCTION calls_refs_check()",
    "CREATE TRIGGER calls_refs_upd AFTER UPDATE ON calls REFERENCING NEW TABLE AS new_calls "
    "FOR EACH STATEMENT EXECUTE FUNCTION calls_refs_check()",
    *(sql for parent, col, name in REFS for sql in _parent_check_pg(parent, col, name)),
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS calls_refs_ins ON calls",
    "DROP TRIGGER IF EXISTS calls_refs_upd ON calls",
    "DROP FUNCTION IF EXISTS calls_refs_check()",
    *(
        sql
        for parent, _col, _name in REFS
        for sql in (
            *(
                f"DROP TRIGGER IF EXISTS {parent}_calls_refs_{k} ON {parent}"
                for k in ("del", "upd", "trunc")
            ),
            f"DROP FUNCTION IF EXISTS {parent}_calls_refs()",
            f"DROP FUNCTION IF EXISTS {parent}_calls_refs_trunc()",
        )
    ),
]

_ABORT = "SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed')"
_MISSING = " OR ".join(
    f"NOT EXISTS (SELECT 1 FROM {parent} WHERE id = NEW.{col})" for parent, col, _ in REFS
)
SQLITE_STATEMENTS = [
    "DROP TRIGGER IF EXISTS calls_refs_ins",
    "DROP TRIGGER IF EXISTS calls_refs_upd",
    f"CREATE TRIGGER calls_refs_ins BEFORE INSERT ON calls WHEN {_MISSING} BEGIN {_ABORT}; END",
    "CREATE TRIGGER calls_refs_upd BEFORE UPDATE OF case_id, collector_id ON calls "
    f"WHEN {_MISSING} BEGIN {_ABORT}; END",
    *(
        sql
        for parent, col, _ in REFS
        for sql in (
            f"DROP TRIGGER IF EXISTS {parent}_calls_refs_del",
            f"DROP TRIGGER IF EXISTS {parent}_calls_refs_upd",
            f"CREATE TRIGGER {parent}_calls_refs_del BEFORE DELETE ON {parent} "
            f"WHEN EXISTS (SELECT 1 FROM calls WHERE {col} = OLD.id) BEGIN {_ABORT}; END",
            f"CREATE TRIGGER {parent}_calls_refs_upd BEFORE UPDATE OF id ON {parent} "
            f"WHEN NEW.id IS NOT OLD.id AND EXISTS (SELECT 1 FROM calls WHERE {col} = OLD.id) "
            f"BEGIN {_ABORT}; END",
        )
    ),
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS calls_refs_ins",
    "DROP TRIGGER IF EXISTS calls_refs_upd",
    *(f"DROP TRIGGER IF EXISTS {p}_calls_refs_{k}" for p, _c, _n in REFS for k in ("del", "upd")),
]


def install(conn: Connection) -> None:
    """(Re)create the reference checks (idempotent)."""
    triggers.run(conn, PG_STATEMENTS, SQLITE_STATEMENTS)


def uninstall(conn: Connection) -> None:
    triggers.run(conn, PG_DROP, SQLITE_DROP)


triggers.install_with("calls", install)


__all__ = ["REFS", "install", "uninstall"]
