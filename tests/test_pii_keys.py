"""PII key ids and rotation, and debtor keys from the source system's debtor id.

Runs on SQLite and PostgreSQL (the `ctx` fixture): a file is imported with key "0", the key
is rotated with `coachbot pii rotate`, and every stored value then equals what an import with
the new key produces; values from before the rotation stay matchable meanwhile."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.settings import get_settings
from coaching.privacy import Keyring, KeyringError, debtor_key, key_id_of, keyring_from
from db.models import Call, Case, Employee, QaFinding
from tests.cli_helpers import run_cli  # noqa: F401  (fixture)
from tests.ingest_helpers import ID_1, NAME_1, PHONE_1, PHONE_2, run, world, write

OLD = "old-key-0123456789abcdef0123456789abcdef"
NEW = "new-key-fedcba9876543210fedcba9876543210"
NEWER = "newer-key-aaaabbbbccccddddeeeeffff00001111"

CASES = (
    "案件编号,催收员工号,客户编号,手机号,债务人姓名,委案金额,逾期天数,委案日期\n"
    f"K1,C0001,D-0001,{PHONE_1},{NAME_1},1000,45,2026-03-01\n"
    f"K2,C0001,,{PHONE_2},{NAME_1},800,20,2026-03-01\n"  # a namesake, no source id
)
CALLS = (
    "call_ref,case_ref,started_at,duration_s,outcome\n"
    "CL1,K1,2026-03-02 10:00,30,rpc\n"
    "CL2,K2,2026-03-02 11:00,30,no_answer\n"
)


def test_keyring_chain_and_ids() -> None:
    r0 = Keyring.parse(OLD)
    r1 = Keyring.parse(NEW, "1", f"0={OLD}")
    r2 = Keyring.parse(NEWER, "2", f"0={OLD},1={NEW}")
    assert r0.key(PHONE_1) == debtor_key(OLD, PHONE_1)  # id "0" = the key from before ids
    assert key_id_of(r0.key(PHONE_1)) == "0" and key_id_of(r1.key(PHONE_1)) == "1"
    assert len(r2.key(PHONE_1)) <= 64
    assert r1.rekey(r0.key(PHONE_1)) == r1.key(PHONE_1)
    assert r2.rekey(r0.key(PHONE_1)) == r2.rekey(r1.key(PHONE_1)) == r2.key(PHONE_1)
    assert r2.all_keys(PHONE_1) == [r0.key(PHONE_1), r1.key(PHONE_1), r2.key(PHONE_1)]
    assert r1.key(PHONE_1) != r1.key(PHONE_2)
    with pytest.raises(KeyringError, match="unknown key id '7'"):
        r1.rekey("7." + "a" * 60)
    with pytest.raises(KeyringError, match="PREVIOUS_KEYS item 1"):
        Keyring.parse(NEW, "1", "oops")
    with pytest.raises(KeyringError, match="key id"):
        Keyring.parse(NEW, "Bad Id")


def _stored(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    def q(s):  # type: ignore[no-untyped-def]
        out = {c: k for c, k in s.execute(select(Case.case_ref, Case.debtor_key))}
        out |= {c: k for c, k in s.execute(select(Call.call_ref, Call.debtor_key))}
        return out

    return ctx.call(q)


def test_debtor_key_from_the_source_id(ctx, tmp_path: Path) -> None:
    world(ctx)
    rep = run(ctx, "cases", write(tmp_path / "c.csv", CASES))
    assert rep.ok, rep.errors
    keys = _stored(ctx)
    ring = keyring_from(ctx.settings)
    assert keys["K1"] == ring.key("ref:D-0001")  # the source id, not the phone or name
    assert keys["K2"] == ring.key(PHONE_2)
    assert keys["K1"] != keys["K2"]  # namesakes stay apart
    raw = "|".join(keys.values())
    assert "D-0001" not in raw and PHONE_1 not in raw and NAME_1 not in raw and ID_1 not in raw


def test_rotate_on_the_database(ctx, tmp_path: Path, run_cli, monkeypatch) -> None:  # noqa: F811
    world(ctx)
    monkeypatch.setenv("COACHBOT_PII_KEY", OLD)
    monkeypatch.delenv("COACHBOT_PII_KEY_ID", raising=False)
    monkeypatch.delenv("COACHBOT_PII_PREVIOUS_KEYS", raising=False)
    assert run_cli("import", "cases", str(write(tmp_path / "c.csv", CASES))).exit_code == 0
    assert run_cli("import", "calls", str(write(tmp_path / "l.csv", CALLS))).exit_code == 0
    old = _stored(ctx)
    assert {key_id_of(v) for v in old.values()} == {"0"}
    emp = ctx.call(lambda s: s.scalar(select(Employee.id).where(Employee.employee_no == "C0001")))
    ctx.call(
        lambda s: s.add(
            QaFinding(
                finding_key=f"auto:too_many_calls:C0001:{old['K1']}:2026-03-02",
                collector_id=emp,
                case_id=None,
                rule="too_many_calls",
                severity="minor",
                note="",
                source="auto",
                found_at=ctx.clock.now(),
            )
        )
    )
    # A new key: new data uses it at once, old values stay matchable until the rotation.
    monkeypatch.setenv("COACHBOT_PII_KEY", NEW)
    monkeypatch.setenv("COACHBOT_PII_KEY_ID", "1")
    monkeypatch.setenv("COACHBOT_PII_PREVIOUS_KEYS", f"0={OLD}")
    get_settings.cache_clear()
    ring = Keyring.parse(NEW, "1", f"0={OLD}")
    assert old["K2"] in ring.all_keys(PHONE_2)
    status = run_cli("pii", "status")
    assert status.exit_code == 0 and "current key id: 1" in status.output
    res = run_cli("pii", "rotate")
    assert res.exit_code == 0, res.output
    assert "re-keyed to key id 1: 5 rows" in res.output  # 2 cases, 2 calls, 1 finding
    new = _stored(ctx)
    assert new["K1"] == new["CL1"] == ring.key("ref:D-0001")
    assert new["K2"] == new["CL2"] == ring.key(PHONE_2)
    [fk] = ctx.call(lambda s: list(s.execute(select(QaFinding.finding_key)).scalars()))
    assert fk == f"auto:too_many_calls:C0001:{new['K1']}:2026-03-02"
    # Re-importing with the new key changes nothing: the rotation produced the same values.
    assert run_cli("import", "cases", str(tmp_path / "c.csv")).exit_code == 0
    assert _stored(ctx) == new
    again = run_cli("pii", "rotate")
    assert again.exit_code == 0 and "re-keyed to key id 1: 0 rows" in again.output
    # A key id missing from the list is refused before anything changes.
    monkeypatch.setenv("COACHBOT_PII_KEY", NEWER)
    monkeypatch.setenv("COACHBOT_PII_KEY_ID", "2")
    monkeypatch.setenv("COACHBOT_PII_PREVIOUS_KEYS", f"0={OLD}")
    get_settings.cache_clear()
    bad = run_cli("pii", "rotate")
    assert bad.exit_code == 2 and "key ids 1" in bad.output and "Traceback" not in bad.output
    assert _stored(ctx) == new
