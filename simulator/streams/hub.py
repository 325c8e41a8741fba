"""The market streams' subscriptions and their fan-out, on the server's event loop.

The feed (``feed.py``) notes each change of a watched market on the thread that made it and wakes
the hub; the hub turns the notes into Binance's events (trades, aggregate trades and book tickers
at once; diff and partial depth every 100 ms or 1000 ms; tickers, average prices and klines every
second) and queues each event once, already encoded, for every connection subscribed to its
stream. A connection that cannot keep up (its queue past ``MAX_QUEUED`` events) is closed, as
Binance drops slow consumers, instead of growing the server's memory.

A diff depth stream's ``U``/``u`` chain is exact: an accumulator per (market, speed) starts at
the book's update id when its first subscriber came and gathers every level the noted changes
touched, so each event starts at the previous one's ``u`` + 1 and carries the totals as of its
``u``, the ``lastUpdateId`` that ``/api/v3/depth`` answers at that moment.

Times in events are the venue's clock (simulated time in a replay or a backtest); the pacing is
the wall clock's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import orjson

from engine import MarketSpec, Side

from ..clock import DAY_MS
from ..faults import FaultBook
from ..history import INTERVALS, MarketHistory
from ..market_data import Kline
from ..venue import Venue
from . import payloads
from .feed import MarketChange, MarketFeed
from .listen_keys import ListenKeys
from .names import FAST_MS, SLOW_MS, TICKER_WINDOWS, USER_DATA, StreamName, parse
from .user import UserStreams

log = logging.getLogger("sandex.streams")
MAX_QUEUED = 10_000  # events waiting for one connection before it is dropped as too slow
TICK_S = FAST_MS / 1000


class Subscriber:
    """What the hub needs of a connection: a queue of encoded events and whether it wants the
    combined form ``{"stream": name, "data": event}``."""

    def __init__(self, close: Callable[[int, str], None]) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.combined = False
        self.streams: dict[str, StreamName] = {}  # in the order subscribed
        self.close = close  # (code, reason): ends the connection
        self.dropped = False

    def put(self, name: str, raw: bytes) -> None:
        if self.dropped:
            return
        if self.queue.qsize() >= MAX_QUEUED:
            self.dropped = True
            self.close(1008, "too slow: events were not read")
            return
        self.queue.put_nowait(b'{"stream":"' + name.encode() + b'","data":' + raw + b"}" if self.combined else raw)


@dataclass(slots=True)
class _Depth:
    """The levels touched since the last event of one diff depth stream."""

    first: int  # the next event's U
    last: int  # the book's update id as far as noted
    changed: dict[tuple[Side, int], int] = field(default_factory=dict)


@dataclass(slots=True)
class _Market:
    """What the hub keeps of one watched market between events."""

    symbol: str
    update_id: int  # the book's update id as far as the changes noted were sent on
    top_id: int  # the update id the top of the book below is as of
    bids: tuple[tuple[int, int], ...]  # the best level, or the best TOP_LEVELS while a partial book is wanted
    asks: tuple[tuple[int, int], ...]
    depth: dict[int, _Depth] = field(default_factory=dict)  # speed_ms -> accumulator
    traded: bool = True  # trades since the last ticker (True: send the first one at once)
    sent_top: tuple[tuple[int, int], tuple[int, int]] | None = None
    klines_sent: dict[str, tuple[int, tuple[int, ...]]] = field(default_factory=dict)  # interval -> (open, candle)
    refs: int = 0  # subscriptions watching it


class StreamHub:
    """Subscriptions by stream name, and the loop that feeds them."""

    def __init__(self, venue: Venue, listen_keys: ListenKeys | None = None, faults: FaultBook | None = None) -> None:
        self.venue = venue
        self.faults = faults if faults is not None else FaultBook()  # armed faults: the ``ws_*`` kinds act here
        self.connections: set[Subscriber] = set()
        self.feed = MarketFeed(venue)
        self.user = UserStreams(venue)  # user data streams (the WebSocket API's and listen keys')
        self.listen_keys = listen_keys if listen_keys is not None else ListenKeys()
        self._user_stops: dict[tuple[int, str], Callable[[], None]] = {}  # (id of subscriber, key) -> stop
        self._subscribers: dict[str, set[Subscriber]] = {}  # stream text -> its subscribers
        self._markets: dict[str, _Market] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._woken: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._wake_pending = False

    # ---- lifecycle ---------------------------------------------------------------------------

    def ensure_started(self) -> None:
        """Start on the running loop (the first connection's): the server's loop."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._woken = asyncio.Event()
        self.feed.start(self._wake)
        self.user.start(self._wake)
        self._task = self._loop.create_task(self._run(), name="sandex-streams")

    def detach(self) -> None:
        """Stop listening to the venue (the simulator closes; the loop task ends with its loop)."""
        self.feed.stop()
        self.user.stop()

    def _wake(self) -> None:
        """From the changing thread: run the pump soon (once, however many changes come)."""
        if self._wake_pending or self._loop is None or self._woken is None:
            return
        self._wake_pending = True
        with contextlib.suppress(RuntimeError):  # the loop closed under a late change
            self._loop.call_soon_threadsafe(self._woken.set)

    # ---- subscriptions -----------------------------------------------------------------------

    def resolve(self, text: str) -> StreamName | None:
        """The stream ``text`` names: a market stream, or a live listen key's user data stream."""
        stream = parse(text)
        if stream is None and self.listen_keys.account_of(text) is not None:
            return StreamName(text, USER_DATA)
        return stream

    def subscribe(self, sub: Subscriber, stream: StreamName) -> None:
        if stream.text in sub.streams:
            return
        sub.streams[stream.text] = stream
        self._subscribers.setdefault(stream.text, set()).add(sub)
        if stream.kind == USER_DATA:
            account = self.listen_keys.account_of(stream.text)
            if account is not None:
                key = stream.text
                self._user_stops[(id(sub), key)] = self.user.subscribe(
                    account, lambda event: sub.put(key, orjson.dumps(event))
                )
            return
        for symbol in self._symbols_of(stream):
            self._watch(symbol)
            market = self._markets[symbol]
            if stream.kind == "partialDepth":
                self.feed.want_partial_depth(symbol, True)
                now = self.feed.current(symbol)  # (the levels kept so far may be the best one only)
                if now.update_id >= market.top_id:
                    market.top_id, market.bids, market.asks = now.update_id, now.bids, now.asks
            if stream.kind == "depth" and stream.speed_ms not in market.depth:
                market.depth[stream.speed_ms] = _Depth(market.update_id + 1, market.update_id)

    def unsubscribe(self, sub: Subscriber, text: str) -> None:
        stream = sub.streams.pop(text, None)
        if stream is None:
            return
        stop = self._user_stops.pop((id(sub), text), None)
        if stop is not None:
            stop()
        subs = self._subscribers.get(text)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subscribers[text]
                if stream.kind == "depth" and stream.symbol in self._markets:
                    self._markets[stream.symbol].depth.pop(stream.speed_ms, None)
        for symbol in self._symbols_of(stream):
            if stream.kind == "partialDepth":
                self.feed.want_partial_depth(symbol, False)
            self._unwatch(symbol)

    def connect(self, sub: Subscriber) -> None:
        self.connections.add(sub)

    def drop(self, sub: Subscriber) -> None:
        """A connection gone: its subscriptions end."""
        self.connections.discard(sub)
        for text in list(sub.streams):
            self.unsubscribe(sub, text)

    def refuses(self, path: str) -> bool:
        """Whether an armed ``ws_refuse`` fault turns this new connection away."""
        return self.faults.active and self.faults.take_stream("ws_refuse", (path,)) is not None

    def _symbols_of(self, stream: StreamName) -> list[str]:
        if stream.kind == USER_DATA:
            return []
        if stream.symbol is not None:
            return [stream.symbol] if stream.symbol in self.venue.markets else []
        return list(self.venue.markets)  # the all-market streams

    def _watch(self, symbol: str) -> None:
        self.feed.watch(symbol)
        if symbol not in self._markets:
            now = self.feed.current(symbol)
            self._markets[symbol] = _Market(symbol, now.update_id, now.update_id, now.bids, now.asks)
        self._markets[symbol].refs += 1

    def _unwatch(self, symbol: str) -> None:
        self.feed.unwatch(symbol)
        market = self._markets.get(symbol)
        if market is not None:
            market.refs -= 1
            if market.refs <= 0:
                del self._markets[symbol]

    def _send(self, text: str, event: object) -> None:
        subs = self._subscribers.get(text)
        if not subs:
            return
        raw = orjson.dumps(event)
        if self.faults.active and self._loop is not None:
            delay = self.faults.take_stream("ws_delay", (text,))
            if delay is not None:  # the event reaches every subscriber ``ms`` late (in order: all wait alike)
                for sub in tuple(subs):
                    self._loop.call_later(delay.ms / 1000, sub.put, text, raw)
                return
        for sub in tuple(subs):
            sub.put(text, raw)

    def _stream_faults(self) -> None:
        """Armed faults that act on connections: ``ws_drop`` closes them, ``ws_terminate`` ends
        user data streams with ``eventStreamTerminated``."""
        if not self.faults.active:
            return
        for sub in tuple(self.connections):
            if self.faults.take_stream("ws_drop", tuple(sub.streams) or ("*",)) is not None:
                sub.close(1011, "dropped by an armed fault")
        for account in self.user.accounts():  # (a fault naming an API key: its account's streams only)
            keys = [k.api_key for k in self.venue.keys.keys_of(account)]
            if any(self.faults.take_stream("ws_terminate", ("*",), key) is not None for key in keys):
                self.user.terminate(account, self.venue.now())

    # ---- the loop ----------------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._woken is not None  # (set by ensure_started)
        loop = asyncio.get_running_loop()
        next_tick = loop.time() + TICK_S
        ticks = 0
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._woken.wait(), max(0.0, next_tick - loop.time()))
                self._woken.clear()
                self._wake_pending = False
                self._pump()
                self.user.pump()
                if loop.time() >= next_tick:
                    ticks += 1
                    next_tick += TICK_S
                    if next_tick < loop.time():  # fell behind (a long pause): no burst of catch-up ticks
                        next_tick = loop.time() + TICK_S
                    self._timed(FAST_MS)
                    self._stream_faults()
                    if ticks % (SLOW_MS // FAST_MS) == 0:
                        self._timed(SLOW_MS)
                        self._statistics(ticks // (SLOW_MS // FAST_MS))
                        self._expire_listen_keys()
            except asyncio.CancelledError:
                raise
            except Exception:  # a bug in one event must not stop every stream
                log.exception("the market streams failed a round")

    def _pump(self) -> None:
        """The real-time events of every noted change, and the depth accumulators fed."""
        for symbol, changes in self.feed.take().items():
            market = self._markets.get(symbol)
            if market is None:
                continue
            spec = self.venue.markets[symbol].spec
            lower = symbol.lower()
            for ch in changes:
                self._real_time(market, spec, lower, ch)

    def _real_time(self, market: _Market, spec: MarketSpec, lower: str, ch: MarketChange) -> None:
        if ch.update_id <= market.update_id and not ch.trades:
            return  # (noted before this market was watched)
        if ch.trades:
            market.traded = True
            trade_stream, agg_stream = f"{lower}@trade", f"{lower}@aggTrade"
            if trade_stream in self._subscribers:
                for t in ch.trades:
                    self._send(trade_stream, payloads.trade(spec, t, ch.time))
            if agg_stream in self._subscribers:
                for a in ch.aggs:
                    self._send(agg_stream, payloads.agg_trade(spec, a, ch.time))
        if ch.update_id > market.update_id:
            market.update_id = ch.update_id
            if ch.update_id > market.top_id:
                market.top_id, market.bids, market.asks = ch.update_id, ch.bids, ch.asks
            for acc in market.depth.values():
                acc.last = ch.update_id
                for side, price, quantity in ch.levels:
                    acc.changed[(side, price)] = quantity
            top = (ch.bids[0] if ch.bids else (0, 0), ch.asks[0] if ch.asks else (0, 0))
            book_stream = f"{lower}@bookTicker"
            if top != market.sent_top and (book_stream in self._subscribers or "!bookTicker" in self._subscribers):
                market.sent_top = top
                event = payloads.book_ticker(spec, ch.update_id, top[0], top[1])
                self._send(book_stream, event)
                self._send("!bookTicker", event)

    def _expire_listen_keys(self) -> None:
        """A key not kept alive for 60 minutes ends its streams with ``listenKeyExpired``."""
        for text in [t for t in self._subscribers if t in self._user_keys() and self.listen_keys.account_of(t) is None]:
            self._send(text, {"e": "listenKeyExpired", "E": self.venue.now(), "listenKey": text})
            for sub in tuple(self._subscribers.get(text, ())):
                self.unsubscribe(sub, text)

    def _user_keys(self) -> set[str]:
        return {key for _, key in self._user_stops}

    def _timed(self, speed_ms: int) -> None:
        """The depth streams of one speed: diffs since their last event, partial books as they stand."""
        now = self.venue.now()
        suffix = "@100ms" if speed_ms == FAST_MS else ""
        for symbol, market in self._markets.items():
            spec = self.venue.markets[symbol].spec
            lower = symbol.lower()
            acc = market.depth.get(speed_ms)
            if acc is not None and acc.last >= acc.first:
                event = payloads.depth_update(spec, now, acc.first, acc.last, acc.changed)
                acc.first, acc.changed = acc.last + 1, {}
                text = f"{lower}@depth{suffix}"
                gap = self.faults.active and self.faults.take_stream("ws_gap", (text,)) is not None
                if not gap:  # (an armed gap: this diff is never sent, and the next one's U skips it)
                    self._send(text, event)
                if speed_ms == SLOW_MS:
                    self._send(f"{lower}@depth@1000ms", event)
            for n in (5, 10, 20):
                text = f"{lower}@depth{n}{suffix}"
                if text in self._subscribers:
                    self._send(text, payloads.partial_depth(spec, market.top_id, market.bids, market.asks, n))
                if speed_ms == SLOW_MS and f"{lower}@depth{n}@1000ms" in self._subscribers:
                    event = payloads.partial_depth(spec, market.top_id, market.bids, market.asks, n)
                    self._send(f"{lower}@depth{n}@1000ms", event)

    def _statistics(self, second: int) -> None:
        """Tickers, average prices and klines of the watched markets, once a second."""
        venue = self.venue
        mini_all: list[dict[str, object]] = []
        windows_all: dict[str, list[dict[str, object]]] = {w: [] for w in TICKER_WINDOWS}
        with venue.lock:
            now = venue.now()
            for symbol, market in self._markets.items():
                m = venue.markets[symbol]
                spec, history, lower = m.spec, m.history, symbol.lower()
                last = history.last()
                last_price = last.price if last else 0
                traded, market.traded = market.traded, False
                if traded:
                    stats = history.window(now - DAY_MS, now)
                    mini = payloads.mini_ticker(spec, stats, last_price, now)
                    mini_all.append(mini)
                    self._send(f"{lower}@miniTicker", mini)
                    if f"{lower}@ticker" in self._subscribers:
                        top = (market.bids[0] if market.bids else (0, 0), market.asks[0] if market.asks else (0, 0))
                        prev = history.price_before(now - DAY_MS) or 0
                        event = payloads.ticker(spec, "24hrTicker", stats, last_price, now - DAY_MS, now, prev, top)
                        self._send(f"{lower}@ticker", event)
                    for window, span in TICKER_WINDOWS.items():
                        wanted = f"{lower}@ticker_{window}" in self._subscribers
                        if wanted or f"!ticker_{window}@arr" in self._subscribers:
                            start = (now - span) // 60_000 * 60_000
                            event = payloads.ticker(
                                spec, f"{window}Ticker", history.window(start, now), last_price, start, now
                            )
                            windows_all[window].append(event)
                            self._send(f"{lower}@ticker_{window}", event)
                if f"{lower}@avgPrice" in self._subscribers:
                    mins = spec.notional.avg_price_mins
                    avg = venue.avg_price(symbol, now, mins)
                    price = avg if avg is not None else last_price
                    self._send(
                        f"{lower}@avgPrice", payloads.avg_price(spec, mins, price, last.time if last else now, now)
                    )
                self._klines(market, spec, history, lower, now, second)
        if mini_all:
            self._send("!miniTicker@arr", mini_all)
        for window, events in windows_all.items():
            if events:
                self._send(f"!ticker_{window}@arr", events)

    def _klines(
        self, market: _Market, spec: MarketSpec, history: MarketHistory, lower: str, now: int, second: int
    ) -> None:
        """Each subscribed interval's open candle when it changed (every 1 s for ``1s``, 2 s for the
        others), and a candle once more with ``x: true`` when the clock passes its close."""
        for interval in INTERVALS:
            text = f"{lower}@kline_{interval}"
            if text not in self._subscribers:
                continue
            candles = history.klines(interval, None, None, 2, 0, now=now)
            if not candles:
                continue
            sent = market.klines_sent.get(interval)
            current = candles[-1]
            if sent is not None and sent[0] < current.open_time:  # the one sent has closed since
                closed = next((k for k in candles if k.open_time == sent[0]), None)
                if closed is not None:
                    self._send(text, self._kline(spec, history, interval, closed, True, now))
            due = interval == "1s" or second % 2 == 0
            if due and (sent is None or sent[1] != tuple(current)):
                market.klines_sent[interval] = (current.open_time, tuple(current))
                self._send(text, self._kline(spec, history, interval, current, False, now))
            elif sent is not None and sent[0] < current.open_time:
                market.klines_sent[interval] = (current.open_time, ())

    @staticmethod
    def _kline(
        spec: MarketSpec, history: MarketHistory, interval: str, k: Kline, closed: bool, now: int
    ) -> dict[str, object]:
        stats = history.window(k.open_time, k.close_time) if k.count else None
        first, last = (stats.first_id, stats.last_id) if stats else (-1, -1)
        return payloads.kline(spec, interval, k, first, last, closed, now)
