"""Re-key stored debtor keys to the newest PII key (`coachbot pii rotate`).

Raw identifiers are never stored, so a rotation cannot re-hash them; it wraps each stored
value with the newer keys of the chain instead (`coaching.privacy.Keyring.rekey`), which
gives exactly what an import with the new key produces. Touched: `cases.debtor_key`,
`calls.debtor_key`, and the debtor part of automatic QA findings' natural keys
(`auto:<rule>:<collector>:<debtor key>:<date>`), so re-running the checks after a rotation
adds no duplicates. Batched, one transaction per batch, idempotent: a value already under
the newest id is left alone, so an interrupted rotation is finished by running it again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coaching.privacy import Keyring, KeyringError, key_id_of
from db.models import Call, Case, QaFinding

BATCH = 2000


@dataclass
class RotationReport:
    before: dict[str, Counter] = field(default_factory=dict)  # table -> key id -> rows
    rekeyed: Counter = field(default_factory=Counter)  # table -> rows changed


def key_ids(s: Session) -> dict[str, Counter]:
    """Rows per key id in each table that holds debtor keys."""
    out: dict[str, Counter] = {}
    for name, col in (("cases", Case.debtor_key), ("calls", Call.debtor_key)):
        out[name] = Counter(key_id_of(v) for v in s.execute(select(col)).scalars())
    out["qa_findings"] = Counter(
        key_id_of(_finding_debtor(k) or "")
        for k in s.execute(
            select(QaFinding.finding_key).where(QaFinding.finding_key.like("auto:%"))
        ).scalars()
        if _finding_debtor(k)
    )
    return out


def _finding_debtor(key: str) -> str | None:
    parts = key.split(":")
    return parts[3] if len(parts) == 5 and parts[0] == "auto" else None


def _rekey_column(s: Session, model, ring: Keyring, report: RotationReport, name: str) -> None:  # type: ignore[no-untyped-def]
    """Re-key the column batch by batch of ids: each batch's rows are updated by primary key
    (`calls` has no index on `debtor_key`: nothing else looks calls up by debtor), each
    distinct old value re-keyed once per batch."""
    cur = ring.current_id
    last = 0
    new: dict[str, str] = {}
    while True:
        rows = s.execute(
            select(model.id, model.debtor_key)
            .where(model.id > last)
            .order_by(model.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        first, last = rows[0][0], rows[-1][0]
        for old in {v for _, v in rows if key_id_of(v) != cur}:
            if old not in new:
                if len(new) > 100_000:
                    new.clear()
                new[old] = ring.rekey(old)
            res = s.execute(
                update(model)
                .where(model.id >= first, model.id <= last, model.debtor_key == old)
                .values(debtor_key=new[old])
            )
            report.rekeyed[name] += res.rowcount or 0
        s.commit()


def _rekey_findings(s: Session, ring: Keyring, report: RotationReport) -> None:
    cur = ring.current_id
    rows = s.execute(
        select(QaFinding.id, QaFinding.finding_key).where(QaFinding.finding_key.like("auto:%"))
    ).all()
    for i, (fid, key) in enumerate(rows, 1):
        debtor = _finding_debtor(key)
        if debtor is None or key_id_of(debtor) == cur:
            continue
        parts = key.split(":")
        parts[3] = ring.rekey(debtor)
        s.execute(update(QaFinding).where(QaFinding.id == fid).values(finding_key=":".join(parts)))
        report.rekeyed["qa_findings"] += 1
        if i % BATCH == 0:
            s.commit()
    s.commit()


def rotate(s: Session, ring: Keyring) -> RotationReport:
    """Bring every stored debtor key to the newest key of `ring`. Raises KeyringError (before
    changing anything) when a stored value was made with a key the ring does not hold."""
    report = RotationReport(before=key_ids(s))
    known = {k for k, _ in ring.keys}
    unknown = {k for c in report.before.values() for k in c if k not in known}
    if unknown:
        raise KeyringError(
            f"stored values use key ids {', '.join(sorted(unknown))}, which are not in "
            "COACHBOT_PII_PREVIOUS_KEYS; add them (id=secret) and run again"
        )
    _rekey_column(s, Case, ring, report, "cases")
    _rekey_column(s, Call, ring, report, "calls")
    _rekey_findings(s, ring, report)
    return report
