"""Small SQL helpers shared by the layers above."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import any_, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement


def in_ids(s: Session, col: Any, ids: Sequence[int]) -> ColumnElement[bool]:
    """`col IN (ids)`; on PostgreSQL `col = ANY(:ids)`, one array parameter. A fan-out chunk
    queries hundreds of ids: as an IN list every id is a parameter, and psycopg parses a
    statement with more than 50 parameters anew each time (its cache skips them); the array
    keeps the statement text the same for every chunk."""
    if s.get_bind().dialect.name != "postgresql":
        return col.in_(list(ids))
    return col == any_(bindparam(None, list(ids), type_=ARRAY(col.type)))


def lock_for_writers(s: Session, table: str) -> None:
    """Serialise this transaction's writes to `table` with other callers of this function
    until it ends (readers are not blocked). PostgreSQL only: SQLite has one writer anyway.

    For writers whose statements must not interleave: an UPDATE that runs while another
    transaction deletes and re-inserts the same rows updates the deleted versions and misses
    the new ones, so whatever it set is lost."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE'))
