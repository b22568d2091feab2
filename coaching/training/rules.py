"""The configured compliance rule, as training content states it.

Quizzes and courses say `{max_calls}`, `{counted}` ("拨打" / "接通"), `{counted_note}` and
`{hours}` instead of hard-coding "3 connected calls a day": the import fills them from the
rule profile the automatic QA check uses (coaching.compliance_auto), so the exam teaches what
the rule counts. `coachbot content lint` flags a rule stated any other way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coaching.compliance_auto import PROFILES, RuleProfile, rules_from_settings


@dataclass(frozen=True)
class RuleFacts:
    profile: str
    max_calls: int
    connected_only: bool  # True: only connected calls count; False: every dial attempt
    hours: str  # "08:00–21:00"

    @property
    def counted(self) -> str:
        return "接通" if self.connected_only else "拨打"

    @property
    def counted_note(self) -> str:
        return "只算接通的电话" if self.connected_only else "每次拨打都算，无论是否接通"


def facts(profile: RuleProfile) -> RuleFacts:
    return RuleFacts(
        profile=profile.name,
        max_calls=profile.max_calls,
        connected_only=profile.count_outcomes is not None,
        hours=f"{profile.start:%H:%M}–{profile.end:%H:%M}",
    )


DEFAULT = facts(PROFILES["default"])


def from_settings(settings: Any, name: str = "default") -> RuleFacts:
    profiles = rules_from_settings(settings)
    if name not in profiles:
        raise ValueError(f"no rule profile {name!r} (one of {', '.join(profiles)})")
    return facts(profiles[name])


def fill(text: str, f: RuleFacts) -> str:
    """The text with the rule placeholders replaced."""
    values = {
        "{max_calls}": str(f.max_calls),
        "{max_calls_x2}": str(f.max_calls * 2),
        "{max_calls_plus}": str(f.max_calls + 2),
        "{counted}": f.counted,
        "{counted_note}": f.counted_note,
        "{hours}": f.hours,
    }
    for k, v in values.items():
        text = text.replace(k, v)
    return text


# A sentence that states a daily call limit: "最多 / 不超过 / 上限 … 次".
_SENTENCE = re.compile(r"[^。；;！？?\n]+")
_LIMIT = re.compile(r"最多|不超过|不得超过|上限|至多")
_PER_DAY = re.compile(r"每天|每日|一天|当天|每个自然日")
_NUMBER = re.compile(r"(\d+)\s*次")


def misstatements(text: str, f: RuleFacts) -> list[str]:
    """Sentences stating the daily call limit differently from the configured rule
    (text as written, placeholders not yet filled: a placeholder is always right)."""
    out = []
    for m in _SENTENCE.finditer(text):
        s = m.group(0)
        if not (_LIMIT.search(s) and _PER_DAY.search(s) and "次" in s):
            continue
        if "{counted}" in s or "{max_calls" in s:
            continue
        says_connected = "接通" in s
        says_attempts = bool(re.search(r"拨打|呼叫|拨号", s))
        if says_connected and not f.connected_only:
            out.append(
                f"“{s.strip()}” counts connected calls; the {f.profile} rule counts "
                f"every dial attempt (use {{counted}} / {{max_calls}})"
            )
        elif says_attempts and f.connected_only:
            out.append(
                f"“{s.strip()}” counts dial attempts; the {f.profile} rule counts "
                f"connected calls (use {{counted}} / {{max_calls}})"
            )
        for n in _NUMBER.findall(s):
            if int(n) != f.max_calls and (says_connected or says_attempts):
                out.append(
                    f"“{s.strip()}” says {n}; the {f.profile} rule allows "
                    f"{f.max_calls} (use {{max_calls}})"
                )
    return out
