"""Round trips: the position's fills matched FIFO, each closing order against the oldest open lots."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from .formatting import EXACT, RATIO, dec
from .result import BacktestResult, Fill


@dataclass(slots=True)
class _Lot:
    """What is left of one opening fill."""

    time: int
    amount: Decimal
    price: Decimal


@dataclass(slots=True)
class _Trip:
    """One closing order's fills, matched against the oldest open lots."""

    open_time: int
    close_time: int
    sign: int  # +1 long, -1 short
    amount: Decimal = Decimal(0)
    entry_value: Decimal = Decimal(0)
    exit_value: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        pnl = EXACT.multiply(EXACT.subtract(self.exit_value, self.entry_value), Decimal(self.sign))
        return {
            "open_time": self.open_time,
            "close_time": self.close_time,
            "side": "long" if self.sign > 0 else "short",
            "amount": dec(self.amount),
            "entry_price": dec(RATIO.divide(self.entry_value, self.amount)),
            "exit_price": dec(RATIO.divide(self.exit_value, self.amount)),
            "pnl": dec(pnl),
        }


def _sign(fill: Fill) -> int:
    if fill.side not in ("buy", "sell"):
        raise ValueError(f"a fill's side is 'buy' or 'sell', not {fill.side!r}")
    return 1 if fill.side == "buy" else -1


def _close(lots: deque[_Lot], trip: _Trip, fill: Fill) -> Decimal:
    """Closes the oldest lots with the fill (FIFO, splitting a lot on a partial close); returns what is left of it."""
    left = fill.amount
    while left > 0 and lots:
        lot = lots[0]
        take = min(left, lot.amount)
        trip.amount += take
        trip.entry_value += EXACT.multiply(take, lot.price)
        trip.exit_value += EXACT.multiply(take, fill.price)
        lot.amount -= take
        left -= take
        if lot.amount == 0:
            lots.popleft()
    trip.close_time = fill.time
    return left


def _trips(fills: Iterable[Fill]) -> list[_Trip]:
    """FIFO round trips; consecutive fills of one closing order make one trip (so partial fills do not
    multiply trips); a fill that flips the position closes the old one and opens the rest."""
    lots: deque[_Lot] = deque()
    side = 0  # the open position's sign
    trips: list[_Trip] = []
    merging: int | None = None  # the order whose closing fill came last, if it left lots open
    with localcontext(EXACT):
        for fill in fills:
            sign, left = _sign(fill), fill.amount
            if lots and sign != side:
                if merging != fill.order_id:
                    trips.append(_Trip(lots[0].time, fill.time, side))
                left = _close(lots, trips[-1], fill)
            merging = fill.order_id if lots and sign != side else None
            if left > 0:
                lots.append(_Lot(fill.time, left, fill.price))
                side = sign
    return trips


def round_trips(result: BacktestResult) -> list[dict[str, Any]]:
    """The position's round trips, FIFO: each closing order against the oldest open lots.

    Prices are volume-weighted over the lots (entry) and fills (exit) matched; pnl is in the quote
    asset, gross of fees. Open lots at the end are not a round trip.
    """
    return [trip.as_dict() for trip in _trips(result.fills)]
