"""``sandex demo``: a guided tour of the matching engine on a BTC/USDT-like book.

Shows each order type doing its thing with the events the engine emits, then runs a seeded
random order flow through the batch entry point and prints the rate it reached.
"""

from __future__ import annotations

import random
import time

import numpy as np

from engine import BookEvent, OrderBook, OrderType, SelfTradePrevention, Side, TimeInForce, encode
from engine import batch as k

from .wire import parse_units, units_to_decimal

PRICE_DECIMALS = 2  # the book counts USDT in price ticks of 0.01
QTY_DECIMALS = 5  # and BTC in quantity lots of 0.00001
NOTIONAL_DECIMALS = PRICE_DECIMALS + QTY_DECIMALS  # so a quote quantity counts tick x lot = 0.0000001 USDT
MAKER, YOU = 1, 2


def _px(ticks: int) -> str:
    return f"{units_to_decimal(ticks, PRICE_DECIMALS):,.2f}"


def _qty(lots: int) -> str:
    return f"{units_to_decimal(lots, QTY_DECIMALS):.5f}"


QUANTITY_FIELDS = {"quantity", "new_quantity", "remaining", "previous_remaining"}


def _field(name: str, value: int | str) -> str:
    if isinstance(value, int):  # (the amounts are; so are the enums, with a name)
        if name == "price":
            return _px(value)
        if name == "quote_quantity":
            return f"{units_to_decimal(value, NOTIONAL_DECIMALS):,.2f}"
        if name in QUANTITY_FIELDS:
            return _qty(value)
    return getattr(value, "name", str(value))


def _show(title: str, events: list[BookEvent]) -> None:
    print(f"\n> {title}")
    for e in events:
        shown = [
            name
            for name in e._fields
            if name not in ("taker_remaining", "maker_remaining")
            and not (name in e._field_defaults and getattr(e, name) == e._field_defaults[name])
        ]
        fields = ", ".join(f"{name}={_field(name, getattr(e, name))}" for name in shown)
        print(f"    {type(e).__name__}({fields})")


def _ladder(book: OrderBook, levels: int = 5) -> None:
    bids, asks = book.depth(levels)
    print("\n    ask side (best last)            bid side")
    for lvl in reversed(asks):
        print(f"    {_px(lvl.price):>12} x {_qty(lvl.quantity):>10}")
    print("    " + "-" * 40)
    for lvl in bids:
        print(f"    {'':27}{_px(lvl.price):>12} x {_qty(lvl.quantity)}")


def tour() -> OrderBook:
    book = OrderBook(min_price=1, max_price=100_000_000_00)  # 0.01 to 100,000,000.00 USDT
    mid = 90_000_00
    for i in range(1, 6):
        book.place(Side.BUY, OrderType.LIMIT, 20_000 * i, mid - 500 * i, owner=MAKER)
        book.place(Side.SELL, OrderType.LIMIT, 20_000 * i, mid + 500 * i, owner=MAKER)
    print("A market maker quotes five levels each side of 90,000.00 (quantities in BTC):")
    _ladder(book)
    _show(
        "You buy 0.3 BTC at market: the order walks the book", book.place(Side.BUY, OrderType.MARKET, 30_000, owner=YOU)
    )
    _show(
        "You buy 1,000 USDT worth at market (quoteOrderQty): whole lots only",
        book.place(
            Side.BUY,
            OrderType.MARKET,
            quote_quantity=parse_units("1000", NOTIONAL_DECIMALS, "quoteOrderQty"),
            owner=YOU,
        ),
    )
    _show(
        "A post-only (LIMIT_MAKER) bid that would cross is rejected, changing nothing",
        book.place(Side.BUY, OrderType.LIMIT_MAKER, 1_000, mid + 1_000, owner=YOU),
    )
    _show(
        "A fill-or-kill for more than the book holds at its price expires untouched",
        book.place(Side.BUY, OrderType.LIMIT, 500_000, mid + 1_000, time_in_force=TimeInForce.FOK, owner=YOU),
    )
    _show(
        "You bid 0.1 BTC at 89,999.00, the new best bid",
        book.place(Side.BUY, OrderType.LIMIT, 10_000, mid - 100, owner=YOU),
    )
    _show(
        "Your own ask meets your bid: self-trade prevention (EXPIRE_TAKER) expires the ask",
        book.place(Side.SELL, OrderType.LIMIT, 5_000, mid - 100, owner=YOU, stp=SelfTradePrevention.EXPIRE_TAKER),
    )
    _show(
        "A bid at 1.00 USDT, far from the touch, rests like any other",
        book.place(Side.BUY, OrderType.LIMIT, 100_000, 100, owner=YOU),
    )
    best = book.orders()[0]
    _show("Reduce your 89,999.00 bid to 0.04 BTC, keeping its queue priority", book.amend(best.order_id, 4_000))
    _show("Cancel everything you have in this market", book.cancel_all(YOU))
    print("\nThe book now:")
    _ladder(book)
    book.check_invariants()
    return book


def random_flow(n: int, seed: int) -> np.ndarray:
    """Passive quotes near a wandering mid, cancels, crossing limits and market orders."""
    rng = random.Random(seed)
    rows, placed, mid = [], 0, 90_000_00
    for _ in range(n):
        r = rng.random()
        side = rng.randrange(2)
        if r < 0.6:
            off = 1 + rng.randrange(10)
            price = mid - off if side == 0 else mid + off
            rows.append((k.CMD_PLACE, side, k.LIMIT, k.GTC, price, rng.randint(1, 10), 0, 0, 0, 0))
            placed += 1
        elif r < 0.85 and placed:
            rows.append((k.CMD_CANCEL, 0, 0, 0, 0, 0, 0, 0, 0, rng.randint(max(1, placed - 200), placed)))
        elif r < 0.95:
            price = mid + 2 if side == 0 else mid - 2
            rows.append((k.CMD_PLACE, side, k.LIMIT, k.GTC, price, rng.randint(1, 30), 0, 0, 0, 0))
            placed += 1
        else:
            rows.append((k.CMD_PLACE, side, k.MARKET, k.GTC, 0, rng.randint(1, 30), 0, 0, 0, 0))
            placed += 1
        if rng.random() < 0.01:
            mid += rng.choice((-1, 1))
    return encode(rows)


def main(orders: int = 200_000, seed: int = 1) -> None:
    tour()
    cmds = random_flow(orders, seed)
    book = OrderBook(min_price=1, max_price=100_000_000_00)
    book.apply_batch(cmds[:100])  # compile or load the cached kernel before timing
    book = OrderBook(min_price=1, max_price=100_000_000_00)
    start = time.perf_counter()
    events = book.apply_batch(cmds)
    elapsed = time.perf_counter() - start
    print(
        f"\n{len(cmds):,} random commands through the batch entry point: {events:,} events in "
        f"{elapsed * 1000:.1f} ms = {len(cmds) / elapsed / 1e6:.1f}M commands/s; {len(book):,} orders rest."
    )
    book.check_invariants()
