"""Hostile input is normal input for the compliance guard: whatever a trainee types — rare
Chinese characters pypinyin has no reading for, control characters, emoji, mixed scripts — is
checked without an exception (a traceback here ends the trainee's role-play turn)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coaching.roleplay.guard import check_text


def test_every_cjk_character_is_read() -> None:
    # U+3400-U+9FFF is the range the guard reads as pinyin; ~900 of them have no reading.
    chars = [chr(c) for c in range(0x3400, 0xA000)]
    for i in range(0, len(chars), 64):
        line = "您好，" + "".join(chars[i : i + 64]) + "，请问您什么时候还款？"
        assert isinstance(check_text(line), list)


def test_a_rare_character_does_not_hide_a_violation() -> None:
    # 㐂 (U+3402) has no pinyin reading; the threat around it is still found.
    found = {v.rule for v in check_text("㐂再不还钱就找人上门打断你的腿")}
    assert "violence" in found or "threat" in found


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_any_text_is_checked_without_error(line: str) -> None:
    assert isinstance(check_text(line), list)
