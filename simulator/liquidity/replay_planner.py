"""The replay's compiled planner: history's trades -> engine batch commands, in numba.

Given a tape of trades, the market's parameters (``P``), the planner's running state (``S``) and
the maker's ladder (``L``), ``plan`` writes the commands that print each trade (the steps 1-5
of ``replay``'s docstring) into an ``XW``-wide command array for ``Engine.apply_batch``, and
``plan_ladder`` the first ladder. Prices are in ticks and quantities in lots inside; orders are
named by the ids the engine will give them, in order (every house order is accepted), and each
placed order's time goes to ``ptimes`` so the venue's records can be kept from the event rows.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

from engine import OrderType, Side, TimeInForce
from engine.batch import (  # the engine's batch row layout (see engine/batch.py)
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
)

I64Array = npt.NDArray[np.int64]  # parameters, state, ladder, commands, tape columns: always int64

# ---- parameters (P), state (S) and ladder (L) rows ---------------------------------------------------

(
    P_TICK,
    P_LOT,
    P_FACTOR,
    P_MIN_T,
    P_MAX_T,
    P_MIN_Q,
    P_MAX_Q,
    P_MIN_NOT,
    P_MAX_NOT,
    P_GRID,
    P_LEVELS,
    P_LEVEL_NOT,
    P_MAKER,
    P_TAKER,
    P_USER_ASK,
    P_USER_BID,
    P_TFLOOR,
    P_BASE_OID,
) = range(18)
P_SIZE = 18
S_NEXT, S_LAST, S_CARRY, S_NA, S_NB, S_LADDER = range(6)  # S_LADDER counts ladder commands
S_SIZE = 6
L_ASK_PX, L_ASK_OID, L_BID_PX, L_BID_OID = range(4)
L_ROWS = 4

BUY, SELL = int(Side.BUY), int(Side.SELL)
_LIMIT = int(OrderType.LIMIT)
_GTC, _IOC = int(TimeInForce.GTC), int(TimeInForce.IOC)
NO_PRICE = 1 << 62  # no user ask seen (the planner's P_USER_ASK)
MAX_PARTS = 64  # a trade larger than this many maximum orders is refused
MAX_LEVELS = 90  # ladder levels a side (the maker stays under MAX_NUM_ORDERS)
ERR_PRICE, ERR_SIZE = 1, 2  # what ``plan`` reports: a price outside the market, a trade too large


# ---- the compiled planner -------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _put(
    cmds: I64Array, n: int, kind: int, acct: int, side: int, tif: int, price: int, qty: int, oid: int, now: int
) -> int:
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
def _place(
    P: I64Array,
    S: I64Array,
    cmds: I64Array,
    n: int,
    ptimes: I64Array,
    acct: int,
    side: int,
    tif: int,
    pt: int,
    lots: int,
    now: int,
) -> tuple[int, int]:
    """A LIMIT order; its id is the next one (every house order is accepted)."""
    oid = S[S_NEXT]
    S[S_NEXT] = oid + 1
    ptimes[oid - P[P_BASE_OID]] = now
    return _put(cmds, n, X_PLACE, acct, side, tif, pt * P[P_TICK], lots * P[P_LOT], 0, now), oid


@njit(cache=True, inline="always")
def _min_lots(P: I64Array, pt: int) -> int:
    per = pt * P[P_FACTOR]  # quote units of one lot at this price
    need = (P[P_MIN_NOT] + per - 1) // per
    lots: int = max(need, P[P_MIN_Q], 1)
    return lots


@njit(cache=True, inline="always")
def _max_lots(P: I64Array, pt: int) -> int:
    m: int = P[P_MAX_Q]
    if P[P_MAX_NOT] > 0:
        m = min(m, P[P_MAX_NOT] // (pt * P[P_FACTOR]))
    return m


@njit(cache=True)
def _level_lots(P: I64Array, pt: int) -> int:
    per = pt * P[P_FACTOR]
    lots: int = max((P[P_LEVEL_NOT] + per - 1) // per, _min_lots(P, pt))
    return min(lots, _max_lots(P, pt))


@njit(cache=True)
def _cancel_asks_below(P: I64Array, S: I64Array, L: I64Array, cmds: I64Array, n: int, lim: int, now: int) -> int:
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
def _cancel_bids_above(P: I64Array, S: I64Array, L: I64Array, cmds: I64Array, n: int, lim: int, now: int) -> int:
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
def _ladder(
    P: I64Array, S: I64Array, L: I64Array, cmds: I64Array, n: int, ptimes: I64Array, a0: int, b0: int, now: int
) -> int:
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
def _grid_after(P: I64Array, pt: int, side: int) -> tuple[int, int]:
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
    # never cross a user's resting order (no user bid: -1 -> 0; no user ask: NO_PRICE -> huge)
    a0 = max(a0, (P[P_USER_BID] // g + 1) * g)
    b0 = min(b0, (P[P_USER_ASK] - 1) // g * g)
    return max(a0, g), b0


@njit(cache=True)
def plan_ladder(
    P: I64Array, S: I64Array, L: I64Array, cmds: I64Array, ptimes: I64Array, pt: int, now: int
) -> tuple[int, int]:
    """The first ladder, around ``pt``; returns (commands, places)."""
    if P[P_LEVELS] == 0:
        return 0, 0
    a0, b0 = _grid_after(P, pt, -1)
    base = S[S_NEXT]
    n = _ladder(P, S, L, cmds, 0, ptimes, a0, b0, now)
    return n, S[S_NEXT] - base


@njit(cache=True)
def plan(
    tt: I64Array,
    tp: I64Array,
    tq: I64Array,
    ts: I64Array,
    i0: int,
    i1: int,
    P: I64Array,
    S: I64Array,
    L: I64Array,
    cmds: I64Array,
    ptimes: I64Array,
) -> tuple[int, int, int, int, int]:
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
            return i, n, S[S_NEXT] - base, ERR_PRICE, i
        units = tq[i] + S[S_CARRY]
        q = units // lot
        parts = 0
        if q > 0:
            mx = _max_lots(P, pt)
            parts = (q + mx - 1) // mx if mx > 0 else MAX_PARTS + 1
            if parts > MAX_PARTS:
                return i, n, S[S_NEXT] - base, ERR_SIZE, i
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
