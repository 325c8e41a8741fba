"""Where the simulator's time comes from: the wall, or a hand that moves it (tests, replay).

Times are milliseconds since the Unix epoch; the lengths below are the simulator's only
definitions of them (the hour is the engine's, which charges interest by it).
"""

from __future__ import annotations

import time
from typing import Protocol

from engine import HOUR_MS

SECOND_MS = 1_000
MINUTE_MS = 60 * SECOND_MS
DAY_MS = 24 * HOUR_MS
WEEK_MS = 7 * DAY_MS
# The latest startTime/endTime accepted (ms): Binance takes any large one; this keeps int64 sums safe.
MAX_TIME = 2**62

__all__ = [
    "DAY_MS",
    "HOUR_MS",
    "MAX_TIME",
    "MINUTE_MS",
    "SECOND_MS",
    "WEEK_MS",
    "Clock",
    "ManualClock",
    "ScaledClock",
    "WallClock",
]


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class WallClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """Time that moves only when told: deterministic tests, replay and simulated time."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def set(self, ms: int) -> None:
        if ms < self._now:
            raise ValueError(f"time cannot go back: {ms} < {self._now}")
        self._now = ms

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError(f"cannot advance by a negative {ms} ms")
        self._now += ms


class ScaledClock:
    """Simulated time that runs ``speed`` times as fast as the wall from ``start_ms`` (replay in serve)."""

    def __init__(self, start_ms: int, speed: int = 1, wall: Clock | None = None) -> None:
        if speed < 1:
            raise ValueError(f"speed must be a whole number >= 1, got {speed}")
        self._wall = wall or WallClock()
        self._origin = self._wall.now_ms()
        self._start = start_ms
        self.speed = speed

    def now_ms(self) -> int:
        return self._start + (self._wall.now_ms() - self._origin) * self.speed
