"""HTTP ingest: `POST /api/v1/ingest/{kind}` with a JSON array or a CSV body.

Bearer tokens (`coachbot token create --scope ingest --kind calls`) are stored as SHA-256
hashes and carry the record kinds they may write. Answers: 200 report · 400 bad query flag ·
401 no/unknown token · 403 revoked, wrong scope or a kind the token may not write ·
404 unknown kind · 413 body over COACHBOT_INGEST_MAX_BYTES · 415 unsupported content type ·
422 rows rejected (nothing stored) or unreadable body, with the per-row report naming line and
field · 503 the database stayed busy (deadlocks retried and still failing; try again).
Query flags: `?dry_run=1`, `?skip_invalid=1`. The validation is the CLI's (`coaching.ingest`).

No token can change roles (rows that would are rejected), bindings, invites or groups. Every
write is audited with the token id, the kind, row counts and each changed employee's fields.
Imports run on their own thread pool (bot.import_pool) so chat replies stay fast.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.context import AppContext
from bot.import_pool import run_import_job
from coaching.ingest import KINDS, InputError, Options, import_table, read_bytes_csv, read_json
from coaching.ingest.engine import ImportReport, RowError
from coaching.ingest.retry import is_retryable, with_retries
from db.models.ops import ApiToken, AuditLog

log = logging.getLogger(__name__)

SCOPES = ("ingest",)
PATH = "/api/v1/ingest/{kind}"
# Kinds a new token gets when none are named: the work data. Employees (HR master data) and
# costs (finance figures that move scores) must be named explicitly, and even then a token
# cannot change anyone's roles.
EXPLICIT_KINDS = ("employees", "costs")
DEFAULT_KINDS = tuple(k for k in KINDS if k not in EXPLICIT_KINDS)
_FLAG_VALUES = {"", "0", "1", "true", "false", "yes", "no"}


@dataclass(frozen=True)
class TokenCheck:
    verdict: str  # ok / unknown / revoked / scope
    token_id: int | None = None
    kinds: tuple[str, ...] = ()


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_kinds(tok: ApiToken) -> tuple[str, ...]:
    """The kinds a token may write (NULL: a token made before scoping, every kind)."""
    if tok.kinds is None:
        return tuple(KINDS)
    return tuple(k for k in tok.kinds.split(",") if k)


def create_token(
    s: Session, name: str, scope: str, now: datetime, kinds: list[str] | None = None
) -> tuple[int, str]:
    chosen = list(dict.fromkeys(kinds)) if kinds else list(DEFAULT_KINDS)
    unknown = [k for k in chosen if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown kind(s) {', '.join(unknown)}; use {', '.join(KINDS)}")
    raw = "cbt_" + secrets.token_urlsafe(32)
    tok = ApiToken(
        name=name, scope=scope, token_hash=_hash(raw), created_at=now, kinds=",".join(chosen)
    )
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


def check_token(s: Session, raw: str, scope: str, now: datetime) -> TokenCheck:
    tok = s.execute(select(ApiToken).where(ApiToken.token_hash == _hash(raw))).scalar_one_or_none()
    if tok is None:
        return TokenCheck("unknown")
    if tok.revoked_at is not None:
        return TokenCheck("revoked", tok.id)
    if tok.scope != scope:
        return TokenCheck("scope", tok.id)
    tok.last_used_at = now
    return TokenCheck("ok", tok.id, token_kinds(tok))


def _error(status: int, error: str, detail: str, **extra: Any) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="coachbot"'} if status == 401 else None
    return JSONResponse({"error": error, "detail": detail, **extra}, status, headers=headers)


def _flag(request: Request, name: str) -> bool:
    v = request.query_params.get(name, "").lower()
    if v not in _FLAG_VALUES:
        raise ValueError(f"query flag {name} must be 1/0 or true/false, not {v[:20]!r}")
    return v in {"1", "true", "yes"}


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
        tok = await ctx.run(check_token, raw.strip(), "ingest", ctx.clock.now())
        if tok.verdict == "unknown":
            return _error(401, "unauthorized", "unknown token")
        if tok.verdict == "revoked":
            return _error(403, "forbidden", "this token was revoked")
        if tok.verdict == "scope":
            return _error(403, "forbidden", "this token's scope does not allow ingest")
        kind = request.path_params["kind"]
        if kind not in KINDS:
            return _error(404, "unknown_kind", f"no record kind {kind!r}", kinds=list(KINDS))
        if kind not in tok.kinds:
            await ctx.run(_audit_denied, tok.token_id, kind, ctx.clock.now())
            return _error(
                403,
                "forbidden",
                f"this token may not write {kind}; it may write: {', '.join(tok.kinds)}",
                field="kind",
            )
        try:
            opts = Options(
                dry_run=_flag(request, "dry_run"),
                skip_invalid=_flag(request, "skip_invalid"),
                actor=f"token:{tok.token_id}",
                may_change_roles=False,
            )
        except ValueError as exc:
            return _error(400, "bad_query", str(exc), field="query")
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype and not (ctype.endswith("json") or ctype in _CSV_TYPES):
            return _error(
                415, "unsupported_type", f"Content-Type {ctype!r}: send JSON or CSV", field="body"
            )
        limit = ctx.settings.ingest_max_body_bytes
        body = await _read_limited(request, limit)
        if body is None:
            return _error(413, "too_large", f"the body is over {limit} bytes", max_bytes=limit)

        def attempt() -> ImportReport:
            src = f"api:{kind}"
            try:
                # Parsed again on a retry: a table's rows are a one-shot iterator.
                table = (
                    read_json(body, src) if ctype.endswith("json") else read_bytes_csv(body, src)
                )
            except InputError as exc:
                rep = ImportReport(kind=kind, source=src)
                rep.fatal = str(exc)
                if exc.line is not None:
                    rep.errors.append(
                        RowError(exc.line, exc.column or "", exc.column or "", "", str(exc))
                    )
                return rep
            return import_table(ctx, kind, table, opts)

        def work() -> ImportReport:
            return with_retries(attempt, what=f"ingest {kind} (token {tok.token_id})")

        try:
            report = await run_import_job(ctx.settings.import_workers, work)
        except DBAPIError as exc:
            if is_retryable(exc):
                return _error(503, "busy", "the database stayed busy; send the request again")
            log.exception("ingest %s failed in the database", kind)
            return _error(500, "internal", "the database refused the write; nothing was stored")
        except Exception:  # e.g. the driver's own error from a COPY (not a DBAPIError)
            log.exception("ingest %s failed", kind)
            return _error(500, "internal", "the import failed; nothing was stored")
        data = report.to_dict()
        data.pop("rejects_path", None)
        if report.fatal:
            first = report.errors[0] if report.errors else None
            where = {"line": first.line, "field": first.field} if first else {}
            body_out = {"error": "unreadable", "detail": report.fatal, **where, **data}
            return JSONResponse(body_out, 422)
        if report.rejected and not opts.skip_invalid:
            return JSONResponse(
                {"error": "rows_rejected", "detail": "nothing was stored", **data}, 422
            )
        return JSONResponse(data, 200)

    return [Route(PATH, ingest, methods=["POST"])]


_CSV_TYPES = {"text/csv", "text/plain", "application/csv", "application/octet-stream"}


def _audit_denied(s: Session, token_id: int | None, kind: str, now: datetime) -> None:
    s.add(
        AuditLog(
            at=now,
            action=f"import.{kind}",
            outcome="denied",
            detail=f"token:{token_id} kind={kind}: not in the token's kinds",
        )
    )
