"""Database-kept rules (triggers) that models install with their tables: the statements per
dialect, and installing them whenever `create_all` creates the table they watch."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import event
from sqlalchemy.engine import Connection

from db.base import Base


def run(conn: Connection, pg: Sequence[str], sqlite: Sequence[str]) -> None:
    """Each statement of the connection's dialect (PostgreSQL, else SQLite)."""
    for sql in pg if conn.dialect.name == "postgresql" else sqlite:
        conn.exec_driver_sql(sql)


def install_with(table: str, install: Callable[[Connection], None]) -> None:
    """Call `install` after `Base.metadata.create_all` creates `table` (or creates all)."""

    @event.listens_for(Base.metadata, "after_create")
    def _after_create(target: object, connection: Connection, **kw: object) -> None:
        tables = kw.get("tables")
        if tables is not None and not any(getattr(t, "name", "") == table for t in tables):  # type: ignore[attr-defined]
            return
        install(connection)
