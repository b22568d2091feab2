"""The compliance guard: checks every collector line before any LLM sees it.

The rule layer below is deterministic (Chinese and English patterns) and is what caps the
compliance score; a major rule fails the drill. The LLM check (`prompts/compliance_check.j2`)
adds findings the patterns miss; those are flagged and shown to the grader but never decide.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from coaching.roleplay.scenarios import Scenario

ALLOWED_HOURS = (8, 21)  # calls only 08:00–21:00 local time (the strictest common profile)

# rule id → (severity, patterns); patterns are matched case-insensitively.
_I = re.IGNORECASE

RULES: dict[str, tuple[str, list[re.Pattern[str]]]] = {
    "threat": (
        "major",
        [
            re.compile(r"(去|到|上)(你|您)(的)?(单位|公司|家|老家|学校|村).{0,4}(找|堵|闹|等)", _I),
            re.compile(r"派人.{0,4}(上门|过去|去你|找你)|上门(找你|收拾|讨债)"),
            re.compile(r"找(你|您)(的)?(家人|父母|老婆|老公|孩子|领导|同事|亲戚|朋友)"),
            re.compile(r"让你好看|弄死|打断你|不得好死|后果自负|走着瞧|你等着|小心(你的|你家|点)"),
            re.compile(r"(曝光|公开)(你|您)|通讯录.{0,6}(群发|打给|发给)"),
            re.compile(
                r"\b(we('| a)re|we will|i('| a)m going to|i will)\b.{0,20}\b(come to|visit|show up"
                r" at) your (home|house|work|office|workplace)",
                _I,
            ),
            re.compile(
                r"\b(send (someone|people|guys)|you('| wi)ll regret|or else|hurt you)\b", _I
            ),
            re.compile(
                r"\b(call|tell|contact) your (boss|employer|family|parents|wife|husband)", _I
            ),
        ],
    ),
    "impersonation": (
        "major",
        [
            re.compile(
                r"(我|我们|这里|这边)(是|来自|代表)?.{0,3}(公安|警察|派出所|检察院|法院|律师)"
            ),
            re.compile(r"(公安局|派出所|检察院|法院|律师事务所|律所)的(?!(判决|通知|程序))"),
            re.compile(
                r"\b(i am|i'm|we are|we're|this is)\b.{0,15}\b(police|officer|court|judge|attorney"
                r"|lawyer|sheriff|prosecutor)",
                _I,
            ),
        ],
    ),
    "false_legal": (
        "major",
        [
            re.compile(r"抓(你|您|人)|坐牢|拘留你|判(你|刑)|通缉|蹲监狱|进监狱|刑事责任|已经立案"),
            re.compile(
                r"(冻结|查封).{0,6}(全家|家人|所有|你父母)|(子女|孩子).{0,8}(上不了学|不能上学|考公|当兵)"
            ),
            re.compile(r"\b(arrest(ed)?|jail|prison|criminal charges?|warrant)\b", _I),
            re.compile(r"\b(seize|garnish)\b.{0,20}\b(house|home|car|family)", _I),
        ],
    ),
    "insult": (
        "major",
        [
            re.compile(
                r"傻[逼比屄]|操你|妈的|去死|滚蛋|人渣|不要脸|废物|垃圾人|王八蛋|骗子|无赖|臭"
            ),
            re.compile(r"\b(fuck|shit|bitch|idiot|moron|loser|scumbag|deadbeat)\b", _I),
        ],
    ),
    "derogatory": (
        "minor",
        [
            re.compile(r"老赖|丢人|没出息|不要面子|要不要脸|有没有良心"),
            re.compile(r"\b(shame on you|pathetic|liar)\b", _I),
        ],
    ),
}

_DISCLOSURE = [
    re.compile(
        r"欠(款|钱|了|我们|债)|逾期|还款|还钱|催收|贷款|信用卡|借款|账单|金额|\d+\s*(元|块)"
    ),
    re.compile(r"\b(debt|owes?|owed|overdue|loan|collection|arrears|credit card)\b", _I),
]
_CRISIS_PRESSURE = [
    re.compile(
        r"(必须|马上|赶紧|今天|尽快|快点|还是要|也得|也要|都得)(把钱)?.{0,4}(还|处理欠|还款|还钱)"
    ),
    re.compile(r"别(装|演|吓唬)|装可怜|吓唬谁|死.{0,6}(也|都).{0,4}(要|得)还|征信.{0,6}(更|就)"),
    re.compile(r"\b(still (have|need) to pay|stop (pretending|faking)|pay (now|today))\b", _I),
]

_NEGATION = re.compile(r"不|别|暂|放一放|\b(not|don't|no need)\b", _I)

RULE_IDS = (*RULES.keys(), "disclosure", "crisis_pressure", "off_hours")
SEVERITY = {
    **{k: v[0] for k, v in RULES.items()},
    "disclosure": "major",
    "crisis_pressure": "major",
    "off_hours": "minor",
}


@dataclass(frozen=True)
class Violation:
    rule: str
    severity: str  # minor / major
    layer: str  # rules / llm
    excerpt: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _excerpt(text: str, m: re.Match[str]) -> str:
    a, b = max(0, m.start() - 8), min(len(text), m.end() + 8)
    return text[a:b].strip()


def check_rules(text: str, scenario: Scenario, *, first_turn: bool = False) -> list[Violation]:
    """Rule-layer violations in one collector line (already redacted)."""
    found: list[Violation] = []
    for rule, (severity, patterns) in RULES.items():
        for p in patterns:
            m = p.search(text)
            if m:
                found.append(Violation(rule, severity, "rules", _excerpt(text, m)))
                break
    if scenario.third_party:
        for p in _DISCLOSURE:
            m = p.search(text)
            if m:
                found.append(Violation("disclosure", "major", "rules", _excerpt(text, m)))
                break
    if scenario.crisis:
        for p in _CRISIS_PRESSURE:
            m = p.search(text)
            # "今天我们不谈还款" is the protocol, not pressure.
            if m and not _NEGATION.search(m.group(0)):
                found.append(Violation("crisis_pressure", "major", "rules", _excerpt(text, m)))
                break
    lo, hi = ALLOWED_HOURS
    if first_turn and not (lo <= scenario.local_hour < hi):
        found.append(Violation("off_hours", "minor", "rules", scenario.local_time))
    return found
