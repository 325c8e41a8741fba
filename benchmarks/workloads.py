"""Seeded command streams for the engine benchmarks (rows in the kernel's batch format).

The generator drives a shadow book while it writes commands, so prices are placed relative to
the real touch and cancels name orders that are really resting: the stream keeps a stationary
book the way real order flow does, instead of piling up stale orders. The shadow costs a few
seconds per million commands and is not part of any measurement.
"""

from __future__ import annotations

import random

import numpy as np

from engine import (
    AssetSpec,
    CancelOrder,
    Deposit,
    Engine,
    ListMarket,
    LotSize,
    MarketSpec,
    NotionalFilter,
    OrderBook,
    OrderType,
    PlaceOrder,
    PriceFilter,
    Side,
    TimeInForce,
    batch,
)

MID = 1_000_000  # ticks
OWNERS = 1_000
MIN_PRICE, MAX_PRICE = 1, 1_000_000_000


def new_book() -> OrderBook:
    return OrderBook(min_price=MIN_PRICE, max_price=MAX_PRICE)


def standard(
    n: int = 1_000_000, seed: int = 1, band: int = 10, prefill: int = 0, prefill_levels: int = 0
) -> np.ndarray:
    """≈60% passive limits within ``band`` ticks behind the touch, 25% cancels of resting
    orders, 10% crossing limits, 5% market orders; ``prefill`` resting orders spread over
    ``prefill_levels`` levels come first."""
    rng = random.Random(seed)
    shadow = new_book()
    raw = shadow.raw
    rows = np.zeros((n + prefill, batch.CW), dtype=np.int64)
    live: list[int] = []
    i = 0

    def emit(row: tuple) -> None:
        nonlocal i
        rows[i] = row
        i += 1
        raw(*row)

    half = max(prefill_levels // 2, 1)
    for _ in range(prefill):
        side = rng.randrange(2)
        off = 1 + rng.randrange(half)
        price = MID - off if side == batch.BUY else MID + off
        live.append(shadow.next_order_id)
        emit(
            (batch.CMD_PLACE, side, batch.LIMIT, batch.GTC, price, rng.randint(1, 100), rng.randrange(OWNERS), 0, 0, 0)
        )
    for _ in range(n):
        r = rng.random()
        owner = rng.randrange(OWNERS)
        bid, ask = shadow.best_bid, shadow.best_ask
        bid = bid if bid is not None else (ask - 1 if ask is not None else MID - 1)
        ask = ask if ask is not None else bid + 1
        if r < 0.25:
            while live:
                j = rng.randrange(len(live))
                live[j], live[-1] = live[-1], live[j]
                oid = live.pop()
                if oid in shadow:
                    emit((batch.CMD_CANCEL, 0, 0, 0, 0, 0, owner, 0, 0, oid))
                    break
            else:
                r = 0.5  # nothing to cancel: place a passive order instead
        if 0.25 <= r < 0.85:
            side = rng.randrange(2)
            off = rng.randrange(band)
            price = bid - off if side == batch.BUY else ask + off
            live.append(shadow.next_order_id)
            emit((batch.CMD_PLACE, side, batch.LIMIT, batch.GTC, price, rng.randint(1, 10), owner, 0, 0, 0))
        elif 0.85 <= r < 0.95:
            side = rng.randrange(2)
            off = rng.randrange(3)
            price = ask + off if side == batch.BUY else bid - off
            live.append(shadow.next_order_id)
            emit((batch.CMD_PLACE, side, batch.LIMIT, batch.GTC, price, rng.randint(1, 30), owner, 0, 0, 0))
        elif r >= 0.95:
            emit((batch.CMD_PLACE, rng.randrange(2), batch.MARKET, batch.GTC, 0, rng.randint(1, 30), owner, 0, 0, 0))
    return rows[:i]


def deep(n: int = 1_000_000, seed: int = 2) -> np.ndarray:
    """The standard mix at the touch of a book holding ≈100k resting orders over ≈6k levels."""
    return standard(n, seed, band=10, prefill=100_000, prefill_levels=6_000)


def wide(n: int = 1_000_000, seed: int = 3) -> np.ndarray:
    """Passive prices spread over a band 1000 times wider than the standard one."""
    return standard(n, seed, band=10_000)


WORKLOADS = {"std": standard, "deep": deep, "wide": wide}


# ---- the same streams for the whole exchange (``Engine``), in asset units ----

TICK = 10**6  # 0.01 USDT at 8 decimals: the standard stream's mid (1,000,000 ticks) is 10,000 USDT
LOT = 10**5  # 0.001 BTC


def exchange_spec() -> MarketSpec:
    """BTCUSDT-like rules wide enough for every price and quantity the streams use."""
    return MarketSpec(
        "BTCUSDT",
        AssetSpec("BTC"),
        AssetSpec("USDT"),
        PriceFilter(TICK, MAX_PRICE * TICK, TICK),
        LotSize(LOT, 10_000 * LOT, LOT),
        notional=NotionalFilter(min_notional=5 * 10**8),
    )


def new_exchange(accounts: int = OWNERS) -> Engine:
    """An engine with the market listed and every account funded far beyond what it will trade."""
    e = Engine()
    e.apply(ListMarket(exchange_spec()))
    for a in range(1, accounts + 1):
        e.apply(Deposit(a, "USDT", 10**7 * 10**8))
        e.apply(Deposit(a, "BTC", 10**4 * 10**8))
    return e


def exchange_rows(book_rows: np.ndarray) -> np.ndarray:
    """A book stream as exchange commands (``engine.encode_orders`` layout, asset units).

    Owners become accounts 1..1000 and each cancel is sent by the order's own account (order ids
    are given out in placement order, as the engine does when nothing is rejected)."""
    out = np.zeros((len(book_rows), batch.XW), dtype=np.int64)
    owner_of: dict[int, int] = {}
    next_id = 1
    for i, (kind, side, otype, tif, price, qty, owner, stp, quote, oid) in enumerate(book_rows.tolist()):
        if kind == batch.CMD_PLACE:
            owner_of[next_id] = owner + 1
            next_id += 1
            limit_price = price * TICK if otype == batch.LIMIT else 0
            out[i] = (batch.X_PLACE, owner + 1, side, otype, tif, limit_price, qty * LOT, quote, 0, stp, 0, i)
        else:
            out[i] = (batch.X_CANCEL, owner_of[oid], 0, 0, 0, 0, 0, 0, 0, 0, oid, i)
    return out


def exchange_commands(rows: np.ndarray) -> list:
    """``exchange_rows`` as command objects for ``Engine.apply``."""
    sides, types, tifs = list(Side), list(OrderType), list(TimeInForce)
    commands = []
    for kind, acct, side, otype, tif, price, qty, _quote, _stop, _stp, oid, now in rows.tolist():
        if kind == batch.X_PLACE:
            commands.append(
                PlaceOrder("BTCUSDT", acct, sides[side], types[otype], qty, price, time_in_force=tifs[tif], time=now)
            )
        else:
            commands.append(CancelOrder("BTCUSDT", acct, oid, time=now))
    return commands
