"""Pinyin and homophone matching for the guard's Chinese terms.

Two cases the literal matcher cannot see:
- a line typed in pinyin ("ni deng zhe", "shabi", "wo men hui qu ni dan wei"): every Chinese
  term of two or more characters is also matched as toneless pinyin;
- a homophone written in other characters ("煞笔", "沙比" for 傻逼; "做牢" for 坐牢): the line
  is read as pinyin and matched against the pinyin of terms of three or more characters and of
  the terms a category lists under `pinyin:` (two-character words collide too often).
Matching is per syllable, so "fei wu" never fires inside "feiwuyu…" half-syllables.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from types import ModuleType

import ahocorasick

from coaching.normalize import is_cjk

_WORD = re.compile(r"[a-z]+")


def pypinyin() -> ModuleType:
    """pypinyin without its phrase dictionary. The guard reads single characters only (and
    the syllable set below), which the per-character dictionary answers alone, identically
    for every character (U+3400-U+9FFF checked); the phrase dictionary cost the bot process
    ~50 MB resident from start-up (issue #22). pypinyin reads the switches at its first
    import, so every use here goes through this function."""
    os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
    os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")  # no custom dictionaries are loaded
    import pypinyin as mod

    return mod


@lru_cache(maxsize=1)
def syllables() -> frozenset[str]:
    return frozenset(pypinyin().lazy_pinyin("".join(chr(c) for c in range(0x4E00, 0x9FA6))))


@lru_cache(maxsize=30000)
def _char_pinyin(ch: str) -> str:
    return pypinyin().lazy_pinyin(ch)[0]


def split_word(word: str) -> list[str] | None:
    """Toneless pinyin syllables of a run of letters ("nidengzhe" → ni deng zhe), or None."""
    syl = syllables()
    out: list[str] = []
    i = 0
    while i < len(word):
        for j in range(min(len(word), i + 6), i, -1):
            if word[i:j] in syl:
                out.append(word[i:j])
                i = j
                break
        else:
            return None
    return out


def term_key(term: str) -> str | None:
    if not all(is_cjk(c) for c in term):
        return None
    return " " + " ".join(_char_pinyin(c) for c in term) + " "


def _mostly_pinyin(text: str) -> bool:
    """The Latin words of `text` read as pinyin (not English that happens to contain
    syllables: "I made a plan" is not "ma de")."""
    words = _WORD.findall(text.lower())
    ok = sum(1 for w in words if len(w) > 1 and split_word(w))
    return bool(words) and ok / len(words) >= 0.6


_TOKEN = re.compile(r"[a-z]+|.", re.S)


def _sequence(text: str, cjk: bool) -> tuple[str, list[tuple[int, int]]]:
    """The text as " syl syl … " plus, per syllable, the character span it came from.

    Letter runs become their pinyin syllables; with `cjk` Chinese characters become theirs
    (homophone reading), otherwise they block a match like punctuation does."""
    toks: list[tuple[str, int, int]] = []
    for m in _TOKEN.finditer(text):
        tok, a, b = m.group(0), m.start(), m.end()
        if tok.isascii() and tok.isalpha():
            parts = split_word(tok) or [tok]
            toks += [(p, a, b) for p in parts]
        elif cjk and is_cjk(tok):
            toks.append((_char_pinyin(tok), a, b))
        elif not tok.isspace():
            toks.append(("|", a, b))
    seq = " " + " ".join(t for t, _, _ in toks) + " "
    return seq, [(a, b) for _, a, b in toks]


class PinyinMatcher:
    def __init__(self, entries: list[tuple[str, str, bool]]) -> None:
        """entries: (term, rule id, usable for homophones in Chinese text)."""
        self._auto: dict[bool, ahocorasick.Automaton] = {}
        for homophone_only in (False, True):
            a = ahocorasick.Automaton()
            keys: dict[str, set[str]] = {}
            for term, rule, homophone in entries:
                key = term_key(term)
                if key is None or len(term) < 2 or (homophone_only and not homophone):
                    continue
                keys.setdefault(key, set()).add(rule)
            for key, rules in keys.items():
                a.add_word(key, (key, tuple(sorted(rules))))
            if keys:
                a.make_automaton()
                self._auto[homophone_only] = a

    def scan(self, text: str) -> list[tuple[str, int, int, str]]:
        """(rule, start, end, matched) in `text` coordinates: typed pinyin against every
        term, Chinese characters read as pinyin against the homophone terms."""
        low = text.lower()
        out = []
        if _WORD.search(low) and _mostly_pinyin(low):
            out += self._run(self._auto.get(False), low, text, cjk=False)
        if any(is_cjk(c) for c in text):
            out += self._run(self._auto.get(True), low, text, cjk=True)
        return out

    @staticmethod
    def _run(a: ahocorasick.Automaton | None, low: str, text: str, cjk: bool) -> list:
        if a is None:
            return []
        seq, spans = _sequence(low, cjk)
        out = []
        for end, (key, rules) in a.iter(seq):
            start = end - len(key) + 1
            first = seq[: start + 1].count(" ") - 1
            n = key.strip().count(" ") + 1
            a0, b0 = spans[first][0], spans[first + n - 1][1]
            out += [(r, a0, b0, text[a0:b0]) for r in rules]
        return out
