"""The compliance guard: checks every collector line before any LLM sees it.

The rule layer is deterministic: categories, severities, the rule text shown to the trainee
and the words and patterns are data (`content/guard/*.yaml`, see its README), matched by
`coaching.roleplay.guard_rules` on normalised text (full-width, traditional, spaced-out and
pinyin spellings meet the same terms; negations such as "我们不会去您单位找您" do not fire).
Behind the rules, a second-stage model (`coaching.roleplay.guard_model`, an n-gram linear
model trained from the labelled sets by `bench/train_guard.py`) catches paraphrases the rules
never saw; its findings carry `layer="model"` and count like rule findings.
A major finding is a veto: it fails the drill. The LLM check (`prompts/compliance_check.j2`)
returns the same `Violation` type with `layer="llm"`, so both lists merge as they are.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from coaching.roleplay.guard_model import GuardModel, default_model
from coaching.roleplay.guard_rules import DEFAULT_DIR, Hit, RuleSet, load_rules
from coaching.roleplay.scenarios import Scenario

ALLOWED_HOURS = (8, 21)  # calls only 08:00–21:00 local time (the strictest common profile)

# A line that itself speaks of self-harm puts the guard in crisis mode even outside a
# crisis scenario (the debtor said it a turn earlier; the collector repeats it).
_SELF_HARM = re.compile(r"自杀|想死|寻死|轻生|跳楼|不想活|suicide|kill yourself|self-harm", re.I)


def _rules() -> RuleSet:
    return load_rules(DEFAULT_DIR)


RULE_IDS = (*_rules().categories.keys(), "off_hours")
SEVERITY = {**{c.id: c.severity for c in _rules().categories.values()}, "off_hours": "minor"}
_OFF_HOURS_TEXT = {
    "zh_CN": "只能在当地时间 08:00–21:00 之间联系债务人。",
    "en": "Contact debtors only between 08:00 and 21:00 local time.",
}


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str  # minor / major
    layer: str  # rules / model (second stage, guard_model.py) / llm
    excerpt: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def veto(self) -> bool:
        return self.severity == "major"


def rule_text(rule: str, locale: str = "zh_CN") -> str:
    """The rule as shown to the trainee (from the category's YAML file)."""
    if rule == "off_hours":
        return _OFF_HOURS_TEXT.get(locale, _OFF_HOURS_TEXT["en"])
    c = _rules().categories.get(rule)
    return c.text(locale) if c else ""


def rule_title(rule: str, locale: str = "zh_CN") -> str:
    c = _rules().categories.get(rule)
    return (c.title.get(locale) or c.title.get("en", rule)) if c else rule


def _excerpt(text: str, h: Hit) -> str:
    if h.start < 0:
        return h.matched
    a, b = max(0, h.start - 8), min(len(text), h.end + 8)
    return text[a:b].strip()


def check_text(
    text: str,
    *,
    third_party: bool = False,
    crisis: bool = False,
    local_hour: int | None = None,
    rules: RuleSet | None = None,
    model: GuardModel | str | None = "default",
) -> list[Violation]:
    """Rule-layer violations in one collector line, one per category.

    `third_party`: the line is spoken to someone other than the debtor (any debt detail is
    then a disclosure). `crisis`: the debtor has mentioned self-harm. `local_hour`: the
    debtor's local hour at the first contact (outside 08–21 is `off_hours`). `model`: the
    second-stage detector (`guard_model`; "default" = the shipped one, None = rules only);
    it adds categories the rules missed, with `layer="model"`."""
    rs = rules or _rules()
    scopes = ["any"]
    if third_party:
        scopes.append("third_party")
    if crisis or _SELF_HARM.search(text):
        scopes.append("crisis")
    found: dict[str, Violation] = {}
    norm_text = text
    for h in rs.match(text, tuple(scopes)):
        if h.rule not in found:
            sev = rs.categories[h.rule].severity
            found[h.rule] = Violation(h.rule, sev, "rules", _excerpt(norm_text, h))
    gm = default_model() if model == "default" else model
    if isinstance(gm, GuardModel) and (rules is None or model != "default"):
        crisis_ctx = "crisis" in scopes
        for cat, _p in gm.predict(text, third_party=third_party, crisis=crisis_ctx).items():
            if cat not in found and cat in rs.categories:
                sev = rs.categories[cat].severity
                found[cat] = Violation(cat, sev, "model", text.strip()[:40])
    out = list(found.values())
    if local_hour is not None:
        lo, hi = ALLOWED_HOURS
        if not lo <= local_hour < hi:
            out.append(Violation("off_hours", "minor", "rules", f"{local_hour:02d}:00"))
    return out


def check_rules(text: str, scenario: Scenario, *, first_turn: bool = False) -> list[Violation]:
    """Rule-layer violations in one collector line (already redacted)."""
    found = check_text(text, third_party=scenario.third_party, crisis=scenario.crisis)
    lo, hi = ALLOWED_HOURS
    if first_turn and not (lo <= scenario.local_hour < hi):
        found.append(Violation("off_hours", "minor", "rules", scenario.local_time))
    return found
