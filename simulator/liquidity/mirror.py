"""A live mirror: the simulated book kept in step with a real exchange's public book and trades.

For paper trading against real prices. A *feed* turns an exchange's public data into timestamped
observations in integer asset units: order-book snapshots and public trades. ``LiveMirror``, a
liquidity source, replays them through the venue with two house accounts:

* a **maker** whose resting orders are the external book's top ``depth`` levels. Each snapshot is
  diffed against what the maker has resting: levels that vanished are cancelled, levels that
  shrank are reduced from the back of the maker's queue with amend-keepPriority, levels that grew
  get a new order for the difference (joining the back of the queue, as new real orders do), and
  unchanged levels are not touched, so whoever queues behind them keeps their place;
* a **taker** that re-enacts each external trade: a LIMIT IOC at the trade's price and quantity.
  It meets the book in price-time order, so a user's order at a better price, or queued at the
  trade's price behind less than the traded quantity, is filled by the real market's flow, and
  one queued behind more waits. Before it, maker orders the real market has already traded
  through (asks below a buy's price, bids above a sell's) are cancelled: the real book had none
  left there. If the book holds less at the trade's price or better than was traded, the real
  market evidently had orders there that arrived after the last snapshot: the maker adds the
  shortfall at that price, behind everyone already queued (unless it would cross a user's order),
  so the simulated tape prints the real trades price for price.

A user's fill takes some of the real flow, so the maker's level ends larger than the real one;
the next snapshot reduces it. Prices are rounded onto the simulated market's tick (bids down,
asks and buy trades up, sell trades down) and quantities down onto its lot step; whatever the
market's filters cannot take (price range, minimum quantity, minimum notional) is skipped and
counted in ``LiveMirror.stats``, and every refusal of the venue (an ``ApiError``) is caught and
counted by code: ``advance`` never raises for market data.

Feeds: ``CcxtPollingFeed`` (sync ccxt REST, any exchange), ``CcxtProWatchFeed`` (ccxt.pro
websockets) and ``RecordedFeed`` (a JSON-lines file made by ``record``). Live feeds fetch in a
background thread, never under the venue's lock, and queue what they receive; ``poll(now)`` hands
out what is due. Numbers from ccxt (floats) are read through their exact shortest text
(``repr``) and parsed with ``simulator.wire.parse_units``; they are never multiplied as floats.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from engine import OrderType, SelfTradePrevention, Side, TimeInForce

from ..binance_errors import ApiError
from ..clock import Clock, WallClock
from ..orders import OrderRecord, OrderRequest
from ..venue import Venue
from ..wire import format_units, parse_units

log = logging.getLogger("sandex.liquidity.mirror")

HOUSE_BALANCE = 10**17  # per asset, in units: ample, like the static book's maker

# ---- observations ------------------------------------------------------------------------------


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

    def close(self) -> None:
        ...


# ---- numbers -------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal:
    """A number as ccxt hands it (float, str, int, Decimal) -> its exact decimal text's value.

    A float is read through ``repr``, its shortest round-trip text ("1e-05", "90000.01"), which is
    what the exchange sent; no float arithmetic happens anywhere."""
    if isinstance(value, bool):
        raise TypeError(f"not a number: {value!r}")
    if isinstance(value, float):
        text = repr(value)
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
        return int(d.scaleb(decimals).to_integral_value(rounding=rounding))


def units_text(value: int, decimals: int) -> str:
    """120000 with 8 decimals -> "0.0012": exact and short, as recordings store numbers."""
    text = format_units(value, decimals)
    return text.rstrip("0").rstrip(".") if "." in text else text


# ---- JSON lines ----------------------------------------------------------------------------------


def observation_to_json(obs: Observation, price_decimals: int = 8, qty_decimals: int = 8) -> dict:
    """One recording line: numbers as exact decimal text."""
    p, q = price_decimals, qty_decimals
    if isinstance(obs, BookSnapshot):
        return {"type": "book", "time": obs.time,
                "bids": [[units_text(a, p), units_text(b, q)] for a, b in obs.bids],
                "asks": [[units_text(a, p), units_text(b, q)] for a, b in obs.asks]}
    out: dict = {"type": "trade", "time": obs.time}
    if obs.trade_id is not None:
        out["id"] = obs.trade_id
    out |= {"price": units_text(obs.price, p), "qty": units_text(obs.qty, q), "side": obs.taker_side.name.lower()}
    return out


def observation_from_json(data: dict, price_decimals: int = 8, qty_decimals: int = 8) -> Observation:
    kind = data.get("type")
    t = data.get("time")
    if not isinstance(t, int) or isinstance(t, bool):
        raise TypeError(f"'time' must be an integer (ms), got {t!r}")
    p, q = price_decimals, qty_decimals
    if kind == "book":
        def levels(name: str) -> tuple[tuple[int, int], ...]:
            return tuple((parse_units(a, p, f"{name}.price"), parse_units(b, q, f"{name}.qty"))
                         for a, b in data.get(name, ()))
        return BookSnapshot(t, levels("bids"), levels("asks"))
    if kind == "trade":
        side = str(data.get("side", "")).upper()
        if side not in ("BUY", "SELL"):
            raise ValueError(f"'side' must be buy or sell, got {data.get('side')!r}")
        trade_id = data.get("id")
        return PublicTrade(t, parse_units(data["price"], p, "price"), parse_units(data["qty"], q, "qty"), Side[side],
                           None if trade_id is None else str(trade_id))
    raise ValueError(f"'type' must be book or trade, got {kind!r}")


# ---- recorded feed ---------------------------------------------------------------------------------


class RecordedFeed:
    """A JSON-lines recording, one observation per line, released as the clock passes each time.

    Lines are read lazily (a long recording is not loaded whole) and released in file order.
    ``start_at`` shifts every time so the first observation falls at that instant (to replay an
    old recording on the wall clock)."""

    def __init__(self, path: str | Path, *, start_at: int | None = None, price_decimals: int = 8,
                 qty_decimals: int = 8) -> None:
        self.path = Path(path)
        self.price_decimals = price_decimals
        self.qty_decimals = qty_decimals
        self._lines = self._read()
        self._next: Observation | None = next(self._lines, None)
        self._shift = 0
        if start_at is not None and self._next is not None:
            self._shift = start_at - self._next.time
            self._next = _shifted(self._next, self._shift)

    def _read(self) -> Iterator[Observation]:
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


def record(feed: MirrorFeed, path: str | Path, duration_ms: int, *, clock: Clock | None = None,
           poll_ms: int = 50, sleep: Callable[[float], object] = time.sleep) -> int:
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
                    f.write(json.dumps(observation_to_json(obs, feed.price_decimals, feed.qty_decimals),
                                       separators=(",", ":")) + "\n")
                    written += 1
                if now >= end:
                    return written
                sleep(min(poll_ms, end - now) / 1000)
    finally:
        feed.close()


# ---- live feeds ------------------------------------------------------------------------------------


class _SeenIds:
    """The last ``size`` trade keys: enough to drop the overlap between two fetches."""

    def __init__(self, size: int = 20_000) -> None:
        self._order: deque = deque()
        self._set: set = set()
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

    def __init__(self, exchange: Any, symbol: str, *, limit: int | None, clock: Clock | None,
                 price_decimals: int, qty_decimals: int) -> None:
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

    def _snapshot(self, ob: dict, received: int) -> BookSnapshot:
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

    def _trade_key(self, t: dict) -> object:
        tid = t.get("id")
        if tid is not None:
            return str(tid)
        return (t.get("timestamp"), repr(t.get("price")), repr(t.get("amount")), t.get("side"))

    def _trade(self, t: dict) -> PublicTrade | None:
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

    def __init__(self, exchange: Any, symbol: str, interval_ms: int = 1000, *, limit: int | None = 20,
                 background: bool = True, clock: Clock | None = None, price_decimals: int = 8,
                 qty_decimals: int = 8) -> None:
        super().__init__(exchange, symbol, limit=limit, clock=clock, price_decimals=price_decimals,
                         qty_decimals=qty_decimals)
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

    def __init__(self, exchange: Any, symbol: str, *, limit: int | None = 20, clock: Clock | None = None,
                 price_decimals: int = 8, qty_decimals: int = 8, retry_ms: int = 1000) -> None:
        super().__init__(exchange, symbol, limit=limit, clock=clock, price_decimals=price_decimals,
                         qty_decimals=qty_decimals)
        self.retry_ms = retry_ms
        self.books = 0
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_until_complete, args=(self._main(),),
                                        name=f"sandex-mirror-watch-{self.symbol}", daemon=True)
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
                try:
                    self._loop.call_soon_threadsafe(self._stop)
                except RuntimeError:  # the loop already finished
                    pass
            self._thread.join(timeout=10)
            if not self._thread.is_alive():
                self._loop.close()

    def __repr__(self) -> str:
        return f"CcxtProWatchFeed({getattr(self.exchange, 'id', type(self.exchange).__name__)}, {self.symbol!r})"


# ---- the mirror ------------------------------------------------------------------------------------


@dataclass
class MirrorStats:
    """What the mirror did and what it had to leave out."""

    snapshots: int = 0  # applied
    snapshots_superseded: int = 0  # released together with a later one and no trade between
    trades: int = 0  # external trades seen
    trades_reenacted: int = 0  # of them, re-enacted by the house taker
    trades_before_book: int = 0  # seen before the first snapshot: nothing to trade against
    traded_qty: int = 0  # base units the taker's orders filled
    unfilled_qty: int = 0  # base units of re-enacted trades the simulated book could not fill
    skipped_price: int = 0  # levels or trades outside the market's price filter
    skipped_qty: int = 0  # levels or trades below the minimum quantity once on the lot step
    skipped_notional: int = 0  # levels or trades below the minimum notional
    crossed_levels: int = 0  # external bids at or above the best ask (a locked or crossed book)
    orders_placed: int = 0
    orders_canceled: int = 0
    orders_amended: int = 0
    levels_consolidated: int = 0  # a level's several maker orders merged (no one else queued there)
    stale_cleared: int = 0  # maker orders the real market had traded through, cancelled
    topped_up_qty: int = 0  # base units added at a trade's price beyond what the last snapshot showed
    rejected: Counter = field(default_factory=Counter)  # venue refusals by Binance error code


class LiveMirror:
    """A liquidity source mirroring one external market onto ``symbol`` (the ``LiquiditySource``
    protocol: ``start``, ``advance``, ``next_due``), driven by the venue's clock.

    Use it on a market nothing else quotes (``SimulatorConfig(liquidity=False)``), and with a feed
    whose decimals are the market's. ``max_orders_per_level``: when a grown level already holds that
    many maker orders and nobody else queues at it, they are replaced by one order (no queue
    position changes); otherwise a grown level always gets a new order behind the others."""

    def __init__(self, symbol: str, feed: MirrorFeed, depth: int = 20, *, house_balance: int = HOUSE_BALANCE,
                 max_orders_per_level: int = 4, coalesce_books: bool = True) -> None:
        if depth <= 0:
            raise ValueError(f"depth must be positive, got {depth}")
        self.symbol = symbol
        self.feed = feed
        self.depth = depth
        self.house_balance = house_balance
        self.max_orders_per_level = max(1, max_orders_per_level)
        self.coalesce_books = coalesce_books
        self.stats = MirrorStats()
        self.maker: int | None = None
        self.taker: int | None = None
        self._spec = None
        self._have_book = False

    def __repr__(self) -> str:
        return f"LiveMirror({self.symbol!r}, {self.feed!r}, depth={self.depth})"

    # ---- the LiquiditySource protocol ----

    def start(self, venue: Venue, now: int) -> None:
        market = venue.markets.get(self.symbol)
        if market is None:
            raise ValueError(f"{self.symbol}: not a listed market; listed: {sorted(venue.markets)}")
        spec = market.spec
        if (self.feed.price_decimals, self.feed.qty_decimals) != (spec.quote.decimals, spec.base.decimals):
            raise ValueError(f"{self.symbol}: the feed counts prices in {self.feed.price_decimals} and quantities "
                             f"in {self.feed.qty_decimals} decimals, the market in {spec.quote.decimals} and "
                             f"{spec.base.decimals}")
        if 2 * self.depth > spec.max_num_orders:
            raise ValueError(f"{self.symbol}: depth {self.depth} needs more than the {spec.max_num_orders} "
                             "open orders an account may have")
        self._spec = spec
        with venue.lock:
            budget = {spec.base.code: self.house_balance, spec.quote.code: self.house_balance}
            self.maker = venue.house_account(f"mirror:{self.symbol}:maker", budget)
            self.taker = venue.house_account(f"mirror:{self.symbol}:taker", budget)
        self.feed.start()
        self.advance(venue, now)

    def advance(self, venue: Venue, now: int) -> None:
        if self._spec is None:
            return
        batch = self.feed.poll(now)
        if not batch:
            return
        with venue.lock:
            for i, obs in enumerate(batch):
                if isinstance(obs, PublicTrade):
                    self._reenact(venue, obs)
                elif self.coalesce_books and i + 1 < len(batch) and isinstance(batch[i + 1], BookSnapshot):
                    self.stats.snapshots_superseded += 1  # the next one says all this one would
                else:
                    self._apply_book(venue, obs)

    def next_due(self) -> int | None:
        return None if self._spec is None else self.feed.next_time()

    def close(self) -> None:
        """Stop the feed (the maker's orders stay where they are)."""
        self.feed.close()

    # ---- snapshots ----

    def _target_levels(self, snap: BookSnapshot) -> tuple[dict[int, int], dict[int, int]]:
        """What the maker should rest for a snapshot: {price: qty} per side on the market's grid."""
        bids = self._side_targets(snap.bids[: self.depth], Side.BUY)
        asks = self._side_targets(snap.asks[: self.depth], Side.SELL)
        if asks and bids:
            best_ask = min(asks)
            for p in [p for p in bids if p >= best_ask]:
                del bids[p]
                self.stats.crossed_levels += 1
        return bids, asks

    def _side_targets(self, levels: Iterable[tuple[int, int]], side: Side) -> dict[int, int]:
        spec = self._spec
        tick = spec.price_filter.tick_size
        merged: dict[int, int] = {}
        for price, qty in levels:
            p = price // tick * tick if side == Side.BUY else -(-price // tick) * tick
            if not self._price_ok(p):
                self.stats.skipped_price += 1
                continue
            merged[p] = merged.get(p, 0) + qty
        out = {}
        for p, qty in merged.items():
            q = self._lot_floor(qty)
            if self._qty_ok(p, q):
                out[p] = q
        return out

    def _apply_book(self, venue: Venue, snap: BookSnapshot) -> None:
        self.stats.snapshots += 1
        self._have_book = True
        bids, asks = self._target_levels(snap)
        targets = {Side.BUY: bids, Side.SELL: asks}
        levels = self._house_levels(venue)
        # 1. take away first, so nothing placed next can meet the maker's own stale orders
        for (side, price), orders in levels.items():
            have = sum(_remaining(r) for r in orders)
            want = targets[side].get(price, 0)
            if want < have:
                self._reduce(venue, orders, have - want)
        # 2. then add, best prices first
        levels = self._house_levels(venue)
        for side, target in targets.items():
            for price in sorted(target, reverse=side == Side.BUY):
                want = target[price]
                orders = levels.get((side, price), [])
                have = sum(_remaining(r) for r in orders)
                if want <= have:
                    continue
                if len(orders) >= self.max_orders_per_level and self._alone_at(venue, side, price, have):
                    for rec in orders:
                        self._cancel(venue, rec)
                    self.stats.levels_consolidated += 1
                    self._place_maker(venue, side, price, want)
                else:
                    self._place_maker(venue, side, price, want - have)

    def _house_levels(self, venue: Venue) -> dict[tuple[Side, int], list[OrderRecord]]:
        """The maker's open orders by level, in queue order (ids rise with time; amends keep place)."""
        levels: dict[tuple[Side, int], list[OrderRecord]] = {}
        for rec in venue.open_orders(self.maker, self.symbol):
            levels.setdefault((rec.side, rec.price), []).append(rec)
        return levels

    def _alone_at(self, venue: Venue, side: Side, price: int, house_qty: int) -> bool:
        """Whether the maker's orders are all there is at this level (merging them moves no one)."""
        _, bids, asks = venue.depth(self.symbol, None)
        for p, q in bids if side == Side.BUY else asks:
            if p == price:
                return q == house_qty
        return house_qty == 0

    def _reduce(self, venue: Venue, orders: list[OrderRecord], excess: int) -> None:
        """Take ``excess`` off a level from the back of the maker's queue."""
        for rec in reversed(orders):
            if excess <= 0:
                return
            rem = _remaining(rec)
            if rem <= excess:
                if self._cancel(venue, rec):
                    excess -= rem
                continue
            try:
                venue.amend(self.maker, self.symbol, rec.order_id, None, rec.orig_qty - excess, None)
                self.stats.orders_amended += 1
                excess = 0
            except ApiError as e:
                self._refused(e)

    def _cancel(self, venue: Venue, rec: OrderRecord) -> bool:
        try:
            venue.cancel(self.maker, self.symbol, rec.order_id, None)
        except ApiError as e:
            self._refused(e)
            return False
        self.stats.orders_canceled += 1
        return True

    def _place_maker(self, venue: Venue, side: Side, price: int, qty: int) -> None:
        for chunk in self._chunks(price, qty):
            req = OrderRequest(self.symbol, side, OrderType.LIMIT, TimeInForce.GTC, chunk, price, 0, 0, None,
                               SelfTradePrevention.NONE, "ACK")
            try:
                venue.place(self.maker, req)
                self.stats.orders_placed += 1
            except ApiError as e:
                self._refused(e)

    # ---- trades ----

    def _reenact(self, venue: Venue, trade: PublicTrade) -> None:
        """The house taker trades the real trade's quantity at its price against the book."""
        stats = self.stats
        stats.trades += 1
        if not self._have_book:
            stats.trades_before_book += 1
            return
        tick = self._spec.price_filter.tick_size
        buy = trade.taker_side == Side.BUY
        price = -(-trade.price // tick) * tick if buy else trade.price // tick * tick
        if not self._price_ok(price):
            stats.skipped_price += 1
            return
        qty = self._lot_floor(trade.qty)
        if not self._qty_ok(price, qty):
            return
        maker_side = Side.SELL if buy else Side.BUY
        # the real book had nothing left better than the trade's price: stale maker orders go
        stats.stale_cleared += self._clear(venue, maker_side, lambda p: p < price if buy else p > price)
        shortfall = qty - self._resting(venue, maker_side, price)
        if shortfall > 0:
            self._top_up(venue, maker_side, price, shortfall)
        stats.trades_reenacted += 1
        for chunk in self._chunks(price, qty):
            req = OrderRequest(self.symbol, trade.taker_side, OrderType.LIMIT, TimeInForce.IOC, chunk, price, 0, 0,
                               None, SelfTradePrevention.NONE, "FULL")
            try:
                placement = venue.place(self.taker, req)
            except ApiError as e:
                self._refused(e)
                stats.unfilled_qty += chunk
                continue
            filled = sum(f.qty for f in placement.fills)
            stats.traded_qty += filled
            stats.unfilled_qty += chunk - filled

    def _top_up(self, venue: Venue, side: Side, price: int, qty: int) -> None:
        """The real trade shows more resting at ``price`` than the last snapshot did: orders that
        arrived since, so behind everyone queued there. Placed unless it would cross a user's order."""
        opposite = Side.BUY if side == Side.SELL else Side.SELL
        crossing = (lambda p: p >= price) if side == Side.SELL else (lambda p: p <= price)
        self.stats.stale_cleared += self._clear(venue, opposite, crossing)  # the real book had none there
        _, bids, asks = venue.depth(self.symbol, 1)
        best = bids if opposite == Side.BUY else asks
        if best and crossing(best[0][0]):
            return
        if self._below_minimums(price, qty) is not None:  # too small to rest: the taker fills less
            return
        self.stats.topped_up_qty += qty
        self._place_maker(venue, side, price, qty)

    def _resting(self, venue: Venue, side: Side, price: int) -> int:
        """All quantity on ``side`` at ``price`` or better (anyone's)."""
        _, bids, asks = venue.depth(self.symbol, None)
        if side == Side.SELL:
            return sum(q for p, q in asks if p <= price)
        return sum(q for p, q in bids if p >= price)

    def _clear(self, venue: Venue, side: Side, where: Callable[[int], bool]) -> int:
        """Cancel the maker's orders on ``side`` at prices ``where`` holds; returns how many."""
        n = 0
        for rec in venue.open_orders(self.maker, self.symbol):
            if rec.side == side and where(rec.price) and self._cancel(venue, rec):
                n += 1
        return n

    # ---- the market's filters ----

    def _price_ok(self, price: int) -> bool:
        pf = self._spec.price_filter
        return price > 0 and price >= pf.min_price and (not pf.max_price or price <= pf.max_price)

    def _lot_floor(self, qty: int) -> int:
        step = self._spec.lot_size.step_size
        return qty // step * step if step else qty

    def _below_minimums(self, price: int, qty: int) -> str | None:
        """Which of LOT_SIZE's minimum ("qty") or NOTIONAL's ("notional") a quantity fails, if any."""
        spec = self._spec
        if qty <= 0 or qty < spec.lot_size.min_qty:
            return "qty"
        if qty * price < spec.notional.min_notional * 10**spec.base.decimals:
            return "notional"
        return None

    def _qty_ok(self, price: int, qty: int) -> bool:
        """Whether a level or a trade passes the minimums; what does not is counted."""
        failed = self._below_minimums(price, qty)
        if failed == "qty":
            self.stats.skipped_qty += 1
        elif failed == "notional":
            self.stats.skipped_notional += 1
        return failed is None

    def _chunks(self, price: int, qty: int) -> list[int]:
        """Split a quantity into orders each within LOT_SIZE's maximum and the maximum notional."""
        spec = self._spec
        cap = spec.lot_size.max_qty or qty
        if spec.notional.max_notional:
            cap = min(cap, self._lot_floor(spec.notional.max_notional * 10**spec.base.decimals // price))
        if cap <= 0 or qty <= cap:
            return [qty]
        step = spec.lot_size.step_size or 1
        lots, cap_lots = qty // step, cap // step
        n = -(-lots // cap_lots)
        each, extra = divmod(lots, n)  # n near-equal chunks, each within the cap
        return [(each + (i < extra)) * step for i in range(n)]

    def _refused(self, e: ApiError) -> None:
        self.stats.rejected[e.code] += 1
        log.debug("%s mirror: venue refused (%s %s)", self.symbol, e.code, e.msg)


def _remaining(rec: OrderRecord) -> int:
    return rec.orig_qty - rec.executed_qty
