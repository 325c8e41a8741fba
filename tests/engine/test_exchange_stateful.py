"""The exchange's invariants under random command sequences (hypothesis stateful testing).

After every step, per asset: free + locked over all accounts (fee account included) equals
deposits minus withdrawals exactly; locked equals what open orders and waiting stops reserve,
recomputed here from the public views; nothing is negative; the books pass their own checks.
A rejected command changes nothing (same fingerprint).

Loans run beside the orders: borrowers trade with what they borrow. A small model written from the
rule (one hour of interest at borrowing, one at each hour begun, ceil(principal x rate / 24)) predicts
every lending command's outcome and every loan; the pools' and the insurance fund's balances are
checked against sums over the events, so each unit lent, charged, repaid or written off is accounted.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine import (
    HOUR_MS,
    AmendOrder,
    Balance,
    BalanceChanged,
    Borrow,
    Borrowed,
    CancelAllOrders,
    CancelOrder,
    ChargeInterest,
    CommandRejected,
    DebtWrittenOff,
    Deposit,
    InterestCharged,
    InterestRateChanged,
    Leg,
    MarketStatus,
    OrderAccepted,
    OrderRejected,
    OrderType,
    PlaceOrder,
    RejectReason,
    Repaid,
    Repay,
    SelfTradePrevention,
    SetFeeRates,
    SetInterestRate,
    SetMarketStatus,
    Side,
    TimeInForce,
    Transfer,
    Withdraw,
    WriteOff,
)
from engine.units import INT64_SAFE, RATE_DENOM

from .exchange_fixtures import A, B, C, funded_engine, small_markets

MARKETS = small_markets()
ASSETS = [A.code, B.code, C.code]
ACCOUNTS = st.integers(1, 3)
PRICED = (OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT)
# lending accounts no other rule reaches (transfers go up to 6, deposits up to 4): their balances move
# only by loans, so the equations below hold to the unit
POOLS = {7: 50_000, 8: 4_000}  # pool account -> initial funding of each asset
INSURANCE, INSURANCE_FUNDS, DEAD = 9, 300, 50
MINUTE = 60_000
RATES = st.one_of(
    st.sampled_from([0, 1, 20_000, 1_000_000, RATE_DENOM, -1, RATE_DENOM + 1]), st.integers(0, RATE_DENOM // 10)
)
LOAN_ASSETS = st.sampled_from([*ASSETS, *ASSETS, "NOPE"])
BORROWERS = st.sampled_from([1, 2, 3, 5])  # 5 holds only what it borrows (and transfers): it cannot repay it all


def hour_interest(principal: int, daily_rate: int) -> int:
    """Binance's hourly interest, rounded up to the unit (written here from the rule, not the engine)."""
    return -(-principal * daily_rate // (24 * RATE_DENOM))


@dataclass
class ModelLoan:
    pool: int
    principal: int
    interest: int
    charged_hour: int

    def due(self, now: int, rate: int) -> int:
        return max(0, now // HOUR_MS - self.charged_hour) * hour_interest(self.principal, rate)

    def catch_up(self, now: int, rate: int) -> None:
        self.interest += self.due(now, rate)
        self.charged_hour = max(self.charged_hour, now // HOUR_MS)


class ExchangeMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.engine = funded_engine(3, [(0, 0), (100_000, 200_000), (RATE_DENOM // 100, RATE_DENOM // 10)], 2_000)
        self.supply = {code: 3 * 2_000 for code in ASSETS}
        self.order_ids: list[int] = [1]
        self.now = 0
        for account, funds in [*POOLS.items(), (INSURANCE, INSURANCE_FUNDS)]:
            for code in ASSETS:
                self.engine.apply(Deposit(account, code, funds))
                self.supply[code] += funds
        self.loans: dict[tuple[int, str], ModelLoan] = {}
        self.rates: dict[str, int] = {}
        self.sums: Counter[tuple] = Counter()  # ("what", asset[, pool or payer]) -> units, from the events

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
            elif isinstance(e, InterestCharged):
                assert e.amount == hour_interest(e.principal, e.daily_rate), e
                self.sums["charged", e.asset] += e.amount
                self.sums["charged", e.asset, self.loans[e.account, e.asset].pool] += e.amount
            elif isinstance(e, Borrowed):
                self.sums["borrowed", e.asset] += e.amount
                self.sums["borrowed", e.asset, self.loans[e.account, e.asset].pool] += e.amount
            elif isinstance(e, Repaid):
                pool = self.loans[e.account, e.asset].pool
                self.sums["principal repaid", e.asset] += e.principal_paid
                self.sums["interest repaid", e.asset] += e.interest_paid
                self.sums["repaid", e.asset, pool] += e.principal_paid + e.interest_paid
            elif isinstance(e, DebtWrittenOff):
                self.sums["principal written off", e.asset] += e.principal
                self.sums["interest written off", e.asset] += e.interest
                self.sums["written off", e.asset, self.loans[e.account, e.asset].pool] += e.principal + e.interest
                self.sums["covered", e.asset, self.loans[e.account, e.asset].pool] += e.covered
                self.sums["paid by", e.asset, e.payer] += e.covered
        return events

    def _expect(self, command, reason: RejectReason | None) -> list:
        """Apply ``command``, which the model says is refused for ``reason`` (None: accepted)."""
        events = self._apply(command)
        outcome = events[0].reason if len(events) == 1 and isinstance(events[0], CommandRejected) else None
        assert outcome == reason, (command, events)
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
        advance=st.integers(0, 90_000),
    )
    def place(self, market, account, side, otype, tif, ticks, stop_ticks, qty, stp, advance) -> None:
        self.now += advance
        tick = market.price_filter.tick_size
        if otype not in (OrderType.LIMIT, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT):
            tif = TimeInForce.GTC
        self._apply(
            PlaceOrder(
                market.symbol,
                account,
                side,
                otype,
                quantity=qty,
                price=ticks * tick if otype in PRICED else 0,
                stop_price=stop_ticks * tick if otype >= OrderType.STOP_LOSS else 0,
                time_in_force=tif,
                stp=stp,
                time=self.now,
            )
        )

    @rule(
        market=st.sampled_from(MARKETS),
        account=ACCOUNTS,
        side=st.sampled_from(list(Side)),
        quote=st.integers(1, 400),
        stp=st.sampled_from(list(SelfTradePrevention)),
    )
    def market_by_quote(self, market, account, side, quote, stp) -> None:
        self._apply(
            PlaceOrder(market.symbol, account, side, OrderType.MARKET, quote_quantity=quote, stp=stp, time=self.now)
        )

    @rule(market=st.sampled_from(MARKETS), account=ACCOUNTS, pick=st.integers(0, 10**6))
    def cancel(self, market, account, pick) -> None:
        oid = self.order_ids[pick % len(self.order_ids)]
        self._apply(CancelOrder(market.symbol, account, order_id=oid, time=self.now))

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

    @rule(
        legs=st.lists(
            st.tuples(
                st.integers(-1, 5), st.integers(-1, 6), st.sampled_from([*ASSETS, "NOPE"]), st.integers(-5, 3_000)
            ),
            min_size=0,
            max_size=3,
        )
    )
    def transfer(self, legs) -> None:
        self._apply(Transfer(tuple(Leg(*leg) for leg in legs), self.now))

    @rule(account=ACCOUNTS, maker=st.integers(-1, RATE_DENOM // 10), taker=st.integers(0, RATE_DENOM + 1))
    def set_fees(self, account, maker, taker) -> None:
        self._apply(SetFeeRates(account, maker, taker))

    @precondition(lambda self: len(self.order_ids) % 7 == 0)
    @rule(market=st.sampled_from(MARKETS), status=st.sampled_from(list(MarketStatus)))
    def set_status(self, market, status) -> None:
        self._apply(SetMarketStatus(market.symbol, status))

    # ---- loans ----------------------------------------------------------------------------------

    def _free(self, account: int, asset: str) -> int:
        return self.engine.balance(account, asset).free if account in self.engine.accounts() else 0

    def _open_loan(self, pick: int, account: int, asset: str) -> tuple[int, str]:
        """Mostly an open loan (when there is one), so repayments and write-offs are not all refused."""
        keys = sorted(self.loans)
        return keys[pick % len(keys)] if keys and pick % 5 else (account, asset)

    @rule(asset=LOAN_ASSETS, rate=RATES)
    def set_interest_rate(self, asset, rate) -> None:
        reason = (
            RejectReason.UNKNOWN_ASSET
            if asset not in ASSETS
            else None
            if 0 <= rate <= RATE_DENOM
            else RejectReason.INVALID_RATE
        )
        events = self._expect(SetInterestRate(asset, rate), reason)
        if reason is None:
            assert events == [InterestRateChanged(asset, rate)]
            self.rates[asset] = rate

    @rule(
        account=BORROWERS,
        asset=LOAN_ASSETS,
        pool=st.sampled_from([7, 7, 7, 7, 8, 8, DEAD, 0, None]),
        amount=st.integers(-2, 3_000),
        huge=st.sampled_from([0] * 8 + [30_000, INT64_SAFE, 2**70]),
        advance=st.integers(0, 3 * HOUR_MS),
    )
    def borrow(self, account, asset, pool, amount, huge, advance) -> None:
        self.now += advance
        self._borrow(account, asset, account if pool is None else pool, huge or amount)  # None: from itself

    @initialize(
        rates=st.lists(RATES, min_size=3, max_size=3), amounts=st.lists(st.integers(1, 1_500), min_size=3, max_size=3)
    )
    def open_loans(self, rates, amounts) -> None:
        """Start with rates and a loan per account, so every example repays, charges and writes off."""
        for code, rate in zip(ASSETS, rates, strict=True):
            self.set_interest_rate(code, rate)
        for account, amount in enumerate(amounts, 1):
            self._borrow(account, ASSETS[account - 1], 7 + account % 2, amount)

    def _borrow(self, account: int, asset: str, pool: int, amount: int) -> None:
        loan = self.loans.get((account, asset))
        if asset not in ASSETS:
            reason = RejectReason.UNKNOWN_ASSET
        elif pool == account or pool not in self.engine.accounts() or (loan is not None and loan.pool != pool):
            reason = RejectReason.UNKNOWN_ACCOUNT
        elif not 0 < amount < INT64_SAFE or (loan and loan.principal + loan.interest + 2 * amount >= INT64_SAFE):
            reason = RejectReason.INVALID_AMOUNT
        elif self._free(pool, asset) < amount:
            reason = RejectReason.POOL_INSUFFICIENT
        else:
            reason = None
            if loan is None:
                loan = ModelLoan(pool, 0, 0, self.now // HOUR_MS)
            self.loans[account, asset] = loan  # before applying: the events are booked to its pool
        self._expect(Borrow(account, asset, amount, pool, self.now), reason)
        if reason is None:
            rate = self.rates.get(asset, 0)
            loan.catch_up(self.now, rate)
            loan.principal += amount
            loan.interest += hour_interest(amount, rate)

    @rule(
        account=BORROWERS,
        asset=LOAN_ASSETS,
        pick=st.integers(0, 10**6),
        how=st.sampled_from(["all", "all", "over", "part", "part", "beyond free", "any"]),
        amount=st.integers(-2, 3_000),
        advance=st.integers(0, 3 * HOUR_MS),
    )
    def repay(self, account, asset, pick, how, amount, advance) -> None:
        self.now += advance
        account, asset = self._open_loan(pick, account, asset)
        loan = self.loans.get((account, asset))
        rate = self.rates.get(asset, 0)
        if loan is not None:
            owed = loan.principal + loan.interest + loan.due(self.now, rate)
            amount = {
                "all": owed,
                "over": owed + 1,
                "part": max(1, owed * max(amount, 0) // 3_000),
                "beyond free": self._free(account, asset) + 1,
            }.get(how, amount)
        if asset not in ASSETS:
            reason = RejectReason.UNKNOWN_ASSET
        elif loan is None:
            reason = RejectReason.NO_LOAN
        elif not 0 < amount < INT64_SAFE:
            reason = RejectReason.INVALID_AMOUNT
        elif amount > owed:
            reason = RejectReason.REPAY_EXCEEDS_LIABILITY
        elif self._free(account, asset) < amount:
            reason = RejectReason.INSUFFICIENT_BALANCE
        else:
            reason = None
        events = self._expect(Repay(account, asset, amount, self.now), reason)
        if reason is None:
            loan.catch_up(self.now, rate)
            paid = min(amount, loan.interest)
            assert events[-1] == Repaid(
                account, asset, paid, amount - paid, loan.principal - (amount - paid), loan.interest - paid, self.now
            )
            loan.interest -= paid
            loan.principal -= amount - paid
            if loan.principal + loan.interest == 0:
                del self.loans[account, asset]

    @rule(
        unit=st.sampled_from([1, MINUTE, MINUTE, HOUR_MS]),
        n=st.integers(0, 40),
        account=st.sampled_from([None, None, 1, 2, 3, DEAD]),
    )
    def charge_interest(self, unit, n, account) -> None:
        self.now += unit * n
        events = self._expect(ChargeInterest(self.now, account), None)
        assert all(isinstance(ev, InterestCharged) and not ev.on_borrow for ev in events)
        for (borrower, asset), loan in self.loans.items():
            if account is None or borrower == account:
                loan.catch_up(self.now, self.rates.get(asset, 0))

    @rule(
        account=BORROWERS,
        asset=LOAN_ASSETS,
        pick=st.integers(0, 10**6),
        payer=st.sampled_from([INSURANCE, INSURANCE, INSURANCE, 0, 2, 7, DEAD, None]),
        advance=st.integers(0, 3 * HOUR_MS),
    )
    def write_off(self, account, asset, pick, payer, advance) -> None:
        self.now += advance
        account, asset = self._open_loan(pick, account, asset)
        payer = account if payer is None else payer
        loan = self.loans.get((account, asset))
        if loan is None:
            reason = RejectReason.NO_LOAN
        elif payer in (account, loan.pool) or payer not in self.engine.accounts():
            reason = RejectReason.UNKNOWN_ACCOUNT
        else:
            reason = None
            loan.catch_up(self.now, self.rates.get(asset, 0))
            covered = min(loan.principal + loan.interest, self._free(payer, asset))
        events = self._expect(WriteOff(account, asset, payer, self.now), reason)
        if reason is None:
            assert events[-1] == DebtWrittenOff(account, asset, loan.principal, loan.interest, covered, payer, self.now)
            del self.loans[account, asset]

    @invariant()
    def loans_are_the_models_and_every_unit_is_accounted_for(self) -> None:
        e, sums = self.engine, self.sums
        assert {(ln.account, ln.asset): (ln.pool, ln.principal, ln.interest, ln.charged_hour) for ln in e.loans()} == {
            key: (ln.pool, ln.principal, ln.interest, ln.charged_hour) for key, ln in self.loans.items()
        }
        for code in ASSETS:
            assert e.interest_rate(code) == self.rates.get(code, 0)
            open_loans = [ln for ln in e.loans() if ln.asset == code]
            principal = sum(ln.principal for ln in open_loans)
            interest = sum(ln.interest for ln in open_loans)
            assert principal == (
                sums["borrowed", code] - sums["principal repaid", code] - sums["principal written off", code]
            )
            assert interest == (
                sums["charged", code] - sums["interest repaid", code] - sums["interest written off", code]
            )
            for pool, funds in POOLS.items():
                balance = e.balance(pool, code)
                assert balance.locked == 0
                assert balance.free == (
                    funds
                    - sums["borrowed", code, pool]
                    + sums["repaid", code, pool]
                    + sums["covered", code, pool]
                    - sums["paid by", code, pool]
                )
                # its value: what it holds plus what it is owed is its funding, plus the interest charged
                # on its loans, less what was written off and not covered (and what it paid for others)
                owed = sum(ln.principal + ln.interest for ln in open_loans if ln.pool == pool)
                assert balance.free + owed == (
                    funds
                    + sums["charged", code, pool]
                    - sums["written off", code, pool]
                    + sums["covered", code, pool]
                    - sums["paid by", code, pool]
                )
            assert e.balance(INSURANCE, code) == Balance(INSURANCE_FUNDS - sums["paid by", code, INSURANCE], 0)

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


TestExchangeMachine = pytest.mark.slow(ExchangeMachine.TestCase)
