"""The PostgreSQL staging path for call rows: one streaming pass, set-based checks, one merge.

Why: the row path validates each row in Python (pydantic model, references, time zone, COPY
text) — about 35 µs a row, a flat profile with no single hot spot. Here Python touches each row
once, cheaply, and the database does the rest in bulk:

1. Stream: each CSV row's known cells go to `COPY … (FORMAT csv)` as they are (csv module, in
   C), with the file line and the row's width. A debtor identifier is replaced *before* COPY by
   its keyed hash and its mask (for reports): the raw identifier never reaches the server, not
   even the staging table. A date-time cell of the plain ISO shape that Python reads as a real
   date-time in range is flagged (`_ts_ok`, staged_sql.ISO_SHAPE).
2. Check: one INSERT … SELECT resolves every staged row whose cells have the common,
   unambiguous shape — clean references that exist, a date-time the stream flagged, a plain
   integer, an outcome label as listed — into `_ingest_ready`, computing the values the row
   path would (branch-local time to UTC: fixed-offset arithmetic where the zone's offset has
   not changed since, else `timezone()` away from any offset change).
3. Fallback: every other row (a problem, or an unusual but valid form: `2026/3/2 9:05`, `RPC`,
   an explicit offset, a time near a DST change) goes through the row path's own validation —
   the kind's pydantic model and `resolve` — so its error is the row path's, word for word, and
   a valid row is stored with the same values. Bad rows are few; this costs nothing on clean
   files.
4. Merge: when no stored key lies in the range of the file's keys (a dialler's next export),
   a plain INSERT … SELECT in key order, in a savepoint; otherwise — or when that insert meets
   a repeated key or one a concurrent import stored meanwhile — one INSERT … SELECT DISTINCT
   ON (key) … ON CONFLICT DO UPDATE … WHERE (row differs). Both in key order, byte order
   (concurrent imports lock the same keys in the same order: no deadlock cycles).
5. The automatic compliance findings for the (branch, local day)s the rows touched.

The debtor HMAC stays in Python (pgcrypto's `hmac()` was the alternative): the stored key is
not a plain HMAC of the cell — `coaching.privacy` normalises the identifier first and chains
HMACs across rotated keys (`<kid>.<hash>`), and a second implementation in SQL would have to be
kept byte-identical; the extension may also be missing. Hashing each *distinct* value once
(a debtor is called many times: 20,000 cases → 20,000 HMACs for a million calls) makes it
cheap, and hashing before COPY is what keeps the raw identifier off the server.

Used for the `calls` kind from CSV (every cell a str) on a UTF-8 PostgreSQL database, unless
the mapping file rewrites values (then the row path runs); SQLite keeps the row path.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from pydantic import ValidationError, create_model
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coaching.ingest.fields import mask
from coaching.ingest.kinds import Kind, Problem, Refs, Row
from coaching.ingest.kinds.base import SOURCE_REF
from coaching.ingest.reader import Table
from coaching.ingest.report import ImportReport, Options, Rejecter, reason_of
from coaching.ingest.staged_sql import (
    ISO_SHAPE,
    RAW,
    READY,
    check_sql,
    fresh_sql,
    insert_sql,
    merge_sql,
    real_day,
)
from coaching.ingest.writers import copy_text
from coaching.privacy import Keyring, keyring_of

TEXT_COLS = ("call_ref", "case_ref", "collector", "started_at", "duration_s", "outcome")
# Debtor columns and the prefix `resolve_call` hashes them with.
PII_PREFIX = {"debtor_ref": SOURCE_REF, "debtor": ""}
BATCH = 5000
UNIQUE_VIOLATION = "23505"
WORK_MEM = "256MB"  # the merge's DISTINCT ON sort, transaction-local


def applies(s: Session, kind: Kind, table: Table, opts: Options) -> bool:
    if kind.name != "calls" or not table.text_cells or not opts.bulk_staging:
        return False
    if opts.mapping is not None and opts.mapping.values:
        return False  # value rewriting happens per row, before validation
    conn = s.connection()
    if conn.dialect.name != "postgresql":
        return False
    # length() must count characters as Python's len() does.
    return conn.execute(text("SHOW server_encoding")).scalar_one() == "UTF8"


class _HashedRefs(Refs):
    """Fallback rows carry the debtor key already (hashed in the stream), not the raw value."""

    def debtor(self, raw: str) -> str:
        return raw.removeprefix(SOURCE_REF)


def _hasher(
    kind: Kind, col: str, keyring: Keyring
) -> tuple[dict[str, tuple[Any, Any]], Callable[[str], tuple[Any, Any]]]:
    """(cache, key): key(cell) -> (key, mask): (None, None) blank, (None, mask) invalid (the
    model says why). The stream looks a cell up in `cache` first (a debtor is called many
    times) and calls `key` for a new one."""
    field = kind.model.model_fields[col]
    # The column's own annotation and the rows' config (strip, then length): same verdict and
    # same stripped value as the row path.
    check = create_model(f"_Pii_{col}", __base__=Row, v=(field.annotation, field))
    prefix = PII_PREFIX[col]
    cache: dict[str, tuple[Any, Any]] = {}

    def key(v: str) -> tuple[Any, Any]:
        kv = cache.get(v)
        if kv is None:
            if len(cache) > 500_000:
                cache.clear()
            if not v.strip():
                kv = (None, None)
            else:
                try:
                    sv = check.model_validate({"v": v}).v  # type: ignore[attr-defined]
                except ValidationError:
                    kv = (None, mask(v))
                else:
                    kv = (keyring.key(f"{prefix}{sv}"), mask(v))
            cache[v] = kv
        return kv

    return cache, key


def run(
    s: Session,
    kind: Kind,
    table: Table,
    hmap: dict[int, str],
    report: ImportReport,
    rejecter: Rejecter,
    opts: Options,
    *,
    secret: str | Keyring,
    load: Callable[[type[Refs]], Refs],
    rules: Any,
    t0: float,
) -> ImportReport:
    """The import of `table` (a CSV of calls) in the caller's transaction; see the module doc."""
    from coaching import compliance_auto

    conn = s.connection()
    raw = conn.connection.driver_connection
    pos = {name: i for i, name in hmap.items()}
    text_cols = [c for c in TEXT_COLS if c in pos]
    pii_cols = [c for c in PII_PREFIX if c in pos]
    keyring = keyring_of(secret)
    nestloop = conn.execute(text("SELECT current_setting('enable_nestloop')")).scalar_one()
    conn.execute(text("SELECT set_config('work_mem', :v, true)"), {"v": WORK_MEM})
    for t in (RAW, READY):
        conn.execute(text(f"DROP TABLE IF EXISTS {t}"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE {RAW} (_line bigint, _width int, _ts_ok boolean, "
            + ", ".join(f"{c} text" for c in TEXT_COLS)
            + ", "
            + ", ".join(f"{c}_key text, {c}_mask text" for c in PII_PREFIX)
            + ") ON COMMIT DROP"
        )
    )
    cols = ", ".join(f'"{c}"' for c in kind.db_columns)
    conn.execute(
        text(
            f"CREATE TEMP TABLE {READY} ON COMMIT DROP AS SELECT {cols}, 0::bigint AS _line, "
            f'0 AS _branch, NULL::date AS _day FROM "{kind.table.name}" WITH NO DATA'  # type: ignore[union-attr]
        )
    )

    # 1. stream
    staged_cols = [
        "_line",
        "_width",
        "_ts_ok",
        *text_cols,
        *(f"{c}_{x}" for c in pii_cols for x in ("key", "mask")),
    ]
    n = _stream(raw, table, pos, text_cols, pii_cols, kind, keyring, staged_cols, opts)
    report.rows = n
    if opts.progress:
        opts.progress(n, n)
    t1 = time.perf_counter()
    conn.execute(text(f"ANALYZE {RAW}"))

    # 2. check in SQL
    sql, params = check_sql(s)
    # The staged table's row estimate says nothing of how many rows pass the checks; without
    # statistics the planner guesses a handful and loops over the lookups per row.
    conn.execute(text("SELECT set_config('enable_nestloop', 'off', true)"))
    fast = conn.execute(text(sql), params).rowcount
    conn.execute(text("SELECT set_config('enable_nestloop', :v, true)"), {"v": nestloop})
    t2 = time.perf_counter()

    # 3. the rest, row by row, as the row path does
    refs = _fallback(raw, kind, pos, text_cols, pii_cols, rejecter, load) if fast < n else None
    report.valid = n - report.rejected
    writing = report.rejected == 0 or opts.skip_invalid
    t3 = time.perf_counter()
    report.timings.update(
        stream_copy=round(t1 - t0, 3), check=round(t2 - t1, 3), fallback=round(t3 - t2, 3)
    )
    report.timings["validate_stage"] = round(t3 - t0, 3)
    if writing:
        # 4. merge
        conn.execute(text(f"ANALYZE {READY}"))
        distinct, report.inserted, report.updated = _merge(conn, kind, set(pos))
        report.duplicates = report.valid - distinct
        report.unchanged = max(0, distinct - report.inserted - report.updated)
        t4 = time.perf_counter()
        report.timings["merge"] = round(t4 - t3, 3)
        # 5. automatic compliance
        if opts.auto_compliance:
            days = set(refs.call_days) if refs is not None else set()
            days.update(
                (b, d)
                for b, d in conn.execute(
                    text(f"SELECT DISTINCT _branch, _day FROM {READY} WHERE _branch IS NOT NULL")
                )
            )
            if days:
                report.auto_findings = compliance_auto.check_days(s, days, rules=rules)
                report.timings["auto_compliance"] = round(time.perf_counter() - t4, 3)
        report.applied = not opts.dry_run
    else:  # nothing is written, but the report still counts the repeated keys
        key = ", ".join(f'"{c}"' for c in kind.natural_key)
        report.duplicates = (
            conn.execute(text(f"SELECT count(*) FROM {READY}")).scalar_one()
            - conn.execute(
                text(f"SELECT count(*) FROM (SELECT DISTINCT {key} FROM {READY}) d")
            ).scalar_one()
        )
    for t in (RAW, READY):
        conn.execute(text(f"DROP TABLE IF EXISTS {t}"))
    rejecter.write(opts.rejects_path, table.headers)
    report.seconds = time.perf_counter() - t0
    return report


def _merge(conn: Connection, kind: Kind, present: set[str]) -> tuple[int, int, int]:
    """(distinct keys, inserted, updated): insert-only when every key is new (see
    `fresh_sql`), else — or when that insert meets a stored or repeated key — the upsert."""
    probe = fresh_sql(kind)
    if probe is not None and conn.execute(text(probe)).scalar_one():
        try:
            with conn.begin_nested():
                n = conn.execute(text(insert_sql(kind))).rowcount
            return n, n, 0
        except IntegrityError as exc:
            if getattr(exc.orig, "sqlstate", None) != UNIQUE_VIOLATION:
                raise
    distinct, inserted, updated = conn.execute(text(merge_sql(kind, present))).one()
    return distinct, inserted, updated


def _stream(
    raw: Any,
    table: Table,
    pos: dict[str, int],
    text_cols: list[str],
    pii_cols: list[str],
    kind: Kind,
    keyring: Keyring,
    staged_cols: list[str],
    opts: Options,
) -> int:
    """COPY every row's known cells (debtor identifiers as key and mask); returns the count."""
    need = max(pos.values()) + 1
    get = itemgetter(*(pos[c] for c in text_cols))  # >= 5 required columns: a tuple
    pt = pos["started_at"]  # a required column
    shape, days = ISO_SHAPE.fullmatch, dict[str, bool]()  # date -> real_day(date)
    hashers = [(pos[c], *_hasher(kind, c, keyring)) for c in pii_cols]
    (p1, c1, h1), (p2, c2, h2) = [*hashers, (0, {}, None), (0, {}, None)][:2]
    g1, g2 = c1.get, c2.get
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    batch: list[tuple[Any, ...]] = []
    progress, total = opts.progress, table.total
    n = 0
    sql = f"COPY {RAW} ({', '.join(staged_cols)}) FROM STDIN (FORMAT csv)"
    with raw.cursor() as cur, cur.copy(sql) as cp:
        for line, cells in table.rows:
            n += 1
            width = len(cells)
            if width < need:
                cells = cells + [""] * (need - width)
            # The date-time cell: "t" when of the plain shape and real, else NULL (ISO_SHAPE).
            ts = cells[pt]
            if shape(ts) is None:
                ts = ""
            else:
                ok = days.get(ts[:10])
                if ok is None:
                    if len(days) > 100_000:
                        days.clear()
                    ok = days[ts[:10]] = real_day(ts[:10])
                ts = "t" if ok else ""
            # The debtor cells' (key, mask) from the cache; hashed once per distinct value.
            if h2 is not None:
                v1, v2 = cells[p1], cells[p2]
                k1, k2 = g1(v1) or h1(v1), g2(v2) or h2(v2)
                batch.append((line, width, ts, *get(cells), *k1, *k2))
            elif h1 is not None:
                v1 = cells[p1]
                batch.append((line, width, ts, *get(cells), *(g1(v1) or h1(v1))))
            else:
                batch.append((line, width, ts, *get(cells)))
            if len(batch) >= BATCH:
                out.writerows(batch)
                cp.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()
                batch.clear()
                if progress:
                    progress(n, total)
        out.writerows(batch)
        cp.write(buf.getvalue())
    return n


def _fallback(
    raw: Any,
    kind: Kind,
    pos: dict[str, int],
    text_cols: list[str],
    pii_cols: list[str],
    rejecter: Rejecter,
    load: Callable[[type[Refs]], Refs],
) -> Refs:
    """Validate the rows the check left behind with the row path's model and `resolve`;
    store the valid ones in the ready table. Returns the references (their call days)."""
    refs = load(_HashedRefs)
    model, resolve = kind.model, kind.resolve
    sel = ", ".join(["_line", "_width", *text_cols, *(f"{c}_key, {c}_mask" for c in pii_cols)])
    copy_sql = f"COPY {READY} ({', '.join(kind.db_columns)}, _line) FROM STDIN"
    with raw.cursor(name="_ingest_fallback") as sc:
        sc.itersize = BATCH
        sc.execute(
            f"SELECT {sel} FROM {RAW} r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {READY} y WHERE y._line = r._line) ORDER BY _line"
        )
        at = 2 + text_cols.index("case_ref") if "case_ref" in text_cols else None
        while batch := sc.fetchmany(BATCH):
            if at is not None:  # the batch's cases, looked up at once (not the whole table)
                refs.prefetch_cases({r[at].strip() for r in batch if r[at] and r[at].strip()})
            good: list[tuple[Any, ...]] = []
            lines: list[int] = []
            for rec_row in batch:
                line, width, *vals = rec_row
                cells: list[Any] = [""] * width
                rec: dict[str, Any] = {}
                shown: dict[str, Any] = {}
                for col, v in zip(text_cols, vals, strict=False):
                    if pos[col] < width and v is not None:
                        cells[pos[col]] = v
                        if v.strip():
                            rec[col] = shown[col] = v
                for i, col in enumerate(pii_cols):
                    key, masked = vals[len(text_cols) + 2 * i : len(text_cols) + 2 * i + 2]
                    if pos[col] < width and masked is not None:
                        cells[pos[col]] = masked  # write_rejects masks it again: idempotent
                        shown[col] = masked
                        # The key stands in for the value; an invalid one fails the same check.
                        rec[col] = key if key is not None else "x" * 65
                try:
                    values = resolve(model.model_validate(rec), refs)
                except ValidationError as exc:
                    probs = []
                    for e in exc.errors(include_input=False, include_url=False):
                        col = str(e["loc"][0]) if e["loc"] else "?"
                        probs.append((col, shown.get(col), reason_of(e)))
                    rejecter.reject(line, cells, probs)
                    continue
                except Problem as p:
                    rejecter.reject(line, cells, [(p.column, shown.get(p.column), p.reason)])
                    continue
                good.append(values)
                lines.append(line)
            if good:
                with raw.cursor() as cur, cur.copy(copy_sql) as cp:
                    cp.write(copy_text(good, lines))
    return refs
