"""PII redaction quality cannot silently fall: the labelled set (bench/data/pii_eval.jsonl)
is redacted and scored on every run; floors sit slightly under the measured figures."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import pii_eval  # noqa: E402

from coaching.redact import Redactor, find_pii, redact  # noqa: E402

DATA = ROOT / "bench" / "data" / "pii_eval.jsonl"


def test_set_is_big_and_covers_every_kind() -> None:
    rows = [json.loads(x) for x in DATA.read_text(encoding="utf-8").splitlines() if x]
    assert len(rows) >= 400
    kinds = {g["kind"] for r in rows for g in r["pii"]}
    assert kinds == {"name", "phone", "id", "card", "email", "qq", "wechat", "plate", "address"}
    keep = {k["kind"] for r in rows for k in r["keep"]}
    assert {"amount", "date", "datetime", "time", "percent", "ref"} <= keep
    assert {r["lang"] for r in rows} == {"zh", "en"}


def test_quality_floors() -> None:
    res = pii_eval.evaluate(DATA)
    assert res.recall() >= 0.98, pii_eval.report(res)
    assert res.precision() >= 0.97, pii_eval.report(res)
    assert res.survive() >= 0.98, pii_eval.report(res)
    for kind in ("phone", "id", "card", "email", "qq", "wechat", "plate"):
        n = res.tp[kind] + res.fn[kind]
        assert res.tp[kind] / n >= 0.97, (kind, pii_eval.report(res))
    for kind in ("name", "address"):
        n = res.tp[kind] + res.fn[kind]
        assert res.tp[kind] / n >= 0.95, (kind, pii_eval.report(res))


def test_placeholders_are_numbered_and_consistent_within_a_conversation() -> None:
    r = Redactor()
    a = r.redact("王建国的手机是13812345678，他老婆李娜的手机是13987654321")
    b = r.redact("再打一次 138 1234 5678 找王建国")
    assert "13812345678" not in a and "13987654321" not in a
    assert "[手机1]" in a and "[手机2]" in a and "[姓名1]" in a
    assert "[手机1]" in b and "[姓名1]" in b  # same phone, other spelling: same placeholder


def test_written_forms_and_what_survives() -> None:
    text = (
        "客户张伟，手机＋８６ １３８－００１３－８０００，也报过一三八零零一三八零零零，"
        "身份证 110105 19491231 002X，卡号 6222 0202 0000 1234 568，微信号：zhang_wei88，"
        "QQ 12345678，车牌粤B·D12345，住在深圳市南山区科技园南区12栋3单元501室。"
        "欠款12,345.67元，2026-03-15 14:30:00扣款，案件号CASE-2026-000123，逾期率12.5%。"
    )
    out = redact(text)
    for raw in ["张伟", "8000", "一三八", "002X", "1234 568", "zhang_wei88", "12345678", "D12345"]:
        assert raw not in out, (raw, out)
    assert "科技园南区" not in out
    for keep in ["12,345.67元", "2026-03-15 14:30:00", "CASE-2026-000123", "12.5%"]:
        assert keep in out, (keep, out)


def test_known_names_from_case_data() -> None:
    assert "欧阳娜娜" not in redact("和欧阳娜娜谈过了", known_names=["欧阳娜娜"])
    assert [s.kind for s in find_pii("Please call Mr. Wong at +62 812-3456-7890")] == [
        "name",
        "mobile",
    ]


def test_ordinary_collector_lines_stay_intact() -> None:
    """The guard sets are hundreds of everyday collector lines with (almost) no personal
    data: the redactor must leave them alone."""
    flagged = []
    for name in ("guard_eval.jsonl", "guard_dev.jsonl", "guard_blind.jsonl"):
        for raw in (ROOT / "bench" / "data" / name).read_text(encoding="utf-8").splitlines():
            line = json.loads(raw)["text"]
            flagged += [(s.value, line) for s in find_pii(line)]
    # "民警小王" is a name; nothing else should be touched.
    assert [v for v, _ in flagged] == ["小王"], flagged
