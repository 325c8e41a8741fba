"""What a mirror feed hands the live mirror: observations of an external market, in integer units.

A *feed* turns an exchange's public data into timestamped observations in integer asset units:
order-book snapshots and public trades. The mirror (``mirror.LiveMirror``) only ever sees these,
so where they come from (a live exchange, a recording) is the feed's business alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from engine import Side


@dataclass(frozen=True, slots=True)
class BookSnapshot:
    """The external book at ``time`` (ms): (price, quantity) levels in asset units, best first."""

    time: int
    bids: tuple[tuple[int, int], ...]
    asks: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """One external trade at ``time`` (ms), in asset units; ``taker_side`` is the aggressor's."""

    time: int
    price: int
    qty: int
    taker_side: Side
    trade_id: str | None = None


Observation = BookSnapshot | PublicTrade


@runtime_checkable
class MirrorFeed(Protocol):
    """Timestamped observations of one external market, in integer units of these decimals."""

    price_decimals: int
    qty_decimals: int

    def start(self) -> None:
        """Begin receiving (connect, start a background thread); a no-op for a recording."""
        ...

    def poll(self, now: int) -> list[Observation]:
        """Every received observation timed at or before ``now``, oldest first; never blocks."""
        ...

    def next_time(self) -> int | None:
        """The earliest time ``poll`` may return something; None once the feed is finished."""
        ...

    def close(self) -> None: ...
