"""A simple pure-Python exchange (the naive book plus checks, locking, settlement and fees).

The yardstick for the full-path figures: what one would write without thinking about speed,
doing the same work per command as ``Engine.apply`` on the benchmark workload (tick, lot and
notional checks, balance check and lock, matching, settlement of both sides with fees rounded
up, release of what is left, one event object per event).
"""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from engine import batch as k

from .naive_book import NaiveBook

DENOM = 10**8


class Trade(NamedTuple):
    taker: int
    maker: int
    price: int
    quantity: int
    taker_fee: int
    maker_fee: int


class NaiveExchange:
    """One market; ``balances[account] = {"base": [free, locked], "quote": [free, locked]}``."""

    def __init__(self, tick: int, lot: int, factor: int, min_notional: int, rate: int) -> None:
        self.tick, self.lot, self.factor, self.min_notional, self.rate = tick, lot, factor, min_notional, rate
        self.balances: dict[int, dict[str, list[int]]] = defaultdict(lambda: {"base": [0, 0], "quote": [0, 0]})
        self.book = NaiveBook(on_fill=self._settle)
        self.resting: dict[int, tuple[int, int, int]] = {}  # order id -> (owner, side, price ticks)
        self._taker = (0, 0)
        self._events: list = []

    def deposit(self, account: int, asset: str, amount: int) -> None:
        self.balances[account][asset][0] += amount

    def _fee(self, amount: int) -> int:
        return -((-amount * self.rate) // DENOM)

    def _settle(self, maker: list, qty: int, price: int) -> None:
        taker, side = self._taker
        base, quote = qty * self.lot, price * qty * self.factor
        t, m = self.balances[taker], self.balances[maker[2]]
        if side == k.BUY:
            t["quote"][1] -= quote
            fee_t, fee_m = self._fee(base), self._fee(quote)
            t["base"][0] += base - fee_t
            m["base"][1] -= base
            m["quote"][0] += quote - fee_m
        else:
            t["base"][1] -= base
            fee_t, fee_m = self._fee(quote), self._fee(base)
            t["quote"][0] += quote - fee_t
            m["quote"][1] -= quote
            m["base"][0] += base - fee_m
        self._spent += quote if side == k.BUY else base
        self._events.append(Trade(taker, maker[2], price, qty, fee_t, fee_m))

    def place(self, account: int, side: int, otype: int, price: int, qty: int) -> list:
        if price % self.tick or qty % self.lot or qty <= 0:
            return [("rejected", "filter")]
        pt, ql = price // self.tick, qty // self.lot
        if otype == k.LIMIT and pt * ql * self.factor < self.min_notional:
            return [("rejected", "notional")]
        if side == k.BUY:
            asset = "quote"
            lock = pt * ql * self.factor if otype == k.LIMIT else self._market_cost(ql) * self.factor
        else:
            asset, lock = "base", qty
        bal = self.balances[account][asset]
        if bal[0] < lock:
            return [("rejected", "balance")]
        bal[0] -= lock
        bal[1] += lock
        self._events = [("accepted", self.book.next_id)]
        self._taker, self._spent = (account, side), 0
        oid = self.book.next_id
        self.book.place(side, otype, pt, ql, account)
        rest = self.book.rested
        keep = (pt * rest * self.factor if side == k.BUY else rest * self.lot) if rest else 0
        if rest:
            self.resting[oid] = (account, side, pt)
        release = lock - self._spent - keep
        bal[1] -= release
        bal[0] += release
        return self._events

    def _market_cost(self, lots: int) -> int:
        cost = 0
        for key, queue in self.book.asks.items():
            for entry in queue:
                take = min(lots, entry[1])
                cost += take * key
                lots -= take
                if not lots:
                    return cost
        return cost

    def cancel(self, account: int, oid: int) -> list:
        owner, side, pt = self.resting.get(oid, (None, 0, 0))
        if owner != account:
            return [("rejected", "unknown order")]
        del self.resting[oid]
        entry = self.book.cancel(oid)
        if entry is None:
            return [("rejected", "unknown order")]
        bal = self.balances[account]["quote" if side == k.BUY else "base"]
        amount = pt * entry[1] * self.factor if side == k.BUY else entry[1] * self.lot
        bal[1] -= amount
        bal[0] += amount
        return [("canceled", oid)]
