"""Decimal text <-> engine integers: the only place numbers cross the wire.

Parsing is strict and exact (digits and one dot, as Binance's legal range says; no floats, no
exponents, no signs); formatting prints an asset's full precision, as Binance prints
``"0.00100000"``. The other ways integer units meet decimal numbers (short text for recordings,
exact ``Decimal`` values for reports, rounding a finer decimal to units) live here too, so that
every one of them uses the same scale.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, Decimal

from . import binance_errors as err

DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
_DECIMAL = re.compile(DECIMAL_RANGE)
INT_RANGE = r"^-?[0-9]{1,20}$"
_INT = re.compile(INT_RANGE)
_POW10: list[int] = [10**i for i in range(40)]


def parse_units(text: str, decimals: int, param: str) -> int:
    """``"0.0012"`` with 8 decimals -> 120000; more significant decimals than the asset has -> -1111."""
    m = _DECIMAL.fullmatch(text)  # fullmatch: "$" alone would let a trailing newline through
    if m is None:
        raise err.illegal_chars(param, DECIMAL_RANGE)
    whole, frac = m.group(1), (m.group(2) or ".")[1:].rstrip("0")
    if len(frac) > decimals:
        raise err.too_precise(param)
    return int(whole) * _POW10[decimals] + (int(frac) * _POW10[decimals - len(frac)] if frac else 0)


def format_units(value: int, decimals: int) -> str:
    """120000 with 8 decimals -> ``"0.00120000"`` (exact, any size, sign kept)."""
    if decimals == 0:
        return str(value)
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), _POW10[decimals])
    return f"{sign}{whole}.{frac:0{decimals}d}"


def format_units_short(value: int, decimals: int) -> str:
    """120000 with 8 decimals -> ``"0.0012"``: exact, trailing zeros dropped (recordings, settings)."""
    text = format_units(value, decimals)
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_units_at_most(value: int, decimals: int, places: int) -> str:
    """Units printed with at most ``places`` decimals, finer digits dropped (Binance's data files
    print 8 whatever the asset has)."""
    shown = min(decimals, places)
    return format_units(value // _POW10[decimals - shown], shown)


def units_to_decimal(value: int, decimals: int) -> Decimal:
    """120000 with 8 decimals -> ``Decimal("0.00120000")``: the exact value, for arithmetic off the wire."""
    return Decimal(value).scaleb(-decimals)


def decimal_to_units(value: Decimal, decimals: int, rounding: str = ROUND_HALF_EVEN) -> int:
    """A decimal that may be finer than the asset -> units, rounded as told (``parse_units`` refuses it)."""
    return int(value.scaleb(decimals).to_integral_value(rounding=rounding))


def float_text(value: float) -> str:
    """A double's shortest decimal text (``1e-05`` -> ``"0.00001"``): what whoever wrote it meant."""
    return format(Decimal(repr(value)), "f")


def format_rate(rate: int, denom_decimals: int = 8) -> str:
    """A rate over 10**8 (fees, multipliers) as Binance prints it: ``"0.00100000"``."""
    return format_units(rate, denom_decimals)


def parse_int(text: str, param: str, low: int, high: int) -> int:
    """A whole number within [low, high]; anything else is Binance's -1100 for that parameter."""
    if _INT.fullmatch(text) is None:
        raise err.illegal_chars(param, INT_RANGE)
    value = int(text)
    if not low <= value <= high:
        raise err.illegal_chars(param, f"[{low}, {high}]")
    return value


def parse_bool(text: str, param: str) -> bool:
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    raise err.illegal_chars(param, "true|false")
