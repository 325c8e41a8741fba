"""The convert desk: prices from the book with the spread on the user's worse side, rounding to
the unit in the house's favour, expiry, one use per quote, and all-or-nothing conservation."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from math import ceil, floor

import pytest

from engine import OrderType, SelfTradePrevention, Side, TimeInForce, Withdraw
from simulator.binance_errors import ApiError, for_refusal
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.convert import ConvertDesk
from simulator.launcher import Simulator, build
from simulator.orders import OrderRequest
from simulator.refusals import Refused

COIN = 10**8


def _sim(**config) -> Iterator[Simulator]:
    sim = build(SimulatorConfig(**config), clock=ManualClock())
    try:
        yield sim
    finally:
        sim.liquidity.stop()


@pytest.fixture()
def sim() -> Iterator[Simulator]:
    yield from _sim(liquidity_mode="static")


@pytest.fixture()
def empty() -> Iterator[Simulator]:
    yield from _sim(liquidity=False)


def desk_of(sim: Simulator) -> ConvertDesk:
    return sim.app.services.convert


def mid(sim: Simulator, symbol: str) -> Fraction:
    _, bids, asks = sim.venue.depth(symbol, 1)
    return Fraction(bids[0][0] + asks[0][0], 2)


def snapshot(sim: Simulator) -> tuple[dict, dict]:
    _ = desk_of(sim).house  # opened on first use: open it before comparing
    v = sim.venue
    balances = {a: v.engine.balances(a) for a in v.engine.accounts()}
    supply = {code: v.engine.total_supply(code) for code in v.assets}
    return balances, supply


def refused(call, *args, **kwargs) -> ApiError:
    """What the HTTP edge answers the refusal with."""
    with pytest.raises(Refused) as info:
        call(*args, **kwargs)
    return for_refusal(info.value)


SPREAD = Fraction(10, 10_000)  # the default 0.1%


def test_selling_the_base_gets_the_mid_less_the_spread_rounded_down(sim: Simulator) -> None:
    desk, user = desk_of(sim), sim.demo_account
    price = mid(sim, "BTCUSDT")  # USDT units per whole BTC
    assert price == 90_000 * COIN
    for amount in (1, 7, 12_345_679, COIN // 100, 33_333_333):
        q = desk.quote(user, "BTC", "USDT", from_amount=amount)
        exact = Fraction(amount) * price / COIN * (1 - SPREAD)
        assert (q.from_amount, q.to_amount) == (amount, floor(exact))
    q = desk.quote(user, "BTC", "USDT", from_amount=COIN // 100)
    assert q.to_amount == 899_10000000  # 0.01 BTC at 90000 less 0.1% = 899.1 USDT
    assert (q.ratio, q.inverse_ratio) == ("89910.00000000", "0.00001113")


def test_buying_the_base_pays_the_mid_plus_the_spread(sim: Simulator) -> None:
    desk, user = desk_of(sim), sim.demo_account
    price = mid(sim, "ETHBTC")  # BTC units per whole ETH: 0.033
    for amount in (1, 999, 12_345_678, COIN):
        q = desk.quote(user, "BTC", "ETH", from_amount=amount)  # give BTC (the quote), get ETH
        assert q.to_amount == floor(Fraction(amount) * COIN / (price * (1 + SPREAD)))
    q = desk.quote(user, "BTC", "ETH", from_amount=COIN)
    assert q.to_amount == floor(Fraction(COIN) * COIN / (price * (1 + SPREAD)))


def test_to_amount_quotes_charge_the_rounded_up_cost(sim: Simulator) -> None:
    desk, user = desk_of(sim), sim.demo_account
    btc_usdt, eth_btc = mid(sim, "BTCUSDT"), mid(sim, "ETHBTC")
    for amount in (1, 3, 123_456_789, 5 * COIN):
        q = desk.quote(user, "USDT", "BTC", to_amount=amount)  # get BTC (the base), pay USDT
        assert (q.to_amount, q.from_amount) == (amount, ceil(Fraction(amount) * btc_usdt / COIN * (1 + SPREAD)))
        q = desk.quote(user, "BTC", "USDT", to_amount=amount)  # get USDT (the quote), pay BTC
        assert q.from_amount == ceil(Fraction(amount) * COIN / (btc_usdt * (1 - SPREAD)))
        q = desk.quote(user, "ETH", "BTC", to_amount=amount)
        assert q.from_amount == ceil(Fraction(amount) * COIN / (eth_btc * (1 - SPREAD)))


def test_round_trip_never_gains(sim: Simulator) -> None:
    desk, user = desk_of(sim), sim.demo_account
    for amount in (1_000, 17_001, 10**6, 3 * COIN):
        there = desk.quote(user, "ETH", "USDT", from_amount=amount)
        back = desk.quote(user, "USDT", "ETH", from_amount=there.to_amount)
        assert back.to_amount < amount
        again = desk.quote(user, "USDT", "ETH", to_amount=amount)
        assert desk.quote(user, "ETH", "USDT", to_amount=again.from_amount).from_amount > amount


def test_the_spread_is_configurable_and_zero_means_the_mid(sim: Simulator) -> None:
    flat = ConvertDesk(sim.venue, spread_bps=0)
    q = flat.quote(sim.demo_account, "BTC", "USDT", from_amount=COIN)
    assert q.to_amount == 90_000 * COIN and q.ratio == "90000.00000000"
    wide = ConvertDesk(sim.venue, spread_bps=100)
    assert wide.quote(sim.demo_account, "BTC", "USDT", from_amount=COIN).to_amount == 89_100 * COIN
    with pytest.raises(ValueError):
        ConvertDesk(sim.venue, spread_bps=-1)


def test_the_house_opens_only_when_a_quote_is_accepted(sim: Simulator) -> None:
    v, desk = sim.venue, desk_of(sim)
    accounts, supply = v.account_ids(), {code: v.engine.total_supply(code) for code in v.assets}
    desk.quote(sim.demo_account, "BTC", "USDT", from_amount=COIN)
    assert v.account_ids() == accounts and {code: v.engine.total_supply(code) for code in v.assets} == supply
    house = desk.house
    assert v.account_ids() == accounts + [house] and desk.house == house
    assert all(v.engine.balance(house, code).free == 10**9 * COIN for code in v.assets)
    v.engine.check_invariants()


def test_accepting_moves_exactly_the_quoted_amounts_and_conserves(sim: Simulator) -> None:
    desk, v, user = desk_of(sim), sim.venue, sim.demo_account
    before, supply = snapshot(sim)
    q = desk.quote(user, "BTC", "USDT", from_amount=12_345_679)
    order = desk.accept(user, q.quote_id)
    assert order.status == "SUCCESS" and order.quote is q
    after = v.engine.balances(user)
    assert after["BTC"].free == before[user]["BTC"].free - q.from_amount
    assert after["USDT"].free == before[user]["USDT"].free + q.to_amount
    house = v.engine.balances(desk.house)
    assert house["BTC"].free == before[desk.house]["BTC"].free + q.from_amount
    assert house["USDT"].free == before[desk.house]["USDT"].free - q.to_amount
    assert snapshot(sim)[1] == supply
    v.engine.check_invariants()
    assert desk.order(user, order_id=order.order_id) is order
    assert desk.order(user, quote_id=q.quote_id) is order


def test_a_quote_is_good_until_its_valid_time_and_not_after(sim: Simulator) -> None:
    desk, user, clock = desk_of(sim), sim.demo_account, sim.venue.clock
    q = desk.quote(user, "ETH", "USDT", from_amount=COIN)
    assert q.valid_until == q.created + 10_000  # 10s by default
    clock.advance(10_000)
    desk.accept(user, q.quote_id)  # exactly at validTimestamp: still good
    for valid_time, ms in (("30s", 30_000), ("1m", 60_000), ("2m", 120_000)):
        q = desk.quote(user, "ETH", "USDT", from_amount=COIN, valid_time=valid_time)
        assert q.valid_until - q.created == ms
        clock.advance(ms + 1)
        before, _ = snapshot(sim)
        e = refused(desk.accept, user, q.quote_id)
        assert (e.code, e.msg) == (
            -345231,
            "System failed to execute the quote, which has expired. Please request for quote again.",
        )
        assert snapshot(sim)[0] == before
    assert refused(desk.quote, user, "ETH", "USDT", from_amount=COIN, valid_time="5s").code == -1100


def test_a_quote_works_once_and_only_for_its_owner(sim: Simulator) -> None:
    desk, v, user = desk_of(sim), sim.venue, sim.demo_account
    other = v.create_account({"USDT": 100_000 * COIN, "BTC": 2 * COIN})
    q = desk.quote(user, "USDT", "BTC", from_amount=1000 * COIN)
    before, _ = snapshot(sim)
    assert refused(desk.accept, other, q.quote_id).code == -1130  # someone else's: as if unknown
    assert refused(desk.accept, user, "nope").code == -1130
    assert snapshot(sim)[0] == before
    order = desk.accept(user, q.quote_id)
    after, _ = snapshot(sim)
    e = refused(desk.accept, user, q.quote_id)
    assert e.code == -345231 and "already been accepted" in e.msg
    assert snapshot(sim)[0] == after
    assert refused(desk.order, other, order_id=order.order_id).code == -2013
    assert refused(desk.order, other, quote_id=q.quote_id).code == -2013
    v.engine.check_invariants()


def test_insufficient_balance_changes_nothing(sim: Simulator) -> None:
    desk, v = desk_of(sim), sim.venue
    poor = v.create_account({"USDT": 100 * COIN})
    q = desk.quote(poor, "USDT", "BTC", from_amount=100 * COIN + 1)  # quoting does not check funds
    before, supply = snapshot(sim)
    e = refused(desk.accept, poor, q.quote_id)
    assert (e.code, e.msg) == (-2010, "Account has insufficient balance for requested action.")
    assert snapshot(sim) == (before, supply)
    assert not q.used and desk.history(poor, 0, 2**62, 100) == ([], False)
    v.engine.check_invariants()
    q = desk.quote(poor, "USDT", "BTC", from_amount=100 * COIN)  # the whole balance is fine
    desk.accept(poor, q.quote_id)
    assert v.engine.balance(poor, "USDT").free == 0
    v.engine.check_invariants()


def test_a_drained_house_refuses_without_blaming_the_user(sim: Simulator) -> None:
    desk, v, user = desk_of(sim), sim.venue, sim.demo_account
    q = desk.quote(user, "BTC", "USDT", from_amount=COIN)
    drain = v.engine.balance(desk.house, "USDT").free - q.to_amount + 1
    v.engine.apply(Withdraw(desk.house, "USDT", drain))
    before, supply = snapshot(sim)
    e = refused(desk.accept, user, q.quote_id)
    assert e.code == -1000 and "inventory" in e.msg
    assert snapshot(sim) == (before, supply) and not q.used
    v.engine.check_invariants()


def test_pairs_need_a_direct_market_a_price_and_amounts_in_range(sim: Simulator, empty: Simulator) -> None:
    desk, user = desk_of(sim), sim.demo_account
    assert refused(desk.quote, user, "BNB", "SOL", from_amount=COIN).code == -1130  # no BNBSOL market
    e = refused(desk.quote, user, "XYZ", "USDT", from_amount=COIN)
    assert e.code == -1130 and "XYZ" in e.msg
    assert refused(desk.quote, user, "BTC", "BTC", from_amount=COIN).code == -1130
    assert refused(desk.quote, user, "BTC", "USDT").code == -1102
    assert refused(desk.quote, user, "BTC", "USDT", from_amount=1, to_amount=1).code == -1102
    assert refused(desk.quote, user, "USDT", "BTC", from_amount=1).code == -1130  # would buy nothing
    assert refused(desk.quote, user, "BTC", "USDT", from_amount=10**6 * COIN + 1).code == -1130
    assert ("BTC", "USDT") in desk.pairs() and ("USDT", "BTC") in desk.pairs()
    e = refused(desk_of(empty).quote, empty.demo_account, "BTC", "USDT", from_amount=COIN)
    assert e.code == -1130 and "no price" in e.msg


def test_a_one_sided_book_prices_from_the_last_trade(empty: Simulator) -> None:
    v, desk = empty.venue, desk_of(empty)
    seller, buyer = v.create_account({"BTC": COIN}), v.create_account({"USDT": 200_000 * COIN})

    def order(account: int, side: Side, qty: int, price: int) -> None:
        v.place(
            account,
            OrderRequest(
                "BTCUSDT",
                side,
                OrderType.LIMIT,
                TimeInForce.GTC,
                qty,
                price,
                0,
                0,
                None,
                SelfTradePrevention.NONE,
                "FULL",
            ),
        )

    order(seller, Side.SELL, COIN // 10, 80_000 * COIN)
    order(buyer, Side.BUY, COIN // 10, 80_000 * COIN)  # trades at 80000
    order(buyer, Side.BUY, COIN // 10, 70_000 * COIN)  # bids only
    assert v.engine.last_price("BTCUSDT") == 80_000 * COIN
    q = desk.quote(empty.demo_account, "BTC", "USDT", from_amount=COIN)
    assert q.to_amount == 80_000 * COIN * 999 // 1000


def test_history_is_a_window_oldest_first(sim: Simulator) -> None:
    desk, user, clock = desk_of(sim), sim.demo_account, sim.venue.clock
    orders = []
    for _ in range(5):
        orders.append(desk.accept(user, desk.quote(user, "USDT", "ETH", from_amount=10 * COIN).quote_id))
        clock.advance(1_000)
    t0 = orders[0].create_time
    assert desk.history(user, t0, t0 + 10_000, 100) == (orders, False)
    assert desk.history(user, t0 + 1_000, t0 + 3_000, 100) == (orders[1:4], False)
    assert desk.history(user, t0, t0 + 10_000, 2) == (orders[:2], True)
    assert desk.history(sim.venue.create_account({}), t0, t0 + 10_000, 100) == ([], False)
    sim.venue.engine.check_invariants()
