"""Binance's market stream names, read into what a subscription asks for.

``btcusdt@depth20@100ms`` is a partial book of 20 levels every 100 ms; ``!miniTicker@arr`` every
market's mini ticker. Names are case-sensitive as Binance's are (symbols lowercase, ``aggTrade``,
``bookTicker``, ``miniTicker``, ``avgPrice`` in camel case). A well-formed name for a symbol that
is not listed is accepted and never sends anything, as Binance does; a name of no known form is
refused when subscribed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..history import INTERVALS

TICKER_WINDOWS = {"1h": 3_600_000, "4h": 14_400_000, "1d": 86_400_000}
PARTIAL_LEVELS = (5, 10, 20)
SLOW_MS, FAST_MS = 1000, 100  # the two update speeds of the depth streams
USER_DATA = "userData"  # the kind of a listen key's stream (named by the key itself)

_SYMBOL = r"(?P<symbol>[a-z0-9_.\-]{1,30})"
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (kind, re.compile(pattern, re.ASCII))
    for kind, pattern in (
        ("trade", rf"{_SYMBOL}@trade"),
        ("aggTrade", rf"{_SYMBOL}@aggTrade"),
        ("kline", rf"{_SYMBOL}@kline_(?P<param>[0-9]+[smhdwM])"),
        ("miniTicker", rf"{_SYMBOL}@miniTicker"),
        ("ticker", rf"{_SYMBOL}@ticker"),
        ("windowTicker", rf"{_SYMBOL}@ticker_(?P<param>1h|4h|1d)"),
        ("bookTicker", rf"{_SYMBOL}@bookTicker"),
        ("avgPrice", rf"{_SYMBOL}@avgPrice"),
        ("partialDepth", rf"{_SYMBOL}@depth(?P<param>5|10|20)(?P<speed>@100ms|@1000ms)?"),
        ("depth", rf"{_SYMBOL}@depth(?P<speed>@100ms|@1000ms)?"),
        ("allMiniTickers", r"!miniTicker@arr"),
        ("allBookTickers", r"!bookTicker"),
        ("allWindowTickers", r"!ticker_(?P<param>1h|4h|1d)@arr"),
    )
]


@dataclass(frozen=True, slots=True)
class StreamName:
    """One stream: ``symbol`` in upper case (None for the all-market streams), ``param`` the kline
    interval, ticker window or partial depth levels, ``speed_ms`` how often a timed stream sends."""

    text: str
    kind: str
    symbol: str | None = None
    param: str = ""
    speed_ms: int = SLOW_MS


def parse(text: str) -> StreamName | None:
    """The stream ``text`` names, or None if it is of no form Binance serves."""
    for kind, pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m is None:
            continue
        groups = m.groupdict()
        param = groups.get("param") or ""
        if kind == "kline" and param not in INTERVALS:
            return None
        speed = FAST_MS if groups.get("speed") == "@100ms" else SLOW_MS
        symbol = groups.get("symbol")
        return StreamName(text, kind, symbol.upper() if symbol else None, param, speed)
    return None
