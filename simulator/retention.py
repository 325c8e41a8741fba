"""Dropping the oldest rows of a time-ordered history, in batches, inside the change that adds one.

A trim runs at the time of the change that appended the newest row, never on a timer, so that a
replay of the journal drops exactly the rows the original run dropped.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload


class Timed(Protocol):
    """A row that carries its own time (an order record, a fill, a desk's record)."""

    @property
    def time(self) -> int: ...


Row = TypeVar("Row")
TimedRow = TypeVar("TimedRow", bound=Timed)

TRIM_SLACK = 64  # the fewest rows a trim drops at once, so that trimming costs amortised O(1) per row


def row_time(row: Timed) -> int:
    return row.time


@dataclass(frozen=True, slots=True)
class Retention:
    """At most ``max_rows`` rows, none older than ``keep_ms`` (0: no time limit)."""

    keep_ms: int
    max_rows: int

    @overload
    def trim(self, rows: list[TimedRow], now: int) -> list[TimedRow]: ...

    @overload
    def trim(self, rows: list[Row], now: int, time_of: Callable[[Row], int]) -> list[Row]: ...

    def trim(self, rows: list[Any], now: int, time_of: Callable[[Any], int] = row_time) -> list[Any]:
        """After a row joined ``rows`` (oldest first): drop the oldest if a batch of them is due (an
        eighth of the list, at least ``TRIM_SLACK``, beyond the cap or older than the retention at
        ``now``); returns the dropped rows (usually none)."""
        n = len(rows)
        s = max(TRIM_SLACK, n >> 3)
        if n < self.max_rows + s and not (self.keep_ms and n > s and time_of(rows[s - 1]) < now - self.keep_ms):
            return []
        end = n - self.max_rows
        if self.keep_ms:
            end = max(end, bisect_left(rows, now - self.keep_ms, key=time_of))
        if end <= 0:
            return []
        dropped = rows[:end]
        del rows[:end]
        return dropped
