"""Trade tapes: history as the replay prints it, columns of trades in the market's asset units.

A ``TradeTape`` is four int64 columns (time, price, quantity, taker side); ``tapes`` turns any
replay source (typed rows or chunks of ``datafiles``, or tapes) into a stream of them, checking
that time never goes back. aggTrades rows are trades already.

**Klines.** Each candle becomes trades that visit open -> low -> high -> close when it closed at or
above its open, open -> high -> low -> close otherwise (consecutive equal prices merged): the
points sit at open_time + j * length / k (j = 0..k-1, the first at the open time), the volume is
split evenly over them in lots (the remainder one lot each to the first points), and the taker-buy
volume is spread over them in proportion (cumulative rounding), each point printing its buy part
and its sell part (the side moving the price first). So the served candles have the source's open,
high, low, close, volume and taker-buy volume exactly; quote volume and trade count differ. A
candle with less volume than points (in lots) keeps open, close, then the extremes; one with no
volume prints nothing (Binance's quiet candle, flat at the previous close, is what the venue serves).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple, TypeVar

import numpy as np

from engine import Side

from ..market_data import AggTrade, Kline
from . import datafiles as df

BUY, SELL = int(Side.BUY), int(Side.SELL)  # the side column's values
T = TypeVar("T")


class TradeTape(NamedTuple):
    """Trades to print, in time order: ms, quote units, base units, taker side (0 buy, 1 sell)."""

    time: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    side: np.ndarray


ReplayRow = AggTrade | Kline
ReplayItem = TradeTape | df.AggTradeChunk | df.KlineChunk | ReplayRow  # what a replay source may yield


def agg_trade_tape(data: np.ndarray) -> TradeTape:
    """aggTrades rows (``datafiles`` columns) as trades: the taker sold when the buyer was the maker."""
    return TradeTape(
        np.ascontiguousarray(data[:, df.A_TIME]),
        np.ascontiguousarray(data[:, df.A_PRICE]),
        np.ascontiguousarray(data[:, df.A_QTY]),
        np.where(data[:, df.A_BUYER_MAKER] != 0, SELL, BUY).astype(np.int64),
    )


class KlineTrades:
    """Candles -> trades by the path rule of the module docstring; keeps the volume remainder below
    one lot from candle to candle."""

    def __init__(self, lot: int) -> None:
        self.lot = lot
        self.carry = 0

    def tape(self, data: np.ndarray) -> TradeTape:
        out_t: list[int] = []
        out_p: list[int] = []
        out_q: list[int] = []
        out_s: list[int] = []
        lot = self.lot
        for ot, o, h, lo, c, vol, ct, _qv, _n, buy, _bq in data.tolist():
            units = vol + self.carry
            v = units // lot
            self.carry = units - v * lot
            if v == 0:
                continue
            b = min(buy // lot, v)
            path = [o, lo, h, c] if c >= o else [o, h, lo, c]
            pts = [path[0]]
            for p in path[1:]:
                if p != pts[-1]:
                    pts.append(p)
            if v < len(pts):  # keep open, close, then the extremes
                order = [0, len(pts) - 1] + list(range(1, len(pts) - 1))
                keep = sorted(order[:v])
                pts = [pts[j] for j in keep]
            npts = len(pts)
            span = ct - ot + 1
            cum = 0
            prev_b = 0
            for j, p in enumerate(pts):
                share = v // npts + (1 if j < v % npts else 0)
                cum += share
                bj = b * cum // v - prev_b
                prev_b += bj
                t = ot + j * span // npts
                up = p > pts[j - 1] if j else c >= o
                parts = ((BUY, bj), (SELL, share - bj)) if up else ((SELL, share - bj), (BUY, bj))
                for side, lots in parts:
                    if lots:
                        out_t.append(t)
                        out_p.append(p)
                        out_q.append(lots * lot)
                        out_s.append(side)
        return TradeTape(*(np.array(a, dtype=np.int64) for a in (out_t, out_p, out_q, out_s)))


def _batched(rows: Iterator[T], first: T, size: int) -> Iterator[list[T]]:
    batch = [first]
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def tapes(source: Iterable[ReplayItem], lot: int, chunk_rows: int = df.CHUNK_ROWS) -> Iterator[TradeTape]:
    """Trade tapes from any source: ``TradeTape``s, ``AggTradeChunk``s, ``KlineChunk``s, or typed rows
    (``AggTrade``, ``Kline``); times must not go back."""
    it = iter(source)
    first = next(it, None)
    if first is None:
        return
    klines = KlineTrades(lot)
    last = -1
    if isinstance(first, (AggTrade, Kline)):
        kline = isinstance(first, Kline)
        gen = (np.array(b, dtype=np.int64) for b in _batched(it, first, chunk_rows))
        chunks = (klines.tape(d) if kline else agg_trade_tape(d) for d in gen)
    else:

        def convert(c: ReplayItem) -> TradeTape:
            if isinstance(c, TradeTape):
                return c
            if isinstance(c, df.AggTradeChunk):
                return agg_trade_tape(c.data)
            if isinstance(c, df.KlineChunk):
                return klines.tape(c.data)
            raise TypeError(f"not a replay source item: {type(c).__name__}")

        chunks = (convert(c) for c in _chain(first, it))
    for tape in chunks:
        if not len(tape.time):
            continue
        t = tape.time
        if t[0] < last or (len(t) > 1 and (np.diff(t) < 0).any()):
            raise ValueError("replay rows must be in time order")
        last = int(t[-1])
        yield tape


def _chain(first: T, rest: Iterator[T]) -> Iterator[T]:
    yield first
    yield from rest
