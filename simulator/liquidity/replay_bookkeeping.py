"""The replay's bookkeeping in the venue: sending planned commands and keeping the venue's records.

A batch runs through ``Engine.apply_batch`` (``BatchSink``) and the venue's records are kept from
its event rows: the fills go to the market's trade history a batch at a time
(``MarketHistory.record_many``), fills with a user go through the venue's own fill handling
(``Venue.absorb``), and the maker's resting ladder is registered as the venue's open orders after
each batch (``reconcile_maker``, with ``Venue.adopt_resting``). ``send_each`` is the reference
path: every command through ``Venue.place``/``cancel``/``amend``, records, stops and all.
"""

from __future__ import annotations

import numpy as np

from engine import OrderFilled, OrderType, RejectReason, SelfTradePrevention, Side, TimeInForce
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
    X_CANCEL,
    X_PLACE,
)

from ..orders import OrderRequest
from ..refusals import Refused
from ..venue import Venue

R_SIDE, R_PRICE, R_OID, R_QTY, R_OWNER, R_ORIG = range(6)  # the columns ``Engine.order_rows`` documents
SELL = int(Side.SELL)
UNKNOWN_ORDER = int(RejectReason.UNKNOWN_ORDER)  # a cancel or amend of an order already filled: no harm


class ReplayError(RuntimeError):
    """History could not be printed (a house order was refused, a price is outside the market)."""


def send_each(venue: Venue, symbol: str, cmds: np.ndarray, base: int) -> None:
    """The reference path: each command through the venue (records, stops and all)."""
    placed = 0
    sym = symbol
    for kind, acct, side, _t, tif, price, qty, _q, _s, _stp, oid, _now in cmds.tolist():
        if kind == X_PLACE:
            req = OrderRequest(
                sym,
                Side(side),
                OrderType.LIMIT,
                TimeInForce(tif),
                qty,
                price,
                0,
                0,
                None,
                SelfTradePrevention.NONE,
                "ACK",
            )
            try:
                got = venue.place(acct, req).order.order_id
            except Refused as e:
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
            except Refused:
                pass  # already filled: nothing left to cancel or amend


def reconcile_maker(venue: Venue, symbol: str, maker: int, registered: dict[int, int]) -> dict[int, int]:
    """Make the venue's records of the maker's resting orders match the book: register new ones,
    bring partly filled ones up to date, drop those gone. ``registered``: the maker's resting
    orders at the last reconcile (id -> lots); returns them as they are now. An order still holding
    the lots it held last time has a record that is up to date (only a fill changes either)."""
    sym = symbol
    book = venue.book_rows(sym)
    mine = book[book[:, R_OWNER] == maker]
    resting = dict(zip(mine[:, R_OID].tolist(), mine[:, R_QTY].tolist(), strict=True))
    for oid in registered.keys() - resting.keys():
        venue.forget_order(sym, oid)
    now = venue.now()
    spec = venue.markets[sym].spec
    for side, pt, oid, lots, _, orig in mine.tolist():
        if registered.get(oid) != lots:
            venue.adopt_resting(
                maker,
                sym,
                oid,
                Side(side),
                OrderType.LIMIT,
                spec.price_units(pt),
                spec.qty_units(orig),
                now,
                spec.qty_units(orig - lots),
                spec.notional_units(pt, orig - lots),
            )
    return resting


class BatchSink:
    """Runs a batch through ``Engine.apply_batch`` and keeps the venue's records from its event rows."""

    def __init__(self, venue: Venue, symbol: str, maker: int, taker: int, base: int, ptimes: np.ndarray) -> None:
        self.venue = venue
        self.symbol = symbol
        self.market = venue.markets[symbol]
        self.spec = self.market.spec
        self.base = base
        self.ptimes = ptimes
        self.maker, self.taker = maker, taker
        self.touched = False  # a fill of a house order from an earlier batch (a registered ladder order)
        self.user_fills = 0

    def send(self, cmds: np.ndarray) -> None:
        self.venue.apply_batch(self.symbol, cmds, self.sink)

    def sink(self, rows: np.ndarray) -> None:
        kinds = rows[:, E_KIND]
        rejected = kinds == EV_REJECTED
        if rejected.any():
            bad = rejected & (rows[:, E_REASON] != UNKNOWN_ORDER)
            if bad.any():
                r = rows[np.flatnonzero(bad)[0]]
                raise ReplayError(
                    f"{self.symbol}: a house order was refused "
                    f"({RejectReason(int(r[E_REASON])).name}): account {int(r[E_OWNER])}, "
                    f"price {int(r[E_PRICE])}, quantity {int(r[E_QTY])}"
                )
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
            raise ValueError(f"{self.symbol}: trade ids {first}..{int(tid[-1])} are not consecutive")
        px, q = f[:, E_PRICE], f[:, E_QTY]
        spec = self.spec
        self.market.history.record_many(
            first,
            spec.price_units(px),
            spec.qty_units(q),
            spec.notional_units(px, q),
            times,
            f[:, E_SIDE] == SELL,
            f[:, E_OID],
        )

    def _user_fill(self, r: np.ndarray, now: int) -> None:
        """A fill with a user's order: through the venue's own fill handling (records, myTrades,
        history), with a passing record for the house order if the venue keeps none."""
        venue, sym = self.venue, self.symbol
        (_, oid, other, px, q, owner, oowner, rem, mrem, tid, side, _, fee_t, fee_m) = (int(v) for v in r)
        spec = self.spec
        event = OrderFilled(
            tid,
            oid,
            other,
            Side(side),
            spec.price_units(px),
            spec.qty_units(q),
            owner,
            oowner,
            spec.qty_units(rem),
            spec.qty_units(mrem),
            sym,
            spec.notional_units(px, q),
            fee_t,
            fee_m,
        )
        temporary = []
        for order_id, acct, s, remaining in ((oid, owner, side, rem), (other, oowner, 1 - side, mrem)):
            if not venue.is_open(sym, order_id):
                venue.adopt_resting(
                    acct,
                    sym,
                    order_id,
                    Side(s),
                    OrderType.LIMIT,
                    spec.price_units(px),
                    spec.qty_units(q + remaining),
                    now,
                )
                temporary.append(order_id)
        venue.absorb([event], now)
        for order_id in temporary:
            venue.forget_order(sym, order_id)
