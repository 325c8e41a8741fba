"""Exchange rules of the Engine: every rejection and its boundaries, locks, fees, stop orders, int64 limits.

A refused command must leave the engine exactly as it was (same fingerprint, invariants hold).
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.commands import (
    AmendOrder,
    CancelAllOrders,
    CancelOrder,
    Command,
    Deposit,
    ListAsset,
    ListMarket,
    PlaceOrder,
    SetFeeRates,
    SetMarketStatus,
    Withdraw,
)
from engine.engine import Balance, Engine
from engine.enums import CancelReason, MarketStatus, OrderType, Side, TimeInForce
from engine.errors import RejectReason
from engine.events import (
    BalanceChanged,
    CommandRejected,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    StopTriggered,
)
from engine.ledger import MAX_ACCOUNT_ID
from engine.specs import AssetSpec, LotSize, MarketLotSize, MarketSpec, NotionalFilter, PercentPriceBySide, PriceFilter
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
MAX_PRICE, MAX_QTY = 1_000_000 * U, 9000 * U
PX = 100 * U  # 100 USDT
QTY = 10**7  # 0.1 BTC: 10 USDT at PX
FUNDS_USDT, FUNDS_BTC = 10**7 * U, 100 * U
DEFAULT_RATES = (100_000, 100_000)  # 0.1% maker and taker


def spec(**overrides: Any) -> MarketSpec:
    fields: dict[str, Any] = dict(
        symbol=SYMBOL,
        base=AssetSpec("BTC"),
        quote=AssetSpec("USDT"),
        price_filter=PriceFilter(min_price=U // 100, max_price=MAX_PRICE, tick_size=TICK),
        lot_size=LotSize(min_qty=STEP, max_qty=MAX_QTY, step_size=STEP),
        notional=NotionalFilter(min_notional=5 * U),
    )
    return MarketSpec(**(fields | overrides))


def engine(market: MarketSpec | None = None, accounts: tuple[int, ...] = (1, 2, 3)) -> Engine:
    e = Engine()
    e.apply(ListMarket(market or spec()))
    for account in accounts:
        e.apply(Deposit(account, "USDT", FUNDS_USDT))
        e.apply(Deposit(account, "BTC", FUNDS_BTC))
    return e


def order(
    account: int, side: Side, otype: OrderType = LIMIT, quantity: int = QTY, price: int = PX, **kw: Any
) -> PlaceOrder:
    return PlaceOrder(SYMBOL, account, side, otype, quantity, price, **kw)


def market(account: int, side: Side, quantity: int = 0, quote: int = 0) -> PlaceOrder:
    return PlaceOrder(SYMBOL, account, side, MARKET, quantity, 0, quote)


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


def trade(e: Engine, price: int = PX) -> list[Event]:
    """Account 3 trades QTY with itself, setting the last and average price."""
    accepted(e, order(3, SELL, price=price))
    return accepted(e, order(3, BUY, price=price))


def new_id(events: list[Event]) -> int:
    assert isinstance(events[0], OrderAccepted)
    return events[0].order_id


def reason_id(value: object) -> str | None:
    return value.name if isinstance(value, RejectReason) else None


# ---- commands refused whatever the state ---------------------------------------------------------
REFUSED: dict[RejectReason, list[Command]] = {
    R.UNKNOWN_ACCOUNT: [
        order(7, BUY),
        order(0, BUY),
        order(-1, BUY),
        Deposit(0, "USDT", U),
        Deposit(-1, "USDT", U),
        Withdraw(9, "USDT", U),
        Withdraw(-1, "USDT", U),
        SetFeeRates(0, 0, 0),
        SetFeeRates(-2, 0, 0),
    ],
    R.UNKNOWN_MARKET: [
        PlaceOrder("ETHUSDT", 1, BUY, LIMIT, QTY, PX),
        CancelOrder("ETHUSDT", 1, 1),
        CancelAllOrders("ETHUSDT", 1),
        AmendOrder("ETHUSDT", 1, STEP, 1),
        SetMarketStatus("ETHUSDT", MarketStatus.HALT),
    ],
    R.UNKNOWN_ASSET: [Deposit(1, "ETH", U), Withdraw(1, "ETH", U)],
    R.INVALID_AMOUNT: [Deposit(1, "USDT", 0), Deposit(1, "USDT", -1), Withdraw(1, "USDT", 0), Withdraw(1, "USDT", -5)],
    R.ALREADY_LISTED: [
        ListAsset(AssetSpec("BTC")),
        ListAsset(AssetSpec("USDT", 6)),
        ListMarket(spec()),
        ListMarket(spec(symbol="BTCEUR", base=AssetSpec("BTC", 6), quote=AssetSpec("EUR"), lot_size=LotSize(1, U, 1))),
    ],
    R.INVALID_FEE_RATE: [SetFeeRates(1, -1, 0), SetFeeRates(1, 0, RATE_DENOM + 1)],
    R.INVALID_MARKET_STATUS: [SetMarketStatus(SYMBOL, 7), SetMarketStatus(SYMBOL, -1)],  # type: ignore[arg-type]
    R.INVALID_ORDER_PARAMETERS: [
        order(1, BUY, price=0),
        PlaceOrder(SYMBOL, 1, BUY, MARKET, QTY, PX),
        order(1, BUY, LIMIT_MAKER, time_in_force=TimeInForce.IOC),
        order(1, BUY, stop_price=PX),
        order(1, BUY, quote_quantity=10 * U),
        stop(1, BUY, STOP_LOSS, stop_price=0),
        stop(1, BUY, STOP_LOSS_LIMIT, stop_price=PX, price=0),
        stop(1, BUY, STOP_LOSS, stop_price=PX, price=PX),
    ],
    R.INVALID_QUANTITY: [
        market(1, BUY, quantity=QTY, quote=10 * U),
        market(1, BUY),
        order(1, BUY, quantity=0),
        order(1, BUY, quantity=-STEP),
    ],
}


@pytest.mark.parametrize(("reason", "cmd"), [(r, c) for r, cmds in REFUSED.items() for c in cmds], ids=reason_id)
def test_refused_command(reason: RejectReason, cmd: Command) -> None:
    rejected(engine(), cmd, reason)


# ---- order filters, checked after a trade at PX --------------------------------------------------
PRICES = spec(price_filter=PriceFilter(U, MAX_PRICE, TICK), notional=NotionalFilter())
TYPES = spec(order_types=frozenset({LIMIT, MARKET}))
PERCENT = spec(
    percent_price=PercentPriceBySide(
        bid_multiplier_up=120_000_000,
        bid_multiplier_down=80_000_000,
        ask_multiplier_up=150_000_000,
        ask_multiplier_down=90_000_000,
    )
)
CAPPED = spec(notional=NotionalFilter(min_notional=5 * U, max_notional=1000 * U, apply_max_to_market=True))
LIMITS_ONLY = spec(notional=NotionalFilter(min_notional=5 * U, apply_min_to_market=False))
PF, PP, WT = R.PRICE_FILTER, R.PERCENT_PRICE_BY_SIDE, R.WOULD_TRIGGER_IMMEDIATELY

ORDER_RULES: list[tuple[MarketSpec | None, PlaceOrder, RejectReason | None]] = [
    (TYPES, order(1, BUY), None),
    (TYPES, market(1, BUY, quote=10 * U), None),
    (TYPES, order(1, BUY, LIMIT_MAKER), R.ORDER_TYPE_NOT_ALLOWED),
    (TYPES, stop(1, SELL, STOP_LOSS, stop_price=90 * U), R.ORDER_TYPE_NOT_ALLOWED),
    (TYPES, stop(1, BUY, TAKE_PROFIT_LIMIT, stop_price=90 * U, price=PX), R.ORDER_TYPE_NOT_ALLOWED),
    (PRICES, order(1, BUY, price=U), None),
    (PRICES, order(1, BUY, price=U - TICK), PF),
    (PRICES, order(1, BUY, price=MAX_PRICE, quantity=STEP), None),
    (PRICES, order(1, BUY, price=MAX_PRICE + TICK, quantity=STEP), PF),
    (PRICES, order(1, BUY, price=PX + 1), PF),
    (PRICES, stop(1, BUY, STOP_LOSS, stop_price=PX + 1), PF),
    (PRICES, stop(1, SELL, STOP_LOSS, stop_price=U - TICK), PF),
    (PRICES, stop(1, BUY, STOP_LOSS_LIMIT, stop_price=2 * PX, price=MAX_PRICE + TICK), PF),
    (PERCENT, order(1, BUY, price=120 * U), None),
    (PERCENT, order(1, BUY, price=120 * U + TICK), PP),
    (PERCENT, order(1, BUY, price=80 * U), None),
    (PERCENT, order(1, BUY, price=80 * U - TICK), PP),
    (PERCENT, order(1, SELL, price=150 * U), None),
    (PERCENT, order(1, SELL, price=150 * U + TICK), PP),
    (PERCENT, order(1, SELL, price=90 * U), None),
    (PERCENT, order(1, SELL, price=90 * U - TICK), PP),
    (None, order(1, BUY, quantity=5 * 10**6), None),
    (CAPPED, order(1, BUY, quantity=10 * U), None),
    (None, order(1, BUY, quantity=5 * 10**6, price=PX - TICK), R.NOTIONAL),
    (CAPPED, order(1, BUY, quantity=10 * U, price=PX + TICK), R.NOTIONAL),
    (None, market(1, BUY, quote=5 * U), None),
    (None, market(1, BUY, quote=5 * U - 1), R.NOTIONAL),
    (CAPPED, market(1, BUY, quote=1000 * U), None),
    (CAPPED, market(1, BUY, quote=1000 * U + 1), R.NOTIONAL),
    (None, market(1, BUY, quantity=5 * 10**6), None),
    (None, market(1, BUY, quantity=5 * 10**6 - STEP), R.NOTIONAL),
    (LIMITS_ONLY, market(1, BUY, quantity=STEP), None),
    (None, market(1, BUY, quantity=10 * U + STEP), None),
    (CAPPED, market(1, BUY, quantity=10 * U), None),
    (CAPPED, market(1, BUY, quantity=10 * U + STEP), R.NOTIONAL),
    (None, stop(1, SELL, STOP_LOSS, stop_price=49 * U), R.NOTIONAL),
    (None, stop(1, BUY, STOP_LOSS, PX), WT),
    (None, stop(1, BUY, STOP_LOSS, PX + TICK), None),
    (None, stop(1, BUY, STOP_LOSS_LIMIT, PX - TICK, PX), WT),
    (None, stop(1, BUY, STOP_LOSS_LIMIT, PX + TICK, PX), None),
    (None, stop(1, SELL, STOP_LOSS, PX), WT),
    (None, stop(1, SELL, STOP_LOSS, PX - TICK), None),
    (None, stop(1, BUY, TAKE_PROFIT, PX), WT),
    (None, stop(1, BUY, TAKE_PROFIT, PX - TICK), None),
    (None, stop(1, SELL, TAKE_PROFIT, PX - TICK), WT),
    (None, stop(1, SELL, TAKE_PROFIT, PX + TICK), None),
    (None, stop(1, SELL, TAKE_PROFIT_LIMIT, PX, PX), WT),
    (None, stop(1, SELL, TAKE_PROFIT_LIMIT, PX + TICK, PX), None),
]


@pytest.mark.parametrize(("market_spec", "cmd", "reason"), ORDER_RULES, ids=reason_id)
def test_order_rule(market_spec: MarketSpec | None, cmd: PlaceOrder, reason: RejectReason | None) -> None:
    e = engine(market_spec)
    trade(e)  # last and average price: PX
    assert e.avg_price(SYMBOL, 0, 5) == e.last_price(SYMBOL) == PX
    outcome(e, cmd, reason)


def test_average_price_rules_wait_for_the_first_trade() -> None:
    e = engine(PERCENT)
    accepted(e, order(1, BUY, price=10 * PX))
    accepted(e, market(2, SELL, quantity=STEP))  # 0.01 USDT: notional is not measured before a trade


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        (10 * STEP, None),
        (9 * STEP, R.LOT_SIZE),
        (MAX_QTY, None),
        (MAX_QTY + STEP, R.LOT_SIZE),
        (10 * STEP + 1, R.LOT_SIZE),
        (QTY + STEP // 2, R.LOT_SIZE),
    ],
    ids=reason_id,
)
def test_lot_size(quantity: int, reason: RejectReason | None) -> None:
    e = engine(spec(lot_size=LotSize(10 * STEP, MAX_QTY, STEP), notional=NotionalFilter()))
    outcome(e, order(1, BUY, quantity=quantity), reason)
    if quantity <= FUNDS_BTC:
        outcome(e, market(2, SELL, quantity=quantity), reason)


@pytest.mark.parametrize(
    ("quantity", "reason"),
    [
        (10 * STEP, None),
        (8 * STEP, R.MARKET_LOT_SIZE),
        (U, None),
        (U + 2 * STEP, R.MARKET_LOT_SIZE),
        (11 * STEP, R.MARKET_LOT_SIZE),
        (10 * STEP + 1, R.LOT_SIZE),
    ],
    ids=reason_id,
)
def test_market_lot_size_applies_to_market_orders_only(quantity: int, reason: RejectReason | None) -> None:
    e = engine(spec(market_lot_size=MarketLotSize(10 * STEP, U, 2 * STEP), notional=NotionalFilter()))
    outcome(e, market(1, BUY, quantity=quantity), reason)
    outcome(e, PlaceOrder(SYMBOL, 1, SELL, STOP_LOSS, quantity, stop_price=PX), reason)
    outcome(e, order(1, BUY, quantity=quantity), R.LOT_SIZE if reason == R.LOT_SIZE else None)


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


def test_limit_maker_would_take() -> None:
    e = engine()
    accepted(e, order(2, SELL, price=PX))
    accepted(e, order(2, BUY, price=PX - 2 * TICK))
    rejected(e, order(1, BUY, LIMIT_MAKER, price=PX), R.WOULD_TAKE)
    rejected(e, order(1, SELL, LIMIT_MAKER, price=PX - 2 * TICK), R.WOULD_TAKE)
    accepted(e, order(1, BUY, LIMIT_MAKER, price=PX - TICK))
    accepted(e, order(1, SELL, LIMIT_MAKER, price=PX))


@pytest.mark.parametrize("status", [MarketStatus.HALT, MarketStatus.BREAK])
def test_closed_market_refuses_orders_but_cancels_work(status: MarketStatus) -> None:
    e = engine()
    resting = new_id(accepted(e, order(1, BUY)))
    waiting = new_id(accepted(e, stop(1, SELL, STOP_LOSS, stop_price=90 * U)))
    accepted(e, order(2, SELL, price=2 * PX))
    accepted(e, SetMarketStatus(SYMBOL, status))
    assert e.market_status(SYMBOL) == status
    for cmd in (order(1, BUY), market(1, BUY, quote=10 * U), stop(1, SELL, STOP_LOSS, stop_price=80 * U)):
        rejected(e, cmd, R.MARKET_CLOSED)
    assert accepted(e, CancelOrder(SYMBOL, 1, resting))[0].order_id == resting
    assert accepted(e, CancelOrder(SYMBOL, 1, waiting))[0].order_id == waiting
    assert [type(ev) for ev in accepted(e, CancelAllOrders(SYMBOL, 2))] == [OrderCanceled]
    assert e.balance(1, "USDT") == e.balance(2, "USDT") == Balance(FUNDS_USDT, 0)
    accepted(e, SetMarketStatus(SYMBOL, MarketStatus.TRADING))
    accepted(e, order(1, BUY))


# ---- balances and locks --------------------------------------------------------------------------
@pytest.mark.parametrize("short", [0, 1])
@pytest.mark.parametrize(
    ("cmd", "asset", "lock"),
    [
        (order(4, BUY), "USDT", PX * QTY // U),
        (order(4, SELL), "BTC", QTY),
        (market(4, BUY, quote=10 * U), "USDT", 10 * U),
        (stop(4, BUY, STOP_LOSS_LIMIT, stop_price=105 * U, price=106 * U), "USDT", 106 * QTY),
        (stop(4, BUY, STOP_LOSS, stop_price=105 * U), "USDT", 105 * QTY),
        (stop(4, SELL, TAKE_PROFIT, stop_price=105 * U), "BTC", QTY),
    ],
)
def test_order_locks_exactly_what_it_may_spend(cmd: PlaceOrder, asset: str, lock: int, short: int) -> None:
    e = engine()
    accepted(e, Deposit(4, asset, lock - short))
    if short:
        rejected(e, cmd, R.INSUFFICIENT_BALANCE)
        return
    events = accepted(e, cmd)
    if cmd.order_type != MARKET:
        assert e.balance(4, asset) == Balance(0, lock)
        rejected(e, Withdraw(4, asset, 1), R.INSUFFICIENT_BALANCE)  # locked funds stay
        accepted(e, CancelOrder(SYMBOL, 4, new_id(events)))
    assert e.balance(4, asset) == Balance(lock, 0)
    assert accepted(e, Withdraw(4, asset, lock)) == [BalanceChanged(4, asset, -lock, 0)]


def test_market_buy_by_quantity_needs_the_cost_of_the_book() -> None:
    e = engine(accounts=(2,))
    for cmd in (order(2, SELL, price=PX), order(2, SELL, price=2 * PX), Deposit(4, "USDT", 30 * U - 1)):
        accepted(e, cmd)
    rejected(e, market(4, BUY, quantity=2 * QTY), R.INSUFFICIENT_BALANCE)
    accepted(e, Deposit(4, "USDT", 1))
    accepted(e, market(4, BUY, quantity=2 * QTY))
    assert e.balance(4, "USDT") == Balance(0, 0)


# ---- orders by id (client order ids are the venue's) ---------------------------------------------
def test_cancel_by_id_names_resting_orders_and_waiting_stops() -> None:
    e = engine()
    oid = new_id(accepted(e, order(1, BUY)))
    sid = new_id(accepted(e, stop(1, SELL, STOP_LOSS, 90 * U)))
    assert accepted(e, CancelOrder(SYMBOL, 1, sid)) == [OrderCanceled(sid, 1, SELL, 0, QTY, CancelReason.USER, SYMBOL)]
    assert accepted(e, CancelOrder(SYMBOL, 1, oid))[0].order_id == oid


@pytest.mark.parametrize(
    "cmd",
    [
        CancelOrder(SYMBOL, 2, 1),
        CancelOrder(SYMBOL, 2, 2),
        CancelOrder(SYMBOL, 1, 999),
        CancelOrder(SYMBOL, 1),
        AmendOrder(SYMBOL, 2, STEP, 1),
        AmendOrder(SYMBOL, 1, STEP, 999),
        AmendOrder(SYMBOL, 2, STEP, 2),
    ],
)
def test_unknown_order(cmd: Command) -> None:
    e = engine()
    assert new_id(accepted(e, order(1, BUY))) == 1
    assert new_id(accepted(e, stop(1, SELL, STOP_LOSS, 90 * U))) == 2
    rejected(e, cmd, R.UNKNOWN_ORDER)


@pytest.mark.parametrize(
    ("new_quantity", "reason"),
    [
        (0, R.INVALID_AMEND_QUANTITY),
        (-STEP, R.INVALID_AMEND_QUANTITY),
        (QTY, R.INVALID_AMEND_QUANTITY),
        (QTY + STEP, R.INVALID_AMEND_QUANTITY),
        (QTY // 2 + 1, R.LOT_SIZE),
        (QTY // 2, None),
    ],
    ids=reason_id,
)
def test_amend_quantity(new_quantity: int, reason: RejectReason | None) -> None:
    e = engine()
    oid = new_id(accepted(e, order(1, BUY)))
    outcome(e, AmendOrder(SYMBOL, 1, new_quantity, oid), reason)
    assert e.balance(1, "USDT").locked == PX * (new_quantity if reason is None else QTY) // U
    sid = new_id(accepted(e, stop(1, SELL, STOP_LOSS, 90 * U)))
    rejected(e, AmendOrder(SYMBOL, 1, QTY // 2, sid), R.INVALID_ORDER_PARAMETERS)


# ---- stop orders ---------------------------------------------------------------------------------
def test_triggered_stop_enters_the_book_under_its_own_id() -> None:
    e = engine()
    trade(e)
    sid = new_id(accepted(e, stop(1, BUY, STOP_LOSS_LIMIT, stop_price=105 * U, price=106 * U)))
    assert e.balance(1, "USDT") == Balance(FUNDS_USDT - 106 * QTY, 106 * QTY)
    events = trade(e, 105 * U)
    i = next(i for i, ev in enumerate(events) if isinstance(ev, StopTriggered))
    assert events[i] == StopTriggered(sid, 1, SYMBOL, 105 * U, 105 * U)
    assert isinstance(events[i + 1], OrderAccepted)
    assert (events[i + 1].order_id, events[i + 1].order_type) == (sid, LIMIT)
    assert e.stop_orders(SYMBOL) == []
    assert [(o.order_id, o.price, o.quantity) for o in e.open_orders(SYMBOL, 1)] == [(sid, 106 * U, QTY)]
    assert e.balance(1, "USDT") == Balance(FUNDS_USDT - 106 * QTY, 106 * QTY)


def test_due_stops_trigger_nearest_first_then_oldest() -> None:
    e = engine()
    trade(e)
    ids = [new_id(accepted(e, stop(1, SELL, STOP_LOSS_LIMIT, stop_price=s * U, price=200 * U))) for s in (98, 99, 99)]
    events = trade(e, 97 * U)
    triggered = [i for i, ev in enumerate(events) if isinstance(ev, StopTriggered)]
    assert [events[i].order_id for i in triggered] == [ids[1], ids[2], ids[0]]
    assert all(
        isinstance(events[i + 1], OrderAccepted) and events[i + 1].order_id == events[i].order_id for i in triggered
    )
    assert sorted(o.order_id for o in e.open_orders(SYMBOL, 1)) == ids


# ---- fees and conservation -----------------------------------------------------------------------
@pytest.mark.parametrize(("quantity", "fee"), [(1, 1), (999, 1), (1000, 1), (1001, 2), (2000, 2), (2001, 3)])
def test_fee_is_rounded_up_in_the_asset_received(quantity: int, fee: int) -> None:
    e = Engine()
    for cmd in (
        ListMarket(
            MarketSpec("AB", AssetSpec("A", 0), AssetSpec("B", 0), PriceFilter(1, 10, 1), LotSize(1, 10_000, 1))
        ),
        Deposit(1, "B", quantity),
        Deposit(2, "A", quantity),
        PlaceOrder("AB", 2, SELL, LIMIT, quantity, 1),
    ):
        accepted(e, cmd)
    fill = accepted(e, PlaceOrder("AB", 1, BUY, LIMIT, quantity, 1))[1]
    assert isinstance(fill, OrderFilled) and (fill.taker_fee, fill.maker_fee) == (fee, fee)
    assert e.balance(1, "A") == e.balance(2, "B") == Balance(quantity - fee, 0)
    assert e.balance(0, "A") == e.balance(0, "B") == Balance(fee, 0)


@pytest.mark.parametrize("rates", [None, (1_000_000, 0), (0, RATE_DENOM)])
def test_fees_go_to_the_fee_account(rates: tuple[int, int] | None) -> None:
    e = engine()
    assert e.fee_rates(1) == e.fee_rates(2) == DEFAULT_RATES
    maker_rate, taker_rate = rates or DEFAULT_RATES
    if rates:
        accepted(e, SetFeeRates(2, maker_rate, 0))
        accepted(e, SetFeeRates(1, 0, taker_rate))
        assert (e.fee_rates(1), e.fee_rates(2)) == ((0, taker_rate), (maker_rate, 0))
    accepted(e, order(2, SELL))
    fill = accepted(e, order(1, BUY))[1]
    cost = PX * QTY // U
    taker_fee, maker_fee = QTY * taker_rate // RATE_DENOM, cost * maker_rate // RATE_DENOM
    assert isinstance(fill, OrderFilled) and (fill.taker_fee, fill.maker_fee) == (taker_fee, maker_fee)
    assert e.balance(1, "BTC") == Balance(FUNDS_BTC + QTY - taker_fee, 0)
    assert e.balance(2, "USDT") == Balance(FUNDS_USDT + cost - maker_fee, 0)
    assert (e.balance(0, "BTC"), e.balance(0, "USDT")) == (Balance(taker_fee, 0), Balance(maker_fee, 0))


def test_balances_add_up_to_deposits_minus_withdrawals() -> None:
    e = engine()
    trade(e)
    for cmd in (
        order(1, BUY, price=PX - TICK),
        market(2, SELL, quantity=QTY // 2),
        Withdraw(2, "USDT", 7 * U),
        Withdraw(3, "BTC", U),
        stop(1, BUY, STOP_LOSS, 120 * U),
    ):
        accepted(e, cmd)
    assert e.accounts() == [0, 1, 2, 3]
    for asset, total in (("USDT", 3 * FUNDS_USDT - 7 * U), ("BTC", 3 * FUNDS_BTC - U)):
        balances = [e.balance(a, asset) for a in e.accounts()]
        assert e.total_supply(asset) == total == sum(b.free + b.locked for b in balances)


# ---- int64 extremes ------------------------------------------------------------------------------
BIG_PX, BIG_QTY = 2**31, 2**31 - 1  # BIG_PX x BIG_QTY < 2**62 <= BIG_PX x (BIG_QTY + 1)
BIG_MARKETS = [(BIG_PX, BIG_QTY), (2**57, 31)]  # (max price, max quantity), one unit per tick and per lot


def big_spec(max_price: int = BIG_PX, max_qty: int = BIG_QTY) -> MarketSpec:
    return MarketSpec(
        "BIGQ", AssetSpec("BIG", 0), AssetSpec("Q", 0), PriceFilter(1, max_price, 1), LotSize(1, max_qty, 1)
    )


def big_trade(price: int, quantity: int) -> tuple[Engine, OrderFilled]:
    """The largest trade the market allows: its max price x its max quantity."""
    e = Engine()
    for cmd in (
        ListMarket(big_spec(price, quantity)),
        Deposit(1, "Q", price * quantity),
        Deposit(2, "BIG", quantity),
        PlaceOrder("BIGQ", 2, SELL, LIMIT, quantity, price),
    ):
        accepted(e, cmd)
    fill = accepted(e, PlaceOrder("BIGQ", 1, BUY, LIMIT, quantity, price))[1]
    assert isinstance(fill, OrderFilled)
    return e, fill


def test_market_whose_amounts_could_overflow_is_refused() -> None:
    for max_price, max_qty in ((BIG_PX, BIG_QTY + 1), (BIG_PX + 2, BIG_QTY), (2**57, 32), (2**62, 1)):
        with pytest.raises(ValueError, match="overflow"):
            big_spec(max_price, max_qty)


@pytest.mark.parametrize(("price", "quantity"), BIG_MARKETS)
def test_largest_price_times_largest_quantity_settles_exactly(price: int, quantity: int) -> None:
    e, fill = big_trade(price, quantity)
    notional = price * quantity
    taker_fee, maker_fee = -(-quantity // 1000), -(-notional // 1000)
    assert (fill.quantity, fill.quote_quantity, fill.taker_fee, fill.maker_fee) == (
        quantity,
        notional,
        taker_fee,
        maker_fee,
    )
    assert (e.balance(1, "Q"), e.balance(1, "BIG")) == (Balance(0, 0), Balance(quantity - taker_fee, 0))
    assert (e.balance(2, "Q"), e.balance(2, "BIG")) == (Balance(notional - maker_fee, 0), Balance(0, 0))
    assert (e.balance(0, "Q"), e.balance(0, "BIG")) == (Balance(maker_fee, 0), Balance(taker_fee, 0))
    assert e.last_price("BIGQ") == price


@pytest.mark.parametrize(("price", "quantity"), BIG_MARKETS)
def test_average_price_of_a_single_large_trade_is_its_price(price: int, quantity: int) -> None:
    e, _ = big_trade(price, quantity)
    assert e.avg_price("BIGQ", 0, 5) == price


def test_deposits_keep_total_supply_below_2_62() -> None:
    e = engine(accounts=())
    rejected(e, Deposit(1, "USDT", 2**62), R.INVALID_AMOUNT)
    accepted(e, Deposit(1, "USDT", 2**62 - 1 - U))
    accepted(e, Deposit(2, "USDT", U))
    rejected(e, Deposit(3, "USDT", 1), R.INVALID_AMOUNT)
    accepted(e, Withdraw(2, "USDT", 1))
    accepted(e, Deposit(3, "USDT", 1))
    assert e.total_supply("USDT") == 2**62 - 1


@pytest.mark.parametrize(
    ("cmd", "reason"),
    [
        (order(1, BUY, price=2**63), R.PRICE_FILTER),
        (order(1, BUY, price=2**64), R.PRICE_FILTER),
        (order(1, BUY, quantity=2**63), R.LOT_SIZE),
        (CancelOrder(SYMBOL, 1, 2**63), R.UNKNOWN_ORDER),
    ],
    ids=reason_id,
)
def test_amounts_beyond_int64_are_rejected(cmd: Command, reason: RejectReason) -> None:
    rejected(engine(), cmd, reason)


def test_account_ids_beyond_the_dense_range_are_refused_without_allocating() -> None:
    e = Engine()
    e.apply(ListAsset(AssetSpec("USDT")))
    before = e.fingerprint()
    for account in (MAX_ACCOUNT_ID + 1, 2**31 - 1, 2**62):
        assert e.apply(Deposit(account, "USDT", 1)) == [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
        assert e.apply(SetFeeRates(account, 0, 0)) == [CommandRejected(RejectReason.UNKNOWN_ACCOUNT)]
    assert e.fingerprint() == before
    assert e.apply(Deposit(MAX_ACCOUNT_ID, "USDT", 1))[0].free == 1
