"""Second-stage compliance detector: a linear model over character, word and pinyin n-grams.

The rule files (`content/guard/*.yaml`) catch the phrases a compliance officer wrote down;
paraphrases ("难保哪天出门不会磕着碰着"), homophones ("发院") and mixed English slip past
them. This model generalises from the labelled lines in `bench/data/` (one-vs-rest logistic
regression per category, trained by `bench/train_guard.py`, which writes
`content/guard/model.json`). Scoring is plain Python over the shipped weights: no
scikit-learn at run time, no pickles, deterministic.

Features of a line (after `coaching.normalize`, lower case, redaction placeholders folded
to one symbol): character 1–4-grams, English word 1–2-grams, and toneless-pinyin syllable
1–2-grams of the Chinese text (so "发院", "fa yuan" and "法院" share features). Binary
features, L2-normalised by the number of distinct n-grams.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from coaching.normalize import is_cjk, normalize_text

DEFAULT_MODEL = Path(__file__).resolve().parents[2] / "content" / "guard" / "model.json"
_PLACEHOLDER = re.compile(r"\[[^\[\]\s]{1,6}\d{1,3}\]")
_WORD = re.compile(r"[a-z][a-z'\-]*|\d+")
_SPACE = re.compile(r"\s+")
# The head that asks "is this line a violation at all?": more examples than any category,
# so it generalises further; its finding is filed under the best-scoring category.
ANY = "_any"


@cache
def _pinyin(ch: str) -> str:
    from coaching.roleplay.guard_pinyin import pypinyin

    py = pypinyin()
    # errors="ignore" drops a character with no reading (about 900 rare ones in U+3400-U+9FFF):
    # it then adds no syllable rather than failing the line.
    got = py.pinyin(ch, style=py.Style.NORMAL, errors="ignore") if ch else []
    return got[0][0] if got and got[0] else ""


def features(text: str) -> set[str]:
    """The n-gram features of one line (shared by training and scoring)."""
    t = _PLACEHOLDER.sub("§", normalize_text(text).lower())
    t = _SPACE.sub(" ", t).strip()
    out: set[str] = set()
    for n in (1, 2, 3, 4):
        for i in range(len(t) - n + 1):
            g = t[i : i + n]
            if n == 1 and not is_cjk(g):
                continue
            if g.strip() == g or n > 2:
                out.add(g)
    words = _WORD.findall(t)
    out.update(f"w:{w}" for w in words)
    out.update(f"w:{a} {b}" for a, b in pairwise(words))
    # Syllables: Chinese characters as pinyin, Latin words as typed (pinyin spellings).
    syl: list[str] = []
    for tok in re.findall(r"[\u3400-\u9fff]|[a-z]+", t):
        syl.append(_pinyin(tok) if len(tok) == 1 and is_cjk(tok) else tok)
    syl = [s for s in syl if s]
    out.update(f"p:{s}" for s in syl)
    out.update(f"p:{a} {b}" for a, b in pairwise(syl))
    return out


def line_features(text: str) -> set[str]:
    """Features of the line's affirmed clauses (training and scoring alike)."""
    from coaching.roleplay.guard_rules import affirmed

    return features(affirmed(normalize_text(text).lower()))


@dataclass(frozen=True)
class Head:
    """One category's weights and the decision threshold picked on held-out folds."""

    bias: float
    threshold: float
    weights: dict[str, float]
    scope: str  # any | third_party | crisis

    def score(self, feats: set[str]) -> float:
        if not feats:
            return 0.0
        z = self.bias + sum(self.weights.get(f, 0.0) for f in feats) / math.sqrt(len(feats))
        return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class GuardModel:
    heads: dict[str, Head]
    meta: dict

    def predict(
        self, text: str, *, third_party: bool = False, crisis: bool = False
    ) -> dict[str, float]:
        """Categories whose score reaches their threshold, with the score. Negated clauses
        are left out first (a linear model cannot see that "不会" turns a threat around)."""
        feats = line_features(text)
        out: dict[str, float] = {}
        scores: dict[str, float] = {}
        for cat, h in self.heads.items():
            if (h.scope == "third_party" and not third_party) or (
                h.scope == "crisis" and not crisis
            ):
                continue
            p = scores[cat] = h.score(feats)
            if p >= h.threshold and cat != ANY:
                out[cat] = p
        anyh = self.heads.get(ANY)
        if not out and anyh is not None and scores[ANY] >= anyh.threshold:
            rest = {c: p for c, p in scores.items() if c != ANY}
            if rest:
                best = max(rest, key=lambda c: rest[c] / max(self.heads[c].threshold, 1e-6))
                out[best] = scores[ANY]
        return out


class GuardModelError(ValueError):
    pass


def load_model(path: Path = DEFAULT_MODEL) -> GuardModel | None:
    """The shipped model, or None when there is none (the rules then work alone)."""
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        heads = {
            cat: Head(
                float(h["bias"]), float(h["threshold"]), dict(h["weights"]), h.get("scope", "any")
            )
            for cat, h in raw["heads"].items()
        }
    except (ValueError, KeyError, TypeError) as e:
        raise GuardModelError(f"{path}: not a guard model ({e})") from e
    return GuardModel(heads, raw.get("meta", {}))


@cache
def default_model() -> GuardModel | None:
    return load_model(DEFAULT_MODEL)
