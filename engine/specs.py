"""Assets and markets, validated on construction.

Filters follow Binance's symbol filters, in asset units (prices in quote units per whole base
coin, quantities in base units, notionals in quote units; multipliers over ``RATE_DENOM``).
A market's tick (``tick_size``) and lot (``step_size``) turn prices into integer ticks and
quantities into integer lots; a trade's quote amount is then ticks x lots x ``notional_factor``,
which must be a whole number of quote units: the check that keeps every trade exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt

from .enums import MarketStatus, OrderType
from .units import INT64_SAFE, RATE_DENOM

MAX_TICKS = (1 << 58) - 1  # keeps average-price sums within int64
MAX_AVG_PRICE_MINS = 16  # the average-price window the engine keeps per market, in minutes
_CODE = re.compile(r"^[A-Z0-9]{1,20}$")
# ticks or lots: one count, or a column of them (the same multiplication either way)
Count = TypeVar("Count", int, npt.NDArray[np.int64])


def _need(ok: bool, msg: str) -> None:
    if not ok:
        raise ValueError(msg)


@dataclass(frozen=True, slots=True)
class AssetSpec:
    code: str
    decimals: int = 8  # ledger precision: one unit is 10**-decimals of a coin

    def __post_init__(self) -> None:
        _need(bool(_CODE.match(self.code)), f"asset code must be 1-20 of A-Z 0-9, got {self.code!r}")
        _need(0 <= self.decimals <= 18, f"{self.code}: decimals must be in [0, 18], got {self.decimals}")


@dataclass(frozen=True, slots=True)
class PriceFilter:
    """PRICE_FILTER: min_price <= price <= max_price and a multiple of tick_size (0 = no min/max)."""

    min_price: int
    max_price: int
    tick_size: int


@dataclass(frozen=True, slots=True)
class LotSize:
    """LOT_SIZE: min_qty <= quantity <= max_qty and a multiple of step_size (all orders)."""

    min_qty: int
    max_qty: int
    step_size: int


@dataclass(frozen=True, slots=True)
class MarketLotSize:
    """MARKET_LOT_SIZE: the same rules for market orders by quantity (0 = not enforced)."""

    min_qty: int = 0
    max_qty: int = 0
    step_size: int = 0


@dataclass(frozen=True, slots=True)
class NotionalFilter:
    """NOTIONAL: price x quantity within [min_notional, max_notional] (max 0 = none).

    Market orders are measured at the average price over ``avg_price_mins`` (or by their quote
    amount), and only for the bounds whose ``apply_*_to_market`` is set.
    """

    min_notional: int = 0
    apply_min_to_market: bool = True
    max_notional: int = 0
    apply_max_to_market: bool = False
    avg_price_mins: int = 5


@dataclass(frozen=True, slots=True)
class PercentPriceBySide:
    """PERCENT_PRICE_BY_SIDE: a buy's price within [avg x bid_down, avg x bid_up], a sell's
    within [avg x ask_down, avg x ask_up]; multipliers over ``RATE_DENOM``; avg over the window."""

    bid_multiplier_up: int
    bid_multiplier_down: int
    ask_multiplier_up: int
    ask_multiplier_down: int
    avg_price_mins: int = 5


@dataclass(frozen=True, slots=True)
class MarketSpec:
    symbol: str
    base: AssetSpec
    quote: AssetSpec
    price_filter: PriceFilter
    lot_size: LotSize
    market_lot_size: MarketLotSize = MarketLotSize()
    notional: NotionalFilter = NotionalFilter()
    percent_price: PercentPriceBySide | None = None
    max_num_orders: int = 200
    max_num_algo_orders: int = 5
    order_types: frozenset[OrderType] = frozenset(OrderType)
    status: MarketStatus = MarketStatus.TRADING
    # derived on construction
    min_tick: int = field(init=False)
    max_tick: int = field(init=False)
    notional_factor: int = field(init=False)

    def __post_init__(self) -> None:
        s = self.symbol
        _need(bool(_CODE.match(s)), f"symbol must be 1-20 of A-Z 0-9, got {s!r}")
        _need(self.base.code != self.quote.code, f"{s}: base and quote must differ")
        pf, ls, mls = self.price_filter, self.lot_size, self.market_lot_size
        tick, lot = pf.tick_size, ls.step_size
        _need(tick > 0, f"{s}: PRICE_FILTER tick_size must be > 0, got {tick}")
        _need(lot > 0, f"{s}: LOT_SIZE step_size must be > 0, got {lot}")
        _need(pf.min_price >= 0 and pf.min_price % tick == 0, f"{s}: min_price must be a multiple of tick_size")
        _need(pf.max_price == 0 or pf.max_price >= pf.min_price, f"{s}: max_price below min_price")
        _need(ls.min_qty >= 0 and ls.min_qty % lot == 0, f"{s}: LOT_SIZE min_qty must be a multiple of step_size")
        _need(ls.max_qty >= max(ls.min_qty, lot), f"{s}: LOT_SIZE max_qty must be >= min_qty and one step")
        for name, value in (("min_qty", mls.min_qty), ("max_qty", mls.max_qty), ("step_size", mls.step_size)):
            _need(value >= 0 and value % lot == 0, f"{s}: MARKET_LOT_SIZE {name} must be a multiple of step_size")
        scale = 10**self.base.decimals
        _need(
            tick * lot % scale == 0,
            f"{s}: tick_size x step_size = {tick * lot} is not a whole number of {self.quote.code} units per "
            f"{scale} {self.base.code} units; give {self.quote.code} more decimals or use coarser sizes",
        )
        factor = tick * lot // scale
        max_lots = max(ls.max_qty, mls.max_qty) // lot
        min_tick = max(pf.min_price // tick, 1)
        if pf.max_price:
            max_tick = pf.max_price // tick
        else:
            max_tick = min((INT64_SAFE - 1) // (max_lots * factor), MAX_TICKS)
        _need(max_tick <= MAX_TICKS, f"{s}: more than 2**58 - 1 price ticks would overflow average-price sums")
        _need(max_tick >= min_tick, f"{s}: empty price range")
        _need(
            max_tick * max_lots * factor < INT64_SAFE,
            f"{s}: max_price x max_qty would overflow int64 amounts; lower one of them",
        )
        n = self.notional
        _need(n.min_notional >= 0 and n.max_notional >= 0, f"{s}: NOTIONAL bounds must be >= 0")
        _need(n.max_notional == 0 or n.max_notional >= n.min_notional, f"{s}: max_notional below min_notional")
        mins = [n.avg_price_mins]
        if self.percent_price is not None:
            pp = self.percent_price
            mults = (pp.bid_multiplier_up, pp.bid_multiplier_down, pp.ask_multiplier_up, pp.ask_multiplier_down)
            _need(
                all(0 <= m <= 10 * RATE_DENOM for m in mults),
                f"{s}: PERCENT_PRICE_BY_SIDE multipliers must be in [0, 10]",
            )
            _need(max_tick < INT64_SAFE // 16, f"{s}: max_price too large for PERCENT_PRICE_BY_SIDE bounds")
            mins.append(pp.avg_price_mins)
        _need(
            all(0 <= m <= MAX_AVG_PRICE_MINS for m in mins), f"{s}: avg_price_mins must be in [0, {MAX_AVG_PRICE_MINS}]"
        )
        _need(self.max_num_orders > 0 and self.max_num_algo_orders >= 0, f"{s}: MAX_NUM_ORDERS must be > 0")
        _need(bool(self.order_types), f"{s}: no order types allowed")
        object.__setattr__(self, "order_types", frozenset(OrderType(t) for t in self.order_types))
        object.__setattr__(self, "min_tick", min_tick)
        object.__setattr__(self, "max_tick", max_tick)
        object.__setattr__(self, "notional_factor", factor)

    # ---- ticks and lots -> asset units: the one decoding of a book's counts ----

    def price_units(self, ticks: Count) -> Count:
        """Price ticks -> quote units per whole base coin."""
        return ticks * self.price_filter.tick_size

    def qty_units(self, lots: Count) -> Count:
        """Quantity lots -> base units."""
        return lots * self.lot_size.step_size

    def notional_units(self, ticks: Count, lots: Count) -> Count:
        """A trade's quote amount: ticks x lots x ``notional_factor``, exact by construction."""
        return ticks * lots * self.notional_factor
