"""jieba for the redactor's name finder and the guard's word boundaries, loaded once per
process with its two word tables sharing their strings.

jieba keeps every dictionary word twice: as a key of the tokenizer's prefix dictionary
(`FREQ`, read from its marshal cache) and again as a key of the part-of-speech table
(`jieba.posseg`'s `word_tag_tab`, read from dict.txt when jieba.posseg is imported), each
tag a string of its own. That was ~53 MB of the ~135 MB the PII redactor added to a process
(issue #22). Here both tables are built in one pass over the same dict.txt, as jieba builds
them (`Tokenizer.gen_pfdict`, `POSTokenizer.load_word_tag`: same entries, same values, the
same total), with one string per word and one per tag; the segmenter itself is jieba's,
unchanged. tests/test_segment.py checks the tables equal jieba's own.
"""

from __future__ import annotations

import io
import logging
import threading
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_tok: Any = None
_pos: ModuleType | None = None
_tags: dict[str, str] | None = None


def _read_tables(dt: Any) -> tuple[dict[str, int], int, dict[str, str]]:
    """(FREQ, total, word_tag_tab) from jieba's dictionary file, in one pass."""
    freq: dict[str, int] = {}
    tags: dict[str, str] = {}
    frag: dict[str, str] = {}  # prefixes entered with 0: their key object, for the tag table
    tagset: dict[str, str] = {}
    total = 0
    f = dt.get_dict_file()
    try:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip().decode("utf-8")
            try:
                word, n, tag = line.split(" ")
                count = int(n)
            except ValueError:
                raise ValueError(f"invalid dictionary entry at line {lineno}: {line}") from None
            key = frag.pop(word, word)  # a word first seen as a prefix keeps that string
            freq[key] = count
            total += count
            tags[key] = tagset.setdefault(tag, tag)
            for i in range(1, len(word)):
                p = word[:i]
                if p not in freq:
                    freq[p] = 0
                    frag[p] = p
    finally:
        f.close()
    return freq, total, tags


def _load() -> None:
    global _tok, _tags
    import jieba

    jieba.setLogLevel(logging.WARNING)
    dt = jieba.dt
    with dt.lock:
        if not dt.initialized and dt.dictionary == jieba.DEFAULT_DICT:
            dt.FREQ, dt.total, _tags = _read_tables(dt)
            dt.initialized = True
    dt.initialize()  # a no-op once loaded; jieba's own loader for a custom dictionary
    _tok = jieba


def tokenizer() -> Any:
    """The `jieba` module, its default tokenizer (`jieba.dt`) initialised."""
    with _lock:
        if _tok is None:
            _load()
        return _tok


def posseg() -> ModuleType:
    """`jieba.posseg`, its tag table sharing the tokenizer's word strings."""
    global _pos, _tags
    jieba = tokenizer()
    with _lock:
        if _pos is not None:
            return _pos
        import sys

        if "jieba.posseg" in sys.modules or _tags is None:
            import jieba.posseg as pseg  # loaded elsewhere already: share what can be shared

            old = pseg.dt.word_tag_tab
            tagset: dict[str, str] = {}
            pseg.dt.word_tag_tab = {
                k: tagset.setdefault(old[k], old[k]) for k in jieba.dt.FREQ if k in old
            } | {k: v for k, v in old.items() if k not in jieba.dt.FREQ}
        else:
            # jieba.posseg reads dict.txt again at import; give it nothing to read, then
            # hand it the table built beside FREQ.
            jieba.dt.get_dict_file = lambda: io.BytesIO(b"")
            try:
                import jieba.posseg as pseg
            finally:
                del jieba.dt.get_dict_file  # the class's method again
            pseg.dt.word_tag_tab = _tags
        _tags = None
        _pos = pseg
        return pseg
