"""Reading a book's price levels without walking its orders.

The kernel keeps each level's total quantity and order count beside its order queue, and finds the
next occupied price with a couple of bit scans: the best levels of a side, or the levels at given
prices, cost a handful of steps each however many orders rest. Market data (depth, book tickers,
depth streams) reads levels this way after every change, so it must not grow with the book.

Kept apart from ``_kernel`` so that the matching kernel's compiled cache is not invalidated by
readers that never write the state.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._kernel import (
    BUY,
    H_BEST_ASK,
    H_BEST_BID,
    H_MAX_OFF,
    H_MIN_TICK,
    L_CNT,
    L_QTY,
    PAGE_BITS,
    I64Array,
    _lvl,
    _next_down,
    _next_up,
    _page_of,
)


@njit(cache=True)
def top_levels(st: I64Array, side: int, limit: int) -> I64Array:
    """The best ``limit`` levels of ``side`` (all of them for a negative limit), best first, as rows
    of (price in ticks, total lots, orders). Bids and asks share the occupancy bitmap, and a book
    that is never crossed has only bids below its best bid and only asks above its best ask."""
    best = st[H_BEST_BID] if side == BUY else st[H_BEST_ASK]
    cap = 64 if limit < 0 else limit
    out = np.empty((cap, 3), dtype=np.int64)
    n = 0
    t = best
    while t >= 0 and (limit < 0 or n < limit):
        if n == cap:
            cap *= 2
            grown = np.empty((cap, 3), dtype=np.int64)
            grown[:n] = out[:n]
            out = grown
        lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
        out[n, 0] = t + st[H_MIN_TICK]
        out[n, 1] = st[lb + L_QTY]
        out[n, 2] = st[lb + L_CNT]
        n += 1
        t = _next_down(st, t - 1) if side == BUY else _next_up(st, t + 1)
    return out[:n]


@njit(cache=True)
def level_lots(st: I64Array, sides: I64Array, ticks: I64Array) -> I64Array:
    """The total lots resting on each side at each price (in ticks): 0 where none rests. A level
    belongs to the bids at or below the best bid and to the asks at or above the best ask."""
    out = np.zeros(len(ticks), dtype=np.int64)
    bid, ask = st[H_BEST_BID], st[H_BEST_ASK]
    for i in range(len(ticks)):
        t = ticks[i] - st[H_MIN_TICK]
        if t < 0 or t > st[H_MAX_OFF]:
            continue
        if (t > bid) if sides[i] == BUY else (ask < 0 or t < ask):
            continue
        slot = _page_of(st, t >> PAGE_BITS)
        if slot >= 0:
            out[i] = st[_lvl(st, slot, t) + L_QTY]
    return out
