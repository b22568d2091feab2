"""The redactor's memo (coaching/redact.py): the LLM client redacts every prompt whole, so the
same transcript lines come back on every turn; found spans are remembered by a digest. The memo
must give exactly what a fresh search gives and hold no personal data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coaching import redact as r

DATA = Path(__file__).resolve().parents[1] / "bench" / "data" / "pii_eval.jsonl"
LINE = "欧阳娜娜您好，您的手机13812345678和身份证110101199003071234已登记，住在朝阳区建国路88号。"


@pytest.fixture(autouse=True)
def empty_memo() -> None:
    with r._memo_lock:
        r._memo.clear()


def _fresh(text: str, names: tuple[str, ...] = (), keep: tuple[str, ...] = ()) -> list[r.Span]:
    return r._find_pii(text, names, keep)


def test_remembered_spans_equal_a_fresh_search() -> None:
    lines = [json.loads(x)["text"] for x in DATA.read_text(encoding="utf-8").splitlines() if x]
    for text in lines[:150]:
        first = r.find_pii(text)
        assert first == _fresh(text)
        assert r.find_pii(text) == first  # from the memo
    # names and keep are part of the key: the same text with another persona is searched anew
    assert r.find_pii("王先生说明天还", keep=("王先生",)) == _fresh(
        "王先生说明天还", (), ("王先生",)
    )
    assert r.find_pii("王先生说明天还") == _fresh("王先生说明天还")


def test_the_memo_holds_no_personal_data() -> None:
    assert r.redact(LINE).count("[") >= 3
    assert r._memo
    for key, spans in r._memo.items():
        assert isinstance(key, bytes) and len(key) == 20
        for a, b, kind in spans:
            assert isinstance(a, int) and isinstance(b, int) and kind in r.LABELS
    dump = repr(list(r._memo.items()))
    for value in ("13812345678", "110101199003071234", "欧阳娜娜", "建国路"):
        assert value not in dump and value.encode() not in dump.encode()


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(r, "MEMO_SIZE", 5)
    for i in range(20):
        r.find_pii(f"请拨打1381234{i:04d}")
    assert len(r._memo) == 5
