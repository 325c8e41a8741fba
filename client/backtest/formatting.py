"""How the report writes numbers, times and rows: money as exact decimal text, ratios as floats
of 6 significant digits (so float noise never reaches a file and ``report.json`` is the same
byte for byte for the same result), times as UTC ISO 8601."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Context, Decimal
from typing import Any

from .result import Fill

EXACT = Context(prec=60)  # sums and products of money: exact in practice
RATIO = Context(prec=28)  # quotients (average prices, drawdowns): rounded like Decimal's default
FILL_FIELDS = tuple(f.name for f in fields(Fill))


def dec(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: '1E+2' and '100.00' both print '100'."""
    if value == 0:
        return "0"
    return format(value.normalize(EXACT), "f")


def sig(value: float | None) -> float | None:
    """6 significant digits, so float noise never reaches the report; None for undefined (NaN, inf)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def iso(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and a 'Z'."""
    text = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def jsonable(value: Any) -> Any:
    """The strategy's parameters as JSON: Decimals as text, tuples as lists, anything else unknown as str."""
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def cell_text(value: Any) -> str:
    """A value as a CSV or table cell: booleans as true/false, None as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def with_datetimes(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """Rows with a readable UTC date beside each ms time ('time' -> 'datetime', 'open_time' -> 'open_datetime')."""
    return [{**row, **{k.replace("time", "datetime"): iso(row[k]) for k in keys}} for row in rows]
