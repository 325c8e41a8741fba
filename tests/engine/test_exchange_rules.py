"""Exchange rules of the Engine: every rejection, its boundaries, balances, fees and stop orders.

A refused command must leave the engine exactly as it was (same fingerprint, invariants hold).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from engine.commands import (AmendOrder, CancelAllOrders, CancelOrder, Command, Deposit, ListAsset, ListMarket,
                             PlaceOrder, SetFeeRates, SetMarketStatus, Withdraw)
from engine.engine import Balance, Engine
from engine.enums import CancelReason, MarketStatus, OrderType, Side, TimeInForce
from engine.errors import RejectReason
from engine.events import (AssetListed, CommandRejected, Event, MarketListed, OrderAccepted, OrderAmended,
                           OrderCanceled, OrderFilled, OrderRejected, StopTriggered)
from engine.specs import (AssetSpec, LotSize, MarketLotSize, MarketSpec, NotionalFilter, PercentPriceBySide,
                          PriceFilter)
from engine.units import RATE_DENOM

R = RejectReason
BUY, SELL = Side.BUY, Side.SELL
LIMIT, MARKET, LIMIT_MAKER = OrderType.LIMIT, OrderType.MARKET, OrderType.LIMIT_MAKER
STOP_LOSS, STOP_LOSS_LIMIT = OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT
TAKE_PROFIT, TAKE_PROFIT_LIMIT = OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT

U = 10**8  # units per coin (8 decimals)
SYMBOL = "BTCUSDT"
TICK = U // 100  # 0.01 USDT
STEP = 1000  # 0.00001 BTC
MAX_PRICE = 1_000_000 * U
MAX_QTY = 9000 * U
PX = 100 * U  # 100 USDT
QTY = 10**7  # 0.1 BTC: 10 USDT at PX
FUNDS_USDT = 10**7 * U
FUNDS_BTC = 100 * U


def spec(**overrides: Any) -> MarketSpec:
    fields: dict[str, Any] = dict(
        symbol=SYMBOL,
        base=AssetSpec("BTC"),
        quote=AssetSpec("USDT"),
        price_filter=PriceFilter(min_price=U // 100, max_price=MAX_PRICE, tick_size=TICK),
        lot_size=LotSize(min_qty=STEP, max_qty=MAX_QTY, step_size=STEP),
        notional=NotionalFilter(min_notional=5 * U),
    )
    fields.update(overrides)
    return MarketSpec(**fields)


def engine(market: MarketSpec | None = None, accounts: tuple[int, ...] = (1, 2, 3)) -> Engine:
    e = Engine()
    e.apply(ListMarket(market or spec()))
    for account in accounts:
        e.apply(Deposit(account, "USDT", FUNDS_USDT))
        e.apply(Deposit(account, "BTC", FUNDS_BTC))
    return e


def order(account: int, side: Side, otype: OrderType = LIMIT, quantity: int = QTY, price: int = PX,
          **kw: Any) -> PlaceOrder:
    return PlaceOrder(SYMBOL, account, side, otype, quantity, price, **kw)


def market(account: int, side: Side, quantity: int = 0, quote: int = 0, **kw: Any) -> PlaceOrder:
    return PlaceOrder(SYMBOL, account, side, MARKET, quantity, 0, quote, **kw)


def stop(account: int, side: Side, otype: OrderType, stop_price: int, price: int = 0, **kw: Any) -> PlaceOrder:
    return PlaceOrder(SYMBOL, account, side, otype, QTY, price, stop_price=stop_price, **kw)


def accepted(e: Engine, cmd: Command) -> list[Event]:
    events = e.apply(cmd)
    assert events and not isinstance(events[0], (OrderRejected, CommandRejected)), events
    e.check_invariants()
    return events


def rejected(e: Engine, cmd: Command, reason: RejectReason) -> None:
    before = e.fingerprint()
    events = e.apply(cmd)
    assert len(events) == 1 and isinstance(events[0], (OrderRejected, CommandRejected)), events
    assert events[0].reason == reason
    assert e.fingerprint() == before
    e.check_invariants()


def outcome(e: Engine, cmd: Command, reason: RejectReason | None) -> None:
    if reason is None:
        accepted(e, cmd)
    else:
        rejected(e, cmd, reason)


def trade(e: Engine, price: int = PX, quantity: int = QTY, time: int = 0) -> list[Event]:
    """Account 3 trades with itself, setting the last and average price."""
    accepted(e, order(3, SELL, price=price, quantity=quantity, time=time))
    events = accepted(e, order(3, BUY, price=price, quantity=quantity, time=time))
    assert any(isinstance(ev, OrderFilled) for ev in events)
    return events


def new_id(events: list[Event]) -> int:
    assert isinstance(events[0], OrderAccepted)
    return events[0].order_id


# ---- accounts, markets, assets --------------------------------------------------------------


@pytest.mark.parametrize("cmd", [
    order(7, BUY), order(0, BUY), order(-1, BUY),
    Deposit(0, "USDT", U), Deposit(-1, "USDT", U), Withdraw(9, "USDT", U), Withdraw(-1, "USDT", U),
    SetFeeRates(0, 0, 0), SetFeeRates(-2, 0, 0),
])
def test_unknown_account(cmd: Command) -> None:
    rejected(engine(), cmd, R.UNKNOWN_ACCOUNT)


@pytest.mark.parametrize("cmd", [
    PlaceOrder("ETHUSDT", 1, BUY, LIMIT, QTY, PX), CancelOrder("ETHUSDT", 1, 1), CancelAllOrders("ETHUSDT", 1),
    AmendOrder("ETHUSDT", 1, STEP, 1), SetMarketStatus("ETHUSDT", MarketStatus.HALT),
])
def test_unknown_market(cmd: Command) -> None:
    rejected(engine(), cmd, R.UNKNOWN_MARKET)


@pytest.mark.parametrize("cmd", [Deposit(1, "ETH", U), Withdraw(1, "ETH", U)])
def test_unknown_asset(cmd: Command) -> None:
    rejected(engine(), cmd, R.UNKNOWN_ASSET)


@pytest.mark.parametrize("cmd", [
    Deposit(1, "USDT", 0), Deposit(1, "USDT", -1), Withdraw(1, "USDT", 0), Withdraw(1, "USDT", -5),
])
def test_invalid_amount(cmd: Command) -> None:
    rejected(engine(), cmd, R.INVALID_AMOUNT)


@pytest.mark.parametrize("cmd", [
    ListAsset(AssetSpec("BTC")),
    ListAsset(AssetSpec("USDT", 6)),
    ListMarket(spec()),
    ListMarket(spec(symbol="BTCEUR", base=AssetSpec("BTC", 6), quote=AssetSpec("EUR"), lot_size=LotSize(1, U, 1))),
])
def test_already_listed(cmd: Command) -> None:
    rejected(engine(), cmd, R.ALREADY_LISTED)


@pytest.mark.parametrize(("maker", "taker", "reason"), [
    (-1, 0, R.INVALID_FEE_RATE), (0, RATE_DENOM + 1, R.INVALID_FEE_RATE), (0, RATE_DENOM, None), (RATE_DENOM, 0, None),
])
def test_fee_rate_bounds(maker: int, taker: int, reason: RejectReason | None) -> None:
    e = engine()
    outcome(e, SetFeeRates(1, maker, taker), reason)
    assert e.fee_rates(1) == ((100_000, 100_000) if reason else (maker, taker))


# ---- order shape ----------------------------------------------------------------------------


@pytest.mark.parametrize(("cmd", "reason"), [
    (order(1, BUY, price=0), R.INVALID_ORDER_PARAMETERS),
    (PlaceOrder(SYMBOL, 1, BUY, MARKET, QTY, PX), R.INVALID_ORDER_PARAMETERS),
    (order(1, BUY, LIMIT_MAKER, time_in_force=TimeInForce.IOC), R.INVALID_ORDER_PARAMETERS),
    (order(1, BUY, stop_price=PX), R.INVALID_ORDER_PARAMETERS),
    (order(1, BUY, quote_quantity=10 * U), R.INVALID_ORDER_PARAMETERS),
    (stop(1, BUY, STOP_LOSS, stop_price=0), R.INVALID_ORDER_PARAMETERS),
    (stop(1, BUY, STOP_LOSS_LIMIT, stop_price=PX, price=0), R.INVALID_ORDER_PARAMETERS),
    (stop(1, BUY, STOP_LOSS, stop_price=PX, price=PX), R.INVALID_ORDER_PARAMETERS),
    (market(1, BUY, quantity=QTY, quote=10 * U), R.INVALID_QUANTITY),
    (market(1, BUY), R.INVALID_QUANTITY),
    (order(1, BUY, quantity=0), R.INVALID_QUANTITY),
    (order(1, BUY, quantity=-STEP), R.INVALID_QUANTITY),
])
def test_malformed_orders(cmd: PlaceOrder, reason: RejectReason) -> None:
    rejected(engine(), cmd, reason)


@pytest.mark.parametrize(("cmd", "reason"), [
    (order(1, BUY), None),
    (market(1, BUY, quote=10 * U), None),
    (order(1, BUY, LIMIT_MAKER), R.ORDER_TYPE_NOT_ALLOWED),
    (stop(1, SELL, STOP_LOSS, stop_price=90 * U), R.ORDER_TYPE_NOT_ALLOWED),
    (stop(1, BUY, TAKE_PROFIT_LIMIT, stop_price=90 * U, price=PX), R.ORDER_TYPE_NOT_ALLOWED),
])
def test_order_types_allowed_by_the_market(cmd: PlaceOrder, reason: RejectReason | None) -> None:
    outcome(engine(spec(order_types=frozenset({LIMIT, MARKET}))), cmd, reason)


@pytest.mark.parametrize("status", [MarketStatus.HALT, MarketStatus.BREAK])
def test_closed_market_refuses_orders_but_cancels_work(status: MarketStatus) -> None:
    e = engine()
    resting = new_id(accepted(e, order(1, BUY, client_order_id="a")))
    accepted(e, order(1, BUY, price=PX - TICK))
    waiting = new_id(accepted(e, stop(1, SELL, STOP_LOSS, stop_price=90 * U)))
    accepted(e, order(2, SELL, price=2 * PX))
    accepted(e, SetMarketStatus(SYMBOL, status))
    assert e.market_status(SYMBOL) == status
    for cmd in (order(1, BUY), market(1, BUY, quote=10 * U), stop(1, SELL, STOP_LOSS, stop_price=80 * U)):
        rejected(e, cmd, R.MARKET_CLOSED)
    assert accepted(e, CancelOrder(SYMBOL, 1, client_order_id="a"))[0].order_id == resting
    assert accepted(e, CancelOrder(SYMBOL, 1, waiting))[0].order_id == waiting
    assert [type(ev) for ev in accepted(e, CancelAllOrders(SYMBOL, 2))] == [OrderCanceled]
    accepted(e, SetMarketStatus(SYMBOL, MarketStatus.TRADING))
    accepted(e, order(1, BUY))
    assert e.balance(2, "BTC").locked == 0


def test_invalid_market_status_changes_nothing() -> None:
    e = engine()
    before = e.fingerprint()
    with contextlib.suppress(ValueError):
        e.apply(SetMarketStatus(SYMBOL, 7))  # type: ignore[arg-type]
    assert e.fingerprint() == before
    assert e.market_status(SYMBOL) == MarketStatus.TRADING


# ---- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cmd", "reason"), [
    (order(1, BUY, price=U), None),
    (order(1, BUY, price=U - TICK), R.PRICE_FILTER),
    (order(1, BUY, price=MAX_PRICE, quantity=STEP), None),
    (order(1, BUY, price=MAX_PRICE + TICK, quantity=STEP), R.PRICE_FILTER),
    (order(1, BUY, price=PX + 1), R.PRICE_FILTER),
    (stop(1, BUY, STOP_LOSS, stop_price=PX + 1), R.PRICE_FILTER),
    (stop(1, SELL, STOP_LOSS, stop_price=U - TICK), R.PRICE_FILTER),
    (stop(1, BUY, STOP_LOSS_LIMIT, stop_price=PX, price=MAX_PRICE + TICK), R.PRICE_FILTER),
])
def test_price_filter_bounds(cmd: PlaceOrder, reason: RejectReason | None) -> None:
    market_spec = spec(price_filter=PriceFilter(U, MAX_PRICE, TICK), notional=NotionalFilter())
    outcome(engine(market_spec), cmd, reason)


@pytest.mark.parametrize(("quantity", "reason"), [
    (10 * STEP, None), (9 * STEP, R.LOT_SIZE), (MAX_QTY, None), (MAX_QTY + STEP, R.LOT_SIZE),
    (10 * STEP + 1, R.LOT_SIZE), (QTY + STEP // 2, R.LOT_SIZE),
])
def test_lot_size_bounds(quantity: int, reason: RejectReason | None) -> None:
    e = engine(spec(lot_size=LotSize(10 * STEP, MAX_QTY, STEP), notional=NotionalFilter()))
    outcome(e, order(1, BUY, quantity=quantity), reason)
    if quantity <= FUNDS_BTC:
        outcome(e, market(2, SELL, quantity=quantity), reason)


@pytest.mark.parametrize(("quantity", "reason"), [
    (10 * STEP, None), (8 * STEP, R.MARKET_LOT_SIZE), (U, None), (U + 2 * STEP, R.MARKET_LOT_SIZE),
    (11 * STEP, R.MARKET_LOT_SIZE), (10 * STEP + 1, R.LOT_SIZE),
])
def test_market_lot_size_applies_to_market_orders_only(quantity: int, reason: RejectReason | None) -> None:
    e = engine(spec(market_lot_size=MarketLotSize(10 * STEP, U, 2 * STEP), notional=NotionalFilter()))
    outcome(e, market(1, BUY, quantity=quantity), reason)
    outcome(e, PlaceOrder(SYMBOL, 1, SELL, STOP_LOSS, quantity, stop_price=PX), reason)
    outcome(e, order(1, BUY, quantity=quantity), None if reason != R.LOT_SIZE else R.LOT_SIZE)


PERCENT = PercentPriceBySide(bid_multiplier_up=120_000_000, bid_multiplier_down=80_000_000,
                             ask_multiplier_up=150_000_000, ask_multiplier_down=90_000_000)


@pytest.mark.parametrize(("side", "price", "reason"), [
    (BUY, 120 * U, None), (BUY, 120 * U + TICK, R.PERCENT_PRICE_BY_SIDE),
    (BUY, 80 * U, None), (BUY, 80 * U - TICK, R.PERCENT_PRICE_BY_SIDE),
    (SELL, 150 * U, None), (SELL, 150 * U + TICK, R.PERCENT_PRICE_BY_SIDE),
    (SELL, 90 * U, None), (SELL, 90 * U - TICK, R.PERCENT_PRICE_BY_SIDE),
])
def test_percent_price_by_side(side: Side, price: int, reason: RejectReason | None) -> None:
    e = engine(spec(percent_price=PERCENT))
    accepted(e, order(1, side, price=10 * PX))  # no average price yet: anything goes
    accepted(e, CancelAllOrders(SYMBOL, 1))
    trade(e)
    assert e.avg_price(SYMBOL, 0, 5) == PX
    outcome(e, order(1, side, price=price), reason)


MAX_NOTIONAL = NotionalFilter(min_notional=5 * U, max_notional=1000 * U, apply_max_to_market=True)


@pytest.mark.parametrize(("notional", "cmd", "reason"), [
    (None, order(1, BUY, quantity=5 * 10**6), None),
    (None, order(1, BUY, quantity=5 * 10**6, price=PX - TICK), R.NOTIONAL),
    (MAX_NOTIONAL, order(1, BUY, quantity=10 * U), None),
    (MAX_NOTIONAL, order(1, BUY, quantity=10 * U, price=PX + TICK), R.NOTIONAL),
    (None, market(1, BUY, quote=5 * U), None),
    (None, market(1, BUY, quote=5 * U - 1), R.NOTIONAL),
    (MAX_NOTIONAL, market(1, BUY, quote=1000 * U), None),
    (MAX_NOTIONAL, market(1, BUY, quote=1000 * U + 1), R.NOTIONAL),
    (None, market(1, BUY, quantity=5 * 10**6), None),
    (None, market(1, BUY, quantity=5 * 10**6 - STEP), R.NOTIONAL),
    (NotionalFilter(min_notional=5 * U, apply_min_to_market=False), market(1, BUY, quantity=STEP), None),
    (None, market(1, BUY, quantity=10 * U + STEP), None),
    (MAX_NOTIONAL, market(1, BUY, quantity=10 * U), None),
    (MAX_NOTIONAL, market(1, BUY, quantity=10 * U + STEP), R.NOTIONAL),
    (None, stop(1, SELL, STOP_LOSS, stop_price=49 * U), R.NOTIONAL),
])
def test_notional(notional: NotionalFilter | None, cmd: PlaceOrder, reason: RejectReason | None) -> None:
    e = engine(spec(notional=notional) if notional else None)
    trade(e)  # market orders by quantity are measured at the average price
    outcome(e, cmd, reason)


def test_market_order_by_quantity_skips_notional_before_any_trade() -> None:
    accepted(engine(), market(1, BUY, quantity=STEP))


def test_max_num_orders_and_algo_orders() -> None:
    e = engine(spec(max_num_orders=3, max_num_algo_orders=1))
    first = new_id(accepted(e, order(1, BUY, price=PX - TICK)))
    accepted(e, stop(1, SELL, STOP_LOSS, stop_price=90 * U))
    rejected(e, stop(1, SELL, STOP_LOSS, stop_price=80 * U), R.MAX_NUM_ALGO_ORDERS)
    accepted(e, order(1, BUY, price=PX - 2 * TICK))
    for cmd in (order(1, BUY), order(1, BUY, LIMIT_MAKER), stop(1, SELL, STOP_LOSS, stop_price=80 * U)):
        rejected(e, cmd, R.MAX_NUM_ORDERS)
    accepted(e, order(1, BUY, time_in_force=TimeInForce.IOC))  # cannot stay open
    accepted(e, market(1, BUY, quote=10 * U))
    accepted(e, order(2, BUY))  # the limit is per account
    accepted(e, CancelOrder(SYMBOL, 1, first))
    accepted(e, order(1, BUY))


# ---- balances -----------------------------------------------------------------------------------


@pytest.mark.parametrize("short", [0, 1])
@pytest.mark.parametrize(("cmd", "asset", "lock"), [
    (order(4, BUY), "USDT", PX * QTY // U),
    (order(4, SELL), "BTC", QTY),
    (market(4, BUY, quote=10 * U), "USDT", 10 * U),
    (stop(4, BUY, STOP_LOSS_LIMIT, stop_price=105 * U, price=106 * U), "USDT", 106 * QTY),
    (stop(4, BUY, STOP_LOSS, stop_price=105 * U), "USDT", 105 * QTY),
    (stop(4, SELL, TAKE_PROFIT, stop_price=105 * U), "BTC", QTY),
])
def test_order_locks_exactly_what_it_may_spend(cmd: PlaceOrder, asset: str, lock: int, short: int) -> None:
    e = engine()
    accepted(e, Deposit(4, asset, lock - short))
    if short:
        rejected(e, cmd, R.INSUFFICIENT_BALANCE)
        return
    events = accepted(e, cmd)
    if cmd.order_type != MARKET:
        assert e.balance(4, asset) == Balance(0, lock)
        accepted(e, CancelOrder(SYMBOL, 4, new_id(events)))
    assert e.balance(4, asset) == Balance(lock, 0)


def test_market_buy_by_quantity_needs_the_cost_of_the_book() -> None:
    e = engine(accounts=(2,))
    accepted(e, order(2, SELL, price=PX))
    accepted(e, order(2, SELL, price=2 * PX))
    accepted(e, Deposit(4, "USDT", 30 * U - 1))
    rejected(e, market(4, BUY, quantity=2 * QTY), R.INSUFFICIENT_BALANCE)
    accepted(e, Deposit(4, "USDT", 1))
    accepted(e, market(4, BUY, quantity=2 * QTY))
    assert e.balance(4, "USDT") == Balance(0, 0)


def test_withdraw_only_free_funds() -> None:
    e = engine(accounts=())
    accepted(e, Deposit(1, "USDT", 100 * U))
    accepted(e, order(1, BUY))
    rejected(e, Withdraw(1, "USDT", 90 * U + 1), R.INSUFFICIENT_BALANCE)
    assert accepted(e, Withdraw(1, "USDT", 90 * U))[0].free == 0
    assert e.balance(1, "USDT") == Balance(0, 10 * U)
    assert e.total_supply("USDT") == 10 * U


def test_limit_maker_would_take() -> None:
    e = engine()
    accepted(e, order(2, SELL, price=PX))
    accepted(e, order(2, BUY, price=PX - 2 * TICK))
    rejected(e, order(1, BUY, LIMIT_MAKER, price=PX), R.WOULD_TAKE)
    rejected(e, order(1, SELL, LIMIT_MAKER, price=PX - 2 * TICK), R.WOULD_TAKE)
    accepted(e, order(1, BUY, LIMIT_MAKER, price=PX - TICK))
    accepted(e, order(1, SELL, LIMIT_MAKER, price=PX))

