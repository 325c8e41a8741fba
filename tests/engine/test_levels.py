"""The compiled level readers against the book's own orders, walked one by one."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import OrderType, Side
from engine.book import Level, OrderBook


def _walk(book: OrderBook, limit: int | None = None) -> tuple[list[Level], list[Level]]:
    sides: dict[Side, list[Level]] = {Side.BUY: [], Side.SELL: []}
    for o in book.orders():
        levels = sides[o.side]
        if levels and levels[-1].price == o.price:
            last = levels[-1]
            levels[-1] = Level(last.price, last.quantity + o.quantity, last.orders + 1)
        elif limit is None or len(levels) < limit:
            levels.append(Level(o.price, o.quantity, 1))
    return sides[Side.BUY], sides[Side.SELL]


_ACTIONS = st.lists(
    st.tuples(
        st.booleans(),  # cancel one of the resting orders
        st.sampled_from([Side.BUY, Side.SELL]),
        st.integers(-3, 3),  # page (4096 ticks) of the mid price
        st.integers(-9000, 9000),  # offset from the mid
        st.integers(1, 50),
        st.integers(0, 2**16),
    ),
    max_size=120,
)


@settings(max_examples=60, deadline=None)
@given(_ACTIONS)
def test_levels_read_from_the_kernel_equal_the_orders_summed(actions: list[tuple]) -> None:
    book = OrderBook(5, 10**7)
    for cancel, side, page, offset, qty, pick in actions:
        resting = book.orders()
        if cancel and resting:
            book.cancel(resting[pick % len(resting)].order_id)
            continue
        book.place(side, OrderType.LIMIT, qty, 50_000 + page * 4096 + offset, owner=pick % 7 + 1)
    for limit in (None, 1, 5, 20):
        assert book.depth(limit) == _walk(book, limit)
    bids, asks = _walk(book)
    probes = [(Side.BUY, lv.price) for lv in bids] + [(Side.SELL, lv.price) for lv in asks]
    probes += [(Side.SELL, lv.price) for lv in bids] + [(Side.BUY, lv.price) for lv in asks]  # the other side: 0
    probes += [(s, p) for s in Side for p in (1, 4, 10**7, 10**7 + 3, 49_999)]
    want = {(Side.BUY, lv.price): lv.quantity for lv in bids} | {(Side.SELL, lv.price): lv.quantity for lv in asks}
    sides = np.array([int(s) for s, _ in probes], dtype=np.int64)
    prices = np.array([p for _, p in probes], dtype=np.int64)
    assert book.level_lots(sides, prices).tolist() == [want.get(probe, 0) for probe in probes]
