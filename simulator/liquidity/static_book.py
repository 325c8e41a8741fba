"""A static two-sided book around each market's reference price, from one market-maker account.

Enough for market orders to fill and limit orders to rest against something until the live
liquidity sources run; deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Set as AbstractSet
from typing import Any

from engine import OrderType, SelfTradePrevention, Side, TimeInForce

from ..orders import OrderRequest
from ..venue import Venue
from ..wire import parse_units

SPACING_BPS = 5  # levels 0.05 % apart
LEVEL_NOTIONALS = 400  # each level holds about this many times the market's minimum notional


class StaticBook:
    """A liquidity source that quotes once and never moves (``liquidity_mode = "static"``)."""

    def __init__(self, levels: int, seed: int, exclude: AbstractSet[str] = frozenset()) -> None:
        self.levels, self.seed, self.exclude = levels, seed, exclude
        self.account: int | None = None

    def start(self, venue: Venue, now: int) -> None:
        self.account = seed_static_book(venue, self.levels, self.seed, self.exclude)

    def advance(self, venue: Venue, now: int) -> None:
        pass

    def next_due(self) -> int | None:
        return None

    def to_record(self) -> list[object]:
        """As configured (simulator/records.py): levels, seed, the markets left to other sources."""
        return [self.levels, self.seed, sorted(self.exclude)]

    @classmethod
    def from_record(cls, values: list[Any]) -> StaticBook:
        levels, seed, exclude = values
        return cls(levels, seed, set(exclude))

    def config_key(self) -> object:
        return self.levels, self.seed, sorted(self.exclude)

    def house_accounts(self) -> list[int]:
        return [] if self.account is None else [self.account]


def seed_static_book(venue: Venue, levels: int, seed: int, exclude: AbstractSet[str] = frozenset()) -> int | None:
    """Place ``levels`` bids and asks per market with a reference price; returns the maker's account."""
    markets = [m for m in venue.markets.values() if m.config.reference_price and m.spec.symbol not in exclude]
    if not markets or levels <= 0:
        return None
    rng = random.Random(seed)
    budget = {code: 10**18 // 10 for code in venue.assets}  # ample: the maker must never run dry
    maker = venue.house_account("static:maker", budget)
    for m in markets:
        spec = m.spec
        tick, step = spec.price_filter.tick_size, spec.lot_size.step_size
        mid = parse_units(m.config.reference_price, spec.quote.decimals, "reference_price") // tick * tick
        one = 10**spec.base.decimals
        for i in range(1, levels + 1):
            offset = max(mid * SPACING_BPS * i // 10_000 // tick, i) * tick
            for side, price in ((Side.BUY, mid - offset), (Side.SELL, mid + offset)):
                if price <= spec.price_filter.min_price:
                    continue
                notional = spec.notional.min_notional * LEVEL_NOTIONALS * rng.randint(50, 150) // 100
                qty = max(notional * one // price // step, 1) * step
                qty = max(qty, spec.lot_size.min_qty)
                venue.place(
                    maker,
                    OrderRequest(
                        spec.symbol,
                        side,
                        OrderType.LIMIT,
                        TimeInForce.GTC,
                        qty,
                        price,
                        0,
                        0,
                        None,
                        SelfTradePrevention.NONE,
                        "ACK",
                    ),
                )
    return maker
