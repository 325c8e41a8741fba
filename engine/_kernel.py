"""The compiled matching kernel: one market's book in one flat int64 array.

Why one flat array: every array argument of a numba call costs tens of nanoseconds, so the whole
book (header, order slots, price levels, page bitmaps, page list, order-id hash map) lives in a
single ``state`` array and events are written into a single ``out`` buffer.

Prices are stored as offsets from the market's minimum tick. Levels are grouped in pages of
``PAGE`` ticks, allocated only where orders rest, so any price between the market's min and max
works (a bid at 1 USDT while BTC trades at 90,000 costs one extra page, not a dense array). Each
page has a two-level occupancy bitmap (64 words + a summary word) so the next non-empty level is
found with a couple of bit scans; occupied pages are kept in a short list sorted by page number.
Bids and asks share the bitmap: a book that is never crossed has only asks above the best ask and
only bids below the best bid, so scans always start from the best price of the side they search.

Layout of ``state`` (all int64):
  header[HEADER] | orders[ord_cap * NF] | levels[page_cap * PAGE * LF] | pages[page_cap * PGW]
  | page list[page_cap] | hash map[2 * hm_size]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt
from numba import njit
from numba.cpython.unsafe import numbers as _bits

from .enums import CancelReason, ExpireReason, OrderType, SelfTradePrevention, Side, TimeInForce
from .errors import RejectReason

# ---- codes shared with the façade (frozen into the compiled code as constants) ----
BUY = int(Side.BUY)
SELL = int(Side.SELL)
LIMIT = int(OrderType.LIMIT)
MARKET = int(OrderType.MARKET)
LIMIT_MAKER = int(OrderType.LIMIT_MAKER)
GTC = int(TimeInForce.GTC)
IOC = int(TimeInForce.IOC)
FOK = int(TimeInForce.FOK)
STP_NONE = int(SelfTradePrevention.NONE)
STP_EXPIRE_TAKER = int(SelfTradePrevention.EXPIRE_TAKER)
STP_EXPIRE_MAKER = int(SelfTradePrevention.EXPIRE_MAKER)
STP_EXPIRE_BOTH = int(SelfTradePrevention.EXPIRE_BOTH)
STP_DECREMENT = int(SelfTradePrevention.DECREMENT)
X_IOC = int(ExpireReason.IOC)
X_FOK = int(ExpireReason.FOK)
X_NO_LIQUIDITY = int(ExpireReason.NO_LIQUIDITY)
X_STP = int(ExpireReason.SELF_TRADE_PREVENTION)
C_USER = int(CancelReason.USER)
C_ALL = int(CancelReason.CANCEL_ALL)
R_INVALID_QUANTITY = int(RejectReason.INVALID_QUANTITY)
R_PRICE_OUT_OF_RANGE = int(RejectReason.PRICE_OUT_OF_RANGE)
R_UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)
R_WOULD_TAKE = int(RejectReason.WOULD_TAKE)
R_INVALID_AMEND = int(RejectReason.INVALID_AMEND_QUANTITY)
R_INVALID_PARAMS = int(RejectReason.INVALID_ORDER_PARAMETERS)

# ---- commands (rows of the batch array, width CW) ----
CMD_PLACE = 1
CMD_CANCEL = 2
CMD_CANCEL_ALL = 3
CMD_AMEND = 4
CW = 10
C_KIND, C_SIDE, C_TYPE, C_TIF, C_PRICE, C_QTY, C_OWNER, C_STP, C_QUOTE, C_OID = range(10)

# ---- events (rows of ``out``, width EVW) ----
EV_ACCEPTED = 1
EV_FILL = 2
EV_CANCELED = 3
EV_EXPIRED = 4
EV_REJECTED = 5
EV_AMENDED = 6
EVW = 14
# columns: kind, order id, other id (maker id / counter order / order type), price (ticks),
# quantity, owner, other owner, remaining (lots, or quote budget for orders by quote amount),
# maker remaining / time in force, trade id / quote budget, side, reason, and two columns the
# exchange layer fills (fees of a trade; lock and stop price of an accepted stop order)
E_KIND, E_OID, E_OTHER, E_PRICE, E_QTY, E_OWNER, E_OOWNER, E_REM, E_MREM, E_TID, E_SIDE, E_REASON = range(12)
E_X1, E_X2 = 12, 13

# ---- header ----
# Words 0..31 belong to the book; words 32.. to the exchange layer (market rules, last price,
# average-price buckets: see ``_exchange``), carried along when the state grows.
HEADER = 128
H_ORD_CAP, H_PAGE_CAP, H_ORD_OFF, H_LVL_OFF, H_PG_OFF, H_PL_OFF, H_HM_OFF, H_HM_MASK = range(8)
H_FREE_ORD, H_FREE_PAGE, H_NPL, H_BEST_BID, H_BEST_ASK, H_NEXT_OID, H_NEXT_TID = range(8, 15)
H_MIN_TICK, H_MAX_OFF, H_N_ORDERS, H_ORD_HWM, H_PAGE_HWM, H_N_PAGES, H_MAX_QTY, H_SEQ = range(15, 23)

# ---- order slots ----
NF = 10
O_ID, O_PRICE, O_QTY, O_SIDE, O_OWNER, O_NEXT, O_PREV, O_ORIG, O_LVL, O_SEQ = range(10)

# ---- levels and pages ----
PAGE_BITS = 12
PAGE = 1 << PAGE_BITS
PMASK = PAGE - 1
LF = 4
L_HEAD, L_TAIL, L_QTY, L_CNT = range(4)
PGW = 68  # 64 bitmap words, summary, page number, next free, spare
P_SUMMARY = 64
P_NUMBER = 65
P_NEXT_FREE = 66

I64Array = npt.NDArray[np.int64]  # the book state, event rows, command rows: always int64

HASH_MUL = -7046029254386353131  # 0x9E3779B97F4A7C15 as int64: odd, so a permutation of low bits

NEED_GROWTH = -1

# The hot path never allocates, so it is compiled without numba's runtime: no reference counting
# on the state array at every helper boundary (that alone cost several times the matching work).
# Small helpers on the matching path are inlined; larger, rarer ones stay calls, which keeps a
# cold compile around 20 s instead of well over a minute for a few percent of throughput.
_F = TypeVar("_F", bound=Callable[..., object])
# ``_nrt`` is numba's switch for its runtime, absent from its stubs; a kernel keeps its own signature.
_jit: Callable[[_F], _F] = njit(cache=True, _nrt=False)  # type: ignore[call-overload]
_inline: Callable[[_F], _F] = njit(cache=True, _nrt=False, inline="always")  # type: ignore[call-overload]

# bit scans of an int64 (numba intrinsics: their stubs describe the typing hook, not the call)
leading_zeros = cast(Callable[[int], int], _bits.leading_zeros)
trailing_zeros = cast(Callable[[int], int], _bits.trailing_zeros)


def layout(ord_cap: int, page_cap: int) -> tuple[int, int, int, int, int, int, int]:
    """Region offsets and total size for the given capacities."""
    hm_size = 1
    while hm_size < 2 * ord_cap:
        hm_size *= 2
    ord_off = HEADER
    lvl_off = ord_off + ord_cap * NF
    pg_off = lvl_off + page_cap * PAGE * LF
    pl_off = pg_off + page_cap * PGW
    hm_off = pl_off + page_cap
    total = hm_off + 2 * hm_size
    return ord_off, lvl_off, pg_off, pl_off, hm_off, hm_size, total


def _allocate(ord_cap: int, page_cap: int) -> np.ndarray:
    """A zeroed state whose header describes the regions for these capacities."""
    ord_off, lvl_off, pg_off, pl_off, hm_off, hm_size, total = layout(ord_cap, page_cap)
    st = np.zeros(total, dtype=np.int64)
    st[H_ORD_CAP], st[H_PAGE_CAP] = ord_cap, page_cap
    st[H_ORD_OFF], st[H_LVL_OFF], st[H_PG_OFF], st[H_PL_OFF] = ord_off, lvl_off, pg_off, pl_off
    st[H_HM_OFF], st[H_HM_MASK] = hm_off, hm_size - 1
    return st


def new_state(min_tick: int, max_tick: int, max_qty: int, ord_cap: int = 1024, page_cap: int = 4) -> np.ndarray:
    """An empty book for prices in ``[min_tick, max_tick]`` and quantities up to ``max_qty`` lots."""
    st = _allocate(ord_cap, page_cap)
    st[H_FREE_ORD] = st[H_FREE_PAGE] = -1
    st[H_BEST_BID] = st[H_BEST_ASK] = -1
    st[H_NEXT_OID] = st[H_NEXT_TID] = st[H_SEQ] = 1
    st[H_MIN_TICK] = min_tick
    st[H_MAX_OFF] = max_tick - min_tick
    st[H_MAX_QTY] = max_qty
    return st


_REGION_KEYS = (H_ORD_CAP, H_PAGE_CAP, H_ORD_OFF, H_LVL_OFF, H_PG_OFF, H_PL_OFF, H_HM_OFF, H_HM_MASK)
_BOOK_KEYS = [key for key in range(HEADER) if key not in _REGION_KEYS]  # what growth carries over


def grown(st: np.ndarray, ord_cap: int, page_cap: int) -> np.ndarray:
    """A copy of ``st`` with larger capacities (regions moved, hash map rebuilt)."""
    new = _allocate(ord_cap, page_cap)
    new[_BOOK_KEYS] = st[_BOOK_KEYS]
    old_ord, old_pages = int(st[H_ORD_CAP]), int(st[H_PAGE_CAP])
    sizes = (
        (H_ORD_OFF, old_ord * NF),
        (H_LVL_OFF, old_pages * PAGE * LF),
        (H_PG_OFF, old_pages * PGW),
        (H_PL_OFF, old_pages),
    )
    for key, size in sizes:
        new[new[key] : new[key] + size] = st[st[key] : st[key] + size]
    o_hm, o_size = int(st[H_HM_OFF]), int(st[H_HM_MASK]) + 1
    keys = st[o_hm : o_hm + 2 * o_size : 2]
    vals = st[o_hm + 1 : o_hm + 2 * o_size : 2]
    live = keys != 0
    _rehash(new, keys[live].copy(), vals[live].copy())
    return new


@_jit
def _rehash(st: I64Array, keys: I64Array, vals: I64Array) -> None:
    for i in range(keys.shape[0]):
        _hm_put(st, keys[i], vals[i])


# ---------------------------------------------------------------------------------------------
# order-id hash map (linear probing, backward-shift deletion; key 0 = empty)
# ---------------------------------------------------------------------------------------------


@_inline
def _hm_put(st: I64Array, oid: int, slot: int) -> None:
    base = st[H_HM_OFF]
    mask = st[H_HM_MASK]
    i = (oid * HASH_MUL) & mask
    while st[base + 2 * i] != 0:
        i = (i + 1) & mask
    st[base + 2 * i] = oid
    st[base + 2 * i + 1] = slot


@_inline
def _hm_find(st: I64Array, oid: int) -> int:
    """Position in the hash map of ``oid``, or -1."""
    if oid <= 0:
        return -1
    base = st[H_HM_OFF]
    mask: int = st[H_HM_MASK]
    i = (oid * HASH_MUL) & mask
    while True:
        k = st[base + 2 * i]
        if k == oid:
            return i
        if k == 0:
            return -1
        i = (i + 1) & mask


@_inline
def _hm_delete_at(st: I64Array, i: int) -> None:
    base = st[H_HM_OFF]
    mask = st[H_HM_MASK]
    j = i
    while True:
        j = (j + 1) & mask
        k = st[base + 2 * j]
        if k == 0:
            break
        home = (k * HASH_MUL) & mask
        if i <= j:
            stays = i < home <= j
        else:
            stays = home > i or home <= j
        if not stays:
            st[base + 2 * i] = k
            st[base + 2 * i + 1] = st[base + 2 * j + 1]
            i = j
    st[base + 2 * i] = 0
    st[base + 2 * i + 1] = 0


# ---------------------------------------------------------------------------------------------
# pages: sorted list of occupied pages, two-level bitmaps inside a page
# ---------------------------------------------------------------------------------------------


@_inline
def _pl_lower_bound(st: I64Array, pn: int) -> int:
    """Index in the page list of the first page whose number is >= pn."""
    pl = st[H_PL_OFF]
    pg = st[H_PG_OFF]
    lo = 0
    hi = st[H_NPL]
    while lo < hi:
        mid = (lo + hi) >> 1
        if st[pg + st[pl + mid] * PGW + P_NUMBER] < pn:
            lo = mid + 1
        else:
            hi = mid
    return lo


@_inline
def _page_of(st: I64Array, pn: int) -> int:
    """Slot of page number ``pn``, or -1 when no order rests in it."""
    pos = _pl_lower_bound(st, pn)
    if pos < st[H_NPL]:
        slot: int = st[st[H_PL_OFF] + pos]
        if st[st[H_PG_OFF] + slot * PGW + P_NUMBER] == pn:
            return slot
    return -1


@_inline
def _page_up(st: I64Array, slot: int, b: int) -> int:
    """Lowest occupied bit >= b in a page, or -1."""
    pb = st[H_PG_OFF] + slot * PGW
    w = b >> 6
    word = st[pb + w] & (-1 << (b & 63))
    if word != 0:
        return (w << 6) + trailing_zeros(word)
    if w == 63:
        return -1
    s = st[pb + P_SUMMARY] & (-1 << (w + 1))
    if s == 0:
        return -1
    w2 = trailing_zeros(s)
    return (w2 << 6) + trailing_zeros(st[pb + w2])


@_inline
def _page_down(st: I64Array, slot: int, b: int) -> int:
    """Highest occupied bit <= b in a page, or -1."""
    pb = st[H_PG_OFF] + slot * PGW
    w = b >> 6
    sh = b & 63
    if sh == 63:
        word = st[pb + w]
    else:
        word = st[pb + w] & ((1 << (sh + 1)) - 1)
    if word != 0:
        return (w << 6) + 63 - leading_zeros(word)
    if w == 0:
        return -1
    s = st[pb + P_SUMMARY] & ((1 << w) - 1)
    if s == 0:
        return -1
    w2 = 63 - leading_zeros(s)
    return (w2 << 6) + 63 - leading_zeros(st[pb + w2])


@_jit
def _next_up(st: I64Array, t: int) -> int:
    """Lowest occupied price offset >= t, or -1."""
    if t > st[H_MAX_OFF]:
        return -1
    if t < 0:
        t = 0
    pn = t >> PAGE_BITS
    npl = st[H_NPL]
    pl = st[H_PL_OFF]
    pg = st[H_PG_OFF]
    pos = _pl_lower_bound(st, pn)
    if pos < npl:
        slot = st[pl + pos]
        if st[pg + slot * PGW + P_NUMBER] == pn:
            r = _page_up(st, slot, t & PMASK)
            if r >= 0:
                return (pn << PAGE_BITS) + r
            pos += 1
        if pos < npl:
            slot = st[pl + pos]
            page: int = st[pg + slot * PGW + P_NUMBER]
            return (page << PAGE_BITS) + _page_up(st, slot, 0)
    return -1


@_jit
def _next_down(st: I64Array, t: int) -> int:
    """Highest occupied price offset <= t, or -1."""
    if t < 0:
        return -1
    if t > st[H_MAX_OFF]:
        t = st[H_MAX_OFF]
    pn = t >> PAGE_BITS
    pl = st[H_PL_OFF]
    pg = st[H_PG_OFF]
    pos = _pl_lower_bound(st, pn + 1) - 1
    if pos >= 0:
        slot = st[pl + pos]
        if st[pg + slot * PGW + P_NUMBER] == pn:
            r = _page_down(st, slot, t & PMASK)
            if r >= 0:
                return (pn << PAGE_BITS) + r
            pos -= 1
        if pos >= 0:
            slot = st[pl + pos]
            page: int = st[pg + slot * PGW + P_NUMBER]
            return (page << PAGE_BITS) + _page_down(st, slot, PAGE - 1)
    return -1


@_jit
def _page_acquire(st: I64Array, pn: int) -> int:
    """Slot of page ``pn``, creating it (and listing it in order) when absent."""
    pos = _pl_lower_bound(st, pn)
    pl = st[H_PL_OFF]
    pg = st[H_PG_OFF]
    npl = st[H_NPL]
    slot: int
    if pos < npl:
        slot = st[pl + pos]
        if st[pg + slot * PGW + P_NUMBER] == pn:
            return slot
    slot = st[H_FREE_PAGE]
    if slot >= 0:
        st[H_FREE_PAGE] = st[pg + slot * PGW + P_NEXT_FREE]
    else:
        slot = st[H_PAGE_HWM]
        st[H_PAGE_HWM] = slot + 1
    st[pg + slot * PGW + P_NUMBER] = pn
    for i in range(npl, pos, -1):
        st[pl + i] = st[pl + i - 1]
    st[pl + pos] = slot
    st[H_NPL] = npl + 1
    st[H_N_PAGES] += 1
    return slot


@_jit
def _page_release(st: I64Array, slot: int) -> None:
    pg = st[H_PG_OFF]
    pl = st[H_PL_OFF]
    npl = st[H_NPL]
    pos = _pl_lower_bound(st, st[pg + slot * PGW + P_NUMBER])
    for i in range(pos, npl - 1):
        st[pl + i] = st[pl + i + 1]
    st[H_NPL] = npl - 1
    st[pg + slot * PGW + P_NEXT_FREE] = st[H_FREE_PAGE]
    st[H_FREE_PAGE] = slot
    st[H_N_PAGES] -= 1


# ---------------------------------------------------------------------------------------------
# levels and order slots
# ---------------------------------------------------------------------------------------------


@_inline
def _lvl(st: I64Array, slot: int, t: int) -> int:
    levels: int = st[H_LVL_OFF]
    return levels + ((slot << PAGE_BITS) + (t & PMASK)) * LF


@_inline
def _rest(st: I64Array, oid: int, side: int, t: int, qty: int, orig: int, owner: int) -> None:
    """Append a new order at the tail of its level (time priority) and index it."""
    slot = st[H_FREE_ORD]
    ob0 = st[H_ORD_OFF]
    if slot >= 0:
        st[H_FREE_ORD] = st[ob0 + slot * NF + O_NEXT]
    else:
        slot = st[H_ORD_HWM]
        st[H_ORD_HWM] = slot + 1
    ob = ob0 + slot * NF
    st[ob + O_ID] = oid
    st[ob + O_PRICE] = t
    st[ob + O_QTY] = qty
    st[ob + O_SIDE] = side
    st[ob + O_OWNER] = owner
    st[ob + O_NEXT] = -1
    st[ob + O_ORIG] = orig
    st[ob + O_SEQ] = st[H_SEQ]  # arrival order: an order id can be older than its time priority
    st[H_SEQ] += 1
    pslot = _page_acquire(st, t >> PAGE_BITS)
    lb = _lvl(st, pslot, t)
    st[ob + O_LVL] = lb - st[H_LVL_OFF]  # relative: regions move when the state grows
    if st[lb + L_CNT] == 0:
        st[lb + L_HEAD] = slot
        st[ob + O_PREV] = -1
        pb = st[H_PG_OFF] + pslot * PGW
        b = t & PMASK
        st[pb + (b >> 6)] |= 1 << (b & 63)
        st[pb + P_SUMMARY] |= 1 << (b >> 6)
    else:
        tail = st[lb + L_TAIL]
        st[ob0 + tail * NF + O_NEXT] = slot
        st[ob + O_PREV] = tail
    st[lb + L_TAIL] = slot
    st[lb + L_QTY] += qty
    st[lb + L_CNT] += 1
    st[H_N_ORDERS] += 1
    _hm_put(st, oid, slot)
    if side == BUY:
        if t > st[H_BEST_BID]:
            st[H_BEST_BID] = t
    else:
        if st[H_BEST_ASK] < 0 or t < st[H_BEST_ASK]:
            st[H_BEST_ASK] = t


@_inline
def _unlink(st: I64Array, slot: int, hpos: int) -> None:
    """Remove a resting order from its level, the index and the book; fix the best prices."""
    ob0 = st[H_ORD_OFF]
    ob = ob0 + slot * NF
    t = st[ob + O_PRICE]
    lb = st[H_LVL_OFF] + st[ob + O_LVL]
    pslot = (st[ob + O_LVL] // LF) >> PAGE_BITS
    nxt = st[ob + O_NEXT]
    prv = st[ob + O_PREV]
    if prv >= 0:
        st[ob0 + prv * NF + O_NEXT] = nxt
    else:
        st[lb + L_HEAD] = nxt
    if nxt >= 0:
        st[ob0 + nxt * NF + O_PREV] = prv
    else:
        st[lb + L_TAIL] = prv
    st[lb + L_QTY] -= st[ob + O_QTY]
    st[lb + L_CNT] -= 1
    if st[lb + L_CNT] == 0:
        pb = st[H_PG_OFF] + pslot * PGW
        b = t & PMASK
        w = b >> 6
        st[pb + w] &= ~(1 << (b & 63))
        if st[pb + w] == 0:
            st[pb + P_SUMMARY] &= ~(1 << w)
            if st[pb + P_SUMMARY] == 0:
                _page_release(st, pslot)
        if t == st[H_BEST_BID]:
            st[H_BEST_BID] = _next_down(st, t - 1)
        elif t == st[H_BEST_ASK]:
            st[H_BEST_ASK] = _next_up(st, t + 1)
    if hpos < 0:
        hpos = _hm_find(st, st[ob + O_ID])
    _hm_delete_at(st, hpos)
    st[ob + O_ID] = 0
    st[ob + O_QTY] = 0
    st[ob + O_NEXT] = st[H_FREE_ORD]
    st[H_FREE_ORD] = slot
    st[H_N_ORDERS] -= 1


@_inline
def _emit(
    out: I64Array,
    n: int,
    kind: int,
    oid: int,
    other: int,
    price: int,
    qty: int,
    owner: int,
    oowner: int,
    rem: int,
    mrem: int,
    tid: int,
    side: int,
    reason: int,
) -> int:
    out[n, E_KIND] = kind
    out[n, E_OID] = oid
    out[n, E_OTHER] = other
    out[n, E_PRICE] = price
    out[n, E_QTY] = qty
    out[n, E_OWNER] = owner
    out[n, E_OOWNER] = oowner
    out[n, E_REM] = rem
    out[n, E_MREM] = mrem
    out[n, E_TID] = tid
    out[n, E_SIDE] = side
    out[n, E_REASON] = reason
    out[n, E_X1] = 0
    out[n, E_X2] = 0
    return n + 1


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------


@_jit
def _fok_fillable(st: I64Array, side: int, lim: int, qty: int, owner: int, stp: int) -> bool:
    """Whether a fill-or-kill order of ``qty`` would fill completely, honouring self-trade rules."""
    avail = 0
    ob0 = st[H_ORD_OFF]
    if side == BUY:
        t = st[H_BEST_ASK]
    else:
        t = st[H_BEST_BID]
    while t >= 0 and ((side == BUY and t <= lim) or (side == SELL and t >= lim)):
        lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
        if stp == STP_NONE:
            avail += st[lb + L_QTY]
        else:
            slot = st[lb + L_HEAD]
            while slot >= 0:
                ob = ob0 + slot * NF
                if st[ob + O_OWNER] == owner:
                    if stp != STP_EXPIRE_MAKER:
                        return avail >= qty  # the taker stops (or shrinks) here
                else:
                    avail += st[ob + O_QTY]
                    if avail >= qty:
                        return True
                slot = st[ob + O_NEXT]
        if avail >= qty:
            return True
        if side == BUY:
            t = _next_up(st, t + 1)
        else:
            t = _next_down(st, t - 1)
    return avail >= qty


@_jit
def _place(
    st: I64Array,
    out: I64Array,
    n: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    owner: int,
    stp: int,
    quote: int,
    oid: int,
) -> int:
    """Validate, accept, match and (for resting types) book one new order. Returns the new n.

    ``oid`` 0 takes the next id; a positive one is an id reserved earlier (a triggered stop order).
    """
    base = st[H_MIN_TICK]
    max_off = st[H_MAX_OFF]
    by_quote = otype == MARKET and quote > 0
    # ---- validation: nothing changes before all of it passed ----
    if side != BUY and side != SELL:
        return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_PARAMS)
    if stp < STP_NONE or stp > STP_DECREMENT or tif < GTC or tif > FOK:
        return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_PARAMS)
    if otype == MARKET:
        if (qty > 0) == (quote > 0) or qty < 0 or quote < 0:
            return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_QUANTITY)
        if qty > st[H_MAX_QTY]:
            return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_QUANTITY)
        lim = max_off if side == BUY else 0
    elif otype == LIMIT or otype == LIMIT_MAKER:
        if (otype == LIMIT_MAKER and tif != GTC) or quote != 0:
            return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_PARAMS)
        if qty <= 0 or qty > st[H_MAX_QTY]:
            return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_QUANTITY)
        lim = price - base
        if lim < 0 or lim > max_off:
            return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_PRICE_OUT_OF_RANGE)
        if otype == LIMIT_MAKER:
            if side == BUY:
                crosses = st[H_BEST_ASK] >= 0 and st[H_BEST_ASK] <= lim
            else:
                crosses = st[H_BEST_BID] >= 0 and st[H_BEST_BID] >= lim
            if crosses:
                return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_WOULD_TAKE)
    else:
        return _emit(out, n, EV_REJECTED, 0, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_PARAMS)

    # ---- accepted ----
    if oid == 0:
        oid = st[H_NEXT_OID]
        st[H_NEXT_OID] = oid + 1
    n = _emit(out, n, EV_ACCEPTED, oid, otype, price, qty, owner, 0, qty, tif, quote, side, 0)
    if otype == LIMIT and tif == FOK and not _fok_fillable(st, side, lim, qty, owner, stp):
        return _emit(out, n, EV_EXPIRED, oid, 0, price, qty, owner, 0, 0, 0, 0, side, X_FOK)

    # ---- matching ----
    ob0 = st[H_ORD_OFF]
    rem = qty
    budget = quote
    alive = True
    while alive:
        if side == BUY:
            t = st[H_BEST_ASK]
            if t < 0 or t > lim:
                break
        else:
            t = st[H_BEST_BID]
            if t < 0 or t < lim:
                break
        px = t + base
        if by_quote:
            want = budget // px
            if want == 0:  # the next whole lot at the best price would exceed the quote amount
                break
        else:
            want = rem
        lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
        # walk the level's queue until the level is gone or the taker is done
        while True:
            slot = st[lb + L_HEAD]
            ob = ob0 + slot * NF
            mid = st[ob + O_ID]
            mowner = st[ob + O_OWNER]
            mqty = st[ob + O_QTY]
            last = st[ob + O_NEXT] < 0
            if stp != STP_NONE and mowner == owner:
                if stp == STP_EXPIRE_MAKER or stp == STP_EXPIRE_BOTH:
                    n = _emit(out, n, EV_EXPIRED, mid, oid, px, mqty, mowner, owner, 0, 0, 0, 1 - side, X_STP)
                    _unlink(st, slot, -1)
                if stp == STP_EXPIRE_TAKER or stp == STP_EXPIRE_BOTH:
                    if by_quote:
                        n = _emit(out, n, EV_EXPIRED, oid, mid, px, 0, owner, mowner, 0, 0, budget, side, X_STP)
                    else:
                        n = _emit(out, n, EV_EXPIRED, oid, mid, px, rem, owner, mowner, 0, 0, 0, side, X_STP)
                    alive = False
                    break
                if stp == STP_DECREMENT:
                    prevented = want if want < mqty else mqty
                    if prevented == mqty:
                        n = _emit(out, n, EV_EXPIRED, mid, oid, px, mqty, mowner, owner, 0, 0, 0, 1 - side, X_STP)
                        _unlink(st, slot, -1)
                    else:
                        st[ob + O_QTY] = mqty - prevented
                        st[lb + L_QTY] -= prevented
                        n = _emit(
                            out,
                            n,
                            EV_EXPIRED,
                            mid,
                            oid,
                            px,
                            prevented,
                            mowner,
                            owner,
                            mqty - prevented,
                            0,
                            0,
                            1 - side,
                            X_STP,
                        )
                    if by_quote:
                        budget -= prevented * px
                        n = _emit(
                            out, n, EV_EXPIRED, oid, mid, px, 0, owner, mowner, budget, 0, prevented * px, side, X_STP
                        )
                        want = budget // px
                        if want == 0:
                            break
                    else:
                        rem -= prevented
                        n = _emit(out, n, EV_EXPIRED, oid, mid, px, prevented, owner, mowner, rem, 0, 0, side, X_STP)
                        want = rem
                        if rem == 0:
                            alive = False
                            break
                if last:
                    break
                continue
            fill = want if want < mqty else mqty
            tid = st[H_NEXT_TID]
            st[H_NEXT_TID] = tid + 1
            mrem = mqty - fill
            if by_quote:
                budget -= fill * px
                trem = budget
            else:
                rem -= fill
                trem = rem
            n = _emit(out, n, EV_FILL, oid, mid, px, fill, owner, mowner, trem, mrem, tid, side, 0)
            if mrem == 0:
                _unlink(st, slot, -1)
            else:
                st[ob + O_QTY] = mrem
                st[lb + L_QTY] -= fill
            if by_quote:
                want = budget // px
                if want == 0:
                    break
            else:
                want = rem
                if rem == 0:
                    alive = False
                    break
            if last:
                break

    # ---- what is left of the taker ----
    if not alive:
        return n
    if otype == MARKET:
        if by_quote:
            if budget > 0:
                n = _emit(out, n, EV_EXPIRED, oid, 0, 0, 0, owner, 0, 0, 0, budget, side, X_NO_LIQUIDITY)
        elif rem > 0:
            n = _emit(out, n, EV_EXPIRED, oid, 0, 0, rem, owner, 0, 0, 0, 0, side, X_NO_LIQUIDITY)
        return n
    if rem == 0:
        return n
    if tif == IOC or tif == FOK:
        return _emit(out, n, EV_EXPIRED, oid, 0, price, rem, owner, 0, 0, 0, 0, side, X_IOC if tif == IOC else X_FOK)
    _rest(st, oid, side, lim, rem, qty, owner)
    return n


@_jit
def _cancel(st: I64Array, out: I64Array, n: int, oid: int, reason: int) -> int:
    hpos = _hm_find(st, oid)
    if hpos < 0:
        return _emit(out, n, EV_REJECTED, oid, 0, 0, 0, 0, 0, 0, 0, 0, 0, R_UNKNOWN_ORDER)
    slot = st[st[H_HM_OFF] + 2 * hpos + 1]
    ob = st[H_ORD_OFF] + slot * NF
    n = _emit(
        out,
        n,
        EV_CANCELED,
        oid,
        0,
        st[ob + O_PRICE] + st[H_MIN_TICK],
        st[ob + O_QTY],
        st[ob + O_OWNER],
        0,
        0,
        0,
        0,
        st[ob + O_SIDE],
        reason,
    )
    _unlink(st, slot, hpos)
    return n


@_jit
def _cancel_all(st: I64Array, out: I64Array, n: int, owner: int) -> int:
    """Cancel every resting order of ``owner``, oldest order id first.

    The ids are gathered and sorted in the free rows of ``out`` (it always has room for one row
    per resting order); each cancel then overwrites the row it has just read.
    """
    ob0 = st[H_ORD_OFF]
    cnt = 0
    for slot in range(st[H_ORD_HWM]):
        ob = ob0 + slot * NF
        if st[ob + O_ID] != 0 and st[ob + O_OWNER] == owner:
            out[n + cnt, 0] = st[ob + O_ID]
            cnt += 1
    _heapsort_col0(out, n, cnt)
    for _ in range(cnt):
        n = _cancel(st, out, n, out[n, 0], C_ALL)
    return n


@_jit
def _heapsort_col0(a: I64Array, lo: int, cnt: int) -> None:
    """Sort ``a[lo:lo+cnt, 0]`` ascending in place."""
    for start in range(cnt // 2 - 1, -1, -1):
        _sift(a, lo, start, cnt)
    for end in range(cnt - 1, 0, -1):
        a[lo, 0], a[lo + end, 0] = a[lo + end, 0], a[lo, 0]
        _sift(a, lo, 0, end)


@_inline
def _sift(a: I64Array, lo: int, root: int, cnt: int) -> None:
    while True:
        child = 2 * root + 1
        if child >= cnt:
            return
        if child + 1 < cnt and a[lo + child + 1, 0] > a[lo + child, 0]:
            child += 1
        if a[lo + root, 0] >= a[lo + child, 0]:
            return
        a[lo + root, 0], a[lo + child, 0] = a[lo + child, 0], a[lo + root, 0]
        root = child


@_jit
def _amend(st: I64Array, out: I64Array, n: int, oid: int, new_qty: int) -> int:
    """Reduce an order's total quantity keeping its place in the queue (Binance keepPriority)."""
    hpos = _hm_find(st, oid)
    if hpos < 0:
        return _emit(out, n, EV_REJECTED, oid, 0, 0, new_qty, 0, 0, 0, 0, 0, 0, R_UNKNOWN_ORDER)
    slot = st[st[H_HM_OFF] + 2 * hpos + 1]
    ob = st[H_ORD_OFF] + slot * NF
    orig = st[ob + O_ORIG]
    qty = st[ob + O_QTY]
    if new_qty <= 0 or new_qty >= orig:
        return _emit(out, n, EV_REJECTED, oid, 0, 0, new_qty, st[ob + O_OWNER], 0, 0, 0, 0, 0, R_INVALID_AMEND)
    executed = orig - qty
    new_rem = new_qty - executed
    if new_rem < 0:
        new_rem = 0
    n = _emit(
        out,
        n,
        EV_AMENDED,
        oid,
        0,
        st[ob + O_PRICE] + st[H_MIN_TICK],
        new_qty,
        st[ob + O_OWNER],
        0,
        new_rem,
        qty,
        0,
        st[ob + O_SIDE],
        0,
    )
    if new_rem == 0:
        _unlink(st, slot, hpos)
    else:
        st[st[H_LVL_OFF] + st[ob + O_LVL] + L_QTY] -= qty - new_rem
        st[ob + O_QTY] = new_rem
        st[ob + O_ORIG] = new_qty
    return n


@_inline
def _has_room(st: I64Array) -> bool:
    room: bool = (st[H_FREE_ORD] >= 0 or st[H_ORD_HWM] < st[H_ORD_CAP]) and (
        st[H_FREE_PAGE] >= 0 or st[H_PAGE_HWM] < st[H_PAGE_CAP]
    )
    return room


@_inline
def _dispatch(
    st: I64Array,
    out: I64Array,
    n: int,
    kind: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    owner: int,
    stp: int,
    quote: int,
    oid: int,
) -> int:
    if kind == CMD_PLACE:
        return _place(st, out, n, side, otype, tif, price, qty, owner, stp, quote, 0)
    if kind == CMD_CANCEL:
        return _cancel(st, out, n, oid, C_USER)
    if kind == CMD_CANCEL_ALL:
        return _cancel_all(st, out, n, owner)
    if kind == CMD_AMEND:
        return _amend(st, out, n, oid, qty)
    return _emit(out, n, EV_REJECTED, oid, 0, price, qty, owner, 0, 0, 0, 0, side, R_INVALID_PARAMS)


@_jit
def process_one(
    st: I64Array,
    out: I64Array,
    kind: int,
    side: int,
    otype: int,
    tif: int,
    price: int,
    qty: int,
    owner: int,
    stp: int,
    quote: int,
    oid: int,
) -> int:
    """Apply one command; events go to ``out[0:n]``. Returns n, or NEED_GROWTH (nothing changed).

    ``out`` must hold at least (resting orders + 8) rows: a sweep emits one row per maker.
    """
    if not _has_room(st) or out.shape[0] < st[H_N_ORDERS] + 8:
        return NEED_GROWTH
    return _dispatch(st, out, 0, kind, side, otype, tif, price, qty, owner, stp, quote, oid)


@_jit
def process_batch(st: I64Array, out: I64Array, cmds: I64Array, start: int, end: int) -> tuple[int, int]:
    """Apply ``cmds[start:end]`` in order until done, out of room, or ``out`` nearly full.

    Returns (next command index, events written). The caller grows/drains and calls again.
    """
    n = 0
    i = start
    cap = out.shape[0]
    while i < end:
        if not _has_room(st) or cap - n < st[H_N_ORDERS] + 8:
            break
        n = _dispatch(
            st,
            out,
            n,
            cmds[i, C_KIND],
            cmds[i, C_SIDE],
            cmds[i, C_TYPE],
            cmds[i, C_TIF],
            cmds[i, C_PRICE],
            cmds[i, C_QTY],
            cmds[i, C_OWNER],
            cmds[i, C_STP],
            cmds[i, C_QUOTE],
            cmds[i, C_OID],
        )
        i += 1
    return i, n


@njit(cache=True)  # allocates its result, so it keeps numba's runtime
def dump_orders(st: I64Array) -> I64Array:
    """Resting orders in priority order: bids best→worst, then asks best→worst.

    Rows: side, price (ticks), order id, remaining, owner, original quantity.
    """
    res = np.empty((st[H_N_ORDERS], 6), dtype=np.int64)
    k = 0
    ob0 = st[H_ORD_OFF]
    base = st[H_MIN_TICK]
    for side in (BUY, SELL):
        t = st[H_BEST_BID] if side == BUY else st[H_BEST_ASK]
        while t >= 0:
            lb = _lvl(st, _page_of(st, t >> PAGE_BITS), t)
            slot = st[lb + L_HEAD]
            while slot >= 0:
                ob = ob0 + slot * NF
                res[k, 0] = side
                res[k, 1] = t + base
                res[k, 2] = st[ob + O_ID]
                res[k, 3] = st[ob + O_QTY]
                res[k, 4] = st[ob + O_OWNER]
                res[k, 5] = st[ob + O_ORIG]
                k += 1
                slot = st[ob + O_NEXT]
            t = _next_down(st, t - 1) if side == BUY else _next_up(st, t + 1)
    return res[:k]


@_jit
def is_resting(st: I64Array, oid: int) -> bool:
    """Whether order ``oid`` rests in the book (a cheap membership test for generators)."""
    return _hm_find(st, oid) >= 0
