"""Recordings of a mirror feed: JSON lines written by ``record``, replayed by ``RecordedFeed``.

One observation per line, numbers as exact decimal text, so a recording replays the same integer
units it was made from (for tests, demos and replaying a market session offline).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any

from engine import Side

from ..binance_errors import ApiError
from ..clock import Clock, WallClock
from ..wire import format_units_short, parse_units
from .mirror_feed import BookSnapshot, MirrorFeed, Observation, PublicTrade


def observation_to_json(obs: Observation, price_decimals: int = 8, qty_decimals: int = 8) -> dict[str, Any]:
    """One recording line: numbers as exact decimal text."""
    p, q = price_decimals, qty_decimals
    if isinstance(obs, BookSnapshot):
        return {
            "type": "book",
            "time": obs.time,
            "bids": [[format_units_short(a, p), format_units_short(b, q)] for a, b in obs.bids],
            "asks": [[format_units_short(a, p), format_units_short(b, q)] for a, b in obs.asks],
        }
    out: dict[str, Any] = {"type": "trade", "time": obs.time}
    if obs.trade_id is not None:
        out["id"] = obs.trade_id
    out |= {
        "price": format_units_short(obs.price, p),
        "qty": format_units_short(obs.qty, q),
        "side": obs.taker_side.name.lower(),
    }
    return out


def observation_from_json(data: dict[str, Any], price_decimals: int = 8, qty_decimals: int = 8) -> Observation:
    kind = data.get("type")
    t = data.get("time")
    if not isinstance(t, int) or isinstance(t, bool):
        raise TypeError(f"'time' must be an integer (ms), got {t!r}")
    p, q = price_decimals, qty_decimals
    if kind == "book":

        def levels(name: str) -> tuple[tuple[int, int], ...]:
            return tuple(
                (parse_units(a, p, f"{name}.price"), parse_units(b, q, f"{name}.qty")) for a, b in data.get(name, ())
            )

        return BookSnapshot(t, levels("bids"), levels("asks"))
    if kind == "trade":
        side = str(data.get("side", "")).upper()
        if side not in ("BUY", "SELL"):
            raise ValueError(f"'side' must be buy or sell, got {data.get('side')!r}")
        trade_id = data.get("id")
        return PublicTrade(
            t,
            parse_units(data["price"], p, "price"),
            parse_units(data["qty"], q, "qty"),
            Side[side],
            None if trade_id is None else str(trade_id),
        )
    raise ValueError(f"'type' must be book or trade, got {kind!r}")


# ---- recorded feed ---------------------------------------------------------------------------------


class RecordedFeed:
    """A JSON-lines recording, one observation per line, released as the clock passes each time.

    Lines are read lazily (a long recording is not loaded whole) and released in file order.
    ``start_at`` shifts every time so the first observation falls at that instant (to replay an
    old recording on the wall clock)."""

    def __init__(
        self, path: str | Path, *, start_at: int | None = None, price_decimals: int = 8, qty_decimals: int = 8
    ) -> None:
        self.path = Path(path)
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self._lines = self._read()
        self._next: Observation | None = next(self._lines, None)
        self._shift = 0
        if start_at is not None and self._next is not None:
            self._shift = start_at - self._next.time
            self._next = _shifted(self._next, self._shift)

    def _read(self) -> Generator[Observation, None, None]:
        with open(self.path, encoding="utf-8") as f:
            yield from _parse_lines(f, self.path, self.price_decimals, self.qty_decimals)

    def __iter__(self) -> Iterator[Observation]:
        """Every observation of the file from the start (independent of ``poll``)."""
        for obs in self._read():
            yield _shifted(obs, self._shift)

    def start(self) -> None:
        pass

    def poll(self, now: int) -> list[Observation]:
        out = []
        while self._next is not None and self._next.time <= now:
            out.append(self._next)
            nxt = next(self._lines, None)
            self._next = None if nxt is None else _shifted(nxt, self._shift)
        return out

    def next_time(self) -> int | None:
        return None if self._next is None else self._next.time

    def close(self) -> None:
        self._lines.close()
        self._next = None

    def __repr__(self) -> str:
        return f"RecordedFeed({str(self.path)!r})"


def _parse_lines(f: IO[str], path: Path, pd: int, qd: int) -> Iterator[Observation]:
    for n, line in enumerate(f, 1):
        if not line.strip():
            continue
        try:
            yield observation_from_json(json.loads(line), pd, qd)
        except (ValueError, KeyError, TypeError, ApiError) as e:
            raise ValueError(f"{path}:{n}: not an observation: {e}") from None


def _shifted(obs: Observation, shift: int) -> Observation:
    if not shift:
        return obs
    if isinstance(obs, BookSnapshot):
        return BookSnapshot(obs.time + shift, obs.bids, obs.asks)
    return PublicTrade(obs.time + shift, obs.price, obs.qty, obs.taker_side, obs.trade_id)


def record(
    feed: MirrorFeed,
    path: str | Path,
    duration_ms: int,
    *,
    clock: Clock | None = None,
    poll_ms: int = 50,
    sleep: Callable[[float], object] = time.sleep,
) -> int:
    """Write what ``feed`` observes for ``duration_ms`` of ``clock`` (wall by default) to ``path``
    as JSON lines that ``RecordedFeed`` replays; returns how many observations were written.
    The feed is started here and closed at the end."""
    clock = clock or WallClock()
    end = clock.now_ms() + duration_ms
    written = 0
    feed.start()
    try:
        with open(path, "w", encoding="utf-8") as f:
            while True:
                now = clock.now_ms()
                for obs in feed.poll(now):
                    f.write(
                        json.dumps(
                            observation_to_json(obs, feed.price_decimals, feed.qty_decimals), separators=(",", ":")
                        )
                        + "\n"
                    )
                    written += 1
                if now >= end:
                    return written
                sleep(min(poll_ms, end - now) / 1000)
    finally:
        feed.close()
