"""Binance's public market-data records: one type for each, whether read from a data file or served.

Binance's data files (data.binance.vision) are dumps of the same aggregate trades and candles its
API serves, column for column, so a row read from a file and a record the history answers with
are the same thing. Prices and quote volumes are in quote units, quantities and volumes in base
units, times in ms. They are tuples so that a list of them is an int64 matrix to numpy.
"""

from __future__ import annotations

from typing import NamedTuple


class AggTrade(NamedTuple):
    """One aggregate trade: consecutive fills of one taker order at one price."""

    id: int
    price: int
    qty: int
    first_trade_id: int
    last_trade_id: int
    time: int
    buyer_is_maker: bool
    best_match: bool = True  # the files carry the column; every trade of a matching engine is the best match


class Kline(NamedTuple):
    """One candle; ``count`` trades between ``open_time`` and ``close_time`` (both included)."""

    open_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    close_time: int
    quote_volume: int
    count: int  # type: ignore[assignment]  # Binance's column name: NamedTuple's count() gives way
    taker_buy_volume: int
    taker_buy_quote_volume: int
