"""Probe values for rendering every message template: each field a template may print is
filled with the internal form the code really holds (role keys, time-zone ids, slugs, enum
values, raw targets, HTML-special characters), so a template that shows it raw is caught."""

from __future__ import annotations

import re
from typing import Any

# Attribute/argument name → the raw value the code hands to templates.
RAW: dict[str, Any] = {
    "timezone": "Asia/Shanghai",
    "tz": "Asia/Shanghai",
    "roles": ["collector", "team_lead", "hr"],
    "role": "collector",
    "slug": "compliance_exam",
    "qkey": "m01",
    "target": "person:C0001",
    "target_type": "remedial",
    "group": "all",
    "band": "2y+",
    "months": 0,
    "kind": "quiz",
    "level": "high",
    "category": "personal",
    "selector": "promises",
    "bucket": "M3",
    "competency": "compliance",
    "criterion": "empathy",
    "outcome": "hangup",
    "action": "contacted",
    "awaiting": "category",
    "status": "open",
    "when": "today",
    "code": "unknown_person",
    "error": "bad_button",
    "improve": "recovery",
    "arrow": "up",
    "purpose": "hr_alerts",
    "locale": "zh_CN",
    "n": 1,
    "count": 12,
    "top": 3,
    "limit": 3,
    "total": 30,
    "index": 0,
    "passed": False,
    "name": "李<四>&",
    "title": "合规 & <必修> 考试",
    "text": "A & B <c>",
    "value": "team:SH-1",
    "veto_reason": "private_collection: 私下收款",
    # Amounts are Decimals in the branch's currency (coaching/scoring/money.py).
    "amount": 12345.67,
    "promise_amount": 2000,
    "repaid": 9999.99,
    "currency": "CNY",
}

# Visible text must never contain these, in any language.
ALWAYS = [
    re.compile(r"Asia/\w+"),
    re.compile(r"\bteam_lead\b|\bnew_hires\b|\bhr_alerts\b"),
    re.compile(r"\bcompliance_exam\b"),
    re.compile(r"\bm01\b"),
    re.compile(r"\b2y\+|\b0-1m\b"),
    re.compile(r"\bperson:C\d+"),
    re.compile(r"private_collection:"),
    re.compile(r"&(amp|lt|gt|quot|#\d+);"),
]
# In Chinese text any of these lower-case keys is an internal token.
ZH_ONLY = [
    re.compile(r"(?<![\w/])(collector|hr|admin|trainer|path|remedial|all|quiz|course)(?![\w/])"),
    re.compile(r"入职 0 个月"),
    re.compile(r"（1 处）"),
]


def visible(html: str, *, usage: bool = False) -> str:
    """What a Telegram client shows: tags removed, entities decoded once. Command syntax the
    reader types (<code>…</code>, and "/cmd args" in a help line) is left out of the check."""
    import html as h

    html = re.sub(r"<code>.*?</code>", "", html, flags=re.S)
    if usage:
        html = re.sub(r"/[a-z_]+(?: [\w\[\]|]+)*", "", html)
    return h.unescape(re.sub(r"<[^>]+>", "", html))


def leaks(text: str, locale: str, *, usage: bool = False) -> list[str]:
    shown = visible(text, usage=usage)
    found = [m.group(0) for p in ALWAYS for m in p.finditer(shown)]
    # An entity that survives one decode was escaped twice.
    found += [m.group(0) for m in ALWAYS[-1].finditer(shown)]
    if locale == "zh_CN":
        found += [m.group(0) for p in ZH_ONLY for m in p.finditer(shown)]
    return found


class Probe:
    """Stands for any object or value a template reads; unknown fields are numbers (3) or
    lists of two probes when iterated."""

    def __init__(self, name: str = "x", depth: int = 0) -> None:
        self._name = name
        self._depth = depth

    def _child(self, key: str) -> Any:
        if key in RAW:
            return RAW[key]
        if self._depth > 6:
            return 3
        return Probe(key, self._depth + 1)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self._child(key)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return [Probe(self._name, self._depth + 1) for _ in range(2)][key]
        if isinstance(key, int):
            return Probe(self._name, self._depth + 1)
        return self._child(str(key))

    def __iter__(self) -> Any:
        return iter([Probe(self._name, self._depth + 1) for _ in range(2)])

    def items(self) -> list[tuple[str, Any]]:
        return [
            ("compliance", Probe("c", self._depth + 1)),
            ("communication", Probe("m", self._depth + 1)),
        ]

    def values(self) -> list[Any]:
        return ["2026-03-20 23:59"]

    def get(self, key: Any, default: Any = None) -> Any:
        return self[key]

    def __len__(self) -> int:
        return 2

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        return "示例"

    def __html__(self) -> str:
        return "示例"

    def __float__(self) -> float:
        return 3.0

    def __int__(self) -> int:
        return 3

    def __index__(self) -> int:
        return 3

    def __round__(self, n: int = 0) -> float:
        return 3.0

    def __hash__(self) -> int:
        return hash(self._name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Probe) and other._name == self._name

    def __lt__(self, other: Any) -> bool:
        return other > 3

    def __gt__(self, other: Any) -> bool:
        return other < 3

    def __le__(self, other: Any) -> bool:
        return other >= 3

    def __ge__(self, other: Any) -> bool:
        return other <= 3

    def __add__(self, other: Any) -> Any:
        return 3 + other if not isinstance(other, str) else f"3{other}"

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return 3 - other

    def __rsub__(self, other: Any) -> Any:
        return other - 3

    def __mul__(self, other: Any) -> Any:
        return 3 * other

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return 3 / other

    def __call__(self, *a: Any, **kw: Any) -> Any:
        return "3%"
