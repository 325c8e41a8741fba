"""Small markets with coarse units, so random commands often hit every rule's boundaries."""

from __future__ import annotations

import random

from engine import (
    AssetSpec,
    CancelAllOrders,
    CancelOrder,
    Deposit,
    Engine,
    ListMarket,
    LotSize,
    MarketLotSize,
    MarketSpec,
    NotionalFilter,
    OrderType,
    PercentPriceBySide,
    PlaceOrder,
    PriceFilter,
    SelfTradePrevention,
    SetFeeRates,
    Side,
    TimeInForce,
)
from engine.units import RATE_DENOM

A = AssetSpec("AAA", 0)  # whole coins: one unit per lot
B = AssetSpec("BBB", 2)
C = AssetSpec("CCC", 1)


def small_markets() -> list[MarketSpec]:
    """Three markets over three assets (one asset is base in one market and quote in another)."""
    common = dict(
        notional=NotionalFilter(min_notional=5, apply_min_to_market=True, max_notional=3_000, avg_price_mins=5),
        percent_price=PercentPriceBySide(5 * RATE_DENOM, RATE_DENOM // 5, 5 * RATE_DENOM, RATE_DENOM // 5, 5),
        max_num_orders=6,
        max_num_algo_orders=2,
    )
    return [
        MarketSpec("AAABBB", A, B, PriceFilter(1, 120, 1), LotSize(1, 30, 1), MarketLotSize(1, 20, 1), **common),
        MarketSpec("CCCBBB", C, B, PriceFilter(10, 1_200, 10), LotSize(1, 30, 1), **common),
        MarketSpec("AAACCC", A, C, PriceFilter(2, 120, 2), LotSize(1, 30, 1), **common),
    ]


def funded_engine(accounts: int, fee_rates: list[tuple[int, int]] | None = None, amount: int = 10_000) -> Engine:
    e = Engine()
    for spec in small_markets():
        e.apply(ListMarket(spec))
    for account in range(1, accounts + 1):
        for asset in (A, B, C):
            e.apply(Deposit(account, asset.code, amount))
        if fee_rates:
            maker, taker = fee_rates[account % len(fee_rates)]
            e.apply(SetFeeRates(account, maker, taker))
    return e


def random_commands(seed: int, n: int, accounts: int) -> list:
    """A reproducible stream of order commands over ``small_markets`` (some of them rejected)."""
    rng = random.Random(seed)
    markets = [(m.symbol, m.price_filter.tick_size, m.price_filter.max_price) for m in small_markets()]
    types = list(OrderType)
    out = []
    for i in range(n):
        symbol, tick, max_price = rng.choice(markets)
        account = rng.randint(1, accounts)
        r = rng.random()
        if r < 0.12:
            out.append(CancelOrder(symbol, account, order_id=rng.randint(1, 1 + i // 3), time=i * 1000))
        elif r < 0.14:
            out.append(CancelAllOrders(symbol, account, time=i * 1000))
        else:
            t = rng.choice(types) if rng.random() < 0.4 else OrderType.LIMIT
            price = rng.randint(1, max_price // tick) * tick
            stop = rng.randint(1, max_price // tick) * tick
            quote = rng.randint(0, 300) if t == OrderType.MARKET and rng.random() < 0.5 else 0
            out.append(
                PlaceOrder(
                    symbol,
                    account,
                    rng.choice((Side.BUY, Side.SELL)),
                    t,
                    quantity=0 if quote else rng.randint(1, 12),
                    price=price
                    if t
                    in (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
                    else 0,
                    quote_quantity=quote,
                    stop_price=stop if t >= OrderType.STOP_LOSS else 0,
                    time_in_force=rng.choice((TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK))
                    if t in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
                    else TimeInForce.GTC,
                    stp=rng.choice(list(SelfTradePrevention)),
                    time=i * 1000,
                )
            )
    return out
