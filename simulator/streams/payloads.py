"""Market stream messages, field for field as Binance sends them (numbers as exact decimal text).

Each function renders one event from integers in asset units; the REST renderers
(``simulator/http/render.py``) print every number, so a price reads the same on a stream and in
``/api/v3/depth``.
"""

from __future__ import annotations

from engine import MarketSpec, Side

from ..history import Trade, WindowStats
from ..http import render
from ..http.render import percent_change, px, qty
from ..market_data import AggTrade, Kline

Levels = list[list[str]]


def trade(spec: MarketSpec, t: Trade, event_time: int) -> dict[str, object]:
    return {
        "e": "trade",
        "E": event_time,
        "s": spec.symbol,
        "t": t.id,
        "p": px(spec, t.price),
        "q": qty(spec, t.qty),
        "T": t.time,
        "m": t.buyer_is_maker,
        "M": True,
    }


def agg_trade(spec: MarketSpec, a: AggTrade, event_time: int) -> dict[str, object]:
    """``/api/v3/aggTrades``' row with the event's type, time and symbol in front."""
    return {"e": "aggTrade", "E": event_time, "s": spec.symbol, **render.agg_trade(spec, a)}


def levels(spec: MarketSpec, rows: list[tuple[int, int]] | tuple[tuple[int, int], ...]) -> Levels:
    return [[px(spec, p), qty(spec, q)] for p, q in rows]


def depth_update(
    spec: MarketSpec, event_time: int, first: int, last: int, changed: dict[tuple[Side, int], int]
) -> dict[str, object]:
    """A diff of the book from update ``first`` to ``last``: every level touched, with its total now
    (0: gone); bids best first, asks best first."""
    bids = sorted(((p, q) for (side, p), q in changed.items() if side == Side.BUY), reverse=True)
    asks = sorted((p, q) for (side, p), q in changed.items() if side == Side.SELL)
    return {
        "e": "depthUpdate",
        "E": event_time,
        "s": spec.symbol,
        "U": first,
        "u": last,
        "b": levels(spec, bids),
        "a": levels(spec, asks),
    }


def partial_depth(
    spec: MarketSpec, update_id: int, bids: tuple[tuple[int, int], ...], asks: tuple[tuple[int, int], ...], n: int
) -> dict[str, object]:
    return {"lastUpdateId": update_id, "bids": levels(spec, bids[:n]), "asks": levels(spec, asks[:n])}


def book_ticker(spec: MarketSpec, update_id: int, bid: tuple[int, int], ask: tuple[int, int]) -> dict[str, object]:
    return {
        "u": update_id,
        "s": spec.symbol,
        "b": px(spec, bid[0]),
        "B": qty(spec, bid[1]),
        "a": px(spec, ask[0]),
        "A": qty(spec, ask[1]),
    }


def kline(
    spec: MarketSpec, interval: str, k: Kline, first_id: int, last_id: int, closed: bool, event_time: int
) -> dict[str, object]:
    return {
        "e": "kline",
        "E": event_time,
        "s": spec.symbol,
        "k": {
            "t": k.open_time,
            "T": k.close_time,
            "s": spec.symbol,
            "i": interval,
            "f": first_id,
            "L": last_id,
            "o": px(spec, k.open),
            "c": px(spec, k.close),
            "h": px(spec, k.high),
            "l": px(spec, k.low),
            "v": qty(spec, k.volume),
            "n": k.count,
            "x": closed,
            "q": px(spec, k.quote_volume),
            "V": qty(spec, k.taker_buy_volume),
            "Q": px(spec, k.taker_buy_quote_volume),
            "B": "0",
        },
    }


def _stats(spec: MarketSpec, stats: WindowStats | None, last_price: int) -> tuple[int, int, int, int, int, int]:
    if stats is None:
        return 0, 0, 0, last_price, 0, 0
    return stats.open, stats.high, stats.low, stats.close, stats.volume, stats.quote_volume


def mini_ticker(spec: MarketSpec, stats: WindowStats | None, last_price: int, event_time: int) -> dict[str, object]:
    open_, high, low, close, volume, quote_volume = _stats(spec, stats, last_price)
    return {
        "e": "24hrMiniTicker",
        "E": event_time,
        "s": spec.symbol,
        "c": px(spec, close),
        "o": px(spec, open_),
        "h": px(spec, high),
        "l": px(spec, low),
        "v": qty(spec, volume),
        "q": px(spec, quote_volume),
    }


def ticker(
    spec: MarketSpec,
    event: str,
    stats: WindowStats | None,
    last_price: int,
    open_time: int,
    event_time: int,
    prev_close: int | None = None,
    book: tuple[tuple[int, int], tuple[int, int]] | None = None,
) -> dict[str, object]:
    """``24hrTicker`` (with ``prev_close`` and ``book``) or a rolling window's ``1hTicker``, ..."""
    open_, high, low, close, volume, quote_volume = _stats(spec, stats, last_price)
    out: dict[str, object] = {
        "e": event,
        "E": event_time,
        "s": spec.symbol,
        "p": px(spec, close - open_ if stats else 0),
        "P": percent_change(open_, close),
        "w": px(spec, stats.weighted_avg_price(spec.base.decimals) if stats else 0),
    }
    if prev_close is not None:
        out["x"] = px(spec, prev_close)
        out["c"] = px(spec, close)
        out["Q"] = qty(spec, stats.last_qty if stats else 0)
        (bid, bid_qty), (ask, ask_qty) = book or ((0, 0), (0, 0))
        out |= {"b": px(spec, bid), "B": qty(spec, bid_qty), "a": px(spec, ask), "A": qty(spec, ask_qty)}
    out |= {"o": px(spec, open_), "h": px(spec, high), "l": px(spec, low), "c": px(spec, close)}
    if prev_close is None:
        out["w"] = out.pop("w")  # (a rolling window's order: o, h, l, c, w)
    out |= {
        "v": qty(spec, volume),
        "q": px(spec, quote_volume),
        "O": open_time,
        "C": event_time,
        "F": stats.first_id if stats else -1,
        "L": stats.last_id if stats else -1,
        "n": stats.count if stats else 0,
    }
    return out


def avg_price(spec: MarketSpec, minutes: int, price: int, last_trade_time: int, event_time: int) -> dict[str, object]:
    return {
        "e": "avgPrice",
        "E": event_time,
        "s": spec.symbol,
        "i": f"{minutes}m",
        "w": px(spec, price),
        "T": last_trade_time,
    }
