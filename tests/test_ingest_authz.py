"""Issue 18: scoped ingest tokens, no privilege escalation through the API, malformed bodies
get a 4xx naming the field, and concurrent overlapping posts all succeed (real HTTP)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.context import AppContext
from bot.ingest_api import create_token
from bot.settings import load_settings
from bot.web import build_web_app
from db.models import AuditLog, Call, Employee
from tests.ingest_helpers import count, seed_cases, world
from tests.servers import serve_in_thread

CALL = {"通话编号": "A1", "案件编号": "K1", "开始时间": "2026-03-02 09:15", "通话时长": 95}


@pytest.fixture
def server(ctx: AppContext, tmp_path: Path) -> Iterator[str]:
    ctx.settings = load_settings(_env_file=None, DATABASE_URL=ctx.db.url)
    world(ctx)
    seed_cases(ctx, tmp_path)
    with serve_in_thread(build_web_app(ctx)) as url:
        yield url


def auth(ctx: AppContext, kinds: list[str] | None = None) -> tuple[int, dict[str, str]]:
    tid, raw = ctx.call(create_token, "feed", "ingest", ctx.clock.now(), kinds)
    return tid, {"Authorization": f"Bearer {raw}"}


def roles_of(ctx: AppContext, no: str) -> set[str]:
    def get(s: object) -> set[str]:
        emp = s.execute(select(Employee).where(Employee.employee_no == no)).scalar_one()  # type: ignore[attr-defined]
        return set(emp.roles)

    return ctx.call(get)


def audit(ctx: AppContext) -> list[tuple[str, str, str, int | None]]:
    return ctx.call(
        lambda s: [
            (a.action, a.outcome, a.detail, a.employee_id)
            for a in s.execute(select(AuditLog).order_by(AuditLog.id)).scalars()
        ]
    )


def emp(no: str, roles: str, name: str = "王小明") -> dict[str, str]:
    return {
        "employee_no": no,
        "name": name,
        "branch": "SH",
        "roles": roles,
        "hire_date": "2025-01-06",
    }


def test_token_cannot_grant_roles(ctx: AppContext, server: str) -> None:
    tid, headers = auth(ctx, ["employees", "calls"])
    url = f"{server}/api/v1/ingest/employees"
    assert roles_of(ctx, "C0001") == {"collector"}
    # Escalation: an existing collector made admin + hr. Rejected, nothing stored.
    r = httpx.post(url, json=[emp("C0001", "collector;admin;hr")], headers=headers)
    assert r.status_code == 422, r.text
    err = r.json()["errors"][0]
    assert (err["field"], err["line"]) == ("roles", 1) and "admin" in err["reason"]
    assert roles_of(ctx, "C0001") == {"collector"}
    # A new employee arriving with admin rights: rejected too; with skip_invalid still not stored.
    r = httpx.post(f"{url}?skip_invalid=1", json=[emp("X9", "admin")], headers=headers)
    assert r.status_code == 200 and r.json()["rejected"] == 1 and r.json()["inserted"] == 0
    assert (
        ctx.call(lambda s: s.execute(select(Employee).where(Employee.employee_no == "X9")).first())
        is None
    )

    # Allowed: a new collector, and a name/team change that keeps the roles.
    r = httpx.post(
        url, json=[emp("C0003", "collector"), emp("C0001", "collector", "王大明")], headers=headers
    )
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["updated"]) == (1, 1)
    rows = audit(ctx)
    summary = [a for a in rows if a[0] == "import.employees" and a[1] == "allowed"]
    assert summary and f"token:{tid}" in summary[-1][2] and "inserted=1 updated=1" in summary[-1][2]
    per_row = {a[2] for a in rows if a[0] == "import.employees.row"}
    assert f"token:{tid} C0001: changed name" in per_row
    assert f"token:{tid} C0003: created roles=collector" in per_row
    # The denied attempts are audited as well (outcome error: nothing applied).
    assert any(
        a[0] == "import.employees" and a[1] == "error" and f"token:{tid}" in a[2] for a in rows
    )


def test_token_kinds_are_enforced(ctx: AppContext, server: str) -> None:
    tid, headers = auth(ctx, ["calls"])
    r = httpx.post(
        f"{server}/api/v1/ingest/employees", json=[emp("C0001", "admin")], headers=headers
    )
    assert r.status_code == 403 and r.json()["field"] == "kind" and "calls" in r.json()["detail"]
    assert roles_of(ctx, "C0001") == {"collector"}
    # Default kinds of a new token: work data, never employees.
    _, default = auth(ctx)
    r = httpx.post(
        f"{server}/api/v1/ingest/employees", json=[emp("C0001", "collector")], headers=default
    )
    assert r.status_code == 403
    r = httpx.post(
        f"{server}/api/v1/ingest/calls", json=[{**CALL, "通话结果": "rpc"}], headers=headers
    )
    assert r.status_code == 200 and r.json()["inserted"] == 1
    assert any(a[1] == "denied" and f"token:{tid}" in a[2] for a in audit(ctx))


MALFORMED: list[tuple[str, bytes, str, int, str]] = [
    # (name, body, content type, expected status, field or text the answer must name)
    (
        "nested value",
        json.dumps([{**CALL, "通话编号": {"a": [1]}}]).encode(),
        "application/json",
        422,
        "通话编号",
    ),
    (
        "NaN",
        b'[{"call_ref": "A1", "case_ref": "K1", "started_at": "2026-03-02 09:15", '
        b'"duration_s": NaN, "outcome": "rpc"}]',
        "application/json",
        422,
        "duration_s",
    ),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "application/json", 422, "nested too deeply"),
    (
        "year 1",
        json.dumps([{**CALL, "开始时间": "0001-01-01 00:00", "通话结果": "rpc"}]).encode(),
        "application/json",
        422,
        "started_at",
    ),
    (
        "year 9999",
        json.dumps([{**CALL, "开始时间": "9999-12-31 23:59:59-05:00", "通话结果": "rpc"}]).encode(),
        "application/json",
        422,
        "started_at",
    ),
    (
        "NUL in JSON",
        json.dumps([{**CALL, "通话编号": "A\x001", "通话结果": "rpc"}]).encode(),
        "application/json",
        422,
        "通话编号",
    ),
    (
        "NUL in CSV",
        "通话编号,案件编号,开始时间,通话时长,通话结果\nA\x001,K1,2026-03-02 09:15,9,rpc\n".encode(),
        "text/csv",
        422,
        ":2:2",
    ),
    ("object not array", b'{"call_ref": "A1"}', "application/json", 422, "array"),
    ("array of numbers", b"[1, 2]", "application/json", 422, "record 1"),
    ("broken JSON", b'[{"call_ref": "A1",', "application/json", 422, ":1:"),
    (
        "BOM then GBK",
        b"\xef\xbb\xbf"
        + "通话编号,案件编号,开始时间,通话时长,通话结果\n".encode()
        + "甲,K1,2026-03-02 09:15,9,rpc\n".encode("gbk"),
        "text/csv",
        422,
        ":2:1",
    ),
    ("XML", b"<calls/>", "application/xml", 415, "JSON or CSV"),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_bodies_get_a_4xx_naming_the_field(
    ctx: AppContext, server: str, case: tuple[str, bytes, str, int, str]
) -> None:
    _, headers = auth(ctx)
    _, body, ctype, status, named = case
    r = httpx.post(
        f"{server}/api/v1/ingest/calls", content=body, headers={**headers, "Content-Type": ctype}
    )
    assert r.status_code == status, r.text
    assert named in r.text, r.text
    assert count(ctx, Call) == 0
    r = httpx.post(f"{server}/api/v1/ingest/calls?dry_run=maybe", json=[], headers=headers)
    assert r.status_code == 400 and r.json()["field"] == "query"


def test_concurrent_overlapping_posts(ctx: AppContext, server: str) -> None:
    """16 concurrent posts whose keys overlap, in different orders: all succeed."""
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("lock ordering and deadlock retries matter on PostgreSQL")
    # 16 import workers: every post runs at once (the default pool of 2 would queue them).
    ctx.settings = load_settings(
        _env_file=None, DATABASE_URL=ctx.db.url, COACHBOT_IMPORT_WORKERS="16"
    )
    _, headers = auth(ctx)
    refs = [f"P{i:04d}" for i in range(400)]

    def body(n: int) -> list[dict[str, object]]:
        # Each post: a window of 200 keys starting at 25*n, reversed for odd posts.
        mine = refs[(n * 25) % 200 : (n * 25) % 200 + 200]
        if n % 2:
            mine = mine[::-1]
        return [
            {
                "call_ref": r,
                "case_ref": "K1" if i % 2 else "K2",
                "started_at": "2026-03-02 09:15",
                "duration_s": n + 1,
                "outcome": "rpc",
            }
            for i, r in enumerate(mine)
        ]

    start = threading.Barrier(16)

    def post(n: int) -> int:
        with httpx.Client(timeout=120) as client:
            start.wait()
            return client.post(
                f"{server}/api/v1/ingest/calls", json=body(n), headers=headers
            ).status_code

    with ThreadPoolExecutor(16) as pool:
        codes = list(pool.map(post, range(16)))
    assert codes == [200] * 16, codes
    want = {r for n in range(16) for r in (x["call_ref"] for x in body(n))}
    assert count(ctx, Call) == len(want)


def test_cli_token_kinds(ctx: AppContext, monkeypatch: pytest.MonkeyPatch) -> None:
    import typer
    from typer.testing import CliRunner

    from bot.cli.ingest import register
    from bot.settings import get_settings

    monkeypatch.setenv("DATABASE_URL", ctx.db.url)
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)
    try:
        res = CliRunner().invoke(app, ["token", "create", "--name", "hr feed", "--kind", "nope"])
        assert res.exit_code == 2 and "unknown kind" in res.output
        res = CliRunner().invoke(
            app, ["token", "create", "--name", "hr feed", "--kind", "employees"]
        )
        assert res.exit_code == 0 and "ingest: employees;" in res.output
        assert res.output.strip().splitlines()[-1].startswith("cbt_")
        res = CliRunner().invoke(app, ["token", "list"])
        assert "employees" in res.output
    finally:
        get_settings.cache_clear()
