"""Semantic checks of model answers: schema-valid is not enough.

Small models echo the JSON skeleton they were shown (`"string"`, `0`), repeat one string in
every field, copy the prompt's own examples, answer in the wrong language or refuse. Each
check returns a list of short problems in English (they go back to the model in the repair
message); an empty list means the answer is usable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

# Type names and skeleton fillers a model may echo as values.
PLACEHOLDERS = {
    "string",
    "str",
    "text",
    "integer",
    "int",
    "number",
    "float",
    "boolean",
    "bool",
    "null",
    "...",
    "…",
    "example",
    "your answer",
    "<string>",
    "todo",
    "n/a",
}

_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_REFUSAL = re.compile(
    r"\b(i('| a)m sorry,? but|i can(no|')t (help|assist|comply|do that|provide)|i am unable to|"
    r"as an ai( language model)?|i('| wi)ll not (help|engage))\b|"
    # Chinese: only model-speak, so a debtor's "我无法提供收入证明" is not a refusal.
    r"作为(一个)?(人工智能|AI|语言模型)|我是(一个)?(AI|人工智能)(助手|模型)?|"
    r"我(无法|不能)(继续)?扮演|(无法|不能)(协助|满足)(你|您)的?(请求|要求)",
    re.I,
)


def norm(s: str) -> str:
    """Letters and digits only, lower case: quotes may differ in spaces and punctuation."""
    return re.sub(r"[\W_]+", "", s).lower()


def strings_of(obj: Any, path: str = "") -> Iterable[tuple[str, str]]:
    """(field path, value) of every string in a model or nested structure."""
    if isinstance(obj, BaseModel):
        for k in type(obj).model_fields:
            yield from strings_of(getattr(obj, k), f"{path}.{k}" if path else k)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from strings_of(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            yield from strings_of(v, f"{path}[{i}]")
    elif isinstance(obj, str):
        yield path, obj


def field_names(model: type[BaseModel]) -> set[str]:
    out: set[str] = set()
    for name, f in model.model_fields.items():
        out.add(name.lower())
        t = f.annotation
        if isinstance(t, type) and issubclass(t, BaseModel):
            out |= field_names(t)
    return out


def is_placeholder(value: str, keys: set[str], examples: Iterable[str] = ()) -> bool:
    v = value.strip().strip("\"'“”<>[]{}").strip().lower()
    if not v:
        return False  # emptiness is decided per field by the caller
    if v in PLACEHOLDERS or v in keys or v.replace(" ", "_") in keys:
        return True
    return any(norm(value) == norm(e) for e in examples if e)


def placeholder_problems(
    obj: BaseModel,
    *,
    required: Iterable[str] = (),
    examples: Iterable[str] = (),
    distinct: Iterable[str] = (),
) -> list[str]:
    """Echoed type names/keys, the prompt's examples, empty `required` fields and one string
    repeated in every `distinct` field (dotted paths, `[*]` for every list item)."""
    keys = field_names(type(obj))
    ex = list(examples)
    problems: list[str] = []
    values = dict(strings_of(obj))
    for path, v in values.items():
        if is_placeholder(v, keys, ex):
            problems.append(f"{path} is a placeholder ({v.strip()[:30]!r}), not real content")
    for path in required:
        hits = [(p, v) for p, v in values.items() if _match(path, p)]
        for p, v in hits:
            if not v.strip():
                problems.append(f"{p} is empty")
    group = [v.strip() for p, v in values.items() if any(_match(d, p) for d in distinct)]
    if len(group) >= 3 and len({norm(g) for g in group}) == 1:
        problems.append("the same text was repeated in every field")
    return problems


def _match(pattern: str, path: str) -> bool:
    rx = re.escape(pattern).replace(r"\[\*\]", r"\[\d+\]").replace(r"\*", r"[^.]+")
    return re.fullmatch(rx, path) is not None


def wrong_language(text: str, locale: str) -> bool:
    """True when text meant for `locale` is plainly in the other language."""
    t = text.strip()
    if not t:
        return False
    cjk, latin = len(_CJK.findall(t)), len(_LATIN.findall(t))
    if locale.startswith("zh"):
        return cjk == 0 and latin >= 3
    return cjk > latin / 2


def is_refusal(text: str) -> bool:
    return _REFUSAL.search(text) is not None


def in_transcript(quote: str, lines: Iterable[str]) -> bool:
    q = norm(quote.strip().strip("“”\"'"))
    return not q or any(q in norm(ln) for ln in lines)


def _pairs(s: str) -> set[str]:
    return {s[i : i + 2] for i in range(len(s) - 1)}


def snap_quote(quote: str, lines: Iterable[str], floor: float = 0.75) -> str | None:
    """The trainee's own words for a model's quote, or None when the quote is not theirs.

    The quote as given when it occurs in a line (spaces and punctuation aside). Otherwise the
    whole line it nearly matches: small models drop, add or swap a character or two when
    copying Chinese (seen on a 1.5B model: every grading answer rejected for that alone), so a
    line holding at least `floor` of the quote's character pairs (quote of 4+ letters) stands
    in for it. A quote of someone else's line, or an invented one, matches nothing: None."""
    q = norm(quote.strip().strip("“”\"'「」<>"))
    lines = list(lines)
    if not q:
        return ""
    if any(q in norm(ln) for ln in lines):
        return quote.strip().strip("“”\"'「」<>").strip()
    pairs = _pairs(q)
    if len(q) < 4 or not pairs:
        return None
    best, share = None, 0.0
    for ln in lines:
        got = len(pairs & _pairs(norm(ln))) / len(pairs)
        if got > share:
            best, share = ln, got
    return best.strip() if best is not None and share >= floor else None


_CLAUSE = re.compile(r"[，。！？；、,.!?;（）()【】\[\]]")


def cut_leak(reply: str, instructions: str, run: int = 8) -> str:
    """The reply up to where it starts copying its instructions. A small model playing the
    debtor wrote the prompt's stage directions into its line (seen on Qwen2.5-1.5B: "现在靠
    打零工（只有当催收员认真、礼貌地问到…"); a clause sharing `run` letters in a row with
    the instructions is where the line ends. `instructions` must leave out what the role may
    say (its facts, its opening line)."""
    inst = norm(instructions)
    if len(inst) < run:
        return reply
    runs = {inst[i : i + run] for i in range(len(inst) - run + 1)}
    pos = 0
    for clause in _CLAUSE.split(reply):
        n = norm(clause)
        if any(n[i : i + run] in runs for i in range(len(n) - run + 1)):
            return reply[:pos].rstrip(" （(【[，、,")
        pos += len(clause) + 1
    return reply


def parrots(reply: str, other: str, share: float = 0.8) -> bool:
    """A reply that mostly repeats the other side's last line (a small model echoing)."""
    r = norm(reply)
    pairs = _pairs(r)
    if len(r) < 6 or not pairs:
        return False
    return len(pairs & _pairs(norm(other))) / len(pairs) >= share
