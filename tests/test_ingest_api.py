"""The HTTP ingest API over real HTTP: uvicorn on 127.0.0.1 in a thread, httpx as client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.context import AppContext
from bot.ingest_api import create_token, revoke_token
from bot.settings import load_settings
from bot.web import build_web_app
from db.models import ApiToken, Call
from tests.ingest_helpers import count, rows, seed_cases, world


@pytest.fixture
def server(ctx: AppContext, tmp_path: Path) -> Iterator[str]:
    ctx.settings = load_settings(
        _env_file=None, DATABASE_URL=ctx.db.url, COACHBOT_INGEST_MAX_BYTES="4000"
    )
    world(ctx)
    seed_cases(ctx, tmp_path)
    config = uvicorn.Config(
        build_web_app(ctx), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def token(ctx: AppContext, scope: str = "ingest") -> tuple[int, str]:
    return ctx.call(create_token, "export job", scope, ctx.clock.now())


def test_auth_errors(ctx: AppContext, server: str) -> None:
    url = f"{server}/api/v1/ingest/calls"
    r = httpx.post(url, json=[])
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = httpx.post(url, json=[], headers={"Authorization": "Bearer cbt_nope"})
    assert r.status_code == 401 and r.json()["detail"] == "unknown token"

    _, other = token(ctx, scope="reports")
    r = httpx.post(url, json=[], headers={"Authorization": f"Bearer {other}"})
    assert r.status_code == 403 and "scope" in r.json()["detail"]

    tid, raw = token(ctx)
    auth = {"Authorization": f"Bearer {raw}"}
    r = httpx.post(f"{server}/api/v1/ingest/debtors", json=[], headers=auth)
    assert r.status_code == 404 and "calls" in r.json()["kinds"]
    assert ctx.call(revoke_token, tid, ctx.clock.now())
    r = httpx.post(url, json=[], headers=auth)
    assert r.status_code == 403 and r.json()["detail"] == "this token was revoked"
    # Only the hash is stored.
    hashes = ctx.call(lambda s: [t.token_hash for t in s.query(ApiToken)])
    assert raw not in hashes and all(len(h) == 64 for h in hashes)


def test_too_large(ctx: AppContext, server: str) -> None:
    _, raw = token(ctx)
    auth = {"Authorization": f"Bearer {raw}", "Content-Type": "text/csv"}
    url = f"{server}/api/v1/ingest/calls"
    big = b"call_ref,case_ref,started_at,duration_s,outcome\n" + b"x" * 5000
    r = httpx.post(url, content=big, headers=auth)
    assert r.status_code == 413 and r.json() == {
        "error": "too_large",
        "detail": "the body is over 4000 bytes",
        "max_bytes": 4000,
    }

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while reading
        for _ in range(10):
            yield b"y" * 1000

    r = httpx.post(url, content=chunks(), headers=auth)
    assert r.status_code == 413
    assert count(ctx, Call) == 0


def test_rows_rejected_and_accepted(ctx: AppContext, server: str) -> None:
    _, raw = token(ctx)
    auth = {"Authorization": f"Bearer {raw}"}
    url = f"{server}/api/v1/ingest/calls"
    good = {"通话编号": "A1", "案件编号": "K1", "开始时间": "2026-03-02 09:15", "通话时长": 95}
    payload = [
        {**good, "通话结果": "rpc"},
        {**good, "通话编号": "A2", "通话时长": -1, "通话结果": "rpc"},
        {**good, "通话编号": "A3", "案件编号": "K404", "通话结果": "rpc"},
    ]
    r = httpx.post(url, json=payload, headers=auth)
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "rows_rejected" and body["rejected"] == 2 and not body["applied"]
    assert [(e["line"], e["column"], e["field"], e["value"]) for e in body["errors"]] == [
        (2, "通话时长", "duration_s", "-1"),
        (3, "案件编号", "case_ref", "K404"),
    ]
    assert count(ctx, Call) == 0

    # Missing column: unreadable as a whole, still 422 with the reason.
    r = httpx.post(url, json=[{"通话编号": "A1"}], headers=auth)
    assert r.status_code == 422 and "missing required column" in r.json()["detail"]

    # skip_invalid stores the good row and reports the rest.
    r = httpx.post(f"{url}?skip_invalid=1", json=payload, headers=auth)
    assert r.status_code == 200 and r.json()["inserted"] == 1 and r.json()["rejected"] == 2

    # A GBK CSV body with Chinese headers; then the same body again changes nothing.
    csv_body = "通话编号,案件编号,开始时间,通话时长,通话结果\nB1,K2,2026-03-02 10:00,30,未接通\n"
    headers = {**auth, "Content-Type": "text/csv; charset=gbk"}
    r = httpx.post(url, content=csv_body.encode("gbk"), headers=headers)
    assert r.status_code == 200, r.text
    assert (r.json()["inserted"], r.json()["encoding"]) == (1, "gb18030")
    before = rows(ctx, Call)
    r = httpx.post(url, content=csv_body.encode("gbk"), headers=headers)
    assert r.status_code == 200 and r.json()["unchanged"] == 1 and r.json()["inserted"] == 0
    assert rows(ctx, Call) == before and len(before) == 2


def test_a_body_cut_at_the_limit_stores_nothing(ctx: AppContext, server: str) -> None:
    """Chunked (no Content-Length) valid rows going past the limit: the route is aborted
    mid-read, so the complete rows before the cut are not stored behind a 413."""
    _, raw = token(ctx)
    auth = {"Authorization": f"Bearer {raw}", "Content-Type": "text/csv"}

    def chunks() -> Iterator[bytes]:
        head = "通话编号,案件编号,开始时间,通话时长,通话结果\n"
        for part in range(3):  # bursts: the server reads each before the next; the 3rd is over
            rows = "".join(f"C{part}{i},K1,2026-03-02 1{part}:{i:02d},30,rpc\n" for i in range(50))
            yield ((head if part == 0 else "") + rows).encode()
            time.sleep(0.5)

    # skip_invalid: a row cut in half at the limit would not even hold the others back.
    url = f"{server}/api/v1/ingest/calls?skip_invalid=1"
    r = httpx.post(url, content=chunks(), headers=auth)
    assert r.status_code == 413
    assert count(ctx, Call) == 0


def test_a_driver_error_during_copy_is_a_json_500_and_stores_nothing(
    ctx: AppContext, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The COPY runs on the driver's own connection (staging path, PostgreSQL writer): its
    errors are psycopg's, not SQLAlchemy's DBAPIError. A statement timeout or a dropped
    connection there was answered with a bare text 500; the API's contract is JSON."""
    if ctx.db.engine.dialect.name != "postgresql":
        pytest.skip("the COPY paths are PostgreSQL's")
    import psycopg

    from coaching.ingest import staged

    def timeout(*_a: object, **_k: object) -> int:
        raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")

    monkeypatch.setattr(staged, "_stream", timeout)
    _, raw = token(ctx)
    headers = {"Authorization": f"Bearer {raw}", "Content-Type": "text/csv"}
    body = "通话编号,案件编号,开始时间,通话时长,通话结果\nB1,K2,2026-03-02 10:00,30,未接通\n"
    r = httpx.post(f"{server}/api/v1/ingest/calls", content=body.encode(), headers=headers)
    assert r.status_code == 500, r.text
    assert r.json()["error"] == "internal" and "nothing was stored" in r.json()["detail"]
    assert "Traceback" not in r.text and "_ingest_raw" not in r.text
    assert count(ctx, Call) == 0
