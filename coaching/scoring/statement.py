"""The scorecard statement's mechanics besides its aggregates (queries.py): combining the
per-bucket sums in SQL, the columns the cards need besides the month's figures, the session
settings it runs with, and streaming its rows on PostgreSQL.

Split from queries.py (what is summed, per table) because these are about how it runs: the
integer arithmetic of docs/scoring.md's *Recovery* done by the database, the round trips
saved, and the rows handed to the scorer as they arrive. (Measured with bench/scoring_ab.py:
every node of the plan is a blocking aggregate, so the rows all arrive at the end and the
scoring does not overlap the server's work; streaming only keeps the rows out of one list.)
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import BigInteger, Select, bindparam, case, func, or_, select
from sqlalchemy.engine import Compiled, Connection
from sqlalchemy.orm import Session

from db.models import Branch, QaFinding
from db.models.work import BUCKETS

# Session settings for the statement on PostgreSQL, set for it only (`set_config(...,
# is_local)`, then restored). work_mem: the (collector, case) groups (~100,000 for 5,000
# collectors, ≈ 13 MB) would spill to disk in batches at the default 4 MB. jit: compiling this
# wide statement took 0.1–0.8 s (measured in EXPLAIN ANALYZE) for a run of ~0.1 s.
SETTINGS = {"work_mem": "64MB", "jit": "off"}


@contextmanager
def session_settings(s: Session) -> Iterator[None]:
    """SETTINGS for what runs inside, on PostgreSQL; one round trip to read the current values
    and set these (the subquery, kept apart by OFFSET 0, is read before the outer row's
    set_config calls run), one to restore them."""
    if s.get_bind().dialect.name != "postgresql":
        yield
        return
    names = list(SETTINGS)
    now = select(*(func.current_setting(k).label(k) for k in names)).offset(0).subquery("now")
    sets = (func.set_config(k, SETTINGS[k], True) for k in names)
    before = s.execute(select(*now.c, *sets)).one()[: len(names)]
    yield
    # Not in a `finally`: after a failed statement the transaction is aborted (and a rollback
    # discards a local setting anyway); restoring would only hide the original error.
    s.execute(select(*(func.set_config(k, v, True) for k, v in zip(names, before, strict=True))))


def card_columns(eid, majors, branch, start, end) -> list:  # type: ignore[no-untyped-def, type-arg]
    """The branch's currency (an InitPlan: evaluated once) and the veto reason, `rule: note`
    of the collector's first major finding of the month [start, end), looked up only for the
    rows with a major finding (`majors`): read with the figures instead of a query of their own
    after them."""
    first_major = (
        select(
            case(
                (func.coalesce(QaFinding.note, "") != "", QaFinding.rule + ": " + QaFinding.note),
                else_=QaFinding.rule,
            )
        )
        .where(
            QaFinding.collector_id == eid,
            QaFinding.severity == "major",
            QaFinding.found_at >= start,
            QaFinding.found_at < end,
        )
        .order_by(QaFinding.found_at, QaFinding.id)
        .limit(1)
        .scalar_subquery()
    )
    return [
        select(Branch.currency).where(Branch.id == branch).scalar_subquery().label("currency"),
        case((majors > 0, first_major), else_=None).label("veto_reason"),
    ]


# The statement's columns, in the order they come: the engine unpacks each row by position
# (engine._Scorer.card). `combined` selects them in this order; `stream` checks it.
COLUMNS = (
    "eid",
    "employee_no",
    "name",
    "team_id",
    "is_lead",
    "team_code",
    "team_name",
    "prev_total",
    "prev_components",
    "cases",
    "calls",
    "connected",
    "complaints",
    "minors",
    "majors",
    "skills_avg",
    "skills_n",
    "skills_prev_avg",
    "skills_prev_n",
    "ptp_kept",
    "ptp_broken",
    "cost",
    "cost_n",
    "currency",
    "veto_reason",
    "assigned",
    "repaid",
    "credited",
    "t_acc",
    "z_acc",
    "handled",
    "handled_w",
    "repaid_any",
)

# Rows per chunk of a streamed result: large enough that the per-chunk overhead stays
# negligible (5,000 collectors = 20 chunks).
STREAM_CHUNK = 256
# Per (statement, dialect): the statement, the dialect, its compiled form, its SQL with $1…
# placeholders and the parameter names in their order.
_compiled: dict[tuple[int, int], tuple[object, object, Compiled, bytes, tuple[str, ...]]] = {}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%%")


def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """pyformat SQL (%(name)s, %%) as PostgreSQL's own ($1, …, %) and the names by number:
    what psycopg would do on every execution (for a statement this long it does not cache
    the conversion: half a millisecond of Python per run)."""
    order: dict[str, int] = {}

    def sub(m: re.Match[str]) -> str:
        if m.group(1) is None:
            return "%"
        return f"${order.setdefault(m.group(1), len(order) + 1)}"

    return _PLACEHOLDER.sub(sub, sql).encode(), tuple(order)


def stream(conn: Connection, stmt: Select, params: dict[str, object]) -> Iterator[tuple]:  # type: ignore[type-arg]
    """`stmt`'s rows (tuples in `COLUMNS` order) through psycopg's `Cursor.stream` (chunked
    mode with libpq ≥ 17, else single-row mode): SQLAlchemy's own streaming uses a
    server-side cursor, which the server only advances on each FETCH, so nothing would
    overlap. The statement is compiled once per dialect; the one bind conversion it needs
    (UTCDateTime: aware → naive UTC) is done here."""
    key = (id(stmt), id(conn.dialect))
    hit = _compiled.get(key)
    if hit is None or hit[0] is not stmt or hit[1] is not conn.dialect:
        compiled = stmt.compile(dialect=conn.dialect)
        hit = _compiled[key] = (stmt, conn.dialect, compiled, *_numbered(compiled.string))
    _, _, compiled, sql, names = hit
    values = compiled.construct_params(params)  # with the literals' own values
    args = []
    for k in names:
        v = values[k]
        if isinstance(v, datetime):
            v = v.astimezone(UTC).replace(tzinfo=None)
        args.append(v)
    import psycopg  # only on PostgreSQL

    size = STREAM_CHUNK if psycopg.pq.version() >= 170000 else 1
    raw = conn.connection.driver_connection
    # RawCursor: the SQL is already numbered, the arguments a sequence. Binary results: the
    # same values (integers, floats, text, JSON), a quarter less to parse than as text.
    with psycopg.RawCursor(raw) as cur:  # type: ignore[arg-type]
        rows = cur.stream(sql, args, binary=True, size=size)
        first = next(rows, None)
        if first is None:
            return
        got = tuple(d.name for d in cur.description or ())
        assert got == COLUMNS, got
        yield first
        yield from rows


def combined(m):  # type: ignore[no-untyped-def]
    """The per-bucket sums (a0…a5 assigned cents, r0…r5 repaid cents, h0…h5 cases handled)
    combined per collector, in integers (exact on both databases):

    - credited = Σ_b min(R_b × W_b, max(A_b, R_b) × 10^k), W_b the bucket weight × 10^k
      (docs/scoring.md, *Recovery*), in units of 10^-(2+k);
    - t_acc / z_acc = Σ_b A_b × the bucket band's target / zero_at × 10^j;
    - handled_w = Σ_b H_b × W_b; repaid_any = some bucket was repaid (not netted to 0).

    Weights and bands are bound parameters (w0…, t0…, z0…, wk), so the statement is shared."""
    n = len(BUCKETS)
    a = [func.coalesce(m.c[f"a{i}"], 0) for i in range(n)]
    r = [func.coalesce(m.c[f"r{i}"], 0) for i in range(n)]
    h = [func.coalesce(m.c[f"h{i}"], 0) for i in range(n)]
    w = [bindparam(f"w{i}", type_=BigInteger) for i in range(n)]
    t = [bindparam(f"t{i}", type_=BigInteger) for i in range(n)]
    z = [bindparam(f"z{i}", type_=BigInteger) for i in range(n)]
    k = bindparam("wk", type_=BigInteger)
    credited = []
    for i in range(n):
        rw, cap = r[i] * w[i], case((r[i] > a[i], r[i]), else_=a[i]) * k
        credited.append(case((rw < cap, rw), else_=cap))

    def total(terms: list) -> object:  # type: ignore[type-arg]
        return functools.reduce(operator.add, terms)

    sums = {
        "assigned": total(a),
        "repaid": total(r),
        "credited": total(credited),
        "t_acc": total([a[i] * t[i] for i in range(n)]),
        "z_acc": total([a[i] * z[i] for i in range(n)]),
        "handled": total(h),
        "handled_w": total([h[i] * w[i] for i in range(n)]),
        "repaid_any": case((or_(*(x != 0 for x in r)), 1), else_=0),
    }
    return select(*(sums[k].label(k) if k in sums else m.c[k] for k in COLUMNS))
