"""The offline debtor (no LLM configured): reacts to what the collector actually said.

Each collector line is read by `offers.read_offer`; the debtor agrees only to terms the
collector offered and the scenario's `terms` say they can meet, and says why not otherwise
(too much, too early, all at once, a discount, pressure), resisting until acknowledged where
the persona needs it. The agreement repeats the collector's own terms, never the script's.
Everything is recomputed from the stored turns, so a restart or another worker continues the
same conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coaching.roleplay.offers import Offer, When, is_empathic, read_offer
from coaching.roleplay.scenarios import Scenario, Terms

REACTIONS = {
    "too_much": "{amount}元？太多了，我真拿不出来。",
    "too_much_known": "{amount}元我真拿不出来，最多也就{cap}元。",
    "too_early": "{when}不行，我手上现在真没钱。",
    "too_early_known": "{when}不行，钱要{money_day}号才到。",
    "full": "一次性全还？我真的做不到。",
    "need_date": "{amount}元……那你说哪天还？",
    "need_amount": "{when}？那要还多少？",
    "need_plan": "分期的话，每个月要还多少？",
    "discount_ask": "能减免？那能减多少？你说话算数吗？",
    "discount_proper": "行，那你先帮我申请看看。",
    "cold": "你们就知道要钱！我凭什么听你的？",
    "unrecorded": "账都没查清楚就让我还钱？你先把我说的记下来核实。",
    "minor": "你这话说得我很不舒服，好好说话行不行？",
    "soften": "……（叹了口气）你这么说，我心里好受一点。",
    "pressure": "你再逼我也没用，我现在就是拿不出来。",
    "deal": "行吧……那就按你说的，{when}先还{first}元。",
    "deal_monthly": "行吧……那就按你说的，{when}先还{first}元，之后每月还{monthly}元。",
}


@dataclass(frozen=True)
class Deal:
    first: int
    monthly: int | None
    when: When
    line: str  # the collector line that settled it

    def meets(self, terms: Terms) -> bool:
        """Whether the agreement reaches the scenario's objective (not just any deal)."""
        return self.first >= terms.goal_first and self.when.day <= terms.goal_by


@dataclass
class Standing:
    """The offer on the table: the latest amount, plan and date the collector named (a date
    in one line and the amount in the next make one offer)."""

    first: int | None = None
    monthly: int | None = None
    when: When | None = None
    line: str = ""


def _say(sc: Scenario, key: str, **kw: Any) -> str:
    return (sc.script.reactions.get(key) or REACTIONS[key]).format(**kw)


def _revealed(sc: Scenario, said: list[str], index: int | None) -> bool:
    if index is None:
        return False
    return f"其实……{sc.hidden_facts[index].fact}。" in said


def standing_offer(sc: Scenario, lines: list[str]) -> Standing:
    """The offer built up over the collector's lines (the last two count: older numbers are
    not remembered as part of the current proposal)."""
    assert sc.terms is not None
    st = Standing()
    for line in lines[-2:]:
        o = read_offer(line, sc.terms.today, sc.terms.weekday)
        if o.first is not None:
            st.first, st.line = o.first, line
        if o.monthly is not None:
            st.monthly, st.line = o.monthly, line
        if o.when is not None:
            st.when, st.line = o.when, line
    return st


def settled(sc: Scenario, lines: list[str]) -> Deal | None:
    """The agreement the debtor accepted at the last line, if any (used by grading too)."""
    if sc.terms is None or not lines:
        return None
    st = standing_offer(sc, lines)
    if st.first is None or st.when is None or not _affordable(sc.terms, st):
        return None
    return Deal(st.first, st.monthly, st.when, st.line)


def _affordable(t: Terms, st: Standing) -> bool:
    assert st.first is not None and st.when is not None
    if st.first > t.can_pay_first:
        return False
    if st.monthly is not None and st.monthly > _monthly_cap(t):
        return False
    return not (t.money_day is not None and st.when.day < t.money_day)


def _monthly_cap(t: Terms) -> int:
    return t.can_pay_monthly or t.can_pay_first


def _conditions_met(sc: Scenario, lines: list[str]) -> str:
    """'' when the persona is ready to agree, else the reaction that holds them back."""
    t = sc.terms
    assert t is not None
    if t.needs_empathy and not any(is_empathic(ln) for ln in lines):
        return "cold"
    if t.needs_record and not any(w in ln for ln in lines for w in t.record_words):
        return "unrecorded"
    return ""


def _react_to_offer(sc: Scenario, o: Offer, lines: list[str], said: list[str]) -> tuple[str, str]:
    t = sc.terms
    assert t is not None
    known = _revealed(sc, said, t.money_fact)
    hold = _conditions_met(sc, lines)
    if hold:
        return _say(sc, hold), ""
    if o.discount:
        return _say(sc, "discount_proper" if o.discount_proper else "discount_ask"), ""
    if o.full and (t.can_pay_monthly is not None or (o.first or 0) > t.can_pay_first):
        return _say(sc, "full"), ""
    st = standing_offer(sc, lines)
    if st.first is not None and st.first > t.can_pay_first:
        key = "too_much_known" if known else "too_much"
        return _say(sc, key, amount=st.first, cap=t.can_pay_first), ""
    if st.monthly is not None and st.monthly > _monthly_cap(t):
        key = "too_much_known" if known else "too_much"
        return _say(sc, key, amount=st.monthly, cap=_monthly_cap(t)), ""
    if st.when is not None and t.money_day is not None and st.when.day < t.money_day:
        key = "too_early_known" if known else "too_early"
        return _say(sc, key, when=st.when.words, money_day=t.money_day), ""
    if st.first is None:
        if o.instalments and st.monthly is None:
            return _say(sc, "need_plan"), ""
        if st.when is not None:
            return _say(sc, "need_amount", when=st.when.words), ""
        return "", ""
    if st.when is None:
        return _say(sc, "need_date", amount=st.first), ""
    deal = settled(sc, lines)
    assert deal is not None
    key = "deal_monthly" if deal.monthly else "deal"
    text = _say(sc, key, when=deal.when.words, first=deal.first, monthly=deal.monthly)
    return text, "success" if deal.meets(t) else "deal"


def reply(sc: Scenario, turns: list[Any]) -> tuple[str, str]:
    """The debtor's answer to the last collector line and how the drill ends ("" goes on;
    "success": the objective reached; "deal": an agreement short of it; "hangup")."""
    last = turns[-1]
    line = last.text
    said = [t.text for t in turns if t.speaker == "debtor"]
    lines = [t.text for t in turns if t.speaker == "collector"]
    rules = [v for v in last.violations if v["layer"] == "rules"]
    if any(v["severity"] == "major" for v in rules):
        return sc.script.hangup, "hangup"
    # A minor breach the debtor hears (not the call's hour): they take offence, and the
    # offer on the table is ignored.
    if any(v["rule"] != "off_hours" for v in rules):
        return _say(sc, "minor"), ""
    hold = _conditions_met(sc, lines) if sc.terms else ""
    if not hold and any(re.search(p, line) for p in sc.script.success_patterns):
        return sc.script.closing, "success"
    if sc.terms is not None:
        o = read_offer(line, sc.terms.today, sc.terms.weekday)
        # "每个月能还多少？" asks; it offers nothing to accept or refuse.
        if o.concrete and not (o.question and not o.amounts and not o.when):
            text, ended = _react_to_offer(sc, o, lines, said)
            if text:
                return text, ended
    for f in sc.hidden_facts:
        reveal = f"其实……{f.fact}。"
        if reveal not in said and any(k in line for k in f.reveal_when):
            return reveal, ""
    for ob in sc.script.objections:
        if ob.reply not in said and any(k in line for k in ob.when):
            return ob.reply, ""
    soften = _say(sc, "soften")
    if is_empathic(line) and soften not in said:
        return soften, ""
    if sc.terms is not None and read_offer(line).pressure:
        return _say(sc, "pressure"), ""
    n = sum(1 for s in said if s in sc.script.lines)
    return sc.script.lines[min(n, len(sc.script.lines) - 1)], ""
