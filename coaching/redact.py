"""The one PII redactor: every text that leaves the building or is stored as free text.

Used by the LLM client's choke point (`coaching.llm.LLMClient._prepare`), role-play lines,
summaries and tips, `/ask` questions and answers, QA finding notes and free-text import
columns at ingest, and the import rejects file.

`redact(text)` replaces personal data with readable numbered placeholders (`[姓名1]`,
`[手机1]`, `[身份证1]` …). A `Redactor` keeps the numbering across calls, so one
conversation gets consistent placeholders (the same phone is `[手机1]` every time).
Detection runs on normalised text (`coaching.normalize`: full-width, zero-width and inner
spaces, traditional characters, Chinese digits) and the replacement is mapped back onto the
original characters, so amounts, dates, times, percentages and reference numbers stay
exactly as written. The detectors live in `coaching.pii_detect` / `coaching.pii_names`.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from coaching.normalize import normalize
from coaching.pii_detect import Hit, detect, id_checksum, is_valid_id, luhn_ok

__all__ = [
    "LABELS",
    "Redactor",
    "Span",
    "contains_pii",
    "find_pii",
    "id_checksum",
    "is_valid_id",
    "luhn_ok",
    "redact",
]

LABELS = {
    "name": "姓名",
    "mobile": "手机",
    "phone": "电话",
    "id": "身份证",
    "card": "银行卡",
    "email": "邮箱",
    "qq": "QQ",
    "wechat": "微信",
    "plate": "车牌",
    "address": "地址",
    "number": "号码",
}
# When two detectors claim overlapping text, the more specific one wins.
_RANK = {
    "email": 0,
    "id": 1,
    "card": 2,
    "wechat": 3,
    "qq": 4,
    "mobile": 5,
    "phone": 6,
    "plate": 7,
    "address": 8,
    "name": 9,
    "number": 10,
}


@dataclass(frozen=True)
class Span:
    start: int  # offsets in the original text
    end: int
    kind: str
    value: str


def _resolve(hits: list[Hit]) -> list[Hit]:
    """Non-overlapping hits: specific kinds first, then longer spans; an address absorbs a
    name inside it (a street named after a person is still the address)."""
    order = sorted(hits, key=lambda h: (_RANK[h.kind], -(h.end - h.start), h.start))
    chosen: list[Hit] = []
    for h in order:
        clash = [c for c in chosen if h.start < c.end and c.start < h.end]
        if not clash:
            chosen.append(h)
        elif h.kind == "address" and all(c.kind == "name" for c in clash):
            chosen = [c for c in chosen if c not in clash] + [h]
    return sorted(chosen, key=lambda h: h.start)


def _kept(norm: str, keep: Iterable[str]) -> list[tuple[int, int]]:
    """Where the allow-listed fixed names (role-play personas such as "王先生") occur."""
    out = []
    for k in keep:
        k = normalize(k, digits=True).text
        i = norm.find(k) if k else -1
        while i >= 0:
            out.append((i, i + len(k)))
            i = norm.find(k, i + 1)
    return out


# Found spans by a digest of (text, names, keep): the LLM client redacts the whole prompt on
# every call, so a 20-turn drill ran the name finder (jieba) on the same transcript lines
# ~460 times, 12 ms each. Only positions and kinds are kept, never the text or its values:
# the memo holds no personal data.
MEMO_SIZE = 4096
_memo: OrderedDict[bytes, tuple[tuple[int, int, str], ...]] = OrderedDict()
_memo_lock = threading.Lock()


def find_pii(text: str, known_names: Iterable[str] = (), keep: Iterable[str] = ()) -> list[Span]:
    """Personal data in `text`, as spans of the original text. A name found inside one of
    the `keep` strings (the fictional persona of a training scenario) is not personal data."""
    if not text:
        return []
    names, kept = tuple(known_names), tuple(keep)
    key = hashlib.blake2b(repr((text, names, kept)).encode(), digest_size=20).digest()
    with _memo_lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
    if found is None:
        found = tuple((sp.start, sp.end, sp.kind) for sp in _find_pii(text, names, kept))
        with _memo_lock:
            _memo[key] = found
            if len(_memo) > MEMO_SIZE:
                _memo.popitem(last=False)
    return [Span(a, b, kind, text[a:b]) for a, b, kind in found]


def _find_pii(text: str, known_names: tuple[str, ...], keep: tuple[str, ...]) -> list[Span]:
    norm = normalize(text, digits=True)
    names = tuple(normalize(n).text for n in known_names if n)
    kept = _kept(norm.text, keep)
    out = []
    for h in _resolve(detect(norm.text, names)):
        if h.kind == "name" and any(a <= h.start and h.end <= b for a, b in kept):
            continue
        a, b = norm.span(h.start, h.end)
        if b > a:
            out.append(Span(a, b, h.kind, text[a:b]))
    return out


@dataclass
class Redactor:
    """Placeholders numbered consistently across every text of one conversation."""

    known_names: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    _seen: dict[tuple[str, str], int] = field(default_factory=dict)
    _count: dict[str, int] = field(default_factory=dict)

    def _label(self, span: Span) -> str:
        # Keyed by a digest of the normalised value: the raw value is not kept.
        norm = normalize(span.value, digits=True).text
        key = (span.kind, hashlib.sha256("".join(norm.split()).lower().encode()).hexdigest())
        if key not in self._seen:
            self._count[span.kind] = self._count.get(span.kind, 0) + 1
            self._seen[key] = self._count[span.kind]
        return f"[{LABELS[span.kind]}{self._seen[key]}]"

    def redact(self, text: str) -> str:
        if not text:
            return text
        out, last = [], 0
        for sp in find_pii(text, self.known_names, self.keep):
            out.append(text[last : sp.start])
            out.append(self._label(sp))
            last = sp.end
        out.append(text[last:])
        return "".join(out)


def redact(text: str, known_names: Iterable[str] = (), keep: Iterable[str] = ()) -> str:
    """`text` with every name, phone, ID and card number, e-mail, QQ/WeChat ID, plate and
    address replaced by a numbered placeholder (numbering restarts for each call). `keep`:
    fixed fictional names (scenario personas) that stay as written."""
    return Redactor(tuple(known_names), tuple(keep)).redact(text)


def contains_pii(text: str) -> bool:
    return bool(find_pii(text))
