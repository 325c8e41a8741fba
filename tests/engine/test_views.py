"""The engine's array views for batch-driven callers: ``next_order_id`` and ``order_rows``."""

from __future__ import annotations

import numpy as np

from engine import (
    CancelOrder,
    Deposit,
    Engine,
    ListMarket,
    OrderAccepted,
    OrderType,
    PlaceOrder,
    Side,
    TimeInForce,
    encode_orders,
)
from engine.specs import AssetSpec, LotSize, MarketSpec, NotionalFilter, PriceFilter

U = 10**8
SYMBOL = "BTCUSDT"
TICK, STEP = U // 100, U // 100  # 0.01 USDT, 0.01 BTC
BUY, SELL = Side.BUY, Side.SELL


def engine() -> Engine:
    e = Engine()
    e.apply(
        ListMarket(
            MarketSpec(
                SYMBOL,
                AssetSpec("BTC"),
                AssetSpec("USDT"),
                price_filter=PriceFilter(TICK, 1_000_000 * U, TICK),
                lot_size=LotSize(STEP, 9000 * U, STEP),
                notional=NotionalFilter(min_notional=U),
            )
        )
    )
    for account in (1, 2):
        e.apply(Deposit(account, "USDT", 10**7 * U))
        e.apply(Deposit(account, "BTC", 100 * U))
    return e


def place(e: Engine, account: int, side: Side, price: int, qty: int) -> int:
    first = e.apply(PlaceOrder(SYMBOL, account, side, OrderType.LIMIT, qty, price))[0]
    assert isinstance(first, OrderAccepted)
    return first.order_id


def test_next_order_id_is_the_id_the_next_order_gets() -> None:
    e = engine()
    assert e.next_order_id(SYMBOL) == 1
    for _ in range(3):
        expected = e.next_order_id(SYMBOL)
        assert place(e, 1, BUY, 100 * U, 10 * STEP) == expected
        assert e.next_order_id(SYMBOL) == expected + 1
    e.apply(CancelOrder(SYMBOL, 1, 2))  # a cancel takes no id
    assert e.next_order_id(SYMBOL) == 4
    place_sell = (1, 2, int(SELL), int(OrderType.LIMIT), int(TimeInForce.GTC), 101 * U, 5 * STEP, 0, 0, 0, 0, 0)
    rows = encode_orders([place_sell] * 2)  # (kind 1: place)
    e.apply_batch(SYMBOL, rows)  # a batch numbers its orders the same way
    assert e.next_order_id(SYMBOL) == 6
    assert [o.order_id for o in e.open_orders(SYMBOL, 2)] == [4, 5]


def test_order_rows_are_open_orders_in_ticks_and_lots() -> None:
    e = engine()
    assert e.order_rows(SYMBOL).shape == (0, 6)
    place(e, 1, BUY, 100 * U, 10 * STEP)
    place(e, 2, SELL, 102 * U, 7 * STEP)
    place(e, 1, BUY, 101 * U, 4 * STEP)
    place(e, 2, SELL, 101 * U, 3 * STEP)  # takes 3 lots of the bid at 101
    rows = e.order_rows(SYMBOL)
    assert rows.dtype == np.int64
    # side, price ticks, order id, remaining lots, owner, original lots; bids best first, then asks
    assert rows.tolist() == [
        [int(BUY), 101 * U // TICK, 3, 1, 1, 4],
        [int(BUY), 100 * U // TICK, 1, 10, 1, 10],
        [int(SELL), 102 * U // TICK, 2, 7, 2, 7],
    ]
    views = e.open_orders(SYMBOL)
    assert [(int(o.side), o.price, o.order_id, o.quantity, o.account, o.original_quantity) for o in views] == [
        (side, pt * TICK, oid, lots * STEP, owner, orig * STEP) for side, pt, oid, lots, owner, orig in rows.tolist()
    ]
    rows[:] = 0  # a fresh array: changing it changes nothing
    assert e.order_rows(SYMBOL)[0, 2] == 3
