"""One market's order book: the Python face of the compiled kernel.

Two ways in: per command (``place``, ``cancel``, ``cancel_all``, ``amend``), which return event
objects, and ``apply_batch`` over an int64 command array (see ``encode``), which returns the raw
event rows without creating Python objects — the path for replay and backtests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from . import _kernel as k
from ._levels import level_lots, top_levels
from .enums import CancelReason, ExpireReason, OrderType, SelfTradePrevention, Side, TimeInForce
from .errors import InvariantViolation, RejectReason
from .events import (
    BookEvent,
    OrderAccepted,
    OrderAmended,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
)

DEFAULT_MAX_QUANTITY = 1 << 40
BATCH_OUT_ROWS = 1 << 12  # rows reused per chunk: small enough to stay in cache


@dataclass(frozen=True, slots=True)
class RestingOrder:
    order_id: int
    owner: int
    side: Side
    price: int
    quantity: int  # open (remaining) lots
    original_quantity: int


@dataclass(frozen=True, slots=True)
class Level:
    price: int
    quantity: int
    orders: int


class OrderBook:
    """Price-time priority limit order book over integer ticks and lots.

    ``min_price``/``max_price`` bound the tick grid (inclusive); any price in between can rest.
    ``max_quantity`` bounds one order's lots so level totals cannot overflow int64.
    """

    __slots__ = ("_out", "_st")

    def __init__(
        self,
        min_price: int = 1,
        max_price: int = (1 << 40),
        max_quantity: int = DEFAULT_MAX_QUANTITY,
        order_capacity: int = 1024,
    ) -> None:
        if not 0 <= min_price <= max_price < (1 << 62):
            raise ValueError(f"price range must satisfy 0 <= min <= max < 2**62, got [{min_price}, {max_price}]")
        if not 0 < max_quantity <= (1 << 62) // max(order_capacity, 1 << 20):
            raise ValueError(f"max_quantity {max_quantity} could overflow a level total")
        self._st = k.new_state(min_price, max_price, max_quantity, ord_cap=max(16, order_capacity))
        self._out = np.zeros((int(self._st[k.H_ORD_CAP]) + 8, k.EVW), dtype=np.int64)

    # ---- per command ----------------------------------------------------------------------

    def place(
        self,
        side: Side,
        order_type: OrderType,
        quantity: int = 0,
        price: int = 0,
        *,
        time_in_force: TimeInForce = TimeInForce.GTC,
        owner: int = 0,
        stp: SelfTradePrevention = SelfTradePrevention.NONE,
        quote_quantity: int = 0,
    ) -> list[BookEvent]:
        """Place a new order. ``quote_quantity`` (tick·lots) instead of ``quantity`` for a market
        order by quote amount; it buys/sells whole lots until the next lot would exceed it."""
        n = self.raw(k.CMD_PLACE, side, order_type, time_in_force, price, quantity, owner, stp, quote_quantity, 0)
        return decode(self._out, n)

    def cancel(self, order_id: int) -> list[BookEvent]:
        return decode(self._out, self.raw(k.CMD_CANCEL, 0, 0, 0, 0, 0, 0, 0, 0, order_id))

    def cancel_all(self, owner: int) -> list[BookEvent]:
        """Cancel all of ``owner``'s resting orders, oldest first."""
        return decode(self._out, self.raw(k.CMD_CANCEL_ALL, 0, 0, 0, 0, 0, owner, 0, 0, 0))

    def amend(self, order_id: int, new_quantity: int) -> list[BookEvent]:
        """Reduce an order's total quantity, keeping its queue priority.

        ``0 < new_quantity < current total`` or the amend is rejected; if the order has already
        executed ``new_quantity`` or more, it leaves the book complete (remaining 0)."""
        return decode(self._out, self.raw(k.CMD_AMEND, 0, 0, 0, 0, new_quantity, 0, 0, 0, order_id))

    def raw(
        self,
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
        """Apply one command and return how many event rows it wrote to ``self.out``."""
        n = k.process_one(self._st, self._out, kind, side, otype, tif, price, qty, owner, stp, quote, oid)
        while n == k.NEED_GROWTH:
            self._grow()
            n = k.process_one(self._st, self._out, kind, side, otype, tif, price, qty, owner, stp, quote, oid)
        return n

    @property
    def out(self) -> np.ndarray:
        """The raw event rows of the last per-command call (valid until the next call)."""
        return self._out

    # ---- batch ----------------------------------------------------------------------------

    def apply_batch(self, cmds: np.ndarray, sink: Callable[[np.ndarray], None] | None = None) -> int:
        """Apply every row of an int64 command array (see ``encode``) in order.

        Event rows are handed to ``sink`` in chunks (views valid only during the call); returns
        the number of events.
        """
        if cmds.dtype != np.int64 or cmds.ndim != 2 or cmds.shape[1] != k.CW:
            raise ValueError(f"commands must be an int64 array of shape (n, {k.CW})")
        out = batch_buffer(self._st)
        i, total, end = 0, 0, cmds.shape[0]
        while i < end:
            i, n = k.process_batch(self._st, out, cmds, i, end)
            total += n
            if sink is not None and n:
                sink(out[:n])
            if i < end:
                self._grow()
                out = batch_buffer(self._st, out)
        return total

    # ---- views ----------------------------------------------------------------------------

    @property
    def best_bid(self) -> int | None:
        t = int(self._st[k.H_BEST_BID])
        return None if t < 0 else t + int(self._st[k.H_MIN_TICK])

    @property
    def best_ask(self) -> int | None:
        t = int(self._st[k.H_BEST_ASK])
        return None if t < 0 else t + int(self._st[k.H_MIN_TICK])

    def __contains__(self, order_id: int) -> bool:
        """Whether the order rests in the book (a cheap test, no order object built)."""
        return k.is_resting(self._st, order_id)

    def __len__(self) -> int:
        return int(self._st[k.H_N_ORDERS])

    @property
    def next_order_id(self) -> int:
        return int(self._st[k.H_NEXT_OID])

    @property
    def next_trade_id(self) -> int:
        return int(self._st[k.H_NEXT_TID])

    def orders(self) -> list[RestingOrder]:
        """Resting orders in priority order: bids best to worst, then asks best to worst."""
        return [
            RestingOrder(int(r[2]), int(r[4]), Side(int(r[0])), int(r[1]), int(r[3]), int(r[5]))
            for r in k.dump_orders(self._st)
        ]

    def order(self, order_id: int) -> RestingOrder | None:
        for o in self.orders():
            if o.order_id == order_id:
                return o
        return None

    def depth(self, limit: int | None = None) -> tuple[list[Level], list[Level]]:
        """Aggregated levels (bids best first, asks best first), at most ``limit`` per side."""
        return (
            [Level(p, q, c) for p, q, c in self.top(Side.BUY, limit).tolist()],
            [Level(p, q, c) for p, q, c in self.top(Side.SELL, limit).tolist()],
        )

    def top(self, side: Side, limit: int | None = None) -> np.ndarray:
        """The best ``limit`` levels of ``side`` (all for None) as rows of (ticks, lots, orders):
        ``depth`` without an object a level, for callers that read the book after every change."""
        return top_levels(self._st, int(side), -1 if limit is None else limit)

    def level_lots(self, sides: np.ndarray, prices: np.ndarray) -> np.ndarray:
        """The total lots resting on each of ``sides`` at each of ``prices`` (int64 arrays of
        sides and ticks): 0 where none rests."""
        return level_lots(self._st, sides, prices)

    def check_invariants(self) -> None:
        """Raise ``InvariantViolation`` unless every structure agrees with every other."""
        _check(self._st)

    # ---- capacity -------------------------------------------------------------------------

    def _grow(self) -> None:
        """Double whichever capacity is exhausted (a no-op when neither is)."""
        st = self._st
        ord_cap, page_cap = int(st[k.H_ORD_CAP]), int(st[k.H_PAGE_CAP])
        if not (st[k.H_FREE_ORD] >= 0 or st[k.H_ORD_HWM] < ord_cap):
            ord_cap *= 2
        if not (st[k.H_FREE_PAGE] >= 0 or st[k.H_PAGE_HWM] < page_cap):
            page_cap *= 2
        if (ord_cap, page_cap) != (int(st[k.H_ORD_CAP]), int(st[k.H_PAGE_CAP])):
            self._st = k.grown(st, ord_cap, page_cap)
        if self._out.shape[0] < int(self._st[k.H_ORD_CAP]) + 8:
            self._out = np.zeros((int(self._st[k.H_ORD_CAP]) + 8, k.EVW), dtype=np.int64)


def batch_buffer(st: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """An event buffer for a batch call on state ``st``: ``out`` if it still has room for a chunk
    plus a full sweep of the book, else a new one sized for the book's capacity."""
    if out is not None and out.shape[0] >= BATCH_OUT_ROWS + int(st[k.H_N_ORDERS]) + 8:
        return out
    return np.empty((BATCH_OUT_ROWS + int(st[k.H_ORD_CAP]) + 8, k.EVW), dtype=np.int64)


def encode(commands: Iterable[tuple[int, ...]]) -> np.ndarray:
    """Command rows for ``apply_batch`` from tuples in the column order of ``batch.CW``:
    (kind, side, type, tif, price, qty, owner, stp, quote, order_id)."""
    arr = np.array(list(commands), dtype=np.int64)
    return arr.reshape(-1, k.CW)


def decode(out: np.ndarray, n: int) -> list[BookEvent]:
    """Event objects from raw kernel rows."""
    events: list[BookEvent] = []
    for row in out[:n].tolist():
        kind = row[k.E_KIND]
        if kind == k.EV_FILL:
            events.append(
                OrderFilled(
                    row[k.E_TID],
                    row[k.E_OID],
                    row[k.E_OTHER],
                    Side(row[k.E_SIDE]),
                    row[k.E_PRICE],
                    row[k.E_QTY],
                    row[k.E_OWNER],
                    row[k.E_OOWNER],
                    row[k.E_REM],
                    row[k.E_MREM],
                )
            )
        elif kind == k.EV_ACCEPTED:
            events.append(
                OrderAccepted(
                    row[k.E_OID],
                    row[k.E_OWNER],
                    Side(row[k.E_SIDE]),
                    OrderType(row[k.E_OTHER]),
                    TimeInForce(row[k.E_MREM]),
                    row[k.E_PRICE],
                    row[k.E_QTY],
                    row[k.E_TID],
                )
            )
        elif kind == k.EV_CANCELED:
            events.append(
                OrderCanceled(
                    row[k.E_OID],
                    row[k.E_OWNER],
                    Side(row[k.E_SIDE]),
                    row[k.E_PRICE],
                    row[k.E_QTY],
                    CancelReason(row[k.E_REASON]),
                )
            )
        elif kind == k.EV_EXPIRED:
            events.append(
                OrderExpired(
                    row[k.E_OID],
                    row[k.E_OWNER],
                    Side(row[k.E_SIDE]),
                    row[k.E_PRICE],
                    row[k.E_QTY],
                    row[k.E_TID],
                    row[k.E_REM],
                    ExpireReason(row[k.E_REASON]),
                    row[k.E_OTHER],
                )
            )
        elif kind == k.EV_AMENDED:
            events.append(
                OrderAmended(
                    row[k.E_OID],
                    row[k.E_OWNER],
                    Side(row[k.E_SIDE]),
                    row[k.E_PRICE],
                    row[k.E_QTY],
                    row[k.E_REM],
                    row[k.E_MREM],
                )
            )
        elif kind == k.EV_REJECTED:
            events.append(OrderRejected(RejectReason(row[k.E_REASON]), row[k.E_OID]))
        else:
            raise InvariantViolation(f"kernel wrote an unknown event kind {kind}")
    return events


def _check(st: np.ndarray) -> None:
    """Walk every structure of the kernel state and cross-check it (tests call this often)."""

    def fail(msg: str) -> None:
        raise InvariantViolation(msg)

    base = int(st[k.H_MIN_TICK])
    ob0, lvl0, pg0, pl0 = (int(st[i]) for i in (k.H_ORD_OFF, k.H_LVL_OFF, k.H_PG_OFF, k.H_PL_OFF))
    hm0, hm_size = int(st[k.H_HM_OFF]), int(st[k.H_HM_MASK]) + 1
    npl = int(st[k.H_NPL])
    plist = [int(st[pl0 + i]) for i in range(npl)]
    numbers = [int(st[pg0 + s * k.PGW + k.P_NUMBER]) for s in plist]
    if numbers != sorted(set(numbers)):
        fail(f"page list not strictly sorted: {numbers}")
    if npl != int(st[k.H_N_PAGES]):
        fail("page count disagrees with the page list")
    seen_slots: set[int] = set()
    occupied: list[int] = []
    for slot, pn in zip(plist, numbers, strict=True):
        pb = pg0 + slot * k.PGW
        words = st[pb : pb + 64]
        summary = int(st[pb + k.P_SUMMARY])
        if summary == 0:
            fail(f"empty page {pn} still listed")
        for w in range(64):
            if bool(words[w] != 0) != bool((summary >> w) & 1):
                fail(f"summary bit {w} of page {pn} disagrees with its word")
            word = int(words[w]) & ((1 << 64) - 1)
            for b in range(64):
                t = (pn << k.PAGE_BITS) + w * 64 + b
                lb = lvl0 + ((slot << k.PAGE_BITS) + w * 64 + b) * k.LF
                cnt = int(st[lb + k.L_CNT])
                if (word >> b) & 1:
                    if cnt <= 0:
                        fail(f"level {t + base} marked occupied but has no orders")
                    occupied.append(t)
                    total, count, prev, slot_i = 0, 0, -1, int(st[lb + k.L_HEAD])
                    last_seq = 0
                    while slot_i >= 0:
                        ob = ob0 + slot_i * k.NF
                        if slot_i in seen_slots:
                            fail(f"order slot {slot_i} linked twice")
                        seen_slots.add(slot_i)
                        if int(st[ob + k.O_PREV]) != prev:
                            fail(f"broken back link at level {t + base}")
                        if int(st[ob + k.O_PRICE]) != t:
                            fail(f"order {int(st[ob + k.O_ID])} sits at the wrong level")
                        if int(st[ob + k.O_SEQ]) <= last_seq:
                            fail(f"FIFO broken at level {t + base}: arrival order not increasing")
                        q = int(st[ob + k.O_QTY])
                        if not 0 < q <= int(st[ob + k.O_ORIG]):
                            fail(f"order {int(st[ob + k.O_ID])} has quantity {q}")
                        last_seq = int(st[ob + k.O_SEQ])
                        total += q
                        count += 1
                        prev = slot_i
                        slot_i = int(st[ob + k.O_NEXT])
                    if int(st[lb + k.L_TAIL]) != prev:
                        fail(f"tail of level {t + base} is wrong")
                    if total != int(st[lb + k.L_QTY]) or count != cnt:
                        fail(f"level {t + base} totals {int(st[lb + k.L_QTY])}/{cnt} != orders {total}/{count}")
                elif cnt != 0:
                    fail(f"level {t + base} has orders but is not marked occupied")
    if len(seen_slots) != int(st[k.H_N_ORDERS]):
        fail(f"{len(seen_slots)} orders linked, header says {int(st[k.H_N_ORDERS])}")
    bid, ask = int(st[k.H_BEST_BID]), int(st[k.H_BEST_ASK])
    sides = {int(st[ob0 + s * k.NF + k.O_SIDE]) for s in seen_slots}
    bids = sorted(t for t in occupied if _side_at(st, t) == k.BUY)
    asks = sorted(t for t in occupied if _side_at(st, t) == k.SELL)
    if (bids[-1] if bids else -1) != bid or (asks[0] if asks else -1) != ask:
        fail(f"best bid/ask {bid}/{ask} disagree with the levels")
    if bids and asks and bids[-1] >= asks[0]:
        fail(f"book crossed: bid {bids[-1] + base} >= ask {asks[0] + base}")
    if sides - {k.BUY, k.SELL}:
        fail("order with an unknown side")
    # the id index holds exactly the resting orders
    keys = st[hm0 : hm0 + 2 * hm_size : 2]
    vals = st[hm0 + 1 : hm0 + 2 * hm_size : 2]
    indexed = {int(v) for key, v in zip(keys, vals, strict=True) if key != 0}
    if indexed != seen_slots:
        fail("order id index disagrees with the resting orders")
    for key, v in zip(keys, vals, strict=True):
        if key != 0 and int(st[ob0 + int(v) * k.NF + k.O_ID]) != int(key):
            fail(f"index maps order {int(key)} to the wrong slot")


def _side_at(st: np.ndarray, t: int) -> int:
    """Side of the head order at price offset ``t`` (all orders of a level share it)."""
    pn = t >> k.PAGE_BITS
    pg0, pl0 = int(st[k.H_PG_OFF]), int(st[k.H_PL_OFF])
    for i in range(int(st[k.H_NPL])):
        slot = int(st[pl0 + i])
        if int(st[pg0 + slot * k.PGW + k.P_NUMBER]) == pn:
            lb = int(st[k.H_LVL_OFF]) + ((slot << k.PAGE_BITS) + (t & k.PMASK)) * k.LF
            sides = set()
            s = int(st[lb + k.L_HEAD])
            while s >= 0:
                sides.add(int(st[int(st[k.H_ORD_OFF]) + s * k.NF + k.O_SIDE]))
                s = int(st[int(st[k.H_ORD_OFF]) + s * k.NF + k.O_NEXT])
            if len(sides) != 1:
                raise InvariantViolation(f"level {t} holds both sides")
            return sides.pop()
    raise InvariantViolation(f"no page for level {t}")
