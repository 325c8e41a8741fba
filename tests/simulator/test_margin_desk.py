"""The margin desk against a book whose prices the test sets: limits, liquidation, bad debt, and a
property test that no sequence of margin operations creates or destroys money."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from engine import HOUR_MS, OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.binance_errors import for_refusal
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.margin import CROSS_MARGIN, SPOT, WalletRef
from simulator.orders import OrderRequest
from simulator.refusals import Refusal, Refused

T0 = 1_700_000_400_000  # 00:20 past an hour
COIN = 10**8
ISO = WalletRef("ISOLATED", "BTCUSDT")
ASSETS = ("BTC", "USDT", "ETH", "BNB", "SOL")


class Market:
    """A simulator without liquidity sources and one maker whose BTCUSDT quotes the test moves."""

    def __init__(self, interval_ms: int = 1000) -> None:
        from dataclasses import replace

        config = SimulatorConfig(liquidity=False)
        config = replace(config, margin=replace(config.margin, check_interval_ms=interval_ms))
        self.clock = ManualClock(T0)
        self.sim = build(config, self.clock)
        self.venue = self.sim.venue
        self.desk = self.sim.app.services.margin
        self.maker = self.venue.create_account({"BTC": 1_000 * COIN, "USDT": 100_000_000 * COIN})
        self.supply = {a: self.venue.engine.total_supply(a) for a in ASSETS}
        self.quote(90_000)

    def quote(self, mid: int) -> None:
        """Replace the maker's quotes: 50 BTC each side, 10 USDT either side of ``mid``."""
        v = self.venue
        if v.open_orders(self.maker, "BTCUSDT"):
            v.cancel_all(self.maker, "BTCUSDT")
        for side, price in ((Side.BUY, mid - 10), (Side.SELL, mid + 10)):
            v.place(self.maker, limit(side, 50 * COIN, price * COIN))

    def user(self, balances: dict[str, int]) -> int:
        """A funded account; its deposit is the last money entering the books."""
        account = self.venue.create_account(balances)
        self.supply = {a: self.venue.engine.total_supply(a) for a in ASSETS}
        return account

    def tick(self, ms: int = 1000) -> None:
        self.clock.advance(ms)
        self.sim.liquidity.step()

    def conserved(self) -> None:
        self.venue.engine.check_invariants()
        assert {a: self.venue.engine.total_supply(a) for a in ASSETS} == self.supply


def limit(side: Side, qty: int, price: int) -> OrderRequest:
    return OrderRequest(
        "BTCUSDT", side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, None, SelfTradePrevention.NONE, "FULL"
    )


def market_buy_quote(quote: int) -> OrderRequest:
    return OrderRequest(
        "BTCUSDT", Side.BUY, OrderType.MARKET, TimeInForce.GTC, 0, 0, quote, 0, None, SelfTradePrevention.NONE, "FULL"
    )


def leveraged_long(m: Market, own: int = 1_000, spend: int = 9_000) -> int:
    """A user with ``own`` USDT in an isolated BTCUSDT wallet who buys ``spend`` USDT of BTC, borrowing the rest."""
    user = m.user({"USDT": 10_000 * COIN})
    m.desk.transfer(user, "USDT", own * COIN, SPOT, ISO)
    placed = m.desk.place(user, ISO, market_buy_quote(spend * COIN), "MARGIN_BUY")
    assert placed.borrowed == (spend - own) * COIN and placed.borrowed_asset == "USDT"
    return user


def test_a_margin_buy_borrows_exactly_the_shortfall_and_charges_the_first_hour():
    m = Market()
    user = leveraged_long(m)
    wallet = m.desk.wallet_of(user, ISO)
    loan = m.venue.engine.loan(wallet, "USDT")
    # 8000 USDT at 0.0002 a day: ceil(8000e8 * 20000 / (24 * 1e8)) = 6666667 units for the first hour
    assert (loan.principal, loan.interest) == (8_000 * COIN, 6_666_667)
    assert [(r.kind, r.amount, r.auto) for r in m.desk.loans] == [("BORROW", 8_000 * COIN, True)]  # type AUTO
    btc = m.venue.engine.balance(wallet, "BTC").free
    assert btc == 9_000 * COIN * COIN // (90_010 * COIN) // 1000 * 1000 * 999 // 1000  # the fill less 0.1 % fee
    m.conserved()


def test_borrowing_beyond_the_leverage_or_the_pool_is_refused_and_changes_nothing():
    m = Market()
    user = m.user({"USDT": 1_000 * COIN})
    m.desk.transfer(user, "USDT", 1_000 * COIN, SPOT, CROSS_MARGIN)
    available, limit_ = m.desk.max_borrowable(user, "USDT", CROSS_MARGIN)
    assert available == limit_ == 2_000 * COIN  # 3x: debt up to (3 - 1) x equity
    before = m.venue.engine.fingerprint()
    with pytest.raises(Refused) as e:
        m.desk.borrow(user, "USDT", limit_ + 1, CROSS_MARGIN)
    assert (
        e.value.reason is Refusal.EXCEEDS_MAX_BORROWABLE
        and for_refusal(e.value).code == -3006
        and m.venue.engine.fingerprint() == before
    )
    m.desk.borrow(user, "USDT", limit_, CROSS_MARGIN)
    assert m.desk.max_borrowable(user, "USDT", CROSS_MARGIN)[0] == 0
    m.conserved()


def test_a_transfer_out_must_leave_the_margin_level_at_two():
    m = Market()
    user = m.user({"USDT": 1_000 * COIN})
    m.desk.transfer(user, "USDT", 1_000 * COIN, SPOT, CROSS_MARGIN)
    m.desk.borrow(user, "USDT", 500 * COIN, CROSS_MARGIN)
    debt = 500 * COIN + m.venue.engine.loan(m.desk.wallet_of(user, CROSS_MARGIN), "USDT").interest
    room = m.desk.max_transferable(user, "USDT", CROSS_MARGIN)
    # assets 1500 USDT, valued in BTC and back, must stay >= 2 x debt; room is about 1500 - 2 x 500
    assert 499 * COIN < room <= 1_500 * COIN - 2 * debt
    with pytest.raises(Refused) as e:
        m.desk.transfer(user, "USDT", room + COIN, CROSS_MARGIN, SPOT)
    assert e.value.reason is Refusal.TRANSFER_EXCEEDS_MAX and for_refusal(e.value).code == -3020
    m.desk.transfer(user, "USDT", room, CROSS_MARGIN, SPOT)
    m.conserved()


def test_interest_is_charged_on_every_hour_the_clock_begins():
    m = Market()
    user = leveraged_long(m)
    wallet = m.desk.wallet_of(user, ISO)
    m.tick(24 * HOUR_MS)  # 00:20 + 24 h: 24 hour marks passed
    loan = m.venue.engine.loan(wallet, "USDT")
    assert loan.interest == 25 * 6_666_667
    hours = [r for r in m.desk.interest if r.owner == user]
    assert len(hours) == 25 and hours[0].on_borrow and not any(r.on_borrow for r in hours[1:])
    assert [r.time % HOUR_MS for r in hours[1:]] == [0] * 24
    m.conserved()


def test_a_drop_below_the_liquidation_level_sells_into_the_book_and_repays():
    m = Market(interval_ms=500)
    user = leveraged_long(m)
    wallet = m.desk.wallet_of(user, ISO)
    m.quote(89_000)
    m.tick()
    assert not m.desk.liquidations  # level about 1.11: above 1.1
    m.quote(88_000)  # 0.09985 BTC x 88000 = 8787 against 8000 owed: level 1.098
    m.tick()
    records = [r for r in m.desk.liquidations if r.owner == user]
    assert records and all(r.side == "SELL" and r.symbol == "BTCUSDT" for r in records)
    assert records[0].price == 87_990 * COIN  # the maker's bid
    assert m.venue.engine.loans(wallet) == []  # the debt is repaid from the proceeds
    left = m.venue.engine.balances(wallet)
    assert left["BTC"].free > 0  # what was not needed stays with the user
    assert not m.venue.open_orders(wallet, None)
    m.conserved()


def test_bad_debt_is_covered_by_the_insurance_fund():
    m = Market(interval_ms=500)
    user = leveraged_long(m)
    wallet = m.desk.wallet_of(user, ISO)
    insurance_before = m.venue.engine.balance(m.desk.insurance, "USDT").free
    m.quote(70_000)  # worth about 6990 against 8000 owed: the sale cannot cover the loan
    m.tick()
    assert m.venue.engine.loans(wallet) == []
    assert m.venue.engine.balance(wallet, "BTC").free < 1000  # dust below one lot at most
    paid = insurance_before - m.venue.engine.balance(m.desk.insurance, "USDT").free
    assert 900 * COIN < paid < 1_100 * COIN
    m.conserved()


def test_a_margin_call_is_recorded_once_per_dip():
    m = Market(interval_ms=500)
    user = leveraged_long(m, own=1_200, spend=9_000)  # level about 1.15
    m.tick()
    m.tick()
    calls = [c for c in m.desk.margin_calls if c.owner == user]
    assert len(calls) == 1 and 110_000_000 < calls[0].level < 130_000_000


# ---- property: margin operations never create or destroy money --------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "deposit_margin",
                "withdraw_margin",
                "borrow",
                "repay",
                "buy",
                "sell",
                "hours",
                "price",
                "leverage",
                "leverage",
                "leverage",
                "crash",
                "crash",
            ]
        ),
        st.sampled_from([CROSS_MARGIN, ISO]),
        st.integers(1, 10_000),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
@example([("leverage", ISO, 7_000), ("crash", ISO, 2_000), ("repay", ISO, 1)])  # a liquidation
@example([("leverage", ISO, 7_000), ("hours", ISO, 49), ("crash", ISO, 9_000)])  # bad debt after interest
@example([("leverage", CROSS_MARGIN, 1_999), ("borrow", CROSS_MARGIN, 1), ("crash", CROSS_MARGIN, 10_000)])
def test_no_sequence_of_margin_operations_creates_or_destroys_money(ops):
    m = Market(interval_ms=500)
    user = m.user({"USDT": 20_000 * COIN, "BTC": COIN})
    desk = m.desk
    for op, ref, n in ops:
        desk.catch_up(m.venue.now())  # interest already due is charged by any request, refused or not
        before = m.venue.engine.fingerprint()
        try:
            if op == "deposit_margin":
                desk.transfer(user, "USDT", n * COIN // 4, SPOT, ref)
            elif op == "withdraw_margin":
                desk.transfer(user, "USDT", n * COIN // 8, ref, SPOT)
            elif op == "borrow":
                desk.borrow(user, "USDT" if n % 2 else "BTC", n * (COIN // 4 if n % 2 else 1_000), ref)
            elif op == "repay":
                desk.repay(user, "USDT" if n % 2 else "BTC", n * (COIN // 8 if n % 2 else 500), ref)
            elif op == "buy":
                desk.place(user, ref, market_buy_quote(n * COIN // 2), "MARGIN_BUY" if n % 3 else "NO_SIDE_EFFECT")
            elif op == "sell":
                req = OrderRequest(
                    "BTCUSDT",
                    Side.SELL,
                    OrderType.MARKET,
                    TimeInForce.GTC,
                    n * 1_000,
                    0,
                    0,
                    0,
                    None,
                    SelfTradePrevention.NONE,
                    "FULL",
                )
                desk.place(user, ref, req, "AUTO_REPAY" if n % 2 else "MARGIN_BUY")
            elif op == "leverage":  # own 1000 USDT more, buy up to 10x that in BTC, borrowing the rest
                desk.transfer(user, "USDT", 1_000 * COIN, SPOT, ref)
                before = m.venue.engine.fingerprint()  # two requests: the second may be refused alone
                spend = 1_000 + n % (8_000 if ref.kind == "ISOLATED" else 2_000)  # within 10x / 3x
                desk.place(user, ref, market_buy_quote(spend * COIN), "MARGIN_BUY")
            elif op == "crash":
                m.quote(90_000 - n * 3)
                m.tick()
            elif op == "hours":
                m.tick(n % 50 * HOUR_MS // 7 + 1)
            else:
                m.quote(60_000 + n * 6)
                m.tick()
        except Refused:
            assert m.venue.engine.fingerprint() == before, op  # a refusal changes nothing
        m.conserved()
        for account in [user, *desk.wallets.margin_accounts()]:
            for bal in m.venue.engine.balances(account).values():
                assert bal.free >= 0 and bal.locked >= 0
