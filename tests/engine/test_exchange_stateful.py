"""The exchange's invariants under random command sequences (hypothesis stateful testing).

After every step, per asset: free + locked over all accounts (fee account included) equals
deposits minus withdrawals exactly; locked equals what open orders and waiting stops reserve,
recomputed here from the public views; nothing is negative; the books pass their own checks.
A rejected command changes nothing (same fingerprint).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine import (
    AmendOrder,
    BalanceChanged,
    CancelAllOrders,
    CancelOrder,
    CommandRejected,
    Deposit,
    MarketStatus,
    OrderAccepted,
    OrderRejected,
    OrderType,
    PlaceOrder,
    SelfTradePrevention,
    SetFeeRates,
    SetMarketStatus,
    Side,
    TimeInForce,
    Leg,
    Transfer,
    Withdraw,
)
from engine.units import RATE_DENOM

from .exchange_fixtures import A, B, C, funded_engine, small_markets

MARKETS = small_markets()
ASSETS = [A.code, B.code, C.code]
ACCOUNTS = st.integers(1, 3)
PRICED = (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = funded_engine(3, [(0, 0), (100_000, 200_000), (RATE_DENOM // 100, RATE_DENOM // 10)], 2_000)
        self.supply = {code: 3 * 2_000 for code in ASSETS}
        self.order_ids: list[int] = [1]
        self.now = 0

    def _apply(self, command) -> list:
        before = self.engine.fingerprint()
        events = self.engine.apply(command)
        if len(events) == 1 and isinstance(events[0], (OrderRejected, CommandRejected)):
            assert self.engine.fingerprint() == before, f"rejected {command} changed the state"
        for e in events:
            if isinstance(e, BalanceChanged):
                self.supply[e.asset] += e.amount
            elif isinstance(e, OrderAccepted):
                self.order_ids.append(e.order_id)
        return events

    @rule(
        market=st.sampled_from(MARKETS),
        account=ACCOUNTS,
        side=st.sampled_from(list(Side)),
        otype=st.sampled_from([OrderType.LIMIT, OrderType.LIMIT, *OrderType]),
        tif=st.sampled_from(list(TimeInForce)),
        ticks=st.integers(1, 125),
        stop_ticks=st.integers(1, 125),
        qty=st.integers(0, 35),
        stp=st.sampled_from(list(SelfTradePrevention)),
        cid=st.sampled_from([None, None, "a", "b"]),
        advance=st.integers(0, 90_000),
    )
    def place(self, market, account, side, otype, tif, ticks, stop_ticks, qty, stp, cid, advance) -> None:
        self.now += advance
        tick = market.price_filter.tick_size
        if otype not in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
            tif = TimeInForce.GTC
        self._apply(
            PlaceOrder(
                market.symbol, account, side, otype, quantity=qty, price=ticks * tick if otype in PRICED else 0,
                stop_price=stop_ticks * tick if otype >= OrderType.STOP_LOSS else 0, time_in_force=tif, stp=stp,
                client_order_id=cid, time=self.now,
            )
        )

    @rule(market=st.sampled_from(MARKETS), account=ACCOUNTS, side=st.sampled_from(list(Side)),
          quote=st.integers(1, 400), stp=st.sampled_from(list(SelfTradePrevention)))
    def market_by_quote(self, market, account, side, quote, stp) -> None:
        self._apply(PlaceOrder(market.symbol, account, side, OrderType.MARKET, quote_quantity=quote, stp=stp,
                               time=self.now))

    @rule(market=st.sampled_from(MARKETS), account=ACCOUNTS, pick=st.integers(0, 10**6),
          cid=st.sampled_from([None, None, "a", "b"]))
    def cancel(self, market, account, pick, cid) -> None:
        oid = 0 if cid else self.order_ids[pick % len(self.order_ids)]
        self._apply(CancelOrder(market.symbol, account, order_id=oid, client_order_id=cid, time=self.now))

    @rule(market=st.sampled_from(MARKETS), account=ACCOUNTS)
    def cancel_all(self, market, account) -> None:
        self._apply(CancelAllOrders(market.symbol, account, time=self.now))

    @rule(market=st.sampled_from(MARKETS), account=ACCOUNTS, pick=st.integers(0, 10**6), qty=st.integers(-1, 30))
    def amend(self, market, account, pick, qty) -> None:
        oid = self.order_ids[pick % len(self.order_ids)]
        self._apply(AmendOrder(market.symbol, account, qty, order_id=oid, time=self.now))

    @rule(account=st.integers(-1, 4), asset=st.sampled_from([*ASSETS, "NOPE"]), amount=st.integers(-5, 3_000))
    def deposit(self, account, asset, amount) -> None:
        self._apply(Deposit(account, asset, amount))

    @rule(account=st.integers(0, 4), asset=st.sampled_from(ASSETS), amount=st.integers(-5, 3_000))
    def withdraw(self, account, asset, amount) -> None:
        self._apply(Withdraw(account, asset, amount))

    @rule(legs=st.lists(st.tuples(st.integers(-1, 5), st.integers(-1, 6), st.sampled_from([*ASSETS, "NOPE"]),
                                  st.integers(-5, 3_000)), min_size=0, max_size=3))
    def transfer(self, legs) -> None:
        self._apply(Transfer(tuple(Leg(*leg) for leg in legs), self.now))

    @rule(account=ACCOUNTS, maker=st.integers(-1, RATE_DENOM // 10), taker=st.integers(0, RATE_DENOM + 1))
    def set_fees(self, account, maker, taker) -> None:
        self._apply(SetFeeRates(account, maker, taker))

    @precondition(lambda self: len(self.order_ids) % 7 == 0)
    @rule(market=st.sampled_from(MARKETS), status=st.sampled_from(list(MarketStatus)))
    def set_status(self, market, status) -> None:
        self._apply(SetMarketStatus(market.symbol, status))

    @invariant()
    def money_is_conserved_and_locks_are_reserved(self) -> None:
        e = self.engine
        e.check_invariants()
        accounts = e.accounts()
        assert accounts[0] == 0
        for code in ASSETS:
            balances = [e.balance(a, code) for a in accounts]
            assert all(b.free >= 0 and b.locked >= 0 for b in balances)
            assert sum(b.free + b.locked for b in balances) == self.supply[code] == e.total_supply(code)
        reserved = {(a, code): 0 for a in accounts for code in ASSETS}
        for m in MARKETS:
            scale = 10**m.base.decimals
            for o in e.open_orders(m.symbol):
                if o.side == Side.BUY:
                    reserved[o.account, m.quote.code] += o.price * o.quantity // scale
                else:
                    reserved[o.account, m.base.code] += o.quantity
            for s in e.stop_orders(m.symbol):
                reserved[s.account, m.quote.code if s.side == Side.BUY else m.base.code] += s.lock
            bids, asks = e.depth(m.symbol)
            assert not bids or not asks or bids[0][0] < asks[0][0], "book crossed"
        for (account, code), amount in reserved.items():
            assert e.balance(account, code).locked == amount, (account, code)


TestExchangeMachine = ExchangeMachine.TestCase
