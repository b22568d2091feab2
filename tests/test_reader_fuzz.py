"""Property-based fuzzing of the import readers and value parsers (hypothesis).

Whatever the bytes, a reader either returns a table whose rows all iterate or raises
InputError (a clear, positioned message) — never another exception; the value parsers raise
only ValueError; and whole rows through validation end as a row or a per-row error.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from bot.context import AppContext
from bot.settings import load_settings
from coaching.clock import FrozenClock
from coaching.ingest import InputError, Options, read_bytes_csv, read_json
from coaching.ingest.engine import run_import
from coaching.ingest.fields import parse_bool, parse_date, parse_datetime, parse_money
from db.session import Database
from tests.ingest_helpers import seed_cases, world

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
HEAD = "call_ref,case_ref,started_at,duration_s,outcome\n"


def drain(read: object, *args: object) -> None:
    try:
        table = read(*args)  # type: ignore[operator]
        for _line, cells in table.rows:
            assert isinstance(cells, list)
    except InputError as exc:
        assert str(exc)


@FUZZ
@given(st.binary(max_size=3000))
def test_csv_reader_bytes(data: bytes) -> None:
    drain(read_bytes_csv, data, "fuzz.csv")


@FUZZ
@given(
    st.text(max_size=400),
    st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "cp1252", "big5", "utf-16"]),
)
def test_csv_reader_encoded_text(text: str, enc: str) -> None:
    try:
        data = (HEAD + text).encode(enc)
    except UnicodeEncodeError:
        return
    drain(read_bytes_csv, data, "fuzz.csv")


@FUZZ
@given(st.binary(max_size=2000))
def test_json_reader_bytes(data: bytes) -> None:
    drain(read_json, data, "fuzz.json")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=30,
)


@FUZZ
@given(JSON_VALUES)
def test_json_reader_documents(doc: object) -> None:
    drain(read_json, json.dumps(doc).encode(), "fuzz.json")


@FUZZ
@given(st.one_of(st.text(max_size=40), st.integers(), st.floats(), st.datetimes(), st.dates()))
def test_value_parsers(v: object) -> None:
    for parse in (parse_datetime, parse_date, parse_money, parse_bool):
        with contextlib.suppress(ValueError):
            parse(v)


@pytest.fixture(scope="module")
def fuzz_ctx(tmp_path_factory: pytest.TempPathFactory) -> AppContext:
    path: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    db = Database(f"sqlite:///{path}")
    db.create_all()
    ctx = AppContext(
        settings=load_settings(_env_file=None, DATABASE_URL=db.url),
        db=db,
        clock=FrozenClock(datetime(2026, 3, 2, 1, tzinfo=UTC)),
    )
    world(ctx)
    seed_cases(ctx, path.parent)
    return ctx


CELL = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31 23:59-08:00",
            "2026-03-02 09:15",
            "NaN",
            "1e309",
            "K1",
            "SH",
            "rpc",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)


@FUZZ
@example([("A1", "K1", "0001-01-01 00:00", "5", "rpc")], "calls")
@example([("A1", "K1", "9999-12-31 23:59-08:00", "5", "rpc")], "calls")
@given(
    st.lists(st.tuples(CELL, CELL, CELL, CELL, CELL), max_size=5),
    st.sampled_from(["calls", "employees", "repayments"]),
)
def test_rows_validate_or_reject(
    fuzz_ctx: AppContext, rows: list[tuple[str, ...]], kind: str
) -> None:
    """Random cells through the real validation: each row stored or rejected, nothing raised."""
    heads = {
        "calls": ["call_ref", "case_ref", "started_at", "duration_s", "outcome"],
        "employees": ["employee_no", "name", "branch", "roles", "hire_date"],
        "repayments": ["ref", "case_ref", "paid_at", "amount", "channel"],
    }[kind]
    records = [dict(zip(heads, r, strict=True)) for r in rows] or [dict.fromkeys(heads, "")]
    try:
        table = read_json(json.dumps(records).encode(), "fuzz.json")
    except InputError as exc:
        assert "NUL" in str(exc) or "characters" in str(exc)  # the only refusals of flat text
        return
    with Session(fuzz_ctx.db.engine) as s:
        try:
            rep = run_import(
                s,
                kind,
                table,
                secret="k" * 16,
                default_tz="Asia/Shanghai",
                now=fuzz_ctx.clock.now(),
                opts=Options(dry_run=True, may_change_roles=False),
            )
            assert rep.valid + rep.rejected == rep.rows
        finally:
            s.rollback()


def _xlsx_bytes() -> bytes:
    from tests.hostile.corpus import calls_xlsx

    return calls_xlsx()


XLSX = _xlsx_bytes()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(XLSX) - 1), st.integers(0, 255)), max_size=8))
def test_xlsx_reader_corrupted(flips: list[tuple[int, int]]) -> None:
    """A real workbook with random bytes overwritten: read or refused, nothing else."""
    data = bytearray(XLSX)
    for at, byte in flips:
        data[at] = byte
    from coaching.ingest.reader import read_xlsx

    drain(read_xlsx, bytes(data), "fuzz.xlsx")


@given(
    st.lists(st.sampled_from(["a", "中", ",", '"', "\n", "\r", "\r\n", " "]), max_size=40).map(
        "".join
    )
)
@settings(max_examples=300, deadline=None)
def test_line_slicing_reads_like_a_file(text: str) -> None:
    """The reader's line slicer yields what csv would read from the file itself."""
    import csv
    import io

    from coaching.ingest.reader import _lines

    def rows(src):  # type: ignore[no-untyped-def]
        try:
            return list(csv.reader(src))
        except csv.Error as exc:
            return f"error: {exc}"

    assert "".join(_lines(text)) == text
    assert rows(_lines(text)) == rows(io.StringIO(text, newline=""))
