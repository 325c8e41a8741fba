"""Maker and taker commissions: one rounding rule, in the house's favour.

A fee is charged on what a trade gives its party, in that asset: ``ceil(received x rate /
RATE_DENOM)``. Rounding up means the fee account never receives less than the exact fee and a
trade never mints a fraction of a unit. Fees go to the fee account (ledger row 0), which counts
in every conservation sum.
"""

from __future__ import annotations

from .units import RATE_DENOM

DEFAULT_MAKER_RATE = 100_000  # 0.1%
DEFAULT_TAKER_RATE = 100_000  # 0.1%


def fee(received: int, rate: int) -> int:
    """The commission on ``received`` units at ``rate`` / RATE_DENOM, rounded up.

    Written without helpers so the compiled settlement inlines this same function."""
    return (received // RATE_DENOM) * rate + -((-(received % RATE_DENOM) * rate) // RATE_DENOM)


def valid_rate(rate: int) -> bool:
    return 0 <= rate <= RATE_DENOM
