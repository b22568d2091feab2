"""PII detectors over normalised text (see `coaching.normalize`); `coaching.redact` uses them.

Every detector returns `Hit(start, end, kind)` in normalised coordinates. Numbers are matched
by shape (grouping the way people write them) and validated (ID checksum, Luhn, phone
plans), so separate numbers are never merged into one span. Values that must survive
(amounts, dates, date-times, times, percentages, reference numbers) are found first and
shield the numeric detectors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from coaching.pii_names import find_names

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str  # name mobile phone id card email qq wechat plate address


def id_checksum(first17: str) -> str:
    """The 18th character of a mainland resident ID number (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id(value: str) -> bool:
    v = value.upper()
    return bool(re.fullmatch(r"\d{17}[\dX]", v)) and id_checksum(v[:17]) == v[17]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _plausible_birth(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return 1900 <= y <= 2030


def _digits(s: str) -> str:
    return re.sub(r"[^\dXx]", "", s).upper()


# --- values that must survive -----------------------------------------------------------
# Numbers end where digits end: "ID110105…X" glued to letters is still an ID number.
_NB = r"(?<!\d)"
_NA = r"(?!\d)"
_REF_WORDS = (
    r"(?:案件?编?号|编号|单号|工单号?|合同号|流水号|借据号|订单号|批次号|工号|质检单号?|通话编号|"
    r"case\s*(?:ref|no\.?|number|id)|call\s*id|ticket|contract\s*no\.?|ref(?:erence)?\.?|order\s*no\.?)"
)
KEEP = [
    # date-times, dates, times
    re.compile(
        r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*[日号]?"
        r"(?:[\sT]*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?"
    ),
    re.compile(_NB + r"\d{1,2}/\d{1,2}/\d{4}" + _NA),
    re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*[日号]"),
    re.compile(_NB + r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])" + _NA),
    re.compile(_NB + r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?" + _NA),
    # amounts and percentages
    re.compile(r"(?:[¥$￥€]|RMB|CNY|USD|IDR|Rp\.?)\s?\d[\d,.]*", re.I),
    re.compile(_NB + r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)"),
    re.compile(_NB + r"\d{1,10}(?:\.\d+)?\s*(?:元|块|千|百|%|％|percent)"),
    re.compile(_NB + r"\d{1,6}(?:\.\d+)?\s*(?:万|亿)"),
    # reference numbers after reference words
    re.compile(_REF_WORDS + r"\s*[:：#]?\s*[A-Za-z0-9][A-Za-z0-9\-_]*", re.I),
]
# Codes with an upper-case prefix (CASE-2026-000123, AJ2026…) shield only the looser number shapes:
# a valid card or mobile number glued to letters is still redacted.
_CODE = re.compile(r"(?<![A-Za-z\d])[A-Z]{2,6}[-_]?\d[\dA-Za-z]*(?:-[\dA-Za-z]+)*" + _NA)


def keep_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for p in KEEP for m in p.finditer(text)]


def code_spans(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CODE.finditer(text)]


# --- numeric detectors --------------------------------------------------------------------
_ID18 = re.compile(_NB + r"\d{6}[\s\-]?\d{8}[\s\-]?\d{3}[\dXx]" + _NA)
_ID15 = re.compile(_NB + r"[1-8]\d{14}" + _NA)
_CARD = re.compile(
    _NB + r"(?:\d{13,19}|\d{4}(?:[ \-]\d{4}){2,3}(?:[ \-]\d{1,4})?|\d{6}[ \-]\d{9,13})" + _NA
)
_MOBILE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)?86[\s\-.]?|\(\+?86\)\s?)?"
    r"1[3-9]\d(?:[\s.\-]?\d{4}[\s.\-]?\d{4}|\s\d{8})" + _NA
)
_LANDLINE = re.compile(
    r"(?<![\d+])(?:(?:\+86[\s\-]?)?\(?0?\d{2,3}\)|(?:\+86[\s\-]?)\d{2,3}|0\d{2,3})"
    r"[\s\-]?\d{3,4}[\s\-]?\d{4}(?:\s?(?:转|ext\.?|x|分机)\s?\d{1,5})?" + _NA
)
_INTL = re.compile(r"(?:\+|(?<!\d)00)\d{1,3}[\s\-]?(?:\(?\d{1,4}\)?[\s\-]?){1,4}\d{2,5}" + _NA)
_ID_MOBILE = re.compile(_NB + r"08\d{2}[\s\-]?\d{3,4}[\s\-]?\d{3,5}" + _NA)
_LOCAL8 = re.compile(
    r"(?:座机|电话|固话|分机|tel|phone|landline)[^\d\n]{0,6}("
    + _NB
    + r"[2-9]\d{3}[\s\-]?\d{4})"
    + _NA,
    re.I,
)
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-][A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]*"
    r"@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
)
# Any other run of 11+ digits, unbroken or in up to six groups joined by single spaces,
# dashes or dots ("130 0100 00000"), that no rule above explains and that is not shielded as
# an amount, date or reference: too long to be anything but an identifier. Numbers joined
# by anything else ("分3期 2000", "1,200") are never merged into one.
_LONG_RUN = re.compile(_NB + r"\d+(?:[ \-.]\d+){0,5}" + _NA)
_ID_CTX = re.compile(r"身份证|证件|身份号|ID|identity|NIK|KTP", re.I)
_CARD_CTX = re.compile(r"卡号|银行卡|信用卡|账号|帐号|card|account", re.I)


def _dated_code(text: str, start: int, digits: str) -> bool:
    """Letters glued to a number that starts with a year and month ("AJ202604020015"): a
    case or call reference, not a card (Luhn passes one in ten of those)."""
    if start == 0 or not text[start - 1].isascii() or not text[start - 1].isalpha():
        return False
    y, mo = int(digits[:4]), int(digits[4:6])
    return 1990 <= y <= 2039 and 1 <= mo <= 12


def _shields(a: int, b: int, keep: list[tuple[int, int]]) -> bool:
    """A kept span (amount, date, reference) shields a number it starts at or before; one
    that only begins inside the number ("…0000 04万") is part of the number, not a shield."""
    return any(s <= a < e for s, e in keep)


def _overlaps(a: int, b: int, spans: list[tuple[int, int]]) -> bool:
    return any(a < e and s < b for s, e in spans)


def _numeric(text: str, keep: list[tuple[int, int]]) -> list[Hit]:
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    loose = keep + code_spans(text)

    def add(a: int, b: int, kind: str, shielded: bool = True, weak: bool = False) -> None:
        # A bare digit run glued to letters may be a reference code (HT0123456789); a number
        # written with separators (x021-6123 4567) is dialled, whatever stands before it.
        weak = weak and text[a:b].isalnum()
        if _overlaps(a, b, taken) or (shielded and _shields(a, b, loose if weak else keep)):
            return
        hits.append(Hit(a, b, kind))
        taken.append((a, b))

    for m in _ID18.finditer(text):
        v = _digits(m.group(0))
        ctx = bool(_ID_CTX.search(text[max(0, m.start() - 12) : m.start()]))
        birth = v[6:14].isdigit() and _plausible_birth(int(v[6:10]), int(v[10:12]), int(v[12:14]))
        if is_valid_id(v) or (birth and ctx):
            add(m.start(), m.end(), "id", shielded=not is_valid_id(v))
    for m in _ID15.finditer(text):
        v = m.group(0)
        if (
            _plausible_birth(1900 + int(v[6:8]), int(v[8:10]), int(v[10:12])) and not luhn_ok(v)
        ) or _ID_CTX.search(text[max(0, m.start() - 12) : m.start()]):
            add(m.start(), m.end(), "id")
    for m in _CARD.finditer(text):
        v = _digits(m.group(0))
        ctx = bool(_CARD_CTX.search(text[max(0, m.start() - 12) : m.start()]))
        if _dated_code(text, m.start(), v):
            continue
        if (luhn_ok(v) and len(v) >= 13) or (ctx and 15 <= len(v) <= 19):
            add(m.start(), m.end(), "card")
    for m in _MOBILE.finditer(text):
        add(m.start(), m.end(), "mobile")
    for m in _INTL.finditer(text):
        if 7 <= len(_digits(m.group(0))) <= 15:
            add(m.start(), m.end(), "mobile" if "+62 8" in m.group(0) else "phone", weak=True)
    for m in _LANDLINE.finditer(text):
        n = len(_digits(m.group(0)))
        if 9 <= n <= 17:
            add(m.start(), m.end(), "phone", weak=True)
    for m in _ID_MOBILE.finditer(text):
        if 10 <= len(_digits(m.group(0))) <= 13:
            add(m.start(), m.end(), "mobile", weak=True)
    for m in _LOCAL8.finditer(text):
        add(m.start(1), m.end(1), "phone", weak=True)
    hits += _phonenumbers(text, taken, loose)
    for m in _LONG_RUN.finditer(text):
        a, b = m.start(), m.end()
        groups = re.split(r"[ \-.]", m.group(0))
        if sum(map(len, groups)) < 11 or max(map(len, groups)) < 3:
            continue
        touching = [h for h in hits if h.start < b and a < h.end]
        covered = sum(min(b, h.end) - max(a, h.start) for h in touching)
        weak_ok = not (m.group(0).isalnum() and _shields(a, b, loose))
        if covered < b - a and not _shields(a, b, keep) and weak_ok:
            # Digits left over around what was found: the whole run goes, as one number
            # (together with any hit it runs into: "+1 000 000 000 10000000000").
            lo = min([a, *(h.start for h in touching)])
            hi = max([b, *(h.end for h in touching)])
            hits = [h for h in hits if h not in touching] + [Hit(lo, hi, "number")]
    return hits


def _phonenumbers(
    text: str, taken: list[tuple[int, int]], keep: list[tuple[int, int]]
) -> list[Hit]:
    """What libphonenumber finds (valid CN and ID numbers) that the patterns above did not."""
    import phonenumbers as pn

    out: list[Hit] = []
    for region in ("CN", "ID"):
        for m in pn.PhoneNumberMatcher(text, region, leniency=pn.Leniency.VALID):
            a, b = m.start, m.end
            n = len(_digits(m.raw_string))
            if n > 14 or _overlaps(a, b, taken) or _overlaps(a, b, keep):
                continue
            out.append(Hit(a, b, "phone"))
            taken.append((a, b))
    return out


# --- context detectors ------------------------------------------------------------------------
_QQ = re.compile(
    r"(?<![A-Za-z])(?:QQ|扣扣|企鹅)(?:号码|号|账号)?\s*(?:is|number|no\.?)?\s*(?:是|为|[:：])?\s*"
    r"(\d{5,11})" + _NA,
    re.I,
)
_WX_STOP = {"id", "number", "account", "and", "or", "the", "to", "me", "is", "please", "group"}
_WECHAT = re.compile(
    r"(?<![A-Za-z])(?:微信|威信|薇信|v信|vx|wx|wechat|weixin)(?:\s*(?:号码|号|id|账号|account))?"
    r"\s*(?:is|:|：|是|为)?\s*(?:是|为|[:：])?\s*"
    r"(wxid_[A-Za-z0-9_]+|[A-Za-z][A-Za-z0-9_\-]{3,19}|\+?\d[\d\s\-]{4,15}\d)" + _NA,
    re.I,
)
_PLATE = re.compile(
    r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z]"
    r"[·•・.\s\-]?(?=[A-HJ-NP-Z0-9]*\d)[A-HJ-NP-Z0-9]{5,6}" + _NA
)


def _context(text: str) -> list[Hit]:
    hits = []
    for m in _QQ.finditer(text):
        hits.append(Hit(m.start(1), m.end(1), "qq"))
    for m in _WECHAT.finditer(text):
        v = m.group(1)
        if v.lower() not in _WX_STOP:
            hits.append(Hit(m.start(1), m.end(1), "wechat"))
    for m in _PLATE.finditer(text):
        hits.append(Hit(m.start(), m.end(), "plate"))
    return hits


# --- addresses ----------------------------------------------------------------------------
_NC = r"[^\W\d_A-Za-z是在到住址的了和与及从往寄搬把给我你他她您们说有这那要就请将已为向，。、：；]"
_PROV = (
    r"(?:北京|天津|上海|重庆|河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|"
    r"广东|海南|四川|贵州|云南|陕西|甘肃|青海|台湾|内蒙古|广西|西藏|宁夏|新疆|香港|澳门)"
    r"(?:省|市|(?:壮族|回族|维吾尔)?自治区|特别行政区)?"
)
_CITY = _NC + r"{2,4}?(?:市|州|盟)"
_DIST = _NC + r"{1,5}?(?:区|县|旗|镇|乡|街道)"
_NL = r"(?:" + _NC + r"|[A-Za-z])"  # place names may hold Latin letters (望京SOHO)
_STREET = _NC + r"{1,8}?(?:大道|大街|路|街|巷|弄|胡同)(?:[一二三四五六七八九十\d]+段)?"
_ESTATE = _NL + r"{2,10}?(?:小区|花园|公寓|大厦|新村|家园|苑|广场|中心|院|塔|SOHO|soho)"
_VILLAGE = _NC + r"{1,4}?村"
_UNIT = r"\s?\d+(?:-\d+)?\s*(?:号院|号楼|号|弄|栋|幢|座|塔|楼|单元|层|室|房|组)"
_ADDR_ZH = re.compile(
    rf"(?P<prov>{_PROV})?(?P<city>{_CITY})?(?P<dist>(?:{_DIST})*)"
    rf"(?P<place>{_STREET}|{_ESTATE}(?:塔|座)?|{_VILLAGE})?"
    rf"(?P<units>(?:{_UNIT}|\d{{3,4}}(?![\d号])|\s?\d{{1,3}}(?=\s\d{{3,4}}[室房]))*)"
)
_EN_STREET = r"(?:Road|Rd|Street|St|Avenue|Ave|Lane|Ln|Drive|Boulevard|Blvd|Way|Place|Court|Jalan)"
_ADDR_EN = re.compile(
    r"(?:(?:Room|Flat|Unit|Apt\.?|Suite)\s+\w+,?\s+)?(?:No\.\s*)?\d+[A-Z]?,?\s+"
    rf"(?:[A-Z][a-z]+\s+){{1,3}}{_EN_STREET}\b\.?"
    r"(?:,\s*[A-Z][a-z]+(?:\s+(?:District|City|Province))?)*"
    r"|(?:No\.?\s*\d+[A-Z]?,?\s+)?(?:Jl\.?|Jalan)\s+(?:(?!No\b)[A-Z][a-z]+\s?){1,3}(?:No\.?\s*\d+[A-Z]?)?(?:,\s*[A-Z][a-z]+)*"
)


def _addresses(text: str) -> list[Hit]:
    hits = []
    for m in _ADDR_ZH.finditer(text):
        if m.end() == m.start():
            continue
        admin = sum(1 for g in ("prov", "city", "dist") if m.group(g))
        place, units = m.group("place"), m.group("units")
        if (
            (place and units)
            or (admin >= 2 and (place or m.group("dist")))
            or (admin >= 1 and units and m.group("dist"))
        ):
            hits.append(Hit(m.start(), m.end(), "address"))
    for m in _ADDR_EN.finditer(text):
        hits.append(Hit(m.start(), m.end(), "address"))
    return hits


def detect(text: str, known_names: tuple[str, ...] = ()) -> list[Hit]:
    """Every PII hit in normalised `text` (may overlap; the redactor resolves that)."""
    keep = keep_spans(text)
    hits = [Hit(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    hits += _context(text)
    hits += _addresses(text)
    ctx_taken = [(h.start, h.end) for h in hits]
    hits += [h for h in _numeric(text, keep) if not _overlaps(h.start, h.end, ctx_taken)]
    hits += [Hit(a, b, "name") for a, b in find_names(text, known_names)]
    return hits
