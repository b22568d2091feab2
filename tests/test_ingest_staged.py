"""The PostgreSQL staging path for calls (coaching/ingest/staged.py) against the row path.

One file mixes every kind of row — clean ones, valid ones in unusual forms, bad ones of each
kind, duplicates, rows already stored — and both paths must leave the same stored rows, the
same report (counts, errors word for word), the same rejects file and the same audit row.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete, select

from bot.context import AppContext
from coaching.ingest import Options, import_table, read_bytes_csv, read_path
from coaching.ingest.engine import rejects_path_for
from coaching.ingest.retry import with_retries
from coaching.ingest.staged_sql import WHITESPACE, fixed_since
from coaching.privacy import debtor_key
from db.models import Call, Case, QaFinding
from db.models.activity import CallMonthActivity
from db.models.ops import AuditLog
from tests import factories
from tests.ingest_helpers import PHONE_1, PHONE_2, rows, seed_cases, world, write

HEAD = "call_ref,case_ref,collector,debtor_ref,debtor,started_at,duration_s,outcome,note\n"
PRE = HEAD + (
    "S1,K1,C0001,,,2026-03-02 09:00:00,10,rpc,x\nS2,K2,,,,2026-03-02 09:00:00,20,no_answer,x\n"
)
LONG = "9" * 65
MIXED = HEAD + "\n".join(
    [
        # clean rows (the SQL check resolves them)
        f"G1,K1,C0001,,{PHONE_1},2026-03-02 09:15:00,95,rpc,x",
        "G2,K2,,D-1,,2026-03-02 10:00,0,no_answer,x",
        "G3,K1,C0002,,,2026-03-02T23:59:59,86400,承诺还款,x",
        "G4,K1,C0001,,,2026-02-28 08:00:00,1,contacted,x",
        # a row already stored, unchanged; one changed
        "S1,K1,C0001,,,2026-03-02 09:00:00,10,rpc,x",
        "S2,K2,,,,2026-03-02 09:00:00,21,contacted,x",
        # duplicates in the file: the last one wins
        "D1,K1,C0001,,,2026-03-02 11:00,5,rpc,x",
        "D1,K1,C0001,,,2026-03-02 11:00,6,rpc,x",
        # valid, in forms only the row path reads (the fallback)
        "U1,K1,C0001,,,2026/3/2 9:05,5,RPC,x",
        "U2, K1 ,C0001,,,2026-03-02 09:00:00+07:00,5,rpc,x",
        "U3,K1,C0001 ,,,2026-03-02 09:00:00.5,5, rpc,x",
        "U4,K1,  ,,,2026-03-02 09:00,5,rpc,x",
        "U5,K2,,,  ,2026-02-29T09:00,5,rpc,x".replace("2026-02-29", "2024-02-29"),
        "U6,K3,C0003,,,2026-03-08 02:30,5,rpc,x",  # New York: the spring-forward gap
        "U7,K3,C0003,,,2026-11-01 01:30,5,rpc,x",  # New York: the fall-back hour, twice
        "U8,K3,C0003,,,2026-07-01 12:00,5,rpc,x",  # New York, summer time
        "U9,K3,C0003,,,2026-01-15 12:00,5,rpc,x",  # New York, winter time
        "U10,K1,C0001,,,2026-03-02 09:00,095,rpc,x",
        # bad rows
        "B1,K1,C0001,,,2026-02-30 10:00,5,rpc,x",  # no such day
        "B2,K1,C0001,,,1899-12-31 10:00,5,rpc,x",  # out of range
        "B3,K1,C0001,,,2026-03-02 24:00,5,rpc,x",
        "B4,K1,C9999,,,2026-03-02 10:00,5,rpc,x",  # unknown collector
        "B5,K404,C0001,,,2026-03-02 10:00,5,rpc,x",  # unknown case
        "B6,K1,C0001,,,2026-03-02 10:00,-5,rpc,x",  # negative duration
        "B7,K1,C0001,,,2026-03-02 10:00,86401,rpc,x",
        "B8,K1,C0001,,,2026-03-02 10:00,1.5,=1+2,x",  # two problems, a formula cell
        f'"=HYPERLINK(""http://x"")",K1,C0001,,{PHONE_2},soon,5,rpc,x',  # formula, PII
        f"B10,K1,C0001,,{LONG},2026-03-02 10:00,5,rpc,x",  # debtor id too long
        f"B11,K1,C0001,{LONG},,2026-03-02 10:00,5,rpc,x",
        f"{PHONE_1},K1,C0001,,,2026-03-02 10:00,5,maybe,x",  # PII in a text cell
        "B13,K3,,,,2026-03-02 10:00,5,rpc,x",  # the case has no collector
        "B14,K1,C0001",  # a short row
        ",K1,C0001,,,2026-03-02 10:00,5,rpc,x",  # call_ref missing
        "B16,K1,C0001,,,2026-03-02 10:00,5,rpc,x,extra",
        "X" * 65 + ",K1,C0001,,,2026-03-02 10:00,5,rpc,x",
    ]
)


def _world(ctx: AppContext, tmp: Path) -> None:
    world(ctx)
    seed_cases(ctx, tmp)

    def more(s: Any) -> None:
        ny = factories.branch(s, "NY", tz="America/New_York", locale="en")
        factories.employee(s, "C0003", ny)
        s.add(
            Case(
                case_ref="K3",
                collector_id=None,
                debtor_key=debtor_key(ctx.settings.pii_hmac_key, "13700000000"),
                amount_owed=100,
                days_overdue=10,
                bucket="M1",
                product="",
                is_instalment=False,
                is_target=False,
                region="",
                assigned_on=date(2026, 3, 1),
            )
        )

    ctx.call(more)


def _reset(ctx: AppContext, tmp: Path) -> None:
    """Back to the stored rows before the import under test (PRE, by the row path)."""

    def wipe(s: Any) -> None:
        for m in (QaFinding, Call, CallMonthActivity, AuditLog):
            s.execute(delete(m))

    ctx.call(wipe)
    rep = import_table(
        ctx, "calls", read_path(write(tmp / "pre.csv", PRE)), Options(bulk_staging=False)
    )
    assert rep.ok and rep.inserted == 2, rep.errors


def _state(ctx: AppContext) -> dict[str, Any]:
    def calls(s: Any) -> list[tuple[Any, ...]]:
        cols = [c for c in Call.__table__.columns if c.name != "id"]
        return sorted(tuple(r) for r in s.execute(select(*cols)))

    def findings(s: Any) -> list[tuple[Any, ...]]:
        cols = [c for c in QaFinding.__table__.columns if c.name != "id"]
        return sorted(tuple(map(str, r)) for r in s.execute(select(*cols)))

    def audit(s: Any) -> list[tuple[Any, ...]]:
        return sorted(
            (a.action, a.outcome, a.detail) for a in s.execute(select(AuditLog)).scalars()
        )

    return {
        "calls": ctx.call(calls),
        "findings": ctx.call(findings),
        "activity": sorted(rows(ctx, CallMonthActivity)),
        "audit": ctx.call(audit),
    }


def _import(ctx: AppContext, path: Path, staged: bool, skip: bool) -> dict[str, Any]:
    rep = import_table(
        ctx,
        "calls",
        read_path(path),
        Options(
            skip_invalid=skip,
            rejects_path=rejects_path_for(path) if skip else None,
            bulk_staging=staged,
        ),
    )
    d = rep.to_dict()
    for k in ("seconds", "timings", "rows_per_second"):
        d.pop(k)
    return {
        "report": d,
        "timings": rep.timings,
        "rejects": rejects_path_for(path).read_bytes() if skip else None,
        **_state(ctx),
    }


@pytest.mark.parametrize("skip", [False, True], ids=["all-or-nothing", "skip-invalid"])
def test_staged_and_row_paths_agree(ctx: AppContext, tmp_path: Path, skip: bool) -> None:
    _world(ctx, tmp_path)
    path = write(tmp_path / "mixed.csv", MIXED)
    _reset(ctx, tmp_path)
    before = _state(ctx)
    row = _import(ctx, path, staged=False, skip=skip)
    _reset(ctx, tmp_path)
    bulk = _import(ctx, path, staged=True, skip=skip)
    if ctx.db.is_postgres:
        assert "check" in bulk["timings"] and "check" not in row["timings"]
    for part in ("report", "rejects", "calls", "findings", "activity", "audit"):
        assert bulk[part] == row[part], part
    rep = bulk["report"]
    # What the file holds, so the comparison is not between two empty results.
    assert rep["rows"] == MIXED.count("\n")
    assert rep["rejected"] == 16 and rep["valid"] == rep["rows"] - 16, rep["errors"]
    by_line = {(e["line"], e["field"]): e for e in rep["errors"]}
    first_bad = MIXED.split("\n").index("B1,K1,C0001,,,2026-02-30 10:00,5,rpc,x") + 1
    assert by_line[(first_bad, "started_at")]["reason"] == "not a real date-time"
    assert any(e["field"] == "debtor" and e["value"] == "9" + "*" * 63 + "9" for e in rep["errors"])
    assert all(PHONE_1 not in str(e) and PHONE_2 not in str(e) for e in rep["errors"])
    if skip:
        got = bulk["calls"]
        refs = {c[0] for c in got}
        assert {"G1", "G2", "G3", "G4", "D1", "S1", "S2"} <= refs
        assert {f"U{i}" for i in range(1, 11)} | {"B16"} <= refs
        assert rep["duplicates"] == 1 and rep["updated"] == 1 and rep["unchanged"] == 1
        text = bulk["rejects"].decode("utf-8-sig")
        assert "'=HYPERLINK" in text and "'=1+2" in text  # formula cells escaped
        assert PHONE_1 not in text and PHONE_2 not in text and LONG not in text
    else:
        assert bulk["calls"] == before["calls"] and not rep["applied"]


def test_debtor_ids_never_reach_the_server(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every byte COPY sends: no raw debtor identifier, only keys and masks."""
    if not ctx.db.is_postgres:
        pytest.skip("the staging path is PostgreSQL's")
    _world(ctx, tmp_path)
    sent: list[str] = []
    real = psycopg.Copy.write

    def spy(self: psycopg.Copy, buffer: Any) -> None:
        sent.append(buffer if isinstance(buffer, str) else bytes(buffer).decode())
        real(self, buffer)

    monkeypatch.setattr(psycopg.Copy, "write", spy)
    path = write(tmp_path / "mixed.csv", MIXED)
    rep = import_table(
        ctx, "calls", read_path(path), Options(skip_invalid=True, rejects_path=tmp_path / "r")
    )
    assert rep.applied and "check" in rep.timings
    blob = "".join(sent)
    assert blob and "G1" in blob
    for raw in (PHONE_1, PHONE_2, "D-1", LONG):
        # (PHONE_1 is also a call_ref in one row: a text cell, not a debtor column.)
        assert blob.count(raw) == (1 if raw == PHONE_1 else 0), raw
    assert debtor_key(ctx.settings.pii_hmac_key, PHONE_1) in blob


def test_concurrent_overlapping_csv_imports(ctx: AppContext, tmp_path: Path) -> None:
    """8 imports at once whose keys overlap, in different orders: all land, none twice."""
    if not ctx.db.is_postgres:
        pytest.skip("lock ordering matters on PostgreSQL")
    _world(ctx, tmp_path)
    refs = [f"P{i:04d}" for i in range(600)]

    def body(n: int) -> bytes:
        mine = refs[n * 50 : n * 50 + 250]
        if n % 2:
            mine = mine[::-1]
        lines = [
            f"{r},K{1 + i % 2},,,,2026-03-02 09:{i % 60:02d},{n},rpc,x" for i, r in enumerate(mine)
        ]
        return (HEAD + "\n".join(lines)).encode()

    start = threading.Barrier(8)
    reports: list[Any] = [None] * 8

    def run(n: int) -> None:
        start.wait()
        reports[n] = with_retries(
            lambda: import_table(ctx, "calls", read_bytes_csv(body(n), f"p{n}.csv"), Options())
        )

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None and r.applied and "check" in r.timings for r in reports)
    want = set(refs[: 7 * 50 + 250])
    got = [c[1] for c in rows(ctx, Call)]
    assert sorted(got) == sorted(want)


def test_whitespace_class_is_pythons() -> None:
    assert set(WHITESPACE) == {chr(c) for c in range(0x110000) if chr(c).isspace()}


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "Asia/Jakarta", "America/New_York", "UTC"])
def test_fixed_since_is_exact(tz: str) -> None:
    """After `since`, subtracting the offset is what zoneinfo computes, hour by hour."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    since, off = fixed_since(tz)
    zone = ZoneInfo(tz)
    t = max(since, datetime(2026, 1, 1))
    for _ in range(24 * 400):
        assert t.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None) == t - timedelta(
            seconds=off
        )
        t += timedelta(hours=1)
        if t.year > 2100:
            break
    if tz == "America/New_York":
        assert since.year >= 2100  # summer time until the end of the range: no fixed span
    else:
        assert since.year < 2000


def test_audit_row_names_the_counts(ctx: AppContext, tmp_path: Path) -> None:
    _world(ctx, tmp_path)
    _reset(ctx, tmp_path)
    path = write(tmp_path / "mixed.csv", MIXED)
    rep = import_table(
        ctx, "calls", read_path(path), Options(skip_invalid=True, rejects_path=tmp_path / "r")
    )
    detail = ctx.call(
        lambda s: s.execute(select(AuditLog.detail).order_by(AuditLog.id.desc())).scalar()
    )
    assert f"inserted={rep.inserted} updated={rep.updated}" in detail
    assert rep.inserted > 10 and asdict(rep.errors[0])["line"] > 1


def test_new_keys_take_the_insert_only_merge(
    ctx: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keys that are all new: a plain INSERT (no upsert); the same file again, a repeated key,
    or keys inside the stored range: the upsert, with the same counts as before."""
    if not ctx.db.is_postgres:
        pytest.skip("the staging path is PostgreSQL's")
    from coaching.ingest import staged

    _world(ctx, tmp_path)
    _reset(ctx, tmp_path)
    upserts: list[str] = []
    real = staged.merge_sql
    monkeypatch.setattr(staged, "merge_sql", lambda *a: upserts.append("merge") or real(*a))

    def imp(lines: list[str]) -> Any:
        return import_table(
            ctx, "calls", read_bytes_csv((HEAD + "\n".join(lines)).encode(), "n.csv"), Options()
        )

    new = [f"N{i:03d},K{1 + i % 2},,,,2026-03-02 09:{i % 60:02d},{i},rpc,x" for i in range(40)]
    rep = imp(new)
    assert (rep.inserted, rep.updated, rep.duplicates, upserts) == (40, 0, 0, [])
    rep = imp(new)  # unchanged: the upsert writes nothing
    assert (rep.inserted, rep.updated, rep.unchanged, upserts) == (0, 0, 40, ["merge"])
    later = [f"Z{i:03d},K1,,,,2026-03-03 09:00,{i},rpc,x" for i in range(3)]
    rep = imp([*later, later[0].replace(",0,rpc", ",7,rpc")])  # a key twice: the last wins
    assert (rep.inserted, rep.duplicates, upserts) == (3, 1, ["merge", "merge"])
    rep = imp([new[5].replace(",5,rpc", ",99,rpc"), "N005A,K1,,,,2026-03-03 10:00,1,rpc,x"])
    assert (rep.inserted, rep.updated, upserts) == (1, 1, ["merge"] * 3)
    stored = dict(ctx.call(lambda s: s.execute(select(Call.call_ref, Call.duration_s)).all()))
    assert sum(k[0] in "NZ" for k in stored) == 44 and stored["Z000"] == 7 and stored["N005"] == 99
