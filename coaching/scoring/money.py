"""Exact display of numbers: ROUND_HALF_UP once at display, money per branch currency.

Scores are computed as `Decimal` and rounded only here (84.25 → 84.3, never banker's 84.2).
Amounts are never rounded up: 9,999.99 shows as ¥9,999.99, and an IDR amount (no minor unit
in everyday use) is cut to whole rupiah, never lifted to the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal


def d(v: object) -> Decimal:
    """Any number (int, float, str, Decimal) as a Decimal; floats through their repr."""
    if isinstance(v, Decimal):
        return v
    if isinstance(v, float):
        return Decimal(repr(v))
    if isinstance(v, int | str):
        return Decimal(str(v))
    return Decimal(repr(float(v)))  # other numbers (numpy floats …) through float


def half_up(v: object, places: int = 1) -> Decimal:
    return d(v).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


_TENTH, _TEN_THOUSANDTH = Decimal("0.1"), Decimal("0.0001")


def r1(v: object | None) -> float | None:
    """The display value of a score or total: one decimal, ROUND_HALF_UP (None stays None)."""
    if v is None:
        return None
    return float((v if isinstance(v, Decimal) else d(v)).quantize(_TENTH, ROUND_HALF_UP))


def r4(v: object | None) -> float | None:
    if v is None:
        return None
    return float((v if isinstance(v, Decimal) else d(v)).quantize(_TEN_THOUSANDTH, ROUND_HALF_UP))


@dataclass(frozen=True)
class Currency:
    code: str
    symbol: str
    decimals: int  # minor-unit digits shown
    group: str  # thousands separator
    point: str  # decimal separator
    space: bool = False  # "Rp 1.000" vs "¥1,000"


CURRENCIES: dict[str, Currency] = {
    c.code: c
    for c in (
        Currency("CNY", "¥", 2, ",", "."),
        Currency("IDR", "Rp", 0, ".", ",", space=True),
        Currency("USD", "$", 2, ",", "."),
        Currency("HKD", "HK$", 2, ",", "."),
        Currency("PHP", "₱", 2, ",", "."),
        Currency("VND", "₫", 0, ".", ",", space=True),
        Currency("MYR", "RM", 2, ",", ".", space=True),
        Currency("THB", "฿", 2, ",", "."),
    )
}


def currency(code: str | None) -> Currency:
    key = (code or "CNY").upper()
    return CURRENCIES.get(key, Currency(key, key + " ", 2, ",", "."))


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def format_amount(v: object | None, code: str | None = "CNY", *, cents: bool | None = None) -> str:
    """'¥9,999.99', '¥10,000', 'Rp 12.345.678'. Truncates to the currency's minor unit
    (never up); a zero minor unit is left out unless `cents=True`; `cents=False` always drops
    it (still truncating: ¥9,999)."""
    if v is None:
        return "—"
    c = currency(code)
    whole_number = (type(v) is float and v.is_integer() and abs(v) < 2**53) or type(v) is int
    if whole_number and (cents is not True or not c.decimals):
        # Whole amounts (most case amounts; the fan-out formats thousands): the same text
        # without the Decimal round trip. -0.0 shows unsigned, as through Decimal.
        whole = int(v)  # type: ignore[arg-type]
        text = f"{abs(whole):,}"
        if c.group != ",":
            text = text.replace(",", c.group)
        return f"{'-' if whole < 0 else ''}{c.symbol}{' ' if c.space else ''}{text}"
    places = c.decimals if cents is not False else 0
    amount = d(v)
    neg = amount < 0
    q = abs(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)
    whole, _, frac = f"{q:f}".partition(".")
    show = places and (cents is True or frac.strip("0"))
    text = _group(whole, c.group) + (c.point + frac if show else "")
    sign = "-" if neg else ""
    return f"{sign}{c.symbol}{' ' if c.space else ''}{text}"


def format_score(v: object | None) -> str:
    return "—" if v is None else f"{half_up(v, 1):f}"


def format_pct(v: object | None, places: int = 1) -> str:
    """A rate (0.8525) as a percentage, ROUND_HALF_UP: '85.3%'."""
    return "—" if v is None else f"{half_up(d(v) * 100, places):f}%"


def plain_amount(v: object | None) -> str:
    """An amount without a symbol, truncated (never rounded up): 9,999.99 → '9,999.99',
    10,000.00 → '10,000'. Replaces the old `money` filter that rounded to whole units."""
    if v is None:
        return "—"
    return format_amount(v, "CNY").removeprefix("¥")


FILTERS = {
    "amount": format_amount,
    "money": plain_amount,
    "score1": format_score,
    "pct1": format_pct,
}
