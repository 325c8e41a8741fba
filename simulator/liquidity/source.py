"""What every liquidity source is to the simulator: something that, told the time, trades.

Sources (synthetic markets, historical replay, a live mirror, the static book) act only through
the venue, with house accounts that are ordinary accounts, so the conservation invariant and
the order rules cover them like any user. A driver calls ``advance`` with the venue's clock;
each source does everything due up to that time and says when it next has work.
"""

from __future__ import annotations

from typing import Protocol

from ..venue import Venue


class LiquiditySource(Protocol):
    def start(self, venue: Venue, now: int) -> None:
        """Open the house accounts and put up the first quotes."""
        ...

    def advance(self, venue: Venue, now: int) -> None:
        """Do everything due at or before ``now`` (ms), in time order; called with the venue's lock held."""
        ...

    def next_due(self) -> int | None:
        """When this source next has something to do (ms), or None if it is finished."""
        ...
