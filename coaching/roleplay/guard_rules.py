"""The rule engine behind the compliance guard: categories from YAML (`content/guard/`),
Aho-Corasick over normalised text for literal terms, regexes for structured phrases,
negation scope, substring exceptions and optional pinyin matching.

See content/guard/README.md for the file format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick
import yaml

from coaching.normalize import is_cjk, normalize, numerals_to_digits
from coaching.roleplay.guard_pinyin import PinyinMatcher

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "content" / "guard"
SCOPES = ("any", "third_party", "crisis")
SEVERITIES = ("minor", "major")


class GuardConfigError(ValueError):
    """A guard rule file is invalid; the message names the file and the field."""


@dataclass(frozen=True)
class Pattern:
    regex: re.Pattern[str]
    negation: bool = True
    numeric: bool = False  # also matched on the text with Chinese numerals as digits


@dataclass
class Matchers:
    terms: list[str] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)


@dataclass
class Category:
    id: str
    severity: str
    title: dict[str, str]
    rule: dict[str, str]
    scope: str
    matchers: dict[str, Matchers]  # scope → matchers ("any" always applies)
    exceptions: list[str]
    pinyin: list[str]

    def text(self, locale: str) -> str:
        return self.rule.get(locale) or self.rule.get("en") or next(iter(self.rule.values()))


@dataclass(frozen=True)
class Hit:
    rule: str
    start: int  # in the normalised text
    end: int
    matched: str


# Negation cues: a cue in the same clause, shortly before a match, cancels it. Bare 不/没/别
# are not cues: "不还钱就…" is a condition, "别逼我" is a threat.
_NEG_ZH = (
    "不会|不能|不是|不要|不用|不必|无需|不需要|绝不|绝对不|决不|从不|从来不|没有|并不|并非|"
    "请勿|切勿|谨防|警惕|防范|严禁|禁止|不谈|不收|免收|无任何|不相信|别相信|先不|暂停|放一放|不可以|没什么|不存在|不可能|别担心"
)
_NEG_EN = (
    r"\b(?:more than|rather than|instead of|not|never|no|won't|wont|don't|dont|doesn't|"
    r"can't|cannot|isn't|aren't|nobody|no one|nothing|without|beware|neither|nor)\b"
)
_NEG = re.compile(rf"(?:{_NEG_ZH})|{_NEG_EN}")
# "If you don't pay …" is the debtor's condition, not our negation.
_CONDITION = re.compile(
    r"(?:don't|dont|do not|won't|will not|doesn't|refuse to|can't)\s+"
    r"(?:pay|answer|respond|call|pick|reply|settle)"
)
# "做人不能这么没底线" is a reproach, not a negation.
_RHETORIC = re.compile(
    r"(?:不能|不要|不是)(?:这么|这样|那么|那样)|不要以为|不要觉得|不要想|不是吓唬"
    r"|(?:don't|dont|do not) want (?:to|me|us)|(?:can't|cannot|can not) (?:promise|guarantee)"
)
_DEFER = re.compile(
    r"先不谈|不谈|往后放|放一放|先放|不急|不着急|暂停|暂缓|以后再说"
    r"|\b(?:aside|on hold|pause|later)\b"
)
_CLAUSE = re.compile(r"[，。！？；,.!?;:：\n]")
_WINDOW_ZH, _WINDOW_EN = 16, 40
_NUMERIC = re.compile(r"\\d|\[[^\]]*\d-\d")  # a pattern about digits: \d or [0-9]


def _negated(text: str, start: int, end: int, inside: bool) -> bool:
    """A negation cue in the same clause before the match (or inside it, for patterns)."""
    a = start
    while a > 0 and not _CLAUSE.match(text[a - 1]):
        a -= 1
    a = max(a, start - (_WINDOW_EN if text[start:end].isascii() else _WINDOW_ZH))
    if start > 0 and text[start - 1] in "不没未非" and not inside:
        return True  # 不代表法院, 没派人
    b = end
    while b < len(text) and not _CLAUSE.match(text[b]):
        b += 1
    if _DEFER.search(text[end:b]):
        return True  # "还款的事今天先不谈": put off, not demanded
    scope = text[a : end if inside else start]
    for m in _NEG.finditer(scope):
        tail = scope[m.start() :]
        if not _CONDITION.match(tail) and not _RHETORIC.match(tail):
            return True
    return False


def affirmed(text: str) -> str:
    """`text` (normalised) without its negated clauses ("我们不会去您单位找您"), by the same
    cues as the rules: what the second-stage model is asked about."""
    keep = []
    for clause in _CLAUSE.split(text):
        cues = [m for m in _NEG.finditer(clause)]
        if any(
            not _CONDITION.match(clause[m.start() :]) and not _RHETORIC.match(clause[m.start() :])
            for m in cues
        ):
            continue
        keep.append(clause)
    return "，".join(c for c in keep if c.strip())


def _word_ok(text: str, start: int, end: int, term: str) -> bool:
    """English terms match whole words only; Chinese terms anywhere."""
    if is_cjk(term[0]) and is_cjk(term[-1]):
        return True
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    if term[0].isalnum() and before.isascii() and before.isalnum():
        return False
    if term[-1].isalpha() and after == "s":  # plural: "losers", "idiots"
        after = text[end + 1] if end + 1 < len(text) else " "
    return not (term[-1].isalnum() and after.isascii() and after.isalnum())


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    from coaching.segment import tokenizer  # the one jieba load of the process

    return tokenizer()


def _cuts(text: str) -> list[tuple[int, int]]:
    """Spans of the dictionary words the jieba segmenter finds in `text`."""
    jieba = _jieba()
    freq = jieba.dt.FREQ
    return [(a, b) for w, a, b in jieba.tokenize(text) if b - a > 1 and freq.get(w)]


@lru_cache(maxsize=4096)
def _is_word(term: str) -> bool:
    """A dictionary word ("人渣") stands on its own even where the segmenter splits it
    differently ("个人/渣"); only non-words ("妈的") need clean word boundaries."""
    return bool(_jieba().dt.FREQ.get(term))


def _segment_ok(words: list[tuple[int, int]], start: int, end: int) -> bool:
    """A two-character non-word must not cut through a real word: "妈的" is not in "爸妈的"."""
    return not any(a < start < b or a < end < b for a, b in words)


def load_vocab(directory: Path) -> dict[str, str]:
    """Word classes from `_vocab.yaml`, as regex alternations for {NAME} in patterns."""
    path = directory / "_vocab.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = {}
    for name, words in data.items():
        if not isinstance(words, list) or not words:
            raise GuardConfigError(f"{path.name}: {name}: must be a non-empty list")
        alts = sorted((re.escape(_norm(str(w))) for w in words), key=len, reverse=True)
        out[str(name)] = "(?:" + "|".join(alts) + ")"
    return out


_VOCAB_REF = re.compile(r"\{([A-Z][A-Z_]*)\}")


def _expand(src: str, vocab: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in vocab:
            raise GuardConfigError(f"{where}: unknown word class {{{m.group(1)}}}")
        return vocab[m.group(1)]

    return _VOCAB_REF.sub(sub, src)


def _compile(path: Path, raw: Any, where: str, vocab: dict[str, str]) -> Matchers:
    if raw is None:
        return Matchers()
    if not isinstance(raw, dict):
        raise GuardConfigError(f"{path.name}: {where}: must be a mapping with terms/patterns")
    terms = raw.get("terms") or []
    if not isinstance(terms, list) or not all(isinstance(t, str) and t.strip() for t in terms):
        raise GuardConfigError(f"{path.name}: {where}.terms: must be a list of non-empty strings")
    pats = []
    for i, p in enumerate(raw.get("patterns") or []):
        src, neg = (p, True) if isinstance(p, str) else (p.get("re"), p.get("negation", True))
        try:
            rx = re.compile(_expand(str(src), vocab, f"{path.name}: {where}"), re.IGNORECASE)
            pats.append(Pattern(rx, bool(neg), bool(_NUMERIC.search(str(src)))))
        except re.error as exc:
            raise GuardConfigError(f"{path.name}: {where}.patterns[{i}]: {exc}") from exc
    return Matchers([_norm(t) for t in terms], pats)


def _norm(s: str) -> str:
    return normalize(s).text.lower()


def load_category(path: Path, vocab: dict[str, str] | None = None) -> Category:
    vocab = vocab if vocab is not None else load_vocab(path.parent)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise GuardConfigError(f"{path.name}: {exc}") from exc
    if not isinstance(data, dict):
        raise GuardConfigError(f"{path.name}: must be a mapping")
    cid = data.get("id")
    if cid != path.stem:
        raise GuardConfigError(f"{path.name}: id: {cid!r} must match the file name")
    if data.get("severity") not in SEVERITIES:
        raise GuardConfigError(f"{path.name}: severity: must be one of {', '.join(SEVERITIES)}")
    scope = data.get("scope", "any")
    if scope not in SCOPES:
        raise GuardConfigError(f"{path.name}: scope: must be one of {', '.join(SCOPES)}")
    for key in ("title", "rule"):
        val = data.get(key)
        if not isinstance(val, dict) or not {"zh_CN", "en"} <= set(val):
            raise GuardConfigError(f"{path.name}: {key}: needs zh_CN and en texts")
    unknown = (
        set(data)
        - {"id", "severity", "title", "rule", "scope", "terms", "patterns"}
        - {
            "pinyin",
            "exceptions",
            "third_party",
            "crisis",
        }
    )
    if unknown:
        raise GuardConfigError(f"{path.name}: {sorted(unknown)[0]}: unknown field")
    base = {k: data.get(k) for k in ("terms", "patterns")}
    matchers = {"any": _compile(path, base, "match", vocab)}
    for sc in ("third_party", "crisis"):
        matchers[sc] = _compile(path, data.get(sc), sc, vocab)
    return Category(
        id=cid,
        severity=data["severity"],
        title=data["title"],
        rule=data["rule"],
        scope=scope,
        matchers=matchers,
        exceptions=[_norm(e) for e in data.get("exceptions") or []],
        pinyin=[str(t) for t in data.get("pinyin") or []],
    )


class RuleSet:
    """All categories of one directory, with one Aho-Corasick automaton per scope."""

    def __init__(self, categories: list[Category]) -> None:
        self.categories = {c.id: c for c in categories}
        self._auto: dict[str, Any] = {}
        for scope in SCOPES:
            a = ahocorasick.Automaton()
            entries: dict[str, list[str]] = {}
            for c in categories:
                for t in c.matchers[scope].terms:
                    entries.setdefault(t, []).append(c.id)
            for t, ids in entries.items():
                a.add_word(t, (t, tuple(dict.fromkeys(ids))))
            if entries:
                a.make_automaton()
                self._auto[scope] = a
        pins = {_norm(t) for c in categories for t in c.pinyin}
        self._pinyin = PinyinMatcher(
            [
                (t, c.id, len(t) >= 4 or t in pins)
                for c in categories
                for t in c.matchers["any"].terms
            ]
        )

    def _scan(self, scope: str, text: str) -> list[Hit]:
        a = self._auto.get(scope)
        if a is None or not text:
            return []
        out = []
        cuts: list[tuple[int, int]] | None = None
        for end, (term, ids) in a.iter(text):
            start = end - len(term) + 1
            if not _word_ok(text, start, end + 1, term):
                continue
            if len(term) == 2 and is_cjk(term[0]) and is_cjk(term[1]) and not _is_word(term):
                cuts = cuts if cuts is not None else _cuts(text)
                if not _segment_ok(cuts, start, end + 1):
                    continue
            out += [Hit(cid, start, end + 1, term) for cid in ids]
        return out

    def match(self, text: str, scopes: tuple[str, ...] = ("any",)) -> list[Hit]:
        norm = _norm(text)
        # Spaces inside Chinese words are already gone; also drop them next to Latin
        # letters so "傻 B" and "sha bi" forms meet their terms.
        compact = re.sub(r"\s+", "", norm)
        digits = numerals_to_digits(norm)
        hits: list[Hit] = []
        for scope in scopes:
            for h in self._scan(scope, norm):
                if not _negated(norm, h.start, h.end, inside=False):
                    hits.append(h)
            for h in self._scan(scope, compact):
                if any(is_cjk(c) for c in h.matched) and not _negated(
                    compact, h.start, h.end, inside=False
                ):
                    hits.append(Hit(h.rule, -1, -1, h.matched))
            for c in self.categories.values():
                for p in c.matchers[scope].patterns:
                    for variant in (norm, digits) if p.numeric else (norm,):
                        m = p.regex.search(variant)
                        if m and not (p.negation and _negated(variant, m.start(), m.end(), True)):
                            hits.append(Hit(c.id, m.start(), m.end(), m.group(0)))
                            break
        for rule, a, b, matched in self._pinyin.scan(norm):
            if not _negated(norm, a, b, inside=False):
                hits.append(Hit(rule, a, b, matched))
        return [h for h in hits if not self._excepted(norm, h)]

    def _excepted(self, norm: str, h: Hit) -> bool:
        """An exception phrase that overlaps the match cancels it ("垃圾分类", "发给我们")."""
        for e in self.categories[h.rule].exceptions:
            if h.start < 0:
                if e in norm and h.matched in e:
                    return True
                continue
            i = norm.find(e)
            while i >= 0:
                if i < h.end and h.start < i + len(e):
                    return True
                i = norm.find(e, i + 1)
        return False


@lru_cache(maxsize=4)
def load_rules(directory: Path = DEFAULT_DIR) -> RuleSet:
    files = sorted(p for p in directory.glob("*.yaml") if not p.name.startswith("_"))
    if not files:
        raise GuardConfigError(f"{directory}: no guard rule files")
    vocab = load_vocab(directory)
    return RuleSet([load_category(p, vocab) for p in files])
