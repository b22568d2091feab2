"""What a collector's line actually offers or asks for, read by rules (offline role-play).

`read_offer("那15号先还2000元，之后每月还1500")` → first payment 2000 on day 15, monthly 1500.
The scripted debtor reacts to this and nothing else, and the rule-based grading quotes the line
it came from. Amounts in digits or Chinese numerals ("两千", "1.5万", "三千五"), dates as day
of month ("15号", "3月15日"), relative days ("明天", "下周五", "三天内") and "月底"/"月初".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6}
_CN_DIGIT |= {"七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_NUM = r"(?:\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千万]+)"
_MONEY_UNIT = r"(?:元|块钱|块|万|千|rmb|yuan)"
# A Chinese numeral big enough to be an amount without a unit ("每个月一千五").
_CN_BIG = r"[一二两三四五六七八九十]+[百千万][零一二两三四五六七八九十百千万]*"
# An amount: a number with a money unit, or a bare number of 3+ digits after a paying verb.
_AMOUNT = re.compile(
    rf"(?:还|付|交|凑|打|给|每月|每个月|首期|首付)\s*(?P<bare>\d{{3,}}|{_CN_BIG})(?![\d号日点月天%元块万千])"
    rf"|(?P<n>{_NUM})\s*(?P<u>{_MONEY_UNIT})",
    re.I,
)
_FIRST = re.compile(r"首期|首付|第一期|先还|先付|先交|先凑|先打")
_MONTHLY = re.compile(r"每月|每个月|月供|按月|每期")
_INSTALMENT = re.compile(r"分期|分\s*\d+\s*期|分[一二三四五六七八九十两]+期|期数")
_FULL = re.compile(r"一次性|全部还|全额|结清|还清全部|一口气|所有欠款")
_DISCOUNT = re.compile(r"减免|打折|折扣|免息|免掉|少还|优惠|免除|抹零|减掉")
# A discount put the proper way (an application under policy), not a promise made on the call.
_DISCOUNT_PROPER = re.compile(r"申请|审批|按.{0,4}政策|按规定|不能保证|需要.{0,6}批")
_PRESSURE = re.compile(r"必须|马上|立刻|立即|今天之内|现在就|赶紧")
_EMPATHY = re.compile(
    r"理解|抱歉|不好意思|辛苦|不容易|担心|别着急|着急|体谅|感谢|谢谢|关心|"
    r"听得出|生气|不舒服|相信您|相信你|难处|压力|别担心|打扰|understand|sorry|appreciate|"
    r"thank|difficult",
    re.I,
)
_QUESTION = re.compile(
    r"[？?]|吗|怎么|什么|方便说|能不能|是否|哪|多少|how|what|why|when|could you", re.I
)
_WEEKDAY = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "日": 7, "天": 7}
_DAY_OF_MONTH = re.compile(rf"(?:(?P<m>{_NUM})\s*月\s*)?(?P<d>{_NUM})\s*(?:号|日)(?!子)")
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
_WITHIN = re.compile(rf"(?P<n>{_NUM})\s*天(?:内|之内|以内)")
_WEEK = re.compile(r"(?P<next>下个?)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天])")


def cn_number(text: str) -> float | None:
    """'2000' → 2000, '两千' → 2000, '一万五' → 15000, '三千五' → 3500, '1.5' → 1.5."""
    text = text.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    total, section, digit, last_unit = 0, 0, None, 1
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            last_unit = _CN_UNIT[ch]
            section += (digit if digit is not None else 1) * last_unit
            digit = None
        elif ch == "万":
            section += digit or 0
            total += section * 10_000
            section, digit, last_unit = 0, None, 10_000
        else:
            return None
    if digit is not None:
        # "三千五" means 3500: a trailing digit counts in the unit below the last one.
        section += digit * (last_unit // 10 if last_unit >= 10 else 1)
    return float(total + section)


@dataclass(frozen=True)
class When:
    """A date the collector named, as days from the simulated call day (`today`)."""

    words: str  # the collector's own words ("15号", "明天", "月底")
    day: int  # day of the month it falls on (may exceed the month: next month)


@dataclass
class Offer:
    amounts: list[int] = field(default_factory=list)
    first: int | None = None  # the first (or only) payment
    monthly: int | None = None
    instalments: bool = False
    full: bool = False  # asks for everything at once
    discount: bool = False
    discount_proper: bool = False  # "需要按政策申请" rather than a promise
    when: When | None = None
    pressure: bool = False
    empathy: bool = False
    question: bool = False

    @property
    def concrete(self) -> bool:
        """Names an amount, a date, an instalment plan or a discount: something to react to."""
        return bool(self.amounts or self.when or self.instalments or self.discount or self.full)


def _amounts(line: str) -> list[tuple[int, int, int]]:
    """(value, start, end) of each money amount in the line."""
    out = []
    for m in _AMOUNT.finditer(line):
        if m.group("bare"):
            v = cn_number(m.group("bare"))
            if v is not None:
                out.append((int(v), m.start("bare"), m.end()))
            continue
        v = cn_number(m.group("n"))
        if v is None:
            continue
        unit = m.group("u").lower()
        v *= {"万": 10_000, "千": 1000}.get(unit, 1)
        if v >= 10:  # "3块" is not an offer; "1.5万" is
            out.append((int(v), m.start(), m.end()))
    return out


def read_when(line: str, today: int, weekday: int) -> When | None:
    """The first date in the line, as a day of the month relative to the call day."""
    found: list[tuple[int, When]] = []
    for words, days in _RELATIVE.items():
        i = line.find(words)
        if i >= 0 and not (words == "后天" and line[max(0, i - 1) : i] == "大"):
            found.append((i, When(words, today + days)))
    if (i := line.find("月底")) >= 0:
        # "月底30号" is one date: the day of the month says which.
        m = _DAY_OF_MONTH.match(line, i + 2)
        day = int(cn_number(m.group("d")) or 30) if m else 30
        found.append((i, When(line[i : m.end()] if m else "月底", day)))
    if (i := line.find("月初")) >= 0:
        found.append((i, When("月初", 31 + 3)))
    if (i := line.find("年底")) >= 0:
        found.append((i, When("年底", 31 * 3)))
    for m in _DAY_OF_MONTH.finditer(line):
        d = cn_number(m.group("d"))
        if d is not None and 1 <= d <= 31:
            month = cn_number(m.group("m")) if m.group("m") else None
            day = int(d)
            if month is None and "下个月" in line[max(0, m.start() - 4) : m.start()]:
                day += 30
            elif month is None and day < today:
                day += 30  # "5号" said on the 8th: next month's 5th
            if not any(i < m.start() and w.words.endswith(m.group(0)) for i, w in found):
                found.append((m.start(), When(m.group(0), day)))
    for m in _WEEK.finditer(line):
        target = _WEEKDAY[m.group("d")]
        ahead = (target - weekday) % 7 or 7
        if m.group("next"):
            ahead = 7 - weekday + target
        found.append((m.start(), When(m.group(0), today + ahead)))
    for m in _WITHIN.finditer(line):
        n = cn_number(m.group("n"))
        if n is not None:
            found.append((m.start(), When(m.group(0), today + int(n))))
    return min(found, key=lambda x: x[0])[1] if found else None


def read_offer(line: str, today: int = 10, weekday: int = 3) -> Offer:
    """What one collector line offers; `today` is the call's day of the month, `weekday`
    1 (Monday) to 7."""
    amounts = _amounts(line)
    o = Offer(amounts=[a for a, _, _ in amounts])
    o.instalments = bool(_INSTALMENT.search(line) or _MONTHLY.search(line))
    for value, start, _ in amounts:
        before = line[max(0, start - 8) : start]
        if _MONTHLY.search(before) and o.monthly is None:
            o.monthly = value
        elif o.first is None and (_FIRST.search(before) or not _MONTHLY.search(before)):
            o.first = value
    if o.first is None and o.monthly is not None and not _FIRST.search(line):
        o.first = o.monthly  # "每月还1500" alone: the first payment is a month's
    o.full = bool(_FULL.search(line))
    o.discount = bool(_DISCOUNT.search(line))
    o.discount_proper = o.discount and bool(_DISCOUNT_PROPER.search(line))
    o.when = read_when(line, today, weekday)
    o.pressure = bool(_PRESSURE.search(line))
    o.empathy = bool(_EMPATHY.search(line))
    o.question = bool(_QUESTION.search(line))
    return o


def is_empathic(line: str) -> bool:
    return bool(_EMPATHY.search(line))


def is_question(line: str) -> bool:
    return bool(_QUESTION.search(line))
