"""The compiled exchange layer: market rules, balance locking, settlement and fees around a book.

It runs inside the same numba-compiled call as the matching, so the per-command and batch paths
share one implementation and a command costs one call. State it works on:

* the book state of one market (``_kernel``), whose header words from 32 on hold the market's
  rules in ticks and lots, its last trade price and per-minute buckets for the average price;
* the ledger, one int64 row per account: fee rates, then (free, locked) per asset, then (open
  orders, open stop orders) per market (column numbers of this market sit in the book header).

Every check runs before anything changes, so a rejected command leaves both arrays untouched.
Fees follow ``fees.fee`` (rounded up, in the asset received); locks and trade amounts are exact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from numba import njit

from . import fees, units
from ._kernel import (
    BUY,
    C_USER,
    E_KIND,
    E_MREM,
    E_OID,
    E_OOWNER,
    E_OWNER,
    E_PRICE,
    E_QTY,
    E_REM,
    E_SIDE,
    E_X1,
    E_X2,
    EV_ACCEPTED,
    EV_AMENDED,
    EV_CANCELED,
    EV_EXPIRED,
    EV_FILL,
    EV_REJECTED,
    FOK,
    GTC,
    H_BEST_ASK,
    H_BEST_BID,
    H_HM_OFF,
    H_MAX_OFF,
    H_MIN_TICK,
    H_N_ORDERS,
    H_NEXT_OID,
    H_ORD_OFF,
    L_HEAD,
    L_QTY,
    LIMIT,
    LIMIT_MAKER,
    MARKET,
    NEED_GROWTH,
    NF,
    O_NEXT,
    O_OWNER,
    O_QTY,
    PAGE_BITS,
    SELL,
    STP_DECREMENT,
    STP_NONE,
    I64Array,
    _amend,
    _cancel,
    _cancel_all,
    _emit,
    _has_room,
    _hm_find,
    _inline,
    _jit,
    _lvl,
    _next_down,
    _next_up,
    _page_of,
    _place,
)
from .enums import OrderType
from .errors import RejectReason

# ---- market words of the book header ----
M_TICK, M_LOT, M_FACTOR, M_BASE, M_QUOTE, M_COUNT = range(32, 38)
M_MIN_Q, M_MAX_Q, M_MKT_MIN_Q, M_MKT_MAX_Q, M_MKT_STEP = range(38, 43)
M_MIN_NOTIONAL, M_MAX_NOTIONAL, M_NOTIONAL_MARKET, M_NOTIONAL_MINS = range(43, 47)
M_PP, M_BID_UP, M_BID_DOWN, M_ASK_UP, M_ASK_DOWN, M_PP_MINS = range(47, 53)
M_MAX_ORDERS, M_MAX_ALGO, M_TYPES, M_STATUS, M_LAST, M_TRIG_UP, M_TRIG_DOWN = range(53, 60)
M_RING = 64  # RING buckets of (minute, sum of price x lots, sum of lots)
RING = 16
HEADER_END = M_RING + 3 * RING
BUCKET_LIMIT = 1 << 58  # a bucket's weights shrink before its sum passes this (16 buckets fit int64)

# ---- ledger columns ----
A_MAKER, A_TAKER, A_LIVE = 0, 1, 2
ASSET0 = 3  # free of asset a at ASSET0 + 2a, locked right after
FEE_ACCOUNT = 0

# ---- codes ----
STOP_LOSS = int(OrderType.STOP_LOSS)
STOP_LOSS_LIMIT = int(OrderType.STOP_LOSS_LIMIT)
TAKE_PROFIT = int(OrderType.TAKE_PROFIT)
TAKE_PROFIT_LIMIT = int(OrderType.TAKE_PROFIT_LIMIT)
DEN = units.RATE_DENOM
BOOK_REJECTED = -2  # the book refused what the exchange checks passed: a bug, raised by the caller

R_PRICE_FILTER = int(RejectReason.PRICE_FILTER)
R_LOT_SIZE = int(RejectReason.LOT_SIZE)
R_MARKET_LOT_SIZE = int(RejectReason.MARKET_LOT_SIZE)
R_NOTIONAL = int(RejectReason.NOTIONAL)
R_PERCENT_PRICE = int(RejectReason.PERCENT_PRICE_BY_SIDE)
R_MAX_NUM_ORDERS = int(RejectReason.MAX_NUM_ORDERS)
R_MAX_NUM_ALGO = int(RejectReason.MAX_NUM_ALGO_ORDERS)
R_INSUFFICIENT = int(RejectReason.INSUFFICIENT_BALANCE)
R_CLOSED = int(RejectReason.MARKET_CLOSED)
R_TYPE_NOT_ALLOWED = int(RejectReason.ORDER_TYPE_NOT_ALLOWED)
R_WOULD_TRIGGER = int(RejectReason.WOULD_TRIGGER_IMMEDIATELY)
R_UNKNOWN_ACCOUNT = int(RejectReason.UNKNOWN_ACCOUNT)
R_UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)
R_INVALID_PARAMS = int(RejectReason.INVALID_ORDER_PARAMETERS)
R_INVALID_QUANTITY = int(RejectReason.INVALID_QUANTITY)
R_INVALID_AMEND = int(RejectReason.INVALID_AMEND_QUANTITY)
R_WOULD_TAKE = int(RejectReason.WOULD_TAKE)

# ---- commands of the batch array (width XW) ----
X_PLACE, X_CANCEL, X_CANCEL_ALL, X_AMEND, X_CHECK = 1, 2, 3, 4, 5  # X_CHECK: a place's checks only
XW = 12
X_KIND, X_ACCT, X_SIDE, X_TYPE, X_TIF, X_PRICE, X_QTY, X_QUOTE, X_STOP, X_STP, X_OID, X_TIME = range(12)
# why a batch call returned early
B_DONE, B_GROW, B_STOP_PLACED, B_TRIGGER, B_STOP_CANCEL = 0, 1, 2, 3, 4

_F = TypeVar("_F", bound=Callable[..., object])

_mul_div_floor = _inline(units.mul_div_floor)
_mul_div_ceil = _inline(units.mul_div_ceil)
_fee = _inline(fees.fee)


# ---------------------------------------------------------------------------------------------
# average price and book walks
# ---------------------------------------------------------------------------------------------


@_jit
def avg_price(st: I64Array, now: int, mins: int) -> int:
    """Volume-weighted trade price (ticks) over the last ``mins`` minutes up to ``now`` (ms);
    the last trade price when that window saw no trade (or ``mins`` is 0); 0 before any trade."""
    if mins > 0:
        cur = now // 60000
        spq = 0
        sq = 0
        for i in range(RING):
            b = M_RING + 3 * i
            if st[b + 2] > 0 and cur - mins < st[b] <= cur:
                spq += st[b + 1]
                sq += st[b + 2]
        if sq > 0:
            return spq // sq
    last: int = st[M_LAST]
    return last


@_inline
def _record_trade(st: I64Array, now: int, px: int, q: int) -> None:
    cur = now // 60000
    b = M_RING + 3 * (cur % RING)
    if st[b] != cur or st[b + 2] == 0:
        st[b] = cur
        st[b + 1] = 0
        st[b + 2] = 0
    pq = px * q
    while st[b + 1] + pq >= BUCKET_LIMIT:  # lose weight, keep each average (prices < BUCKET_LIMIT)
        if st[b + 2] > 1:
            avg = st[b + 1] // st[b + 2]
            st[b + 2] >>= 1
            st[b + 1] = avg * st[b + 2]
        if q > 1:
            q >>= 1
            pq = px * q
        if st[b + 2] <= 1 and q <= 1:
            break
    st[b + 1] += pq
    st[b + 2] += q
    st[M_LAST] = px


@_jit
def _walk_cost(st: I64Array, owner: int, stp: int, lots: int) -> int:
    """Upper bound of what buying ``lots`` at market costs (tick·lots): the cheapest asks, skipping
    the buyer's own orders unless self-trades are allowed (no STP mode trades deeper than that)."""
    ob0 = st[H_ORD_OFF]
    base = st[H_MIN_TICK]
    cost = 0
    t = st[H_BEST_ASK]
    while t >= 0 and lots > 0:
        px = t + base
        lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
        if stp == STP_NONE:
            take = min(lots, st[lb + L_QTY])
            cost += take * px
            lots -= take
        else:
            slot = st[lb + L_HEAD]
            while slot >= 0 and lots > 0:
                ob = ob0 + slot * NF
                if st[ob + O_OWNER] != owner:
                    take = min(lots, st[ob + O_QTY])
                    cost += take * px
                    lots -= take
                slot = st[ob + O_NEXT]
        t = _next_up(st, t + 1)
    return cost


@_jit
def _walk_lots(st: I64Array, owner: int, stp: int, budget: int) -> int:
    """Upper bound of the lots a market sell for ``budget`` (tick·lots) delivers (see _walk_cost)."""
    ob0 = st[H_ORD_OFF]
    base = st[H_MIN_TICK]
    lots = 0
    t = st[H_BEST_BID]
    while t >= 0:
        px = t + base
        if budget < px:
            break
        lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
        avail = 0
        if stp == STP_NONE:
            avail = st[lb + L_QTY]
        else:
            slot = st[lb + L_HEAD]
            while slot >= 0:
                ob = ob0 + slot * NF
                if st[ob + O_OWNER] != owner:
                    avail += st[ob + O_QTY]
                slot = st[ob + O_NEXT]
        take = min(avail, budget // px)
        lots += take
        budget -= take * px
        if take < avail:
            break
        t = _next_down(st, t - 1)
    return lots


# ---------------------------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------------------------


@_jit
def _check_place(
    st: I64Array,
    led: I64Array,
    acct: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    quote: int,
    stop: int,
    stp: int,
    now: int,
) -> tuple[int, int, int, int, int, int, int, int]:
    """All of a new order's checks, in Binance's filter order; nothing is changed.

    Returns (reject reason or 0, price ticks, lots, quote budget in tick·lots, units to lock,
    ledger column they are locked from, the type the book sees, stop price ticks).
    """
    if acct <= FEE_ACCOUNT or acct >= led.shape[0] or led[acct, A_LIVE] == 0:
        return R_UNKNOWN_ACCOUNT, 0, 0, 0, 0, 0, 0, 0
    if st[M_STATUS] != 0:
        return R_CLOSED, 0, 0, 0, 0, 0, 0, 0
    if otype < LIMIT or otype > TAKE_PROFIT_LIMIT or (side != BUY and side != SELL):
        return R_INVALID_PARAMS, 0, 0, 0, 0, 0, 0, 0
    if tif < GTC or tif > FOK or stp < STP_NONE or stp > STP_DECREMENT:
        return R_INVALID_PARAMS, 0, 0, 0, 0, 0, 0, 0
    if (st[M_TYPES] >> otype) & 1 == 0:
        return R_TYPE_NOT_ALLOWED, 0, 0, 0, 0, 0, 0, 0
    is_stop = otype >= STOP_LOSS
    priced = otype == LIMIT or otype == LIMIT_MAKER or otype == STOP_LOSS_LIMIT or otype == TAKE_PROFIT_LIMIT
    book_type = LIMIT_MAKER if otype == LIMIT_MAKER else (LIMIT if priced else MARKET)
    if priced != (price != 0) or is_stop != (stop != 0) or (otype != MARKET and quote != 0):
        return R_INVALID_PARAMS, 0, 0, 0, 0, 0, 0, 0
    if otype == LIMIT_MAKER and tif != GTC:
        return R_INVALID_PARAMS, 0, 0, 0, 0, 0, 0, 0
    if qty < 0 or quote < 0 or (otype == MARKET and (qty > 0) == (quote > 0)) or (otype != MARKET and qty == 0):
        return R_INVALID_QUANTITY, 0, 0, 0, 0, 0, 0, 0
    tick = st[M_TICK]
    lot = st[M_LOT]
    f = st[M_FACTOR]
    lo = st[H_MIN_TICK]
    hi = lo + st[H_MAX_OFF]
    # PRICE_FILTER (the stop price obeys it too)
    pt = 0
    if priced:
        pt = price // tick
        if price % tick != 0 or pt < lo or pt > hi:
            return R_PRICE_FILTER, 0, 0, 0, 0, 0, 0, 0
    stop_t = 0
    if is_stop:
        stop_t = stop // tick
        if stop % tick != 0 or stop_t < lo or stop_t > hi:
            return R_PRICE_FILTER, 0, 0, 0, 0, 0, 0, 0
    # LOT_SIZE, then MARKET_LOT_SIZE for orders that execute at market
    ql = qty // lot
    if qty > 0:
        if qty % lot != 0 or ql < st[M_MIN_Q] or ql > st[M_MAX_Q]:
            return R_LOT_SIZE, 0, 0, 0, 0, 0, 0, 0
        if not priced:
            mn = st[M_MKT_MIN_Q]
            mx = st[M_MKT_MAX_Q]
            step = st[M_MKT_STEP]
            if ql < mn or (mx > 0 and ql > mx) or (step > 1 and (ql - mn) % step != 0):
                return R_MARKET_LOT_SIZE, 0, 0, 0, 0, 0, 0, 0
    # PERCENT_PRICE_BY_SIDE
    if priced and st[M_PP] != 0:
        avg = avg_price(st, now, st[M_PP_MINS])
        if avg > 0:
            if side == BUY:
                up = _mul_div_floor(avg, st[M_BID_UP], DEN)
                down = _mul_div_ceil(avg, st[M_BID_DOWN], DEN)
            else:
                up = _mul_div_floor(avg, st[M_ASK_UP], DEN)
                down = _mul_div_ceil(avg, st[M_ASK_DOWN], DEN)
            if pt > up or pt < down:
                return R_PERCENT_PRICE, 0, 0, 0, 0, 0, 0, 0
    # NOTIONAL: price x quantity; market orders at their quote amount or the average price
    apply_min = True
    apply_max = True
    notional = -1
    if priced:
        notional = pt * ql * f
    else:
        apply_min = (st[M_NOTIONAL_MARKET] & 1) != 0
        apply_max = (st[M_NOTIONAL_MARKET] & 2) != 0
        if quote > 0:
            notional = quote
        elif is_stop:
            notional = stop_t * ql * f
        else:
            avg = avg_price(st, now, st[M_NOTIONAL_MINS])
            if avg > 0:
                notional = avg * ql * f
    if notional >= 0:
        if apply_min and notional < st[M_MIN_NOTIONAL]:
            return R_NOTIONAL, 0, 0, 0, 0, 0, 0, 0
        if apply_max and st[M_MAX_NOTIONAL] > 0 and notional > st[M_MAX_NOTIONAL]:
            return R_NOTIONAL, 0, 0, 0, 0, 0, 0, 0
    # MAX_NUM_ORDERS / MAX_NUM_ALGO_ORDERS: orders that can stay open
    cc = st[M_COUNT]
    if is_stop or otype == LIMIT_MAKER or (otype == LIMIT and tif == GTC):
        if led[acct, cc] + led[acct, cc + 1] >= st[M_MAX_ORDERS]:
            return R_MAX_NUM_ORDERS, 0, 0, 0, 0, 0, 0, 0
        if is_stop and led[acct, cc + 1] >= st[M_MAX_ALGO]:
            return R_MAX_NUM_ALGO, 0, 0, 0, 0, 0, 0, 0
    # a stop whose trigger the last trade already reached
    if is_stop:
        last = st[M_LAST]
        rising = (side == BUY) == (otype == STOP_LOSS or otype == STOP_LOSS_LIMIT)
        if last > 0 and ((rising and last >= stop_t) or (not rising and last <= stop_t)):
            return R_WOULD_TRIGGER, 0, 0, 0, 0, 0, 0, 0
    # what the order could spend
    budget = quote // f
    if side == BUY:
        col = st[M_QUOTE]
        if priced:
            lock = pt * ql * f
        elif quote > 0:
            lock = quote
        elif is_stop:
            lock = stop_t * ql * f
        else:
            lock = _walk_cost(st, acct, stp, ql) * f
    else:
        col = st[M_BASE]
        if quote > 0:
            lock = _walk_lots(st, acct, stp, budget) * lot
        else:
            lock = ql * lot
    if lock > led[acct, col]:
        return R_INSUFFICIENT, 0, 0, 0, 0, 0, 0, 0
    if otype == LIMIT_MAKER:
        if side == BUY:
            crosses = st[H_BEST_ASK] >= 0 and st[H_BEST_ASK] + lo <= pt
        else:
            crosses = st[H_BEST_BID] >= 0 and st[H_BEST_BID] + lo >= pt
        if crosses:
            return R_WOULD_TAKE, 0, 0, 0, 0, 0, 0, 0
    return 0, pt, ql, budget, lock, col, book_type, stop_t


# ---------------------------------------------------------------------------------------------
# settlement
# ---------------------------------------------------------------------------------------------


@_inline
def _move(led: I64Array, acct: int, col: int, amount: int) -> None:
    """Lock (amount > 0) or release (amount < 0) funds: between free (col) and locked (col + 1)."""
    led[acct, col] -= amount
    led[acct, col + 1] += amount


@_jit
def _settle(st: I64Array, led: I64Array, out: I64Array, start: int, n: int, taker_oid: int, now: int) -> int:
    """Apply the money side of event rows ``out[start:n]``; returns what the taker's fills took
    out of its lock (quote paid by a buyer, base delivered by a seller)."""
    f = st[M_FACTOR]
    lot = st[M_LOT]
    bc = st[M_BASE]
    qc = st[M_QUOTE]
    cc = st[M_COUNT]
    consumed = 0
    for i in range(start, n):
        kind = out[i, E_KIND]
        if kind == EV_FILL:
            px = out[i, E_PRICE]
            q = out[i, E_QTY]
            t = out[i, E_OWNER]
            m = out[i, E_OOWNER]
            b = q * lot
            c = px * q * f
            if out[i, E_SIDE] == BUY:
                fee_t = _fee(b, led[t, A_TAKER])
                fee_m = _fee(c, led[m, A_MAKER])
                led[t, qc + 1] -= c
                led[t, bc] += b - fee_t
                led[m, bc + 1] -= b
                led[m, qc] += c - fee_m
                led[FEE_ACCOUNT, bc] += fee_t
                led[FEE_ACCOUNT, qc] += fee_m
                consumed += c
            else:
                fee_t = _fee(c, led[t, A_TAKER])
                fee_m = _fee(b, led[m, A_MAKER])
                led[t, bc + 1] -= b
                led[t, qc] += c - fee_t
                led[m, qc + 1] -= c
                led[m, bc] += b - fee_m
                led[FEE_ACCOUNT, qc] += fee_t
                led[FEE_ACCOUNT, bc] += fee_m
                consumed += b
            out[i, E_X1] = fee_t
            out[i, E_X2] = fee_m
            if out[i, E_MREM] == 0:
                led[m, cc] -= 1
            _record_trade(st, now, px, q)
        elif kind == EV_EXPIRED or kind == EV_CANCELED or kind == EV_AMENDED:
            if out[i, E_OID] == taker_oid:
                continue  # the taker's own lock is settled by the caller
            if kind == EV_AMENDED:
                q = out[i, E_MREM] - out[i, E_REM]
                done = out[i, E_REM] == 0
            else:
                q = out[i, E_QTY]
                done = kind == EV_CANCELED or out[i, E_REM] == 0
            a = out[i, E_OWNER]
            if out[i, E_SIDE] == BUY:
                _move(led, a, qc, -(out[i, E_PRICE] * q * f))
            else:
                _move(led, a, bc, -(q * lot))
            if done:
                led[a, cc] -= 1
    return consumed


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------


@_jit
def _ex_place(
    st: I64Array,
    led: I64Array,
    out: I64Array,
    n0: int,
    acct: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    quote: int,
    stop: int,
    stp: int,
    oid: int,
    now: int,
) -> int:
    r, pt, ql, budget, lock, col, book_type, stop_t = _check_place(
        st, led, acct, side, otype, tif, price, qty, quote, stop, stp, now
    )
    if r != 0:
        return _emit(out, n0, EV_REJECTED, 0, 0, price, qty, acct, 0, 0, 0, 0, side, r)
    _move(led, acct, col, lock)
    if stop_t > 0:  # a stop order waits outside the book; the caller files it under its trigger
        oid = st[H_NEXT_OID]
        st[H_NEXT_OID] = oid + 1
        led[acct, st[M_COUNT] + 1] += 1
        n = _emit(out, n0, EV_ACCEPTED, oid, otype, pt, ql, acct, 0, ql, tif, 0, side, 0)
        out[n0, E_X1] = lock
        out[n0, E_X2] = stop_t
        return n
    n = _place(st, out, n0, side, book_type, tif, pt, ql, acct, stp, budget, oid)
    if out[n0, E_KIND] != EV_ACCEPTED:
        return BOOK_REJECTED
    taker = out[n0, E_OID]
    consumed = _settle(st, led, out, n0 + 1, n, taker, now)
    still_locked = 0
    hpos = _hm_find(st, taker)
    if hpos >= 0:  # rests: keep exactly what the open remainder reserves
        rem = st[st[H_ORD_OFF] + st[st[H_HM_OFF] + 2 * hpos + 1] * NF + O_QTY]
        still_locked = pt * rem * st[M_FACTOR] if side == BUY else rem * st[M_LOT]
        led[acct, st[M_COUNT]] += 1
    _move(led, acct, col, -(lock - consumed - still_locked))
    return n


@_inline
def _owned_by(st: I64Array, oid: int, acct: int) -> bool:
    hpos = _hm_find(st, oid)
    if hpos < 0:
        return False
    owner: int = st[st[H_ORD_OFF] + st[st[H_HM_OFF] + 2 * hpos + 1] * NF + O_OWNER]
    return owner == acct


@_jit
def _ex_cancel(st: I64Array, led: I64Array, out: I64Array, n0: int, acct: int, oid: int) -> int:
    if not _owned_by(st, oid, acct):
        return _emit(out, n0, EV_REJECTED, oid, 0, 0, 0, acct, 0, 0, 0, 0, 0, R_UNKNOWN_ORDER)
    n = _cancel(st, out, n0, oid, C_USER)
    _settle(st, led, out, n0, n, 0, 0)
    return n


@_jit
def _ex_cancel_all(st: I64Array, led: I64Array, out: I64Array, n0: int, acct: int) -> int:
    n = _cancel_all(st, out, n0, acct)
    _settle(st, led, out, n0, n, 0, 0)
    return n


@_jit
def _ex_amend(st: I64Array, led: I64Array, out: I64Array, n0: int, acct: int, oid: int, new_qty: int) -> int:
    if not _owned_by(st, oid, acct):
        return _emit(out, n0, EV_REJECTED, oid, 0, 0, new_qty, acct, 0, 0, 0, 0, 0, R_UNKNOWN_ORDER)
    if new_qty <= 0:
        return _emit(out, n0, EV_REJECTED, oid, 0, 0, new_qty, acct, 0, 0, 0, 0, 0, R_INVALID_AMEND)
    if new_qty % st[M_LOT] != 0:
        return _emit(out, n0, EV_REJECTED, oid, 0, 0, new_qty, acct, 0, 0, 0, 0, 0, R_LOT_SIZE)
    n = _amend(st, out, n0, oid, new_qty // st[M_LOT])
    _settle(st, led, out, n0, n, 0, 0)
    return n


@_inline
def _ex_dispatch(
    st: I64Array,
    led: I64Array,
    out: I64Array,
    n0: int,
    kind: int,
    acct: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    quote: int,
    stop: int,
    stp: int,
    oid: int,
    now: int,
) -> int:
    if kind == X_PLACE:
        return _ex_place(st, led, out, n0, acct, side, otype, tif, price, qty, quote, stop, stp, oid, now)
    if kind == X_CANCEL:
        return _ex_cancel(st, led, out, n0, acct, oid)
    if kind == X_CANCEL_ALL:
        return _ex_cancel_all(st, led, out, n0, acct)
    if kind == X_AMEND:
        return _ex_amend(st, led, out, n0, acct, oid, qty)
    if kind == X_CHECK:  # a dry run: the rejection row, or no row (the lock left in E_X1) when accepted
        checked = _check_place(st, led, acct, side, otype, tif, price, qty, quote, stop, stp, now)
        r = checked[0]
        if r == 0:
            out[n0, E_X1] = checked[4]
            return n0
        return _emit(out, n0, EV_REJECTED, 0, 0, price, qty, acct, 0, 0, 0, 0, side, r)
    return _emit(out, n0, EV_REJECTED, oid, 0, price, qty, acct, 0, 0, 0, 0, side, R_INVALID_PARAMS)


# One fixed signature: a number outside int64 raises OverflowError before anything runs, instead
# of numba compiling another version with unsigned arithmetic. Every int64 is handled inside.
# (``_nrt`` is absent from numba's stubs; the kernel keeps its own signature, as with ``_jit``.)
_EX_ONE_SIGNATURE = "int64(int64[::1], int64[:, ::1], int64[:, ::1], " + ", ".join(["int64"] * 12) + ")"
_one_signature: Callable[[_F], _F] = njit(_EX_ONE_SIGNATURE, cache=True, _nrt=False)  # type: ignore[call-overload]


@_one_signature
def ex_one(
    st: I64Array,
    led: I64Array,
    out: I64Array,
    kind: int,
    acct: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    quote: int,
    stop: int,
    stp: int,
    oid: int,
    now: int,
) -> int:
    """Apply one exchange command; event rows go to ``out[0:n]``. Returns n, NEED_GROWTH (nothing
    changed; grow and call again) or BOOK_REJECTED (a bug)."""
    if not _has_room(st) or out.shape[0] < st[H_N_ORDERS] + 8:
        return NEED_GROWTH
    return _ex_dispatch(st, led, out, 0, kind, acct, side, otype, tif, price, qty, quote, stop, stp, oid, now)


@_inline
def trigger_reached(st: I64Array) -> bool:
    last: int = st[M_LAST]
    return last > 0 and (last >= st[M_TRIG_UP] or last <= st[M_TRIG_DOWN])


@_jit
def ex_batch(st: I64Array, led: I64Array, out: I64Array, cmds: I64Array, start: int, end: int) -> tuple[int, int, int]:
    """Apply ``cmds[start:end]`` until done or something needs the caller: more room, a stop order
    to file, a trigger the last trade reached, or a cancel or amend from an account with stop orders
    (which live with the caller). Returns (next index, rows written, why)."""
    n = 0
    i = start
    cap = out.shape[0]
    while i < end:
        if not _has_room(st) or cap - n < st[H_N_ORDERS] + 8:
            return i, n, B_GROW
        kind = cmds[i, X_KIND]
        acct = cmds[i, X_ACCT]
        if kind != X_PLACE and 0 <= acct < led.shape[0] and led[acct, st[M_COUNT] + 1] > 0:
            return i, n, B_STOP_CANCEL
        n1 = _ex_dispatch(
            st,
            led,
            out,
            n,
            kind,
            acct,
            cmds[i, X_SIDE],
            cmds[i, X_TYPE],
            cmds[i, X_TIF],
            cmds[i, X_PRICE],
            cmds[i, X_QTY],
            cmds[i, X_QUOTE],
            cmds[i, X_STOP],
            cmds[i, X_STP],
            cmds[i, X_OID],
            cmds[i, X_TIME],
        )
        if n1 < 0:
            return i, n, n1
        i += 1
        if n1 > n and out[n, E_KIND] == EV_ACCEPTED and out[n, E_X2] > 0:
            return i, n1, B_STOP_PLACED
        n = n1
        if trigger_reached(st):
            return i, n, B_TRIGGER
    return i, n, B_DONE
