"""Margin: loans from a lending pool, hourly interest, and the risk arithmetic of a margin account.

A loan is a claim, not money: borrowing moves free balance from the pool account to the borrower
and records what is owed; repaying moves it back. Interest only grows the claim, so the ledger's
conservation holds through every margin command, and the pool's free balance plus what it has lent
is what it was funded with, plus interest repaid, less debts written off.

Interest follows Binance's rule: simple interest on the principal, one hour charged at the moment
of borrowing, then one hour at the start of every hour (xx:00) while the loan is open; an hour's
interest is ``ceil(principal * daily_rate / (24 * RATE_DENOM))`` (rounded for the house) and is
added to the liability. Valuation and thresholds are plain integer functions below: the caller
supplies the values, because what a price is (mid, last, index) is the venue's policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .units import RATE_DENOM, mul_div_ceil

HOUR_MS = 3_600_000


@dataclass(slots=True)
class Loan:
    """What ``account`` owes of ``asset`` to ``pool``."""

    account: int
    asset: str
    pool: int
    principal: int
    interest: int
    charged_hour: int  # the last hour (time // HOUR_MS) whose interest has been charged

    @property
    def liability(self) -> int:
        return self.principal + self.interest


def hourly_interest(principal: int, daily_rate: int) -> int:
    """One hour's interest on ``principal`` at ``daily_rate`` / RATE_DENOM a day, rounded up."""
    return mul_div_ceil(principal, daily_rate, 24 * RATE_DENOM)


def valid_daily_rate(rate: int) -> bool:
    return 0 <= rate <= RATE_DENOM


# ---- risk -----------------------------------------------------------------------------------------
# Values are integers in one reference asset's units (assets rounded down, debts rounded up, so each
# rounding errs on the house's side); ratios are integers over RATE_DENOM (1.1 = 110_000_000).


def margin_level_at_least(assets: int, debt: int, ratio: int) -> bool:
    """assets / debt >= ratio / RATE_DENOM (an account without debt is at an infinite level)."""
    return debt == 0 or assets * RATE_DENOM >= debt * ratio


def margin_level(assets: int, debt: int) -> int | None:
    """assets / debt over RATE_DENOM, rounded down; None without debt (Binance shows 999)."""
    return None if debt == 0 else assets * RATE_DENOM // debt


def max_borrow_value(assets: int, debt: int, leverage: int) -> int:
    """How much more value an account may borrow at ``leverage`` (a whole number, e.g. 3 or 10):
    total debt may reach (leverage - 1) x equity, equity being assets less debt (borrowing adds to
    both, so it does not change equity). At that limit the margin level is leverage / (leverage - 1)."""
    return max(0, (leverage - 1) * (assets - debt) - debt)


def max_withdraw_value(assets: int, debt: int, ratio: int) -> int:
    """How much value can leave the account while assets / debt stays at or above ``ratio``."""
    if debt == 0:
        return assets
    return max(0, assets - mul_div_ceil(debt, ratio, RATE_DENOM))
