"""Integer amounts and the exact arithmetic on them.

Amounts are integers everywhere in the engine: ``Units`` of an asset (10**-decimals of one coin),
``Ticks`` of price and ``Lots`` of quantity of a market. Rates (fees, price multipliers) are
integers over ``RATE_DENOM``. Every division of an amount goes through the two helpers below, so
each rounding has a direction chosen on purpose.
"""

from __future__ import annotations

from typing import NewType

Units = NewType("Units", int)
Ticks = NewType("Ticks", int)
Lots = NewType("Lots", int)

RATE_DENOM = 10**8  # 0.1% = 100_000; a multiplier of 5 = 500_000_000
INT64_SAFE = 1 << 62  # every amount, balance and notional stays below this (no int64 overflow)


def mul_div_floor(a: int, b: int, d: int) -> int:
    """floor(a * b / d) for a, b >= 0 and d > 0, without forming a * b (no int64 overflow)."""
    return (a // d) * b + (a % d) * b // d


def mul_div_ceil(a: int, b: int, d: int) -> int:
    """ceil(a * b / d) for a, b >= 0 and d > 0, without forming a * b (no int64 overflow)."""
    return (a // d) * b + -((-(a % d) * b) // d)
