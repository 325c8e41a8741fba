"""Historical replay: the simulated market trades through history's prices at history's times.

``HistoricalReplay`` is a liquidity source (``start``/``advance``/``next_due``) fed by Binance's
public data (``datafiles``): aggTrades, or klines turned into trades (see "Klines" below). Two
house accounts act through the venue's engine like any other account:

* the **maker** keeps a ladder of ``levels`` resting orders a side on a fixed price grid
  (``spacing_bps`` of the first price, or ``spacing_ticks``), asks above and bids below the last
  print, each worth about ``level_notional``: user market orders fill against it and user limit
  orders at a ladder price queue behind it;
* the **taker** prints history. For a trade at price p of quantity q, taker side s:

  1. the maker cancels its ladder orders that would print elsewhere or cross: for a buy, its asks
     below p and its bids at or above p (mirrored for a sell);
  2. the maker places exactly q at p on the passive side, just in time (behind everything already
     resting at p);
  3. the taker sends an immediate-or-cancel LIMIT at p for q. It meets the book in price-time
     priority: a user order at a better price than p, or resting at p before the maker's (the
     ladder's included), trades first; so users are filled by history in their queue turn, and a
     user order behind history's own liquidity at p waits until history's volume there reaches it;
  4. what users took from the taker is left of the just-in-time order, which is cancelled;
  5. the ladder follows the price: after a buy print at p the asks stand on grid prices >= p and
     the bids < p (after a sell: bids <= p, asks > p); only levels that change are sent. It never
     crosses a user's resting order (that would be a trade history did not print): asks stand above
     the best user bid and bids below the best user ask, as the book held them when the batch was
     planned (within a batch user orders only fill or leave, so this stays on the safe side).

  Without user orders in the way every print is exactly history's (price, quantity, time, taker
  side), one trade per aggTrade row (two when a ladder order stood at p: same taker, same price,
  so still one aggregate trade). A trade below the market's minimum order (min qty, min notional)
  is printed by a minimum-size taker against a just-in-time order amended down to q, after the
  maker's own order at p is cancelled; so it is exact too unless a user order stands in front, which
  then trades up to the minimum size. A trade above the maximum order is printed in equal parts at
  the same time and price. Prices are rounded to the nearest tick and quantities to lots (the
  remainder carried to the next row, so the total volume is kept).

**Klines.** Each candle becomes trades that visit open -> low -> high -> close when it closed at or
above its open, open -> high -> low -> close otherwise (consecutive equal prices merged): the
points sit at open_time + j * length / k (j = 0..k-1, the first at the open time), the volume is
split evenly over them in lots (the remainder one lot each to the first points), and the taker-buy
volume is spread over them in proportion (cumulative rounding), each point printing its buy part
and its sell part (the side moving the price first). So the served candles have the source's open,
high, low, close, volume and taker-buy volume exactly; quote volume and trade count differ. A
candle with less volume than points (in lots) keeps open, close, then the extremes; one with no
volume prints nothing (Binance's quiet candle, flat at the previous close, is what the venue serves).

**Speed.** Rows become engine commands in a compiled planner, and run through
``Engine.apply_batch`` in one compiled loop per batch; the venue's records are kept from the event
rows: the fills go to the market's trade history a batch at a time (``MarketHistory.record_many``),
fills with a user go through the venue's own fill handling (``Venue.absorb``), the maker's resting
ladder is registered as the venue's open orders after each batch (``Venue.adopt_resting``). When the market has waiting stop orders (a trade may trigger one) the batch is sent command
by command through the venue instead (``mode="venue"`` always does so: the reference path).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
from numba import njit

from engine import OrderFilled, OrderType, RejectReason, SelfTradePrevention, Side, TimeInForce

from .. import binance_errors as err
from ..orders import OrderRequest
from ..venue import Venue
from . import datafiles as df

# ---- planner parameters, state and constants ----------------------------------------------------

(P_TICK, P_LOT, P_FACTOR, P_MIN_T, P_MAX_T, P_MIN_Q, P_MAX_Q, P_MIN_NOT, P_MAX_NOT, P_GRID, P_LEVELS,
 P_LEVEL_NOT, P_MAKER, P_TAKER, P_USER_ASK, P_USER_BID, P_TFLOOR, P_BASE_OID) = range(18)
S_NEXT, S_LAST, S_CARRY, S_NA, S_NB, S_LADDER = range(6)  # S_LADDER counts ladder commands
L_ASK_PX, L_ASK_OID, L_BID_PX, L_BID_OID = range(4)

BUY, SELL = int(Side.BUY), int(Side.SELL)
_LIMIT = int(OrderType.LIMIT)
_GTC, _IOC = int(TimeInForce.GTC), int(TimeInForce.IOC)
_NO_PRICE = 1 << 62
MAX_PARTS = 64  # a trade larger than this many maximum orders is refused
MAX_LEVELS = 90  # ladder levels a side (the maker stays under MAX_NUM_ORDERS)
_ERR_PRICE, _ERR_SIZE = 1, 2
_UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)
_R_SIDE, _R_PRICE, _R_OID, _R_QTY, _R_OWNER, _R_ORIG = range(6)  # the columns ``Engine.order_rows`` documents

from engine.batch import (  # the engine's batch row layout (see engine/batch.py)
    E_KIND,
    E_OID,
    E_OOWNER,
    E_OTHER,
    E_OWNER,
    E_PRICE,
    E_QTY,
    E_REASON,
    E_SIDE,
    E_TID,
    EV_ACCEPTED,
    EV_AMENDED,
    EV_CANCELED,
    EV_FILL,
    EV_REJECTED,
    X_ACCT,
    X_AMEND,
    X_CANCEL,
    X_KIND,
    X_OID,
    X_PLACE,
    X_PRICE,
    X_QTY,
    X_QUOTE,
    X_SIDE,
    X_STOP,
    X_STP,
    X_TIF,
    X_TIME,
    X_TYPE,
    XW,
)

DEFAULT_BUDGET = 1 << 59  # units of each of the market's assets, per house account


class TradeTape(NamedTuple):
    """Trades to print, in time order: ms, quote units, base units, taker side (0 buy, 1 sell)."""

    time: np.ndarray
    price: np.ndarray
    qty: np.ndarray
    side: np.ndarray


class ReplayError(RuntimeError):
    """History could not be printed (a house order was refused, a price is outside the market)."""


# ---- the compiled planner -------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _put(cmds, n, kind, acct, side, tif, price, qty, oid, now):
    cmds[n, X_KIND] = kind
    cmds[n, X_ACCT] = acct
    cmds[n, X_SIDE] = side
    cmds[n, X_TYPE] = _LIMIT
    cmds[n, X_TIF] = tif
    cmds[n, X_PRICE] = price
    cmds[n, X_QTY] = qty
    cmds[n, X_QUOTE] = 0
    cmds[n, X_STOP] = 0
    cmds[n, X_STP] = 0
    cmds[n, X_OID] = oid
    cmds[n, X_TIME] = now
    return n + 1


@njit(cache=True, inline="always")
def _place(P, S, cmds, n, ptimes, acct, side, tif, pt, lots, now):
    """A LIMIT order; its id is the next one (every house order is accepted)."""
    oid = S[S_NEXT]
    S[S_NEXT] = oid + 1
    ptimes[oid - P[P_BASE_OID]] = now
    return _put(cmds, n, X_PLACE, acct, side, tif, pt * P[P_TICK], lots * P[P_LOT], 0, now), oid


@njit(cache=True, inline="always")
def _min_lots(P, pt):
    per = pt * P[P_FACTOR]  # quote units of one lot at this price
    need = (P[P_MIN_NOT] + per - 1) // per
    return max(need, P[P_MIN_Q], 1)


@njit(cache=True, inline="always")
def _max_lots(P, pt):
    m = P[P_MAX_Q]
    if P[P_MAX_NOT] > 0:
        m = min(m, P[P_MAX_NOT] // (pt * P[P_FACTOR]))
    return m


@njit(cache=True)
def _level_lots(P, pt):
    per = pt * P[P_FACTOR]
    lots = max((P[P_LEVEL_NOT] + per - 1) // per, _min_lots(P, pt))
    return min(lots, _max_lots(P, pt))


@njit(cache=True)
def _cancel_asks_below(P, S, L, cmds, n, lim, now):
    """Cancel the maker's asks priced below ``lim`` (the lowest ones)."""
    na = S[S_NA]
    c = 0
    while c < na and L[L_ASK_PX, c] < lim:
        n = _put(cmds, n, X_CANCEL, P[P_MAKER], 0, 0, 0, 0, L[L_ASK_OID, c], now)
        c += 1
    if c:
        S[S_LADDER] += c
        for j in range(na - c):
            L[L_ASK_PX, j] = L[L_ASK_PX, j + c]
            L[L_ASK_OID, j] = L[L_ASK_OID, j + c]
        S[S_NA] = na - c
    return n


@njit(cache=True)
def _cancel_bids_above(P, S, L, cmds, n, lim, now):
    """Cancel the maker's bids priced above ``lim`` (the highest ones)."""
    nb = S[S_NB]
    c = 0
    while c < nb and L[L_BID_PX, c] > lim:
        n = _put(cmds, n, X_CANCEL, P[P_MAKER], 0, 0, 0, 0, L[L_BID_OID, c], now)
        c += 1
    if c:
        S[S_LADDER] += c
        for j in range(nb - c):
            L[L_BID_PX, j] = L[L_BID_PX, j + c]
            L[L_BID_OID, j] = L[L_BID_OID, j + c]
        S[S_NB] = nb - c
    return n


@njit(cache=True)
def _ladder(P, S, L, cmds, n, ptimes, a0, b0, now):
    """Move the ladder to asks a0, a0 + G, ... and bids b0, b0 - G, ... (``levels`` each, inside
    the price filter); levels already there stay (with their queue place)."""
    g = P[P_GRID]
    levels = P[P_LEVELS]
    lo, hi = P[P_MIN_T], P[P_MAX_T]
    S[S_LADDER] += 1  # (an upper bound is enough: it only says "look at the ladder again")
    # asks: wanted a0 .. a_top
    na = S[S_NA]
    want = 0
    while want < levels and a0 + want * g <= hi:
        want += 1
    if not (na == want and (na == 0 or L[L_ASK_PX, 0] == a0)):
        top = a0 + (want - 1) * g
        n = _cancel_asks_below(P, S, L, cmds, n, a0, now)
        na = S[S_NA]
        while na > 0 and L[L_ASK_PX, na - 1] > top:
            na -= 1
            n = _put(cmds, n, X_CANCEL, P[P_MAKER], 0, 0, 0, 0, L[L_ASK_OID, na], now)
        # kept levels are a contiguous run of the grid inside [a0, top]: add the missing ends
        first = L[L_ASK_PX, 0] if na > 0 else top + g
        front = (first - a0) // g
        if front > 0:
            for j in range(na - 1, -1, -1):
                L[L_ASK_PX, j + front] = L[L_ASK_PX, j]
                L[L_ASK_OID, j + front] = L[L_ASK_OID, j]
            for j in range(front):
                pt = a0 + j * g
                n, oid = _place(P, S, cmds, n, ptimes, P[P_MAKER], SELL, _GTC, pt, _level_lots(P, pt), now)
                L[L_ASK_PX, j] = pt
                L[L_ASK_OID, j] = oid
            na += front
        while na < want:
            pt = L[L_ASK_PX, na - 1] + g
            n, oid = _place(P, S, cmds, n, ptimes, P[P_MAKER], SELL, _GTC, pt, _level_lots(P, pt), now)
            L[L_ASK_PX, na] = pt
            L[L_ASK_OID, na] = oid
            na += 1
        S[S_NA] = na
    # bids: wanted b0 down to b_bottom
    nb = S[S_NB]
    want = 0
    while want < levels and b0 - want * g >= lo:
        want += 1
    if not (nb == want and (nb == 0 or L[L_BID_PX, 0] == b0)):
        bottom = b0 - (want - 1) * g
        n = _cancel_bids_above(P, S, L, cmds, n, b0, now)
        nb = S[S_NB]
        while nb > 0 and L[L_BID_PX, nb - 1] < bottom:
            nb -= 1
            n = _put(cmds, n, X_CANCEL, P[P_MAKER], 0, 0, 0, 0, L[L_BID_OID, nb], now)
        first = L[L_BID_PX, 0] if nb > 0 else bottom - g
        front = (b0 - first) // g
        if front > 0:
            for j in range(nb - 1, -1, -1):
                L[L_BID_PX, j + front] = L[L_BID_PX, j]
                L[L_BID_OID, j + front] = L[L_BID_OID, j]
            for j in range(front):
                pt = b0 - j * g
                n, oid = _place(P, S, cmds, n, ptimes, P[P_MAKER], BUY, _GTC, pt, _level_lots(P, pt), now)
                L[L_BID_PX, j] = pt
                L[L_BID_OID, j] = oid
            nb += front
        while nb < want:
            pt = L[L_BID_PX, nb - 1] - g
            n, oid = _place(P, S, cmds, n, ptimes, P[P_MAKER], BUY, _GTC, pt, _level_lots(P, pt), now)
            L[L_BID_PX, nb] = pt
            L[L_BID_OID, nb] = oid
            nb += 1
        S[S_NB] = nb
    return n


@njit(cache=True)
def _grid_after(P, pt, side):
    """Where the ladder stands after a print at ``pt`` by a taker on ``side`` (-1: no print yet),
    clear of the users' best bid and ask (``P_USER_BID``, ``P_USER_ASK``)."""
    g = P[P_GRID]
    if side == BUY:
        a0 = (pt + g - 1) // g * g
        b0 = (pt - 1) // g * g
    elif side == SELL:
        a0 = (pt // g + 1) * g
        b0 = pt // g * g
    else:
        a0 = (pt // g + 1) * g
        b0 = (pt - 1) // g * g
    # never cross a user's resting order (no user bid: -1 -> 0; no user ask: _NO_PRICE -> huge)
    a0 = max(a0, (P[P_USER_BID] // g + 1) * g)
    b0 = min(b0, (P[P_USER_ASK] - 1) // g * g)
    return max(a0, g), b0


@njit(cache=True)
def plan_ladder(P, S, L, cmds, ptimes, pt, now):
    """The first ladder, around ``pt``; returns (commands, places)."""
    if P[P_LEVELS] == 0:
        return 0, 0
    a0, b0 = _grid_after(P, pt, -1)
    base = S[S_NEXT]
    n = _ladder(P, S, L, cmds, 0, ptimes, a0, b0, now)
    return n, S[S_NEXT] - base


@njit(cache=True)
def plan(tt, tp, tq, ts, i0, i1, P, S, L, cmds, ptimes):
    """Commands printing trades ``i0 .. i1`` until ``cmds`` is nearly full.

    Returns (next trade index, commands written, orders placed, error, trade index of the error).
    """
    cap = cmds.shape[0]
    n = 0
    base = S[S_NEXT]
    tick, lot = P[P_TICK], P[P_LOT]
    lo, hi = P[P_MIN_T], P[P_MAX_T]
    maker, taker = P[P_MAKER], P[P_TAKER]
    levels = P[P_LEVELS]
    need_ladder = 6 * levels + 8
    i = i0
    while i < i1:
        pt = (tp[i] + tick // 2) // tick
        if pt < lo or pt > hi:
            return i, n, S[S_NEXT] - base, _ERR_PRICE, i
        units = tq[i] + S[S_CARRY]
        q = units // lot
        parts = 0
        if q > 0:
            mx = _max_lots(P, pt)
            parts = (q + mx - 1) // mx if mx > 0 else MAX_PARTS + 1
            if parts > MAX_PARTS:
                return i, n, S[S_NEXT] - base, _ERR_SIZE, i
        if n + need_ladder + 5 * parts > cap:
            break
        S[S_CARRY] = units - q * lot
        i += 1
        if q == 0:
            continue
        now = max(tt[i - 1], P[P_TFLOOR])
        side = ts[i - 1]
        small = q < _min_lots(P, pt)
        # 1. clear the maker's orders that would print elsewhere or cross
        if levels:
            if side == BUY:
                n = _cancel_asks_below(P, S, L, cmds, n, pt + 1 if small else pt, now)
                n = _cancel_bids_above(P, S, L, cmds, n, pt - 1, now)
            else:
                n = _cancel_bids_above(P, S, L, cmds, n, pt - 1 if small else pt, now)
                n = _cancel_asks_below(P, S, L, cmds, n, pt + 1, now)
        if side == BUY:
            ahead = (S[S_NA] > 0 and L[L_ASK_PX, 0] == pt) or P[P_USER_ASK] <= pt
        else:
            ahead = (S[S_NB] > 0 and L[L_BID_PX, 0] == pt) or P[P_USER_BID] >= pt
        # 2-4. just-in-time maker, immediate-or-cancel taker, leftover cancelled
        left = q
        for part in range(parts):
            size = left // (parts - part)
            left -= size
            order = max(size, _min_lots(P, pt))
            n, jit = _place(P, S, cmds, n, ptimes, maker, 1 - side, _GTC, pt, order, now)
            if order > size:
                n = _put(cmds, n, X_AMEND, maker, 0, 0, 0, size * lot, jit, now)
            n, _ = _place(P, S, cmds, n, ptimes, taker, side, _IOC, pt, order, now)
            if ahead:
                n = _put(cmds, n, X_CANCEL, maker, 0, 0, 0, 0, jit, now)
        # 5. the ladder follows
        if levels:
            a0, b0 = _grid_after(P, pt, side)
            n = _ladder(P, S, L, cmds, n, ptimes, a0, b0, now)
        S[S_LAST] = pt
    return i, n, S[S_NEXT] - base, 0, 0


# ---- tapes: what the sources become ---------------------------------------------------------------

def agg_trade_tape(data: np.ndarray) -> TradeTape:
    """aggTrades rows (``datafiles`` columns) as trades: the taker sold when the buyer was the maker."""
    return TradeTape(np.ascontiguousarray(data[:, df.A_TIME]), np.ascontiguousarray(data[:, df.A_PRICE]),
                     np.ascontiguousarray(data[:, df.A_QTY]),
                     np.where(data[:, df.A_BUYER_MAKER] != 0, SELL, BUY).astype(np.int64))


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


def _batched(rows: Iterator, first, size: int) -> Iterator[list]:
    batch = [first]
    for r in rows:
        batch.append(r)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def tapes(source: Iterable, lot: int, chunk_rows: int = df.CHUNK_ROWS) -> Iterator[TradeTape]:
    """Trade tapes from any source: ``TradeTape``s, ``AggTradeChunk``s, ``KlineChunk``s, or typed rows
    (``AggTradeRow``, ``KlineRow``); times must not go back."""
    it = iter(source)
    first = next(it, None)
    if first is None:
        return
    klines = KlineTrades(lot)
    last = -1
    if isinstance(first, (df.AggTradeRow, df.KlineRow)):
        kline = isinstance(first, df.KlineRow)
        gen = (np.array(b, dtype=np.int64) for b in _batched(it, first, chunk_rows))
        chunks = (klines.tape(d) if kline else agg_trade_tape(d) for d in gen)
    else:
        def convert(c):
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


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


# ---- the source ---------------------------------------------------------------------------------

class HistoricalReplay:
    """A liquidity source printing history's trades on one market (see the module docstring).

    ``rows_source``: typed rows or chunks from ``datafiles``, or ``TradeTape``s, in time order, with
    prices and quantities already in the market's asset units. ``mode``: "batch" (compiled,
    the default) or "venue" (every command through ``Venue.place``/``cancel``/``amend``).
    """

    def __init__(self, symbol: str, rows_source: Iterable, *, levels: int = 10, spacing_bps: int = 2,
                 spacing_ticks: int | None = None, level_notional: int | None = None,
                 budget: int = DEFAULT_BUDGET, mode: str = "batch", batch_rows: int = 16_384) -> None:
        if mode not in ("batch", "venue"):
            raise ValueError(f"mode must be 'batch' or 'venue', got {mode!r}")
        if not 0 <= levels <= MAX_LEVELS:
            raise ValueError(f"levels must be in [0, {MAX_LEVELS}], got {levels}")
        if (spacing_ticks is not None and spacing_ticks <= 0) or spacing_bps <= 0:
            raise ValueError("the ladder spacing must be positive")
        self.symbol = symbol
        self.mode = mode
        self.levels = levels
        self.spacing_bps = spacing_bps
        self.spacing_ticks = spacing_ticks
        self.level_notional = level_notional
        self.budget = budget
        self.batch_rows = batch_rows
        self._source = rows_source
        self._tapes: Iterator[TradeTape] | None = None
        self._tape: TradeTape | None = None
        self._pos = 0
        self._venue: Venue | None = None
        self.maker = 0
        self.taker = 0
        self._P = np.zeros(18, dtype=np.int64)
        self._P[P_USER_ASK], self._P[P_USER_BID] = _NO_PRICE, -1  # no user orders seen yet
        self._S = np.zeros(6, dtype=np.int64)
        self._L = np.zeros((4, max(levels, 1) + 1), dtype=np.int64)
        self._registered: dict[int, int] = {}  # the maker's resting orders at the last reconcile: id -> lots
        self._seen_update_id = -1  # the book's update id after our last batch: unchanged = nobody else acted
        self._cmds: np.ndarray | None = None
        self._ptimes: np.ndarray | None = None
        self.rows_done = 0  # trades printed (after klines became trades)
        self.commands = 0
        self.fallbacks = 0  # advances sent command by command because stop orders were waiting

    # ---- construction from files ----

    @classmethod
    def from_file(cls, path: str | os.PathLike | list, symbol: str, venue: Venue, kind: str = "auto",
                  start: int | None = None, end: int | None = None, **options) -> HistoricalReplay:
        """A replay of one data file (or several, in order): ``kind`` "aggTrades", "klines" or "auto"
        (from the file name, else the column count); decimals are the market's; only the rows
        from ``start`` (ms, a kline's open time) and before ``end``, if given."""
        first = path if isinstance(path, (str, os.PathLike)) else path[0]
        if kind == "auto":
            kind = df.detect_kind(first)
        spec = venue.market(symbol).spec if symbol in venue.markets else None
        if spec is None:
            raise ValueError(f"{symbol}: no such market; listed: {sorted(venue.markets)}")
        pd, qd = spec.quote.decimals, spec.base.decimals
        if kind not in (df.AGG_TRADES, df.KLINES):
            raise ValueError(f"kind must be 'aggTrades', 'klines' or 'auto', got {kind!r}")
        return cls(symbol, df.chunks_between(path, kind, pd, qd, start, end), **options)

    # ---- the LiquiditySource protocol ----

    def start(self, venue: Venue, now: int) -> None:
        with venue.lock:
            if self._venue is not None:
                raise RuntimeError("this replay has already started")
            market = venue.markets.get(self.symbol)
            if market is None:
                raise ValueError(f"{self.symbol}: no such market; listed: {sorted(venue.markets)}")
            spec = market.spec
            self._venue = venue
            self._tapes = tapes(self._source, spec.lot_size.step_size)
            budget = {spec.base.code: self.budget, spec.quote.code: self.budget}
            self.maker = venue.create_account(budget, permissions=("SPOT",), house=True)
            self.taker = venue.create_account(budget, permissions=("SPOT",), house=True)
            tape = self._current()
            P = self._P
            tick = spec.price_filter.tick_size
            P[P_TICK], P[P_LOT], P[P_FACTOR] = tick, spec.lot_size.step_size, spec.notional_factor
            P[P_MIN_T], P[P_MAX_T] = spec.min_tick, spec.max_tick
            P[P_MIN_Q] = spec.lot_size.min_qty // spec.lot_size.step_size
            P[P_MAX_Q] = spec.lot_size.max_qty // spec.lot_size.step_size
            P[P_MIN_NOT], P[P_MAX_NOT] = spec.notional.min_notional, spec.notional.max_notional
            P[P_LEVELS] = self.levels
            P[P_MAKER], P[P_TAKER] = self.maker, self.taker
            notional = self.level_notional
            if notional is None:
                notional = 400 * spec.notional.min_notional or 100 * 10**spec.quote.decimals
            P[P_LEVEL_NOT] = notional
            if tape is None:
                P[P_GRID] = 1
                return
            p0 = max(int(tape.price[self._pos]) // tick, 1)
            P[P_GRID] = self.spacing_ticks or max(1, p0 * self.spacing_bps // 10_000)
            p0 = min(max(p0, spec.min_tick), spec.max_tick)
            self._see_users(venue)  # users' orders resting before the start: the first ladder keeps clear
            self._run(venue, lambda cmds, ptimes: plan_ladder(P, self._S, self._L, cmds, ptimes, p0, now))

    def next_due(self) -> int | None:
        tape = self._current()
        return None if tape is None else int(tape.time[self._pos])

    def advance(self, venue: Venue, now: int) -> None:
        if self._venue is None:
            raise RuntimeError("start the replay before advancing it")
        with venue.lock:
            while True:
                tape = self._current()
                if tape is None:
                    return
                end = int(np.searchsorted(tape.time, now, side="right"))
                if end <= self._pos:
                    return
                while self._pos < end:
                    stop = min(end, self._pos + self.batch_rows)
                    self._print(venue, tape, self._pos, stop)
                    self._pos = stop
                if end < len(tape.time):
                    return

    # ---- internals ----

    def _current(self) -> TradeTape | None:
        """The tape holding the next trade (None when history is over)."""
        if self._tapes is None:
            raise RuntimeError("start the replay first")
        while self._tape is None or self._pos >= len(self._tape.time):
            self._tape = next(self._tapes, None)
            self._pos = 0
            if self._tape is None:
                return None
        return self._tape

    def _print(self, venue: Venue, tape: TradeTape, i0: int, i1: int) -> None:
        P, S, L = self._P, self._S, self._L
        market = venue.markets[self.symbol]
        last = market.history.last()
        P[P_TFLOOR] = last.time if last is not None else 0
        if market.update_id != self._seen_update_id:  # users placed, cancelled or traded since
            self._see_users(venue)
        at = [i0, 0, 0]  # next trade, error, trade of the error

        def planned(cmds: np.ndarray, ptimes: np.ndarray) -> tuple[int, int]:
            i, n, places, error, where = plan(tape.time, tape.price, tape.qty, tape.side, at[0], i1, P, S, L, cmds,
                                              ptimes)
            self.rows_done += i - at[0]
            at[:] = i, error, where
            return n, places

        while at[0] < i1:
            self._run(venue, planned)
            if at[1]:
                self._refuse(at[1], tape, at[2])

    def _see_users(self, venue: Venue) -> None:
        """The users' best resting prices (ticks) for the planner: history's taker meets them first,
        the ladder keeps clear of them."""
        P = self._P
        book = venue.book_rows(self.symbol)
        users = book[(book[:, _R_OWNER] != self.maker) & (book[:, _R_OWNER] != self.taker)]
        asks, bids = users[users[:, _R_SIDE] == SELL, _R_PRICE], users[users[:, _R_SIDE] == BUY, _R_PRICE]
        P[P_USER_ASK] = int(asks.min()) if len(asks) else _NO_PRICE
        P[P_USER_BID] = int(bids.max()) if len(bids) else -1

    def _refuse(self, error: int, tape: TradeTape, at: int) -> None:
        spec = self._venue.markets[self.symbol].spec
        t, p, q = int(tape.time[at]), int(tape.price[at]), int(tape.qty[at])
        if error == _ERR_PRICE:
            raise ReplayError(f"{self.symbol}: the trade at {t} prices {p} units, outside the market's prices "
                              f"[{spec.price_filter.min_price}, {spec.price_filter.max_price}]")
        raise ReplayError(f"{self.symbol}: the trade at {t} of {q} units needs more than {MAX_PARTS} maximum orders")

    def _run(self, venue: Venue, planner) -> None:
        """Plan one batch of commands and send it."""
        if self._cmds is None:
            cap = max(4096, self.batch_rows * 5 + 12 * self.levels + 64)
            self._cmds = np.empty((cap, XW), dtype=np.int64)
            self._ptimes = np.empty(cap, dtype=np.int64)
        cmds, ptimes = self._cmds, self._ptimes
        base = venue.next_order_id(self.symbol)
        self._S[S_NEXT] = base
        self._P[P_BASE_OID] = base
        ladder = int(self._S[S_LADDER])
        n, places = planner(cmds, ptimes)
        if n == 0:
            return
        self.commands += n
        sink = None
        if self.mode == "venue" or venue.stop_orders(self.symbol):
            if self.mode == "batch":
                self.fallbacks += 1
            self._send_each(venue, cmds[:n], base)
            touched = True
        else:
            sink = _BatchSink(self, venue, base, ptimes[:places])
            sink.send(cmds[:n])
            touched = sink.touched or self._S[S_LADDER] != ladder
        if touched:
            self._reconcile(venue)
        # when a user's order traded, look at their orders again next time (the best ones may be gone)
        traded = sink is None or sink.user_fills > 0
        self._seen_update_id = -1 if traded else venue.markets[self.symbol].update_id

    def _send_each(self, venue: Venue, cmds: np.ndarray, base: int) -> None:
        """The reference path: each command through the venue (records, stops and all)."""
        placed = 0
        sym = self.symbol
        for kind, acct, side, _t, tif, price, qty, _q, _s, _stp, oid, _now in cmds.tolist():
            if kind == X_PLACE:
                req = OrderRequest(sym, Side(side), OrderType.LIMIT, TimeInForce(tif), qty, price, 0, 0, None,
                                   SelfTradePrevention.NONE, "ACK")
                try:
                    got = venue.place(acct, req).order.order_id
                except err.ApiError as e:
                    raise ReplayError(f"{sym}: a house order was refused ({e}): {req}") from e
                if got != base + placed:  # the plan names orders by the ids the engine gives in order
                    raise ReplayError(f"{sym}: order id {got} where {base + placed} was expected")
                placed += 1
            else:
                try:
                    if kind == X_CANCEL:
                        venue.cancel(acct, sym, oid, None)
                    else:
                        venue.amend(acct, sym, oid, None, qty, None)
                except err.ApiError:
                    pass  # already filled: nothing left to cancel or amend

    def _reconcile(self, venue: Venue) -> None:
        """Make the venue's records of the maker's resting orders match the book: register new ones,
        bring partly filled ones up to date, drop those gone. An order still holding the lots it held
        last time has a record that is up to date (only a fill changes either)."""
        sym = self.symbol
        book = venue.book_rows(sym)
        mine = book[book[:, _R_OWNER] == self.maker]
        resting = dict(zip(mine[:, _R_OID].tolist(), mine[:, _R_QTY].tolist()))
        registered = self._registered
        for oid in registered.keys() - resting.keys():
            venue.forget_order(sym, oid)
        now = venue.now()
        spec = venue.markets[sym].spec
        tick, lot, scale = spec.price_filter.tick_size, spec.lot_size.step_size, 10**spec.base.decimals
        for side, pt, oid, lots, _, orig in mine.tolist():
            if registered.get(oid) != lots:
                done = (orig - lots) * lot
                venue.adopt_resting(self.maker, sym, oid, Side(side), OrderType.LIMIT, pt * tick, orig * lot, now,
                                    done, done * pt * tick // scale)
        self._registered = resting


class _BatchSink:
    """Runs a batch through ``Engine.apply_batch`` and keeps the venue's records from its event rows."""

    def __init__(self, replay: HistoricalReplay, venue: Venue, base: int, ptimes: np.ndarray) -> None:
        self.replay = replay
        self.venue = venue
        self.market = venue.markets[replay.symbol]
        spec = self.market.spec
        self.tick, self.lot, self.factor = spec.price_filter.tick_size, spec.lot_size.step_size, spec.notional_factor
        self.base = base
        self.ptimes = ptimes
        self.maker, self.taker = replay.maker, replay.taker
        self.touched = False  # a fill of a house order from an earlier batch (a registered ladder order)
        self.user_fills = 0

    def send(self, cmds: np.ndarray) -> None:
        self.venue.apply_batch(self.replay.symbol, cmds, self.sink)

    def sink(self, rows: np.ndarray) -> None:
        kinds = rows[:, E_KIND]
        rejected = kinds == EV_REJECTED
        if rejected.any():
            bad = rejected & (rows[:, E_REASON] != _UNKNOWN_ORDER)
            if bad.any():
                r = rows[np.flatnonzero(bad)[0]]
                raise ReplayError(f"{self.replay.symbol}: a house order was refused "
                                  f"({RejectReason(int(r[E_REASON])).name}): account {int(r[E_OWNER])}, "
                                  f"price {int(r[E_PRICE])}, quantity {int(r[E_QTY])}")
        changed = (kinds == EV_ACCEPTED) | (kinds == EV_CANCELED) | (kinds == EV_AMENDED)
        self.market.update_id += int(np.count_nonzero(changed))
        at = np.flatnonzero(kinds == EV_FILL)
        if not len(at):
            return
        f = rows[at]
        owner, other = f[:, E_OWNER], f[:, E_OOWNER]
        m, t = self.maker, self.taker
        house = ((owner == m) | (owner == t)) & ((other == m) | (other == t))
        if not self.touched:
            self.touched = bool((f[:, E_OTHER] < self.base).any())
        times = self.ptimes[f[:, E_OID] - self.base]
        if house.all():
            self._record(f, times)
            return
        start = 0
        for j in np.flatnonzero(~house).tolist():
            self.user_fills += 1
            self._record(f[start:j], times[start:j])
            self._user_fill(f[j], int(times[j]))
            start = j + 1
        self._record(f[start:], times[start:])

    def _record(self, f: np.ndarray, times: np.ndarray) -> None:
        n = len(f)
        if not n:
            return
        tid = f[:, E_TID]
        first = int(tid[0])
        if int(tid[-1]) - first != n - 1:  # the engine numbers a market's trades one by one
            raise ValueError(f"{self.replay.symbol}: trade ids {first}..{int(tid[-1])} are not consecutive")
        px, q = f[:, E_PRICE], f[:, E_QTY]
        self.market.history.record_many(first, px * self.tick, q * self.lot, px * q * self.factor, times,
                                        f[:, E_SIDE] == SELL, f[:, E_OID])

    def _user_fill(self, r: np.ndarray, now: int) -> None:
        """A fill with a user's order: through the venue's own fill handling (records, myTrades,
        history), with a passing record for the house order if the venue keeps none."""
        venue, sym = self.venue, self.replay.symbol
        (_, oid, other, px, q, owner, oowner, rem, mrem, tid, side, _, fee_t, fee_m) = (int(v) for v in r)
        event = OrderFilled(tid, oid, other, Side(side), px * self.tick, q * self.lot, owner, oowner,
                            rem * self.lot, mrem * self.lot, sym, px * q * self.factor, fee_t, fee_m)
        temporary = []
        for order_id, acct, s, remaining in ((oid, owner, side, rem), (other, oowner, 1 - side, mrem)):
            if not venue.is_open(sym, order_id):
                venue.adopt_resting(acct, sym, order_id, Side(s), OrderType.LIMIT, px * self.tick,
                                    (q + remaining) * self.lot, now)
                temporary.append(order_id)
        venue.absorb([event], now)
        for order_id in temporary:
            venue.forget_order(sym, order_id)


def replay_all(replay: HistoricalReplay, venue: Venue, clock, step_ms: int | None = None) -> None:
    """Drive a replay to its end on a ``ManualClock``: to each next due time (``step_ms`` None), or
    in steps of ``step_ms``. For tests, benchmarks and scripts; a server has its own driver."""
    while (due := replay.next_due()) is not None:
        target = due if step_ms is None else max(due, math.ceil((clock.now_ms() + 1) / step_ms) * step_ms)
        if target > clock.now_ms():
            clock.set(target)
        replay.advance(venue, venue.now())
