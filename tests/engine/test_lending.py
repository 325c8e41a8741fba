"""Loans: ``Borrow``, ``Repay``, ``ChargeInterest``, ``WriteOff``, ``SetInterestRate`` and ``Engine.requirement``.

Exact to the unit: every expected amount below is a literal worked out by hand (the arithmetic is in
the comments), so a change of rounding or of the hour rule shows up as a failure, not as a drift.
A rejected command must change nothing, not even the hour up to which interest was charged.
"""

from __future__ import annotations

import pytest

from engine import (
    HOUR_MS,
    RATE_DENOM,
    AssetSpec,
    BalanceChanged,
    Borrow,
    Borrowed,
    ChargeInterest,
    CommandRejected,
    DebtWrittenOff,
    Deposit,
    Engine,
    InterestCharged,
    InterestRateChanged,
    ListMarket,
    LotSize,
    MarketSpec,
    NotionalFilter,
    OrderAccepted,
    OrderRejected,
    OrderType,
    PlaceOrder,
    PriceFilter,
    RejectReason,
    Repaid,
    Repay,
    SelfTradePrevention,
    SetFeeRates,
    SetInterestRate,
    Side,
    Withdraw,
    WriteOff,
)
from engine.ledger import MAX_ACCOUNT_ID
from engine.units import INT64_SAFE

U = 10**8  # one coin of an 8-decimal asset
MINUTE = 60_000
DAY0 = 1_704_067_200_000  # 2024-01-01T00:00Z, a whole number of hours (473_352 h)
SYMBOL, USDT, BTC = "BTCUSDT", "USDT", "BTC"
TICK = STEP = U // 100  # 0.01 USDT per BTC, 0.01 BTC
POOL, INSURANCE, NOBODY = 100, 50, 77  # NOBODY was never funded
DAILY = 20_000  # 0.02 % a day over RATE_DENOM
BUY, SELL = Side.BUY, Side.SELL


def at(day: int, hour: int, minute: int = 0) -> int:
    """Milliseconds at ``day`` (0 = DAY0) ``hour``:``minute`` UTC."""
    return DAY0 + day * 24 * HOUR_MS + hour * HOUR_MS + minute * MINUTE


def lending_engine(rate: int = DAILY) -> Engine:
    """BTCUSDT, a USDT/BTC pool, traders 1 and 2 with 1000 USDT and 10 BTC, an insurance fund."""
    e = Engine()
    e.apply(
        ListMarket(
            MarketSpec(
                SYMBOL,
                AssetSpec(BTC),
                AssetSpec(USDT),
                price_filter=PriceFilter(TICK, 1_000_000 * U, TICK),
                lot_size=LotSize(STEP, 9000 * U, STEP),
                notional=NotionalFilter(min_notional=U),
            )
        )
    )
    e.apply(Deposit(POOL, USDT, 10**6 * U))
    e.apply(Deposit(POOL, BTC, 100 * U))
    for account in (1, 2):
        e.apply(Deposit(account, USDT, 1000 * U))
        e.apply(Deposit(account, BTC, 10 * U))
    e.apply(Deposit(INSURANCE, USDT, 1000 * U))
    e.apply(SetInterestRate(USDT, rate))
    return e


def free(e: Engine, account: int, asset: str = USDT) -> int:
    return e.balance(account, asset).free


# ---- rejections --------------------------------------------------------------------------------


def rejection_engine() -> Engine:
    """Account 1 owes USDT to POOL (borrowed at 13:20); account 3 owes 10 USDT and has none left."""
    e = lending_engine()
    e.apply(Borrow(1, USDT, 100 * U, POOL, at(0, 13, 20)))
    e.apply(Borrow(3, USDT, 10 * U, POOL, at(0, 13, 20)))
    e.apply(Withdraw(3, USDT, 10 * U))
    return e


LATER = at(0, 16, 5)  # three hours (14:00, 15:00, 16:00) due and not charged
# 100 USDT at 0.02 %/day: ceil(10**10 / 120_000) = ceil(83_333.33) = 83_334 an hour (principal x 20_000 / 2.4e9)
# = principal / 120_000; owed at 16:05 = 10**10 + 83_334 (on borrow) + 3 x 83_334 = 10_000_333_336
OWED_LATER = 10_000_333_336

REJECTIONS = [
    (Borrow(1, "NOPE", 1, POOL, LATER), RejectReason.UNKNOWN_ASSET),
    (Borrow(2, USDT, 1, NOBODY, LATER), RejectReason.UNKNOWN_ACCOUNT),  # a pool never funded
    (Borrow(2, USDT, 1, -1, LATER), RejectReason.UNKNOWN_ACCOUNT),
    (Borrow(2, USDT, 1, 2**70, LATER), RejectReason.UNKNOWN_ACCOUNT),
    (Borrow(POOL, USDT, 1, POOL, LATER), RejectReason.UNKNOWN_ACCOUNT),  # from itself
    (Borrow(0, USDT, 1, POOL, LATER), RejectReason.UNKNOWN_ACCOUNT),  # the fee account does not borrow
    (Borrow(MAX_ACCOUNT_ID + 1, USDT, 1, POOL, LATER), RejectReason.UNKNOWN_ACCOUNT),
    (Borrow(1, USDT, 1, 2, LATER), RejectReason.UNKNOWN_ACCOUNT),  # one loan per asset: from its own pool
    (Borrow(2, USDT, 10**6 * U - 110 * U + 1, POOL, LATER), RejectReason.POOL_INSUFFICIENT),
    (Borrow(2, BTC, 100 * U + 1, POOL, LATER), RejectReason.POOL_INSUFFICIENT),
    (Borrow(1, USDT, 10**6 * U, POOL, LATER), RejectReason.POOL_INSUFFICIENT),  # an existing loan: no catch-up
    (Borrow(2, USDT, 0, POOL, LATER), RejectReason.INVALID_AMOUNT),
    (Borrow(2, USDT, -5, POOL, LATER), RejectReason.INVALID_AMOUNT),
    (Borrow(2, USDT, INT64_SAFE, POOL, LATER), RejectReason.INVALID_AMOUNT),
    (Borrow(2, USDT, 2**70, POOL, LATER), RejectReason.INVALID_AMOUNT),
    (Borrow(1, USDT, INT64_SAFE // 2, POOL, LATER), RejectReason.INVALID_AMOUNT),  # liability would near 2**62
    (Repay(1, "NOPE", 1, LATER), RejectReason.UNKNOWN_ASSET),
    (Repay(2, USDT, 1, LATER), RejectReason.NO_LOAN),
    (Repay(1, BTC, 1, LATER), RejectReason.NO_LOAN),
    (Repay(NOBODY, USDT, 1, LATER), RejectReason.NO_LOAN),
    (Repay(1, USDT, 0, LATER), RejectReason.INVALID_AMOUNT),
    (Repay(1, USDT, -1, LATER), RejectReason.INVALID_AMOUNT),
    (Repay(1, USDT, 2**70, LATER), RejectReason.INVALID_AMOUNT),
    (Repay(1, USDT, OWED_LATER + 1, LATER), RejectReason.REPAY_EXCEEDS_LIABILITY),  # due interest counted
    (Repay(1, USDT, 10_000_083_334 + 1, at(0, 13, 59)), RejectReason.REPAY_EXCEEDS_LIABILITY),  # nothing due yet
    (Repay(3, USDT, 1, LATER), RejectReason.INSUFFICIENT_BALANCE),
    (SetInterestRate("NOPE", 1), RejectReason.UNKNOWN_ASSET),
    (SetInterestRate(USDT, -1), RejectReason.INVALID_RATE),
    (SetInterestRate(USDT, RATE_DENOM + 1), RejectReason.INVALID_RATE),
    (WriteOff(2, USDT, INSURANCE, LATER), RejectReason.NO_LOAN),
    (WriteOff(1, "NOPE", INSURANCE, LATER), RejectReason.NO_LOAN),
    (WriteOff(1, USDT, 1, LATER), RejectReason.UNKNOWN_ACCOUNT),  # the borrower cannot insure itself
    (WriteOff(1, USDT, POOL, LATER), RejectReason.UNKNOWN_ACCOUNT),  # nor the pool its own loss
    (WriteOff(1, USDT, NOBODY, LATER), RejectReason.UNKNOWN_ACCOUNT),
    (WriteOff(1, USDT, -3, LATER), RejectReason.UNKNOWN_ACCOUNT),
]


@pytest.mark.parametrize(
    ("command", "reason"), REJECTIONS, ids=[f"{type(c).__name__}-{r.name}-{i}" for i, (c, r) in enumerate(REJECTIONS)]
)
def test_every_rejection_changes_nothing(command: object, reason: RejectReason) -> None:
    e = rejection_engine()
    before = e.fingerprint()
    assert e.apply(command) == [CommandRejected(reason)]
    assert e.fingerprint() == before
    e.check_invariants()


def test_the_boundaries_of_the_rejections_are_accepted() -> None:
    """One unit inside each limit above is fine: the rejections are not off by one."""
    e = rejection_engine()
    assert isinstance(e.apply(Repay(1, USDT, OWED_LATER, LATER))[-1], Repaid)
    assert e.loan(1, USDT) is None
    pool_free = free(e, POOL)
    assert isinstance(e.apply(Borrow(2, USDT, pool_free, POOL, LATER))[2], Borrowed)
    assert free(e, POOL) == 0
    for rate in (0, RATE_DENOM):
        assert e.apply(SetInterestRate(USDT, rate)) == [InterestRateChanged(USDT, rate)]
    e.check_invariants()


def test_charging_back_in_time_or_for_an_account_without_loans_does_nothing() -> None:
    e = rejection_engine()
    before = e.fingerprint()
    assert e.apply(ChargeInterest(at(0, 13, 59))) == []
    assert e.apply(ChargeInterest(at(0, 9))) == []
    assert e.apply(ChargeInterest(at(0, 20), account=2)) == []
    assert e.fingerprint() == before


# ---- the life of a loan ------------------------------------------------------------------------


def test_borrow_moves_pool_funds_and_charges_the_first_hour_at_once() -> None:
    e = lending_engine()
    t = at(0, 13, 20)
    events = e.apply(Borrow(1, USDT, 1000 * U, POOL, t))
    # ceil(10**11 / 120_000) = ceil(833_333.33) = 833_334
    assert events == [
        BalanceChanged(POOL, USDT, -1000 * U, 999_000 * U),
        BalanceChanged(1, USDT, 1000 * U, 2000 * U),
        Borrowed(1, USDT, 1000 * U, 1000 * U, 0, t),
        InterestCharged(1, USDT, 833_334, 1000 * U, 833_334, DAILY, t, True),
    ]
    loan = e.loan(1, USDT)
    assert (loan.pool, loan.principal, loan.interest, loan.liability, loan.charged_hour) == (
        POOL,
        1000 * U,
        833_334,
        1000 * U + 833_334,
        t // HOUR_MS,
    )
    assert e.loans() == [loan] and e.loans(1) == [loan] and e.loans(2) == []
    assert e.interest_rate(USDT) == DAILY and e.interest_rate(BTC) == 0
    e.check_invariants()


def test_a_borrower_without_an_account_is_opened() -> None:
    e = lending_engine()
    e.apply(Borrow(9, USDT, 5 * U, POOL, at(0, 1)))
    assert 9 in e.accounts() and free(e, 9) == 5 * U
    e.check_invariants()


def test_the_loan_is_a_copy() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 5 * U, POOL, at(0, 1)))
    e.loan(1, USDT).principal = 1
    e.loans()[0].interest = 0
    assert e.loan(1, USDT).principal == 5 * U and e.loan(1, USDT).interest > 0


def test_repay_pays_interest_first_then_principal_and_the_loan_closes_at_zero() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    pool = free(e, POOL)
    # 833_334 of interest is owed: a repayment smaller than that pays interest only
    assert e.apply(Repay(1, USDT, 500_000, at(0, 13, 30))) == [
        BalanceChanged(1, USDT, -500_000, 2000 * U - 500_000),
        BalanceChanged(POOL, USDT, 500_000, pool + 500_000),
        Repaid(1, USDT, 500_000, 0, 1000 * U, 333_334, at(0, 13, 30)),
    ]
    # the rest of the interest (333_334), then 100 USDT of principal
    events = e.apply(Repay(1, USDT, 333_334 + 100 * U, at(0, 13, 40)))
    assert events[-1] == Repaid(1, USDT, 333_334, 100 * U, 900 * U, 0, at(0, 13, 40))
    # at 14:05 one more hour is due on 900 USDT: ceil(9 * 10**10 / 120_000) = 750_000 exactly
    events = e.apply(Repay(1, USDT, 900 * U + 750_000, at(0, 14, 5)))
    assert events[0] == InterestCharged(1, USDT, 750_000, 900 * U, 750_000, DAILY, at(0, 14), False)
    assert events[-1] == Repaid(1, USDT, 750_000, 900 * U, 0, 0, at(0, 14, 5))
    assert e.loan(1, USDT) is None and e.loans() == []
    # the pool got its 1000 USDT back plus 833_334 + 750_000 of interest; the borrower paid it
    assert free(e, POOL) == 10**6 * U + 1_583_334
    assert free(e, 1) == 1000 * U - 1_583_334
    e.check_invariants()


def test_a_new_borrow_in_the_same_hour_after_closing_pays_a_first_hour_again() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    e.apply(Repay(1, USDT, 1000 * U + 833_334, at(0, 13, 25)))
    events = e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 30)))
    assert events[-1] == InterestCharged(1, USDT, 833_334, 1000 * U, 833_334, DAILY, at(0, 13, 30), True)


def test_borrowing_more_charges_due_hours_on_the_old_principal_then_a_first_hour_on_the_new_amount() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    events = e.apply(Borrow(1, USDT, 500 * U, POOL, at(0, 15, 40)))
    # 14:00 and 15:00 on 1000 USDT (833_334 each), then the 500 USDT's first hour: ceil(416_666.67) = 416_667
    assert [ev for ev in events if isinstance(ev, (InterestCharged, Borrowed))] == [
        InterestCharged(1, USDT, 833_334, 1000 * U, 2 * 833_334, DAILY, at(0, 14), False),
        InterestCharged(1, USDT, 833_334, 1000 * U, 3 * 833_334, DAILY, at(0, 15), False),
        Borrowed(1, USDT, 500 * U, 1500 * U, 3 * 833_334, at(0, 15, 40)),
        InterestCharged(1, USDT, 416_667, 500 * U, 3 * 833_334 + 416_667, DAILY, at(0, 15, 40), True),
    ]


def test_a_loan_taken_on_the_hour_is_charged_that_hour_once() -> None:
    """Borrowed at 14:00:00.000: the borrow's charge is the 14:00 hour's; the next is at 15:00."""
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 14)))
    assert e.apply(ChargeInterest(at(0, 14))) == [] and e.apply(ChargeInterest(at(0, 15) - 1)) == []
    assert e.apply(ChargeInterest(at(0, 15))) == [
        InterestCharged(1, USDT, 833_334, 1000 * U, 2 * 833_334, DAILY, at(0, 15), False)
    ]
    # repaying on the hour owes that hour: 16:00 is due at 16:00:00.000
    assert e.apply(Repay(1, USDT, 1000 * U + 3 * 833_334 + 1, at(0, 16))) == [
        CommandRejected(RejectReason.REPAY_EXCEEDS_LIABILITY)
    ]
    assert e.apply(Repay(1, USDT, 1000 * U + 3 * 833_334, at(0, 16)))[-1] == Repaid(
        1, USDT, 3 * 833_334, 1000 * U, 0, 0, at(0, 16)
    )


def test_charge_interest_for_one_account_leaves_the_others_alone() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    e.apply(Borrow(2, USDT, 1000 * U, POOL, at(0, 13, 20)))
    events = e.apply(ChargeInterest(at(0, 15), account=2))
    assert {ev.account for ev in events} == {2} and len(events) == 2
    assert e.loan(1, USDT).interest == 833_334 and e.loan(2, USDT).interest == 3 * 833_334
    e.apply(ChargeInterest(at(0, 15)))
    assert e.loan(1, USDT).interest == e.loan(2, USDT).interest


def test_a_rate_change_applies_from_the_next_charge() -> None:
    """The rate has no time of its own: hours charged after the change use the new rate, including
    hours that began before it but were not charged yet (a caller charges up to now first)."""
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1200 * U, POOL, at(0, 13, 20)))  # 1.2e11 / 120_000 = 1_000_000 an hour
    e.apply(ChargeInterest(at(0, 14, 30)))
    assert e.loan(1, USDT).interest == 2_000_000
    before = e.fingerprint()
    assert e.apply(SetInterestRate(USDT, 2 * DAILY)) == [InterestRateChanged(USDT, 2 * DAILY)]
    assert e.fingerprint() != before and e.loan(1, USDT).interest == 2_000_000  # nothing charged by the change
    events = e.apply(ChargeInterest(at(0, 16, 10)))  # 15:00 and 16:00 at the doubled rate
    assert [(ev.amount, ev.daily_rate) for ev in events] == [(2_000_000, 2 * DAILY)] * 2
    e.apply(SetInterestRate(USDT, 0))
    e.apply(ChargeInterest(at(1, 0)))
    assert e.loan(1, USDT).interest == 6_000_000  # eight free hours: 17:00 .. 00:00
    e.apply(SetInterestRate(USDT, DAILY))
    e.apply(ChargeInterest(at(0, 23)))  # already charged: nothing
    assert e.loan(1, USDT).interest == 6_000_000


def test_write_off_covered_in_full_by_the_insurance_fund() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 100 * U, POOL, at(0, 13, 20)))  # 83_334 an hour
    ins, pool = free(e, INSURANCE), free(e, POOL)
    events = e.apply(WriteOff(1, USDT, INSURANCE, at(0, 14, 1)))
    assert events == [
        InterestCharged(1, USDT, 83_334, 100 * U, 166_668, DAILY, at(0, 14), False),
        BalanceChanged(INSURANCE, USDT, -(100 * U + 166_668), ins - (100 * U + 166_668)),
        BalanceChanged(POOL, USDT, 100 * U + 166_668, pool + 100 * U + 166_668),
        DebtWrittenOff(1, USDT, 100 * U, 166_668, 100 * U + 166_668, INSURANCE, at(0, 14, 1)),
    ]
    assert e.loan(1, USDT) is None
    assert free(e, 1) == 1100 * U  # the borrower keeps what it borrowed: the write-off is the house's loss
    e.check_invariants()


def test_write_off_covered_in_part_or_not_at_all() -> None:
    e = lending_engine()
    e.apply(Borrow(1, USDT, 2000 * U, POOL, at(0, 13, 20)))  # more than the fund's 1000 USDT
    e.apply(Borrow(2, USDT, 10 * U, POOL, at(0, 13, 20)))
    pool = free(e, POOL)
    events = e.apply(WriteOff(1, USDT, INSURANCE, at(0, 13, 30)))
    # 2000 USDT's first hour: ceil(2 * 10**11 / 120_000) = ceil(1_666_666.67) = 1_666_667
    assert events[-1] == DebtWrittenOff(1, USDT, 2000 * U, 1_666_667, 1000 * U, INSURANCE, at(0, 13, 30))
    assert free(e, INSURANCE) == 0 and free(e, POOL) == pool + 1000 * U
    events = e.apply(WriteOff(2, USDT, INSURANCE, at(0, 13, 30)))  # nothing left to pay with
    assert events == [DebtWrittenOff(2, USDT, 10 * U, 8_334, 0, INSURANCE, at(0, 13, 30))]
    assert free(e, POOL) == pool + 1000 * U and e.loans() == []
    e.check_invariants()


# ---- a simulated day, by hand --------------------------------------------------------------------


HOUR_INTEREST = 833_334  # 1000 USDT at 0.02 %/day: 10**11 * 20_000 / (24 * 10**8) = 833_333.33.. -> 833_334


@pytest.mark.parametrize("every_minute", [True, False], ids=["charged-every-minute", "charged-at-the-end"])
def test_a_day_of_interest_on_1000_usdt(every_minute: bool) -> None:
    """Borrowed 13:20 day 0, held to 13:20 day 1: the borrow hour, 14:00..23:00 (10), 00:00..13:00
    (14) = 25 hours; 25 x 833_334 = 20_833_350 units = 0.2083335 USDT (exact: 0.20833333)."""
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    if every_minute:
        for minute in range(1, 24 * 60 + 1):
            e.apply(ChargeInterest(at(0, 13, 20 + minute)))
    else:
        e.apply(ChargeInterest(at(1, 13, 20)))
    assert HOUR_INTEREST == -(-(10**11) * DAILY // (24 * RATE_DENOM))
    assert e.loan(1, USDT).interest == 20_833_350 == 25 * HOUR_INTEREST
    assert e.loan(1, USDT).charged_hour == at(1, 13) // HOUR_MS
    e.check_invariants()


def test_binance_example_1000_usdt_from_13_20_to_14_15_costs_two_hours() -> None:
    """Binance's example: 1000 USDT at 0.02 %/day from 13:20 to 14:15 is charged two hours,
    0.01666667 USDT; an hour rounded up to the unit each gives 2 x 833_334 = 1_666_668 units."""
    e = lending_engine()
    e.apply(Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)))
    repaid_at = at(0, 14, 15)
    assert e.apply(Repay(1, USDT, 1000 * U + 1_666_669, repaid_at)) == [
        CommandRejected(RejectReason.REPAY_EXCEEDS_LIABILITY)
    ]
    events = e.apply(Repay(1, USDT, 1000 * U + 1_666_668, repaid_at))
    assert events[-1] == Repaid(1, USDT, 1_666_668, 1000 * U, 0, 0, repaid_at)
    assert e.loan(1, USDT) is None
    assert free(e, 1) == 1000 * U - 1_666_668 and free(e, POOL) == 10**6 * U + 1_666_668


@pytest.mark.parametrize("every_minute", [True, False], ids=["charged-every-minute", "charged-only-by-the-commands"])
def test_a_day_with_a_second_borrow_and_a_partial_repay(every_minute: bool) -> None:
    """Per hour, interest is ceil(principal / 120_000) (principal x 20_000 / 2.4e9):

    13:20  borrow 1000 USDT (10**11):   first hour            833_334
    14:00, 15:00 on 10**11:             2 x 833_334         1_666_668
    15:40  borrow 500 USDT (5 x 10**10): its first hour, ceil(416_666.67)   416_667
    16:00, 17:00, 18:00 on 1.5 x 10**11: 3 x 1_250_000 (exact) 3_750_000
           interest owed at 18:30:  833_334 + 1_666_668 + 416_667 + 3_750_000 = 6_666_669
    18:30  repay 200 USDT (2 x 10**10): interest 6_666_669 first, principal 19_993_333_331;
           principal left 1.5 x 10**11 - 19_993_333_331 = 130_006_666_669
    19:00..23:00 (5) and 00:00..13:00 (14) = 19 hours on 130_006_666_669:
           ceil(1_083_388.89) = 1_083_389 each, 19 x 1_083_389 = 20_584_391
    charged over the day: 6_666_669 + 20_584_391 = 27_251_060; owed at 13:20 day 1: 20_584_391.
    """
    e = lending_engine()
    plan = {
        at(0, 13, 20): Borrow(1, USDT, 1000 * U, POOL, at(0, 13, 20)),
        at(0, 15, 40): Borrow(1, USDT, 500 * U, POOL, at(0, 15, 40)),
        at(0, 18, 30): Repay(1, USDT, 200 * U, at(0, 18, 30)),
    }
    charged: list[InterestCharged] = []
    repaid: list[Repaid] = []
    for minute in range(0, 24 * 60 + 1):
        now = at(0, 13, 20 + minute)
        events = e.apply(plan[now]) if now in plan else []
        if every_minute or now == at(1, 13, 20):
            events += e.apply(ChargeInterest(now))
        charged += [ev for ev in events if isinstance(ev, InterestCharged)]
        repaid += [ev for ev in events if isinstance(ev, Repaid)]
    assert repaid == [Repaid(1, USDT, 6_666_669, 19_993_333_331, 130_006_666_669, 0, at(0, 18, 30))]
    assert sum(ev.amount for ev in charged) == 27_251_060
    assert len(charged) == 26  # 25 hours, and the second borrow's own first hour
    assert [ev.amount for ev in charged if not ev.on_borrow][-19:] == [1_083_389] * 19
    loan = e.loan(1, USDT)
    assert (loan.principal, loan.interest) == (130_006_666_669, 20_584_391)
    e.check_invariants()


# ---- requirement -----------------------------------------------------------------------------


def book_with_asks(e: Engine) -> None:
    """Account 2 offers 0.3 BTC at 101 and 0.5 BTC at 102, bids 0.4 BTC at 99."""
    for side, price, qty in ((SELL, 101 * U, 30 * STEP), (SELL, 102 * U, 50 * STEP), (BUY, 99 * U, 40 * STEP)):
        assert isinstance(e.apply(PlaceOrder(SYMBOL, 2, side, OrderType.LIMIT, qty, price))[0], OrderAccepted)


REQUIREMENTS = [
    # LIMIT BUY 0.5 BTC at 100 USDT: 100 x 0.5 = 50 USDT
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT, 50 * STEP, 100 * U), (None, USDT, 50 * U)),
    # at a price that would take the asks it still locks price x quantity: 0.5 x 150 = 75 USDT
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT, 50 * STEP, 150 * U), (None, USDT, 75 * U)),
    (PlaceOrder(SYMBOL, 3, SELL, OrderType.LIMIT, 37 * STEP, 100 * U), (None, BTC, 37 * STEP)),
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.MARKET, quote_quantity=123_456_789), (None, USDT, 123_456_789)),
    # MARKET BUY 0.6 BTC: 0.3 at 101 + 0.3 at 102 = 30.3 + 30.6 = 60.9 USDT
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.MARKET, 60 * STEP), (None, USDT, 6_090_000_000)),
    # more than the book holds: what all of it costs, 30.3 + 51 = 81.3 USDT
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.MARKET, 200 * STEP), (None, USDT, 8_130_000_000)),
    (PlaceOrder(SYMBOL, 3, SELL, OrderType.MARKET, 25 * STEP), (None, BTC, 25 * STEP)),
    # MARKET SELL for 19.8 USDT: at most 0.2 BTC into the bid at 99
    (PlaceOrder(SYMBOL, 3, SELL, OrderType.MARKET, quote_quantity=1_980_000_000), (None, BTC, 20 * STEP)),
    (
        PlaceOrder(SYMBOL, 3, BUY, OrderType.STOP_LOSS_LIMIT, 10 * STEP, 105 * U, stop_price=104 * U),
        (None, USDT, 1050 * U // 100),
    ),
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT, 50 * STEP + 1, 100 * U), (RejectReason.LOT_SIZE, USDT, 0)),
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT, 50 * STEP, 100 * U + 1), (RejectReason.PRICE_FILTER, USDT, 0)),
    (PlaceOrder(SYMBOL, 3, SELL, OrderType.LIMIT, STEP, 1 * U), (RejectReason.NOTIONAL, BTC, 0)),  # 0.01 USDT
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT_MAKER, STEP * 10, 101 * U), (RejectReason.WOULD_TAKE, USDT, 0)),
    (
        PlaceOrder(SYMBOL, 3, BUY, OrderType.MARKET, 10 * STEP, quote_quantity=U),
        (RejectReason.INVALID_QUANTITY, USDT, 0),
    ),
    (PlaceOrder(SYMBOL, NOBODY, BUY, OrderType.LIMIT, STEP, 100 * U), (RejectReason.UNKNOWN_ACCOUNT, USDT, 0)),
    (PlaceOrder(SYMBOL, 0, SELL, OrderType.LIMIT, STEP, 100 * U), (RejectReason.UNKNOWN_ACCOUNT, BTC, 0)),
    (PlaceOrder("NOPE", 3, BUY, OrderType.LIMIT, STEP, 100 * U), (RejectReason.UNKNOWN_MARKET, "", 0)),
    (PlaceOrder(SYMBOL, 3, BUY, OrderType.LIMIT, 2**70, 100 * U), (RejectReason.LOT_SIZE, USDT, 0)),  # beyond int64
]


@pytest.mark.parametrize(("order", "expected"), REQUIREMENTS, ids=[str(i) for i in range(len(REQUIREMENTS))])
def test_requirement_is_the_exact_lock_and_changes_nothing(order: PlaceOrder, expected: tuple) -> None:
    """Account 3 is live with nothing at all: the answer is what it would need, not its balance."""
    e = lending_engine()
    book_with_asks(e)
    e.apply(SetFeeRates(3, 0, 0))  # opens account 3 with no balance
    before = e.fingerprint()
    assert e.requirement(order) == expected
    assert e.fingerprint() == before
    assert all(b.free == 0 and b.locked == 0 for b in e.balances(3).values())
    reason, asset, units = expected
    if reason is None:  # exact: one unit less is refused, the amount itself is enough
        if units > 1:
            e.apply(Deposit(3, asset, units - 1))
            assert e.apply(order) == [OrderRejected(RejectReason.INSUFFICIENT_BALANCE, 0, SYMBOL)]
            e.apply(Deposit(3, asset, 1))
        else:
            e.apply(Deposit(3, asset, units))
        assert isinstance(e.apply(order)[0], OrderAccepted)
        e.check_invariants()


def test_requirement_keeps_a_funded_accounts_balance_and_skips_its_own_asks_under_stp() -> None:
    e = lending_engine()
    book_with_asks(e)
    e.apply(PlaceOrder(SYMBOL, 1, SELL, OrderType.LIMIT, 10 * STEP, 100 * U))  # account 1's own ask, best
    before, balances = e.fingerprint(), e.balances(1)
    # no STP: the own ask counts, 0.1 at 100 + 0.2 at 101 = 10 + 20.2 = 30.2 USDT
    assert e.requirement(PlaceOrder(SYMBOL, 1, BUY, OrderType.MARKET, 30 * STEP)) == (None, USDT, 3_020_000_000)
    # expiring the taker on a self-trade: its own ask is skipped, 0.3 at 101 = 30.3 USDT
    assert e.requirement(
        PlaceOrder(SYMBOL, 1, BUY, OrderType.MARKET, 30 * STEP, stp=SelfTradePrevention.EXPIRE_TAKER)
    ) == (None, USDT, 3_030_000_000)
    # beyond its balance: still the lock, not a rejection
    assert e.requirement(PlaceOrder(SYMBOL, 1, BUY, OrderType.LIMIT, 8000 * U, 100 * U)) == (None, USDT, 800_000 * U)
    assert e.fingerprint() == before and e.balances(1) == balances
