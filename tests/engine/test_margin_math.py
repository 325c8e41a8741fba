"""The margin arithmetic in ``engine.margin``: exact against fractions, and each limit is the limit.

Values are integers in a reference asset's units, ratios integers over RATE_DENOM; every rounding
must err on the house's side, so the checks below compare with exact rational arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from engine.margin import (
    hourly_interest,
    margin_level,
    margin_level_at_least,
    max_borrow_value,
    max_withdraw_value,
    valid_daily_rate,
)
from engine.units import INT64_SAFE, RATE_DENOM

VALUES = st.integers(0, INT64_SAFE)
SMALL = st.integers(0, 10_000)  # small values hit the rounding boundaries often
AMOUNTS = st.one_of(SMALL, VALUES)
RATIOS = st.one_of(st.integers(RATE_DENOM, 3 * RATE_DENOM), st.integers(0, 20 * RATE_DENOM))
LEVERAGES = st.integers(2, 125)


def ratio_of(leverage: int) -> Fraction:
    """The margin level at the borrowing limit: L / (L - 1)."""
    return Fraction(leverage, leverage - 1)


# ---- examples by hand ------------------------------------------------------------------------


def test_examples() -> None:
    assert margin_level(1_500, 1_000) == 150_000_000  # 1.5
    assert margin_level(1_000, 3) == 33_333_333_333  # 333.33.. rounded down
    assert margin_level(5, 0) is None
    assert margin_level_at_least(1_100, 1_000, 110_000_000) and not margin_level_at_least(1_099, 1_000, 110_000_000)
    assert margin_level_at_least(0, 0, 10 * RATE_DENOM)  # no debt: any level
    # 3x: equity 1000, debt may reach 2 x 1000 = 2000; with 0 debt borrow 2000, level 3000 / 2000 = 1.5 = 3 / 2
    assert max_borrow_value(1_000, 0, 3) == 2_000
    assert max_borrow_value(1_500, 500, 3) == 1_500  # equity 1000: debt may reach 2000, 500 already owed
    assert max_borrow_value(1_000, 900, 3) == 0  # level 1.11 below 1.5: nothing more
    assert max_borrow_value(1_000, 1_000, 10) == 0
    # level 1.1 on 1000 of debt needs 1100 of assets: 400 of 1500 may leave; a debt of 1001 needs 1101.1 -> 1102
    assert max_withdraw_value(1_500, 1_000, 110_000_000) == 400
    assert max_withdraw_value(1_500, 1_001, 110_000_000) == 398
    assert max_withdraw_value(1_000, 1_000, 110_000_000) == 0
    assert max_withdraw_value(700, 0, 110_000_000) == 700
    # hourly interest, rounded up: 1000 USDT (10**11 units) at 0.02 %/day = 833_333.33.. -> 833_334
    assert hourly_interest(10**11, 20_000) == 833_334
    assert hourly_interest(12 * 10**10, 20_000) == 1_000_000  # exact: no rounding
    assert hourly_interest(1, 1) == 1 and hourly_interest(0, RATE_DENOM) == 0 and hourly_interest(10**9, 0) == 0
    assert [valid_daily_rate(r) for r in (-1, 0, RATE_DENOM, RATE_DENOM + 1)] == [False, True, True, False]


# ---- properties --------------------------------------------------------------------------------


@given(assets=AMOUNTS, debt=AMOUNTS, ratio=RATIOS)
def test_margin_level_and_the_threshold_agree_with_fractions(assets: int, debt: int, ratio: int) -> None:
    exact = None if debt == 0 else Fraction(assets, debt)
    assert margin_level_at_least(assets, debt, ratio) == (exact is None or exact >= Fraction(ratio, RATE_DENOM))
    level = margin_level(assets, debt)
    if exact is None:
        assert level is None
    else:  # rounded down: never shows an account safer than it is
        assert Fraction(level, RATE_DENOM) <= exact < Fraction(level + 1, RATE_DENOM)
        assert margin_level_at_least(assets, debt, level) and not margin_level_at_least(assets, debt, level + 1)


@given(assets=AMOUNTS, debt=AMOUNTS, leverage=LEVERAGES)
def test_max_borrow_reaches_exactly_the_leverage_limit(assets: int, debt: int, leverage: int) -> None:
    """Borrowing ``b`` adds ``b`` to both sides. After borrowing the maximum the level is at least
    L / (L - 1), exactly that when anything could be borrowed; one unit more goes below it."""
    b = max_borrow_value(assets, debt, leverage)
    assert b >= 0
    limit = ratio_of(leverage)
    floor_ratio = leverage * RATE_DENOM // (leverage - 1)  # L / (L - 1) over RATE_DENOM, rounded down
    if b > 0:
        assert Fraction(assets + b, debt + b) == limit
        assert margin_level(assets + b, debt + b) == floor_ratio
        assert margin_level_at_least(assets + b, debt + b, floor_ratio)
        assert Fraction(assets + b + 1, debt + b + 1) < limit
        assert (debt + b) == (leverage - 1) * (assets - debt)  # debt = (L - 1) x equity
    elif debt > 0:  # nothing to borrow: already at or past the limit
        assert Fraction(assets, debt) <= limit
        assert Fraction(assets + 1, debt + 1) < limit
    else:  # no debt and nothing to borrow: nothing to borrow against
        assert assets == 0


@given(assets=AMOUNTS, debt=AMOUNTS, ratio=RATIOS)
def test_max_withdraw_keeps_the_ratio_and_one_unit_more_breaks_it(assets: int, debt: int, ratio: int) -> None:
    w = max_withdraw_value(assets, debt, ratio)
    assert 0 <= w <= assets
    if debt == 0:
        assert w == assets
        return
    need = -(-debt * ratio // RATE_DENOM)  # the least assets that keep the ratio: ceil(debt x ratio)
    assert w == max(0, assets - need)
    # what stays keeps the ratio unless the account was already below it (then nothing may leave)
    assert margin_level_at_least(assets - w, debt, ratio) == (assets >= need)
    if w < assets:  # one unit more would break it
        assert not margin_level_at_least(assets - w - 1, debt, ratio)


@given(principal=AMOUNTS, rate=st.integers(0, RATE_DENOM))
def test_hourly_interest_is_a_24th_of_a_day_rounded_up(principal: int, rate: int) -> None:
    exact = Fraction(principal * rate, 24 * RATE_DENOM)
    h = hourly_interest(principal, rate)
    assert exact <= h < exact + 1
