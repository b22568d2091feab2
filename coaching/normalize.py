"""Text normalisation shared by the PII redactor and the compliance guard.

`normalize(text)` returns the normalised text plus, for every normalised character, the
offset of the original character it came from, so detectors can work on clean text while
the redactor replaces the exact original characters (a full-width amount stays full-width).

Steps, all character-local so the offset map stays exact:
- NFKC (full-width digits, letters and punctuation → ASCII; compatibility forms);
- zero-width characters dropped; whitespace between two CJK characters dropped
  ("去 你 单 位" → "去你单位");
- traditional → simplified Chinese (OpenCC tables, per character);
- optionally, Chinese digits spelt one by one ("一三八…", "幺", "两", "〇") → ASCII digits
  when they form a run of 5 or more, which is how people write phone and ID numbers out.
  Counts and amounts ("二十", "三万") are not touched here; `numerals_to_digits` (cn2an)
  converts those for the guard.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

_KEEP_PUNCT = frozenset("，；：、。！？")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_CN_DIGIT = {
    "零": "0",
    "〇": "0",
    "○": "0",
    "一": "1",
    "幺": "1",
    "壹": "1",
    "二": "2",
    "两": "2",
    "贰": "2",
    "三": "3",
    "叁": "3",
    "四": "4",
    "肆": "4",
    "五": "5",
    "伍": "5",
    "六": "6",
    "陆": "6",
    "七": "7",
    "柒": "7",
    "八": "8",
    "捌": "8",
    "九": "9",
    "玖": "9",
}
_CN_RUN = re.compile("[" + "".join(_CN_DIGIT) + r"](?:[\s\-]?[" + "".join(_CN_DIGIT) + "]){4,}")


def is_cjk(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF


@lru_cache(maxsize=1)
def _t2s():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=20000)
def _simplify(ch: str) -> str:
    out = _t2s().convert(ch)
    return out if len(out) == 1 else ch


@dataclass(frozen=True)
class Normalized:
    text: str
    index: tuple[int, ...]  # index[i] = offset in the original of text[i]; one extra = len(orig)
    original: str

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering normalised characters [start, end)."""
        if end <= start:
            return self.index[start], self.index[start]
        return self.index[start], self.index[end - 1] + 1


def normalize(text: str, *, simplify: bool = True, digits: bool = False) -> Normalized:
    chars: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(text):
        if ch in ZERO_WIDTH:
            continue
        # CJK commas/colons stay: NFKC would turn "538，2027" into an amount-like "538,2027".
        out = unicodedata.normalize("NFKC", ch) if ord(ch) > 0x7F and ch not in _KEEP_PUNCT else ch
        for c in out:
            if simplify and is_cjk(c):
                c = _simplify(c)
            chars.append(c)
            index.append(i)
    # Whitespace between two CJK characters is spacing, not a word break.
    keep = [True] * len(chars)
    n = len(chars)
    i = 0
    while i < n:
        if chars[i].isspace():
            j = i
            while j < n and chars[j].isspace():
                j += 1
            if i > 0 and j < n and is_cjk(chars[i - 1]) and is_cjk(chars[j]):
                for k in range(i, j):
                    keep[k] = False
            i = j
        else:
            i += 1
    chars = [c for c, k in zip(chars, keep, strict=True) if k]
    index = [x for x, k in zip(index, keep, strict=True) if k]
    norm = "".join(chars)
    if digits:
        norm = _CN_RUN.sub(lambda m: "".join(_CN_DIGIT.get(c, c) for c in m.group(0)), norm)
    return Normalized(norm, (*index, len(text)), text)


def normalize_text(text: str, *, digits: bool = False) -> str:
    return normalize(text, digits=digits).text


def numerals_to_digits(text: str) -> str:
    """Chinese counts and amounts as digits ("二十个电话" → "20个电话"), for rule matching."""
    import warnings

    import cn2an

    try:
        with warnings.catch_warnings():  # cn2an warns on every run it cannot convert ("万一")
            warnings.simplefilter("ignore", UserWarning)
            return str(cn2an.transform(text, "cn2an"))
    except Exception:
        return text
