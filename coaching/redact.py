"""PII redaction for every text that leaves the building in an LLM prompt.

`redact(text)` replaces mainland ID numbers, bank card numbers, phone numbers and e-mail
addresses with neutral tags. The LLM client calls it on every message it sends (one choke
point, see `coaching.llm.LLMClient._prepare`); drill lines are also stored redacted.

The rules err on the side of removing too much:
- e-mail addresses: anything shaped `local@domain.tld`;
- any run of digits (allowing spaces, dashes, dots and brackets between them, an optional
  leading `+` and a trailing `X` for ID numbers) with 11 or more digits is removed: an 18-digit
  run with a valid ID checksum becomes `[ID]`, a 13–19 digit run passing Luhn `[CARD]`, a
  CN mobile or `+`/`0`-prefixed number `[PHONE]`, anything else `[NUMBER]`;
- shorter runs (7–10 digits) are removed as `[PHONE]` when they look dialled: they start with
  `+` or `0`, or contain separators (landlines such as `021-6123 4567`, `8765 4321`). ISO dates
  (`2026-03-15`) and plain amounts (`1200000`) are kept.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[^\s@<>()\[\],;:\"，。；：！？、]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# A digit run with separators; the optional X ends an ID number.
_RUN = re.compile(r"\+?\d(?:[\s\-().]{0,2}\d)*[Xx]?")
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}")
_MOBILE = re.compile(r"(?:86)?1[3-9]\d{9}")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum(first17: str) -> str:
    """The 18th character of a mainland resident ID number (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id(value: str) -> bool:
    v = value.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", v)) and id_checksum(v[:17]) == v[17]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _classify(run: str) -> str | None:
    """The tag replacing a digit run, or None to keep it."""
    core = re.sub(r"[^\dXx]", "", run).upper()
    digits = core.rstrip("X")
    n = len(digits)
    if n >= 11 or core.endswith("X"):
        if (len(core) == 18 and is_valid_id(core)) or (
            len(core) == 19 and core.endswith("X") and is_valid_id(core[:18])
        ):
            return "[ID]"
        if 13 <= n <= 19 and core == digits and luhn_ok(digits):
            return "[CARD]"
        if run.startswith("+") or _MOBILE.fullmatch(digits) or digits.startswith("0"):
            return "[PHONE]"
        if n >= 11:
            return "[NUMBER]"
        # A short run ending in X is just text ("3X", "10x").
        return None
    if n >= 7:
        if _DATE.fullmatch(run.strip()):
            return None
        if run.startswith(("+", "0")) or re.search(r"[\s\-().]", run):
            return "[PHONE]"
    return None


def _digits_sub(m: re.Match[str]) -> str:
    tag = _classify(m.group(0))
    return m.group(0) if tag is None else tag


def redact(text: str) -> str:
    """`text` with every ID number, card number, phone number and e-mail address removed."""
    if not text:
        return text
    out = EMAIL.sub("[EMAIL]", text)
    return _RUN.sub(_digits_sub, out)


def contains_pii(text: str) -> bool:
    return redact(text) != text
