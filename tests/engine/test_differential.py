"""The compiled book against the reference book: same commands, same events, same book.

Prices straddle a page boundary of the kernel (offset 4096) and include far-away prices at the
edges of the grid, so paging, re-centring of the best price and far levels are all exercised.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from engine import OrderBook, OrderType, SelfTradePrevention, Side, TimeInForce, decode, encode
from engine import _kernel as k

from .reference_book import ReferenceBook

MIN_PRICE, MAX_PRICE, MAX_QTY = 1, 1 << 40, 1 << 40
NEAR = list(range(4088, 4106))  # offset 4096 (price 4097) is a page boundary
FAR = [1, 2, 4096, 8193, 1_000_000, MAX_PRICE - 1, MAX_PRICE]
prices = st.one_of(st.sampled_from(NEAR), st.sampled_from(NEAR), st.sampled_from(FAR))
quantities = st.integers(1, 12)
owners = st.integers(0, 3)
stps = st.sampled_from(list(SelfTradePrevention))
tifs = st.sampled_from(list(TimeInForce))
order_types = st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER])


class BookVersusReference(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.book = OrderBook(MIN_PRICE, MAX_PRICE, MAX_QTY, order_capacity=16)
        self.ref = ReferenceBook(MIN_PRICE, MAX_PRICE, MAX_QTY)

    def _same(self, got: list, want: list) -> None:
        assert got == want

    @rule(
        side=st.sampled_from(list(Side)),
        otype=order_types,
        tif=tifs,
        price=prices,
        qty=quantities,
        owner=owners,
        stp=stps,
    )
    def place(self, side, otype, tif, price, qty, owner, stp) -> None:
        if otype == OrderType.MARKET:
            price = 0
        if otype == OrderType.LIMIT_MAKER:
            tif = TimeInForce.GTC
        kw = dict(time_in_force=tif, owner=owner, stp=stp)
        self._same(self.book.place(side, otype, qty, price, **kw), self.ref.place(side, otype, qty, price, **kw))

    @rule(side=st.sampled_from(list(Side)), quote=st.integers(1, 200_000), owner=owners, stp=stps)
    def market_by_quote(self, side, quote, owner, stp) -> None:
        kw = dict(owner=owner, stp=stp, quote_quantity=quote)
        self._same(self.book.place(side, OrderType.MARKET, **kw), self.ref.place(side, OrderType.MARKET, **kw))

    @rule(
        side=st.integers(-1, 2),
        otype=st.integers(-1, 7),
        tif=st.integers(-1, 3),
        price=st.integers(-5, 10),
        qty=st.integers(-2, 3),
        quote=st.integers(-1, 2),
        stp=st.integers(-1, 5),
    )
    def malformed(self, side, otype, tif, price, qty, quote, stp) -> None:
        """Arbitrary codes: valid ones behave as usual, invalid ones are rejected identically."""
        kw = dict(time_in_force=tif, owner=1, stp=stp, quote_quantity=quote)
        got = decode(self.book.out, self.book.raw(k.CMD_PLACE, side, otype, tif, price, qty, 1, stp, quote, 0))
        self._same(got, self.ref.place(side, otype, qty, price, **kw))

    @rule(data=st.data())
    def cancel(self, data) -> None:
        oid = data.draw(st.integers(0, self.ref.next_order_id + 1))
        self._same(self.book.cancel(oid), self.ref.cancel(oid))

    @rule(owner=owners)
    def cancel_all(self, owner) -> None:
        self._same(self.book.cancel_all(owner), self.ref.cancel_all(owner))

    @rule(data=st.data(), new_qty=st.integers(-1, 14))
    def amend(self, data, new_qty) -> None:
        oid = data.draw(st.integers(0, self.ref.next_order_id))
        self._same(self.book.amend(oid, new_qty), self.ref.amend(oid, new_qty))

    @invariant()
    def same_book(self) -> None:
        self.book.check_invariants()
        assert self.book.orders() == self.ref.orders()
        assert self.book.best_bid == self.ref.best(Side.BUY)
        assert self.book.best_ask == self.ref.best(Side.SELL)
        assert self.book.next_order_id == self.ref.next_order_id
        assert self.book.next_trade_id == self.ref.next_trade_id


TestBookVersusReference = pytest.mark.slow(BookVersusReference.TestCase)


def _random_commands(rng: random.Random, n: int) -> list[tuple]:
    rows = []
    next_id = 1
    for _ in range(n):
        r = rng.random()
        if r < 0.6:
            otype = rng.choice([OrderType.LIMIT] * 6 + [OrderType.MARKET, OrderType.LIMIT_MAKER])
            tif = TimeInForce.GTC if otype != OrderType.LIMIT else rng.choice(list(TimeInForce))
            price = 0 if otype == OrderType.MARKET else rng.choice(NEAR + NEAR + FAR)
            quote = rng.randint(1, 100_000) if otype == OrderType.MARKET and rng.random() < 0.3 else 0
            qty = 0 if quote else rng.randint(1, 20)
            side, owner, stp = rng.randrange(2), rng.randrange(4), rng.randrange(5)  # drawn in this order
            rows.append((k.CMD_PLACE, side, otype, tif, price, qty, owner, stp, quote, 0))
            next_id += 1
        elif r < 0.85:
            rows.append((k.CMD_CANCEL, 0, 0, 0, 0, 0, 0, 0, 0, rng.randrange(1, next_id + 1)))
        elif r < 0.9:
            rows.append((k.CMD_CANCEL_ALL, 0, 0, 0, 0, 0, rng.randrange(4), 0, 0, 0))
        else:
            rows.append((k.CMD_AMEND, 0, 0, 0, 0, rng.randint(1, 20), 0, 0, 0, rng.randrange(1, next_id + 1)))
    return rows


def _apply_reference(ref: ReferenceBook, row: tuple) -> list:
    kind, side, otype, tif, price, qty, owner, stp, quote, oid = row
    if kind == k.CMD_PLACE:
        return ref.place(side, otype, qty, price, time_in_force=tif, owner=owner, stp=stp, quote_quantity=quote)
    if kind == k.CMD_CANCEL:
        return ref.cancel(oid)
    if kind == k.CMD_CANCEL_ALL:
        return ref.cancel_all(owner)
    return ref.amend(oid, qty)


def test_batch_path_matches_reference_over_a_long_random_stream() -> None:
    """Thousands of seeded commands through the batch entry point, growth included."""
    rng = random.Random(7)
    rows = _random_commands(rng, 6_000)
    book = OrderBook(MIN_PRICE, MAX_PRICE, MAX_QTY, order_capacity=16)
    chunks: list[np.ndarray] = []
    book.apply_batch(encode(rows), sink=lambda ev: chunks.append(ev.copy()))
    got = decode(np.concatenate(chunks), sum(len(c) for c in chunks))
    ref = ReferenceBook(MIN_PRICE, MAX_PRICE, MAX_QTY)
    want = [e for row in rows for e in _apply_reference(ref, row)]
    assert got == want
    book.check_invariants()
    assert book.orders() == ref.orders()


@pytest.mark.slow
def test_per_command_path_matches_batch_path() -> None:
    rows = _random_commands(random.Random(11), 3_000)
    a, b = OrderBook(order_capacity=16), OrderBook(order_capacity=16)
    per_call = [e for row in rows for e in decode(a.out, a.raw(*row))]
    chunks: list[np.ndarray] = []
    b.apply_batch(encode(rows), sink=lambda ev: chunks.append(ev.copy()))
    assert per_call == decode(np.concatenate(chunks), sum(len(c) for c in chunks))
    assert a.orders() == b.orders()
