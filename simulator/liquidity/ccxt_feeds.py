"""Live mirror feeds over ccxt: ``CcxtPollingFeed`` (sync REST, any exchange) and
``CcxtProWatchFeed`` (ccxt.pro websockets).

They fetch in a background thread, never under the venue's lock, and queue what they receive;
``poll(now)`` hands out what is due. Numbers from ccxt (floats) are read through their exact
shortest text (``repr``) and parsed with ``simulator.wire.parse_units``; they are never multiplied
as floats.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Iterable
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from engine import Side

from ..binance_errors import ApiError
from ..clock import Clock, WallClock
from ..wire import decimal_to_units, float_text, parse_units
from .mirror_feed import BookSnapshot, Observation, PublicTrade

log = logging.getLogger("sandex.liquidity.mirror")


def _decimal(value: Any) -> Decimal:
    """A number as ccxt hands it (float, str, int, Decimal) -> its exact decimal text's value.

    A float is read through its shortest round-trip text ("1e-05" is "0.00001", "90000.01"), which
    is what the exchange sent; no float arithmetic happens anywhere."""
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):
        text = float_text(value)
    elif isinstance(value, (int, Decimal)):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise TypeError(f"not a number: {value!r}")
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not d.is_finite() or d < 0:
        raise ValueError(f"not a non-negative number: {value!r}")
    return d


def to_units(value: Any, decimals: int, rounding: str = ROUND_HALF_EVEN) -> int:
    """Exact when the value fits ``decimals`` (parsed by ``parse_units``); else rounded as told."""
    d = _decimal(value)
    try:
        return parse_units(format(d, "f"), decimals, "value")
    except ApiError:  # finer than the asset's precision: round explicitly
        return decimal_to_units(d, decimals, rounding)


class _SeenIds:
    """The last ``size`` trade keys: enough to drop the overlap between two fetches."""

    def __init__(self, size: int = 20_000) -> None:
        self._order: deque[object] = deque()
        self._set: set[object] = set()
        self._size = size

    def add(self, key: object) -> bool:
        """True if new."""
        if key in self._set:
            return False
        self._set.add(key)
        self._order.append(key)
        if len(self._order) > self._size:
            self._set.discard(self._order.popleft())
        return True


class _LiveFeed:
    """What the ccxt feeds share: a thread-safe time-ordered queue and ccxt -> units parsing."""

    def __init__(
        self,
        exchange: Any,
        symbol: str,
        *,
        limit: int | None,
        clock: Clock | None,
        price_decimals: int,
        qty_decimals: int,
    ) -> None:
        self.exchange = exchange
        self.symbol = symbol
        self.limit = limit
        self.clock = clock or WallClock()
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self.errors = 0  # failed fetches (network, exchange errors); the feed carries on
        self.last_error: str | None = None
        self.skipped = 0  # entries that could not be read (no side, bad number)
        self._heap: list[tuple[int, int, Observation]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._seen = _SeenIds()
        self._polled = 0
        self._closed = threading.Event()

    # -- queue --

    def _push(self, items: Iterable[Observation]) -> None:
        with self._lock:
            for obs in items:
                heapq.heappush(self._heap, (obs.time, next(self._seq), obs))

    def poll(self, now: int) -> list[Observation]:
        self._polled = max(self._polled, now)
        out = []
        with self._lock:
            while self._heap and self._heap[0][0] <= now:
                out.append(heapq.heappop(self._heap)[2])
        return out

    def pending(self) -> int:
        with self._lock:
            return len(self._heap)

    def next_time(self) -> int | None:
        with self._lock:
            if self._heap:
                return self._heap[0][0]
        if self._closed.is_set():
            return None
        return self._polled + 1  # anything may arrive: look again on the next tick

    # -- parsing --

    def _snapshot(self, ob: dict[str, Any], received: int) -> BookSnapshot:
        stamp = ob.get("timestamp")
        t = int(stamp) if isinstance(stamp, (int, float)) and stamp else received
        n = self.limit

        def levels(rows: Any, rounding: str) -> tuple[tuple[int, int], ...]:
            out = []
            for row in list(rows)[:n] if n else list(rows):
                price = to_units(row[0], self.price_decimals, rounding)
                qty = to_units(row[1], self.qty_decimals, ROUND_FLOOR)
                if qty > 0:
                    out.append((price, qty))
            return tuple(out)

        return BookSnapshot(t, levels(ob.get("bids") or (), ROUND_FLOOR), levels(ob.get("asks") or (), ROUND_CEILING))

    def _trade_key(self, t: dict[str, Any]) -> object:
        tid = t.get("id")
        if tid is not None:
            return str(tid)
        return (t.get("timestamp"), repr(t.get("price")), repr(t.get("amount")), t.get("side"))

    def _trade(self, t: dict[str, Any]) -> PublicTrade | None:
        side = str(t.get("side") or "").upper()
        stamp = t.get("timestamp")
        if side not in ("BUY", "SELL") or not isinstance(stamp, (int, float)):
            self.skipped += 1
            return None
        try:
            price = to_units(t["price"], self.price_decimals)
            qty = to_units(t["amount"], self.qty_decimals, ROUND_FLOOR)
        except (KeyError, TypeError, ValueError):
            self.skipped += 1
            return None
        tid = t.get("id")
        return PublicTrade(int(stamp), price, qty, Side[side], None if tid is None else str(tid))

    def _failed(self, e: BaseException) -> None:
        self.errors += 1
        self.last_error = f"{type(e).__name__}: {e}"
        log.warning("%s %s: %s", type(self).__name__, self.symbol, self.last_error)


class CcxtPollingFeed(_LiveFeed):
    """Polls a sync ccxt exchange's ``fetch_order_book(symbol, limit)`` and
    ``fetch_trades(symbol, since)`` every ``interval_ms``.

    Each poll fetches the book first, then the trades since the newest one seen (inclusive, the
    overlap dropped by trade id). Trades the first poll finds predate the first book and are only
    marked seen. A book without an exchange timestamp is stamped with ``clock`` at its fetch.
    With ``background`` (the default) a daemon thread polls, so the venue never waits on the
    network; without it, ``poll(now)`` fetches itself when a poll is due (scripts, tests)."""

    def __init__(
        self,
        exchange: Any,
        symbol: str,
        interval_ms: int = 1000,
        *,
        limit: int | None = 20,
        background: bool = True,
        clock: Clock | None = None,
        price_decimals: int = 8,
        qty_decimals: int = 8,
    ) -> None:
        super().__init__(
            exchange, symbol, limit=limit, clock=clock, price_decimals=price_decimals, qty_decimals=qty_decimals
        )
        if interval_ms <= 0:
            raise ValueError(f"interval_ms must be positive, got {interval_ms}")
        self.interval_ms = interval_ms
        self.background = background
        self.polls = 0
        self._since: int | None = None
        self._primed = False
        self._next_fetch = 0
        self._thread: threading.Thread | None = None

    def fetch_once(self) -> list[Observation]:
        """One poll: fetch, queue and return the new observations (book first, then new trades)."""
        received = self.clock.now_ms()
        ob = self.exchange.fetch_order_book(self.symbol, self.limit)
        book = self._snapshot(ob, received)
        trades = self.exchange.fetch_trades(self.symbol, self._since)
        new: list[Observation] = []
        for t in sorted(trades or (), key=lambda t: t.get("timestamp") or 0):
            if not self._seen.add(self._trade_key(t)):
                continue
            stamp = t.get("timestamp")
            if isinstance(stamp, (int, float)):
                self._since = max(self._since or 0, int(stamp))
            if self._primed:
                trade = self._trade(t)
                if trade is not None:
                    new.append(trade)
        self._primed = True
        self.polls += 1
        out = [book, *new]
        self._push(out)
        return out

    def start(self) -> None:
        if not self.background or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"sandex-mirror-poll-{self.symbol}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._closed.is_set():
            began = time.monotonic()
            try:
                self.fetch_once()
            except Exception as e:  # network or exchange trouble: counted, and the next poll retries
                self._failed(e)
            self._closed.wait(max(0.0, self.interval_ms / 1000 - (time.monotonic() - began)))

    def poll(self, now: int) -> list[Observation]:
        if not self.background and not self._closed.is_set() and now >= self._next_fetch:
            self._next_fetch = now + self.interval_ms
            try:
                self.fetch_once()
            except Exception as e:
                self._failed(e)
        return super().poll(now)

    def next_time(self) -> int | None:
        if self.background:
            return super().next_time()
        with self._lock:
            pending = self._heap[0][0] if self._heap else None
        if self._closed.is_set():
            return pending
        return self._next_fetch if pending is None else min(pending, self._next_fetch)

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def __repr__(self) -> str:
        return f"CcxtPollingFeed({getattr(self.exchange, 'id', type(self.exchange).__name__)}, {self.symbol!r})"


class CcxtProWatchFeed(_LiveFeed):
    """ccxt.pro websockets: ``watch_order_book`` and ``watch_trades`` on an asyncio loop of its
    own thread, each result queued as it comes (books stamped by the exchange, else ``clock``).
    ``close`` stops the loop and closes the exchange's connections."""

    def __init__(
        self,
        exchange: Any,
        symbol: str,
        *,
        limit: int | None = 20,
        clock: Clock | None = None,
        price_decimals: int = 8,
        qty_decimals: int = 8,
        retry_ms: int = 1000,
    ) -> None:
        super().__init__(
            exchange, symbol, limit=limit, clock=clock, price_decimals=price_decimals, qty_decimals=qty_decimals
        )
        self.retry_ms = retry_ms
        self.books = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete,
            args=(self._main(),),
            name=f"sandex-mirror-watch-{self.symbol}",
            daemon=True,
        )
        self._thread.start()

    async def _main(self) -> None:
        self._wake = asyncio.Event()
        tasks = [asyncio.ensure_future(self._books()), asyncio.ensure_future(self._trades())]
        try:
            if not self._closed.is_set():
                await self._wake.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            closer = getattr(self.exchange, "close", None)
            if closer is not None:
                try:
                    result = closer()
                    if asyncio.iscoroutine(result):
                        await result
                except Exception as e:
                    self._failed(e)

    async def _books(self) -> None:
        while True:
            try:
                ob = await self.exchange.watch_order_book(self.symbol, self.limit)
                self._push([self._snapshot(ob, self.clock.now_ms())])  # copied now: ccxt mutates it
                self.books += 1
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._failed(e)
                await asyncio.sleep(self.retry_ms / 1000)

    async def _trades(self) -> None:
        while True:
            try:
                trades = await self.exchange.watch_trades(self.symbol)
                new = []
                for t in trades or ():
                    if self._seen.add(self._trade_key(t)):
                        trade = self._trade(t)
                        if trade is not None:
                            new.append(trade)
                self._push(new)
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self._failed(e)
                await asyncio.sleep(self.retry_ms / 1000)

    def _stop(self) -> None:
        if self._wake is not None:
            self._wake.set()

    def close(self) -> None:
        self._closed.set()
        if self._loop is not None and self._thread is not None:
            if not self._loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop already finished
                    self._loop.call_soon_threadsafe(self._stop)
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()

    def __repr__(self) -> str:
        return f"CcxtProWatchFeed({getattr(self.exchange, 'id', type(self.exchange).__name__)}, {self.symbol!r})"
