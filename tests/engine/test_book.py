"""Behaviour of the order book, one rule per test."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from engine import (
    CancelReason,
    ExpireReason,
    InvariantViolation,
    OrderAccepted,
    OrderAmended,
    OrderBook,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderType,
    RejectReason,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from engine import _kernel as k

BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET, LIMIT_MAKER = OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER
STP = SelfTradePrevention


def summary(events: list) -> list[tuple]:
    """Events reduced to (kind, order id, quantity) for compact expectations."""
    out = []
    for e in events:
        if isinstance(e, OrderFilled):
            out.append(("fill", e.maker_order_id, e.quantity))
        elif isinstance(e, OrderExpired):
            out.append(("expired", e.order_id, e.quantity))
        elif isinstance(e, OrderCanceled):
            out.append(("canceled", e.order_id, e.quantity))
        elif isinstance(e, OrderRejected):
            out.append(("rejected", e.reason))
        elif isinstance(e, OrderAmended):
            out.append(("amended", e.order_id, e.remaining))
    return out


def resting(book: OrderBook) -> list[tuple]:
    return [(o.order_id, o.side, o.price, o.quantity) for o in book.orders()]


def test_price_time_priority_and_partial_fills() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 5, 101, owner=1)  # id 1
    book.place(SELL, LIMIT, 5, 100, owner=2)  # id 2: better price, later
    book.place(SELL, LIMIT, 5, 100, owner=3)  # id 3: same price, later than 2
    ev = book.place(BUY, LIMIT, 12, 101, owner=9)
    fills = [e for e in ev if isinstance(e, OrderFilled)]
    assert [(f.maker_order_id, f.price, f.quantity) for f in fills] == [(2, 100, 5), (3, 100, 5), (1, 101, 2)]
    assert [f.trade_id for f in fills] == [1, 2, 3]
    assert all(f.taker_order_id == 4 and f.taker_side == BUY for f in fills)
    assert fills[-1].maker_remaining == 3 and fills[-1].taker_remaining == 0
    assert resting(book) == [(1, SELL, 101, 3)]


def test_trade_happens_at_the_makers_price() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 1, 100)
    [_, fill] = book.place(SELL, LIMIT, 1, 90)
    assert fill.price == 100


def test_gtc_remainder_rests_at_its_limit() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 2, 100)
    assert summary(book.place(BUY, LIMIT, 5, 100)) == [("fill", 1, 2)]
    assert resting(book) == [(2, BUY, 100, 3)]
    assert book.best_bid == 100 and book.best_ask is None


def test_ioc_remainder_expires() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 2, 100)
    ev = book.place(BUY, LIMIT, 5, 100, time_in_force=TimeInForce.IOC)
    assert summary(ev) == [("fill", 1, 2), ("expired", 2, 3)]
    assert ev[-1].reason == ExpireReason.IOC
    assert len(book) == 0


def test_fok_that_cannot_fill_changes_nothing() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 2, 100)
    book.place(SELL, LIMIT, 2, 101)
    before = resting(book)
    ev = book.place(BUY, LIMIT, 5, 101, time_in_force=TimeInForce.FOK)
    assert isinstance(ev[0], OrderAccepted) and ev[1] == OrderExpired(3, 0, BUY, 101, 5, 0, 0, ExpireReason.FOK, 0)
    assert resting(book) == before and book.next_trade_id == 1


def test_fok_that_can_fill_fills_completely() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 2, 100)
    book.place(SELL, LIMIT, 3, 101)
    assert summary(book.place(BUY, LIMIT, 5, 101, time_in_force=TimeInForce.FOK)) == [("fill", 1, 2), ("fill", 2, 3)]
    assert len(book) == 0


def test_market_by_quantity_walks_the_book_and_expires_the_rest() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 2, 100)
    book.place(BUY, LIMIT, 2, 1)  # far away, still liquidity
    ev = book.place(SELL, MARKET, 6)
    assert summary(ev) == [("fill", 1, 2), ("fill", 2, 2), ("expired", 3, 2)]
    assert ev[-1].reason == ExpireReason.NO_LIQUIDITY


def test_market_by_quote_buys_whole_lots_until_the_next_would_exceed() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 3, 100)
    book.place(SELL, LIMIT, 10, 120)
    ev = book.place(BUY, MARKET, quote_quantity=550)  # 3 lots at 100 = 300, then 2 at 120 = 240
    fills = [e for e in ev if isinstance(e, OrderFilled)]
    assert [(f.price, f.quantity, f.taker_remaining) for f in fills] == [(100, 3, 250), (120, 2, 10)]
    assert ev[-1] == OrderExpired(3, 0, BUY, 0, 0, 10, 0, ExpireReason.NO_LIQUIDITY, 0)


def test_market_on_an_empty_book_expires() -> None:
    book = OrderBook()
    ev = book.place(BUY, MARKET, 1)
    assert summary(ev) == [("expired", 1, 1)]


def test_limit_maker_that_would_take_is_rejected_without_an_id() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 1, 100)
    assert book.place(BUY, LIMIT_MAKER, 1, 100) == [OrderRejected(RejectReason.WOULD_TAKE)]
    assert book.next_order_id == 2 and resting(book) == [(1, SELL, 100, 1)]
    assert summary(book.place(BUY, LIMIT_MAKER, 1, 99)) == []
    assert book.best_bid == 99


@pytest.mark.parametrize(
    "otype,tif,stp",
    list(itertools.product([LIMIT, MARKET, LIMIT_MAKER], list(TimeInForce), list(STP))),
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_every_type_time_in_force_and_stp_mode(otype, tif, stp) -> None:
    """Owner 1 rests 5 at 100 (id 1) ahead of owner 2's 5 at 100 (id 2); owner 1 then buys 8."""
    book = OrderBook()
    book.place(SELL, LIMIT, 5, 100, owner=1)
    book.place(SELL, LIMIT, 5, 100, owner=2)
    ev = book.place(BUY, otype, 8, 0 if otype == MARKET else 100, time_in_force=tif, owner=1, stp=stp)
    book.check_invariants()
    if otype == LIMIT_MAKER:
        want = RejectReason.WOULD_TAKE if tif == TimeInForce.GTC else RejectReason.INVALID_ORDER_PARAMETERS
        assert ev == [OrderRejected(want)]
        assert resting(book) == [(1, SELL, 100, 5), (2, SELL, 100, 5)]
        return
    taker = 3
    fok = otype == LIMIT and tif == TimeInForce.FOK
    if fok and stp not in (STP.NONE,):
        # the taker would meet its own order before filling 8 (EXPIRE_MAKER skips it: 5 < 8)
        assert summary(ev) == [("expired", taker, 8)] and ev[-1].reason == ExpireReason.FOK
        assert resting(book) == [(1, SELL, 100, 5), (2, SELL, 100, 5)]
        return
    rest_of_taker = {  # what happens to 3 lots the taker still wants after the STP outcome
        (LIMIT, TimeInForce.GTC): [],
        (LIMIT, TimeInForce.IOC): [("expired", taker, 3)],
        (LIMIT, TimeInForce.FOK): [("expired", taker, 3)],
    }.get((otype, tif), [("expired", taker, 3)])
    expected = {
        STP.NONE: ([("fill", 1, 5), ("fill", 2, 3)], [(2, SELL, 100, 2)]),
        STP.EXPIRE_TAKER: ([("expired", taker, 8)], [(1, SELL, 100, 5), (2, SELL, 100, 5)]),
        STP.EXPIRE_MAKER: ([("expired", 1, 5), ("fill", 2, 5)] + rest_of_taker, []),
        STP.EXPIRE_BOTH: ([("expired", 1, 5), ("expired", taker, 8)], [(2, SELL, 100, 5)]),
        STP.DECREMENT: ([("expired", 1, 5), ("expired", taker, 5), ("fill", 2, 3)], [(2, SELL, 100, 2)]),
    }[stp]
    events, book_after = expected
    if stp == STP.EXPIRE_MAKER and otype == LIMIT and tif == TimeInForce.GTC:
        book_after = [(taker, BUY, 100, 3)]
    assert summary(ev) == events
    assert resting(book) == book_after
    stp_expiries = [e for e in ev if isinstance(e, OrderExpired) and e.reason == ExpireReason.SELF_TRADE_PREVENTION]
    assert all(e.counter_order_id in (1, taker) for e in stp_expiries)
    assert (len(stp_expiries) > 0) == (stp != STP.NONE)


def test_cancel_releases_and_unknown_cancel_is_rejected() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 4, 100, owner=7)
    assert book.cancel(1) == [OrderCanceled(1, 7, BUY, 100, 4, CancelReason.USER)]
    assert book.cancel(1) == [OrderRejected(RejectReason.UNKNOWN_ORDER, 1)]
    assert len(book) == 0 and book.best_bid is None


def test_cancel_all_cancels_only_that_owner_oldest_first() -> None:
    book = OrderBook()
    book.place(SELL, LIMIT, 1, 105, owner=1)
    book.place(BUY, LIMIT, 1, 90, owner=2)
    book.place(BUY, LIMIT, 1, 95, owner=1)
    ev = book.cancel_all(1)
    assert [(e.order_id, e.reason) for e in ev] == [(1, CancelReason.CANCEL_ALL), (3, CancelReason.CANCEL_ALL)]
    assert resting(book) == [(2, BUY, 90, 1)]
    assert book.cancel_all(1) == []


def test_amend_keeps_queue_priority() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 10, 100, owner=1)
    book.place(BUY, LIMIT, 10, 100, owner=2)
    assert summary(book.amend(1, 4)) == [("amended", 1, 4)]
    assert summary(book.place(SELL, LIMIT, 5, 100)) == [("fill", 1, 4), ("fill", 2, 1)]


def test_amend_counts_what_already_executed() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 10, 100)
    book.place(SELL, LIMIT, 6, 100)  # order 1 now has 4 open of 10
    assert book.amend(1, 8) == [OrderAmended(1, 0, BUY, 100, 8, 2, 4)]
    assert book.amend(1, 6) == [OrderAmended(1, 0, BUY, 100, 6, 0, 2)]  # executed 6 of 6: done
    assert len(book) == 0


@pytest.mark.parametrize("new_qty", [0, -1, 10, 11])
def test_amend_must_reduce(new_qty: int) -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 10, 100)
    assert book.amend(1, new_qty) == [OrderRejected(RejectReason.INVALID_AMEND_QUANTITY, 1)]
    assert resting(book) == [(1, BUY, 100, 10)]


def test_far_prices_rest_and_match_across_the_whole_grid() -> None:
    top = (1 << 40) - 1
    book = OrderBook(min_price=1, max_price=top)
    book.place(BUY, LIMIT, 1, 1)  # the lowest price there is
    book.place(BUY, LIMIT, 1, 9_000_000)
    book.place(SELL, LIMIT, 1, top)  # the highest
    book.place(SELL, LIMIT, 1, 9_000_001)
    assert (book.best_bid, book.best_ask) == (9_000_000, 9_000_001)
    book.check_invariants()
    assert summary(book.place(SELL, MARKET, 2)) == [("fill", 2, 1), ("fill", 1, 1)]
    assert summary(book.place(BUY, MARKET, 2)) == [("fill", 4, 1), ("fill", 3, 1)]
    assert len(book) == 0
    book.check_invariants()


def test_prices_outside_the_grid_and_bad_quantities_are_rejected() -> None:
    book = OrderBook(min_price=10, max_price=1000, max_quantity=100)
    assert book.place(BUY, LIMIT, 1, 9) == [OrderRejected(RejectReason.PRICE_OUT_OF_RANGE)]
    assert book.place(BUY, LIMIT, 1, 1001) == [OrderRejected(RejectReason.PRICE_OUT_OF_RANGE)]
    assert book.place(BUY, LIMIT, 0, 100) == [OrderRejected(RejectReason.INVALID_QUANTITY)]
    assert book.place(BUY, LIMIT, 101, 100) == [OrderRejected(RejectReason.INVALID_QUANTITY)]
    assert book.place(BUY, MARKET, 1, quote_quantity=5) == [OrderRejected(RejectReason.INVALID_QUANTITY)]
    assert book.place(BUY, OrderType.STOP_LOSS, 1, 100) == [OrderRejected(RejectReason.INVALID_ORDER_PARAMETERS)]
    assert book.next_order_id == 1 and len(book) == 0
    assert summary(book.place(BUY, LIMIT, 100, 1000)) == []  # exactly at the limits is fine


def test_growth_keeps_everything() -> None:
    book = OrderBook(order_capacity=16)
    for i in range(3000):  # many orders over many pages
        book.place(BUY, LIMIT, 1, 1 + i * 997)
    book.check_invariants()
    assert len(book) == 3000 and book.best_bid == 1 + 2999 * 997
    assert summary(book.place(SELL, MARKET, 3000))[-1] == ("fill", 1, 1)


def test_batch_and_per_command_agree_on_ids() -> None:
    book = OrderBook()
    rows = np.array(
        [[k.CMD_PLACE, 1, 0, 0, 100, 5, 1, 0, 0, 0], [k.CMD_PLACE, 0, 0, 0, 100, 2, 2, 0, 0, 0]], dtype=np.int64
    )
    seen = []
    assert book.apply_batch(rows, sink=lambda ev: seen.append(ev.copy())) == 3
    assert seen[0][-1, k.E_KIND] == k.EV_FILL
    assert book.place(BUY, LIMIT, 1, 50)[0].order_id == 3


def test_batch_rejects_a_malformed_command_array() -> None:
    with pytest.raises(ValueError):
        OrderBook().apply_batch(np.zeros((2, 3), dtype=np.int64))


def test_check_invariants_catches_corruption() -> None:
    book = OrderBook()
    book.place(BUY, LIMIT, 5, 100)
    book.place(SELL, LIMIT, 5, 110)
    book._st[k.H_BEST_ASK] = book._st[k.H_BEST_BID] - 1  # a crossed, inconsistent best price
    with pytest.raises(InvariantViolation):
        book.check_invariants()
    book = OrderBook()
    book.place(BUY, LIMIT, 5, 100)
    slot_qty = int(book._st[k.H_ORD_OFF]) + k.O_QTY
    book._st[slot_qty] = 4  # the level total no longer matches its orders
    with pytest.raises(InvariantViolation):
        book.check_invariants()
