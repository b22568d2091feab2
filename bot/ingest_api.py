"""HTTP ingest: `POST /api/v1/ingest/{kind}` with a JSON array or a CSV body.

Bearer tokens (`coachbot token create --scope ingest`) are stored as SHA-256 hashes. Answers:
200 report · 401 no/unknown token · 403 revoked or wrong scope · 404 unknown kind ·
413 body over COACHBOT_INGEST_MAX_BYTES · 422 rows rejected (nothing stored) or unreadable
body, with the per-row report. Query flags: `?dry_run=1`, `?skip_invalid=1`.
The validation is the CLI's (`db.importers`).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.context import AppContext
from db.importers import KINDS, InputError, Options, import_table, read_bytes_csv, read_json
from db.importers.engine import ImportReport
from db.models.ops import ApiToken

log = logging.getLogger(__name__)

SCOPES = ("ingest",)
PATH = "/api/v1/ingest/{kind}"


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(s: Session, name: str, scope: str, now: datetime) -> tuple[int, str]:
    raw = "cbt_" + secrets.token_urlsafe(32)
    tok = ApiToken(name=name, scope=scope, token_hash=_hash(raw), created_at=now)
    s.add(tok)
    s.flush()
    return tok.id, raw


def list_tokens(s: Session) -> list[ApiToken]:
    return list(s.execute(select(ApiToken).order_by(ApiToken.id)).scalars())


def revoke_token(s: Session, token_id: int, now: datetime) -> bool:
    tok = s.get(ApiToken, token_id)
    if tok is None or tok.revoked_at is not None:
        return False
    tok.revoked_at = now
    return True


def check_token(s: Session, raw: str, scope: str, now: datetime) -> str:
    """'ok', 'unknown', 'revoked' or 'scope'."""
    tok = s.execute(select(ApiToken).where(ApiToken.token_hash == _hash(raw))).scalar_one_or_none()
    if tok is None:
        return "unknown"
    if tok.revoked_at is not None:
        return "revoked"
    if tok.scope != scope:
        return "scope"
    tok.last_used_at = now
    return "ok"


def _error(status: int, error: str, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="coachbot"'} if status == 401 else None
    return JSONResponse({"error": error, "detail": detail, **extra}, status, headers=headers)


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in {"1", "true", "yes"}


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds `limit` bytes (checked before and while reading)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def routes(ctx: AppContext) -> list[Route]:
    async def ingest(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        scheme, _, raw = auth.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return _error(401, "unauthorized", "send Authorization: Bearer <token>")
        verdict = await ctx.run(check_token, raw.strip(), "ingest", ctx.clock.now())
        if verdict == "unknown":
            return _error(401, "unauthorized", "unknown token")
        if verdict == "revoked":
            return _error(403, "forbidden", "this token was revoked")
        if verdict == "scope":
            return _error(403, "forbidden", "this token's scope does not allow ingest")
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return _error(404, "unknown_kind", f"no record kind {kind!r}", kinds=list(KINDS))
        limit = ctx.settings.ingest_max_body_bytes
        body = await _read_limited(request, limit)
        if body is None:
            return _error(413, "too_large", f"the body is over {limit} bytes", max_bytes=limit)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        opts = Options(
            dry_run=_flag(request, "dry_run"), skip_invalid=_flag(request, "skip_invalid")
        )

        def work() -> ImportReport:
            src = f"api:{kind}"
            try:
                table = (
                    read_json(body, src) if ctype.endswith("json") else read_bytes_csv(body, src)
                )
            except InputError as exc:
                rep = ImportReport(kind=kind, source=src)
                rep.fatal = str(exc)
                return rep
            return import_table(ctx, kind, table, opts)

        report = await asyncio.to_thread(work)
        data = report.to_dict()
        data.pop("rejects_path", None)
        if report.fatal:
            return JSONResponse({"error": "unreadable", "detail": report.fatal, **data}, 422)
        if report.rejected and not opts.skip_invalid:
            return JSONResponse(
                {"error": "rows_rejected", "detail": "nothing was stored", **data}, 422
            )
        return JSONResponse(data, 200)

    return [Route(PATH, ingest, methods=["POST"])]
