"""Historical replay: the simulated market trades through history's prices at history's times.

``HistoricalReplay`` is a liquidity source (``start``/``advance``/``next_due``) fed by Binance's
public data (``datafiles``): aggTrades, or klines turned into trades (``trade_tapes``). Two
house accounts act through the venue's engine like any other account:

* the **maker** keeps a ladder of ``levels`` resting orders a side on a fixed price grid
  (``spacing_bps`` of the first price, or ``spacing_ticks``), asks above and bids below the last
  print, each worth about ``level_notional``: user market orders fill against it and user limit
  orders at a ladder price queue behind it;
* the **taker** prints history. For a trade at price p of quantity q, taker side s:

  1. the maker cancels its ladder orders that would print elsewhere or cross: for a buy, its asks
     below p and its bids at or above p (mirrored for a sell);
  2. the maker places exactly q at p on the passive side, just in time (behind everything already
     resting at p);
  3. the taker sends an immediate-or-cancel LIMIT at p for q. It meets the book in price-time
     priority: a user order at a better price than p, or resting at p before the maker's (the
     ladder's included), trades first; so users are filled by history in their queue turn, and a
     user order behind history's own liquidity at p waits until history's volume there reaches it;
  4. what users took from the taker is left of the just-in-time order, which is cancelled;
  5. the ladder follows the price: after a buy print at p the asks stand on grid prices >= p and
     the bids < p (after a sell: bids <= p, asks > p); only levels that change are sent. It never
     crosses a user's resting order (that would be a trade history did not print): asks stand above
     the best user bid and bids below the best user ask, as the book held them when the batch was
     planned (within a batch user orders only fill or leave, so this stays on the safe side).

  Without user orders in the way every print is exactly history's (price, quantity, time, taker
  side), one trade per aggTrade row (two when a ladder order stood at p: same taker, same price,
  so still one aggregate trade). A trade below the market's minimum order (min qty, min notional)
  is printed by a minimum-size taker against a just-in-time order amended down to q, after the
  maker's own order at p is cancelled; so it is exact too unless a user order stands in front, which
  then trades up to the minimum size. A trade above the maximum order is printed in equal parts at
  the same time and price. Prices are rounded to the nearest tick and quantities to lots (the
  remainder carried to the next row, so the total volume is kept).

**Klines** become trades as ``trade_tapes`` describes.

**Speed.** Rows become engine commands in a compiled planner (``replay_planner``), and run through
``Engine.apply_batch`` in one compiled loop per batch; the venue's records are kept from the event
rows (``replay_bookkeeping``). When the market has waiting stop orders (a trade may trigger one)
the batch is sent command by command through the venue instead (``mode="venue"`` always does so:
the reference path).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from engine.batch import XW

from ..clock import ManualClock
from ..venue import Venue
from . import datafiles as df
from .replay_bookkeeping import R_OWNER, R_PRICE, R_SIDE, BatchSink, ReplayError, reconcile_maker, send_each
from .replay_planner import (
    BUY,
    ERR_PRICE,
    L_ROWS,
    MAX_LEVELS,
    MAX_PARTS,
    NO_PRICE,
    P_BASE_OID,
    P_FACTOR,
    P_GRID,
    P_LEVEL_NOT,
    P_LEVELS,
    P_LOT,
    P_MAKER,
    P_MAX_NOT,
    P_MAX_Q,
    P_MAX_T,
    P_MIN_NOT,
    P_MIN_Q,
    P_MIN_T,
    P_SIZE,
    P_TAKER,
    P_TFLOOR,
    P_TICK,
    P_USER_ASK,
    P_USER_BID,
    S_LADDER,
    S_NEXT,
    S_SIZE,
    SELL,
    I64Array,
    plan,
    plan_ladder,
)
from .trade_tapes import ReplayItem, TradeTape, tapes

DEFAULT_BUDGET = 1 << 59  # units of each of the market's assets, per house account
# writes one batch of commands into (commands, order times); returns (commands written, orders placed)
Planner = Callable[[I64Array, I64Array], tuple[int, int]]


class HistoricalReplay:
    """A liquidity source printing history's trades on one market (see the module docstring).

    ``rows_source``: typed rows or chunks from ``datafiles``, or ``TradeTape``s, in time order, with
    prices and quantities already in the market's asset units. ``mode``: "batch" (compiled,
    the default) or "venue" (every command through ``Venue.place``/``cancel``/``amend``).
    """

    def __init__(
        self,
        symbol: str,
        rows_source: Iterable[ReplayItem],
        *,
        levels: int = 10,
        spacing_bps: int = 2,
        spacing_ticks: int | None = None,
        level_notional: int | None = None,
        budget: int = DEFAULT_BUDGET,
        mode: str = "batch",
        batch_rows: int = 16_384,
    ) -> None:
        if mode not in ("batch", "venue"):
            raise ValueError(f"mode must be 'batch' or 'venue', got {mode!r}")
        if not 0 <= levels <= MAX_LEVELS:
            raise ValueError(f"levels must be in [0, {MAX_LEVELS}], got {levels}")
        if (spacing_ticks is not None and spacing_ticks <= 0) or spacing_bps <= 0:
            raise ValueError("the ladder spacing must be positive")
        self.symbol = symbol
        self.mode = mode
        self.levels = levels
        self.spacing_bps = spacing_bps
        self.spacing_ticks = spacing_ticks
        self.level_notional = level_notional
        self.budget = budget
        self.batch_rows = batch_rows
        self._source = rows_source
        self._tapes: Iterator[TradeTape] | None = None
        self._tape: TradeTape | None = None
        self._pos = 0
        self._venue: Venue | None = None
        self.maker = 0
        self.taker = 0
        self._P = np.zeros(P_SIZE, dtype=np.int64)
        self._P[P_USER_ASK], self._P[P_USER_BID] = NO_PRICE, -1  # no user orders seen yet
        self._S = np.zeros(S_SIZE, dtype=np.int64)
        self._L = np.zeros((L_ROWS, max(levels, 1) + 1), dtype=np.int64)
        self._registered: dict[int, int] = {}  # the maker's resting orders at the last reconcile: id -> lots
        self._seen_update_id = -1  # the book's update id after our last batch: unchanged = nobody else acted
        self._cmds: np.ndarray | None = None
        self._ptimes: np.ndarray | None = None
        self.rows_done = 0  # trades printed (after klines became trades)
        self.commands = 0
        self.fallbacks = 0  # advances sent command by command because stop orders were waiting

    # ---- construction from files ----

    @classmethod
    def from_file(
        cls,
        path: df.DataPaths,
        symbol: str,
        venue: Venue,
        kind: str = "auto",
        start: int | None = None,
        end: int | None = None,
        **options: Any,
    ) -> HistoricalReplay:
        """A replay of one data file (or several, in order): ``kind`` "aggTrades", "klines" or "auto"
        (from the file name, else the column count); decimals are the market's; only the rows
        from ``start`` (ms, a kline's open time) and before ``end``, if given."""
        first = path if isinstance(path, (str, os.PathLike)) else path[0]
        if kind == "auto":
            kind = df.detect_kind(first)
        spec = venue.market(symbol).spec if symbol in venue.markets else None
        if spec is None:
            raise ValueError(f"{symbol}: no such market; listed: {sorted(venue.markets)}")
        pd, qd = spec.quote.decimals, spec.base.decimals
        if kind not in (df.AGG_TRADES, df.KLINES):
            raise ValueError(f"kind must be 'aggTrades', 'klines' or 'auto', got {kind!r}")
        return cls(symbol, df.chunks_between(path, kind, pd, qd, start, end), **options)

    # ---- the LiquiditySource protocol ----

    def start(self, venue: Venue, now: int) -> None:
        with venue.lock:
            if self._venue is not None:
                raise RuntimeError("this replay has already started")
            market = venue.markets.get(self.symbol)
            if market is None:
                raise ValueError(f"{self.symbol}: no such market; listed: {sorted(venue.markets)}")
            spec = market.spec
            self._venue = venue
            self._tapes = tapes(self._source, spec.lot_size.step_size)
            budget = {spec.base.code: self.budget, spec.quote.code: self.budget}
            self.maker = venue.create_account(budget, permissions=("SPOT",), house=True)
            self.taker = venue.create_account(budget, permissions=("SPOT",), house=True)
            tape = self._current()
            P = self._P
            tick = spec.price_filter.tick_size
            P[P_TICK], P[P_LOT], P[P_FACTOR] = tick, spec.lot_size.step_size, spec.notional_factor
            P[P_MIN_T], P[P_MAX_T] = spec.min_tick, spec.max_tick
            P[P_MIN_Q] = spec.lot_size.min_qty // spec.lot_size.step_size
            P[P_MAX_Q] = spec.lot_size.max_qty // spec.lot_size.step_size
            P[P_MIN_NOT], P[P_MAX_NOT] = spec.notional.min_notional, spec.notional.max_notional
            P[P_LEVELS] = self.levels
            P[P_MAKER], P[P_TAKER] = self.maker, self.taker
            notional = self.level_notional
            if notional is None:
                notional = 400 * spec.notional.min_notional or 100 * 10**spec.quote.decimals
            P[P_LEVEL_NOT] = notional
            if tape is None:
                P[P_GRID] = 1
                return
            p0 = max(int(tape.price[self._pos]) // tick, 1)
            P[P_GRID] = self.spacing_ticks or max(1, p0 * self.spacing_bps // 10_000)
            p0 = min(max(p0, spec.min_tick), spec.max_tick)
            self._see_users(venue)  # users' orders resting before the start: the first ladder keeps clear
            self._run(venue, lambda cmds, ptimes: plan_ladder(P, self._S, self._L, cmds, ptimes, p0, now))

    def next_due(self) -> int | None:
        tape = self._current()
        return None if tape is None else int(tape.time[self._pos])

    def advance(self, venue: Venue, now: int) -> None:
        if self._venue is None:
            raise RuntimeError("start the replay before advancing it")
        with venue.lock:
            while True:
                tape = self._current()
                if tape is None:
                    return
                end = int(np.searchsorted(tape.time, now, side="right"))
                if end <= self._pos:
                    return
                while self._pos < end:
                    stop = min(end, self._pos + self.batch_rows)
                    self._print(venue, tape, self._pos, stop)
                    self._pos = stop
                if end < len(tape.time):
                    return

    # ---- internals ----

    def _current(self) -> TradeTape | None:
        """The tape holding the next trade (None when history is over)."""
        if self._tapes is None:
            raise RuntimeError("start the replay first")
        while self._tape is None or self._pos >= len(self._tape.time):
            self._tape = next(self._tapes, None)
            self._pos = 0
            if self._tape is None:
                return None
        return self._tape

    def _print(self, venue: Venue, tape: TradeTape, i0: int, i1: int) -> None:
        P, S, L = self._P, self._S, self._L
        market = venue.markets[self.symbol]
        last = market.history.last()
        P[P_TFLOOR] = last.time if last is not None else 0
        if market.update_id != self._seen_update_id:  # users placed, cancelled or traded since
            self._see_users(venue)
        at = [i0, 0, 0]  # next trade, error, trade of the error

        def planned(cmds: np.ndarray, ptimes: np.ndarray) -> tuple[int, int]:
            i, n, places, error, where = plan(
                tape.time, tape.price, tape.qty, tape.side, at[0], i1, P, S, L, cmds, ptimes
            )
            self.rows_done += i - at[0]
            at[:] = i, error, where
            return n, places

        while at[0] < i1:
            self._run(venue, planned)
            if at[1]:
                self._refuse(venue, at[1], tape, at[2])

    def _see_users(self, venue: Venue) -> None:
        """The users' best resting prices (ticks) for the planner: history's taker meets them first,
        the ladder keeps clear of them."""
        P = self._P
        book = venue.book_rows(self.symbol)
        users = book[(book[:, R_OWNER] != self.maker) & (book[:, R_OWNER] != self.taker)]
        asks, bids = users[users[:, R_SIDE] == SELL, R_PRICE], users[users[:, R_SIDE] == BUY, R_PRICE]
        P[P_USER_ASK] = int(asks.min()) if len(asks) else NO_PRICE
        P[P_USER_BID] = int(bids.max()) if len(bids) else -1

    def _refuse(self, venue: Venue, error: int, tape: TradeTape, at: int) -> None:
        spec = venue.markets[self.symbol].spec
        t, p, q = int(tape.time[at]), int(tape.price[at]), int(tape.qty[at])
        if error == ERR_PRICE:
            raise ReplayError(
                f"{self.symbol}: the trade at {t} prices {p} units, outside the market's prices "
                f"[{spec.price_filter.min_price}, {spec.price_filter.max_price}]"
            )
        raise ReplayError(f"{self.symbol}: the trade at {t} of {q} units needs more than {MAX_PARTS} maximum orders")

    def _run(self, venue: Venue, planner: Planner) -> None:
        """Plan one batch of commands and send it."""
        cmds, ptimes = self._cmds, self._ptimes
        if cmds is None or ptimes is None:
            cap = max(4096, self.batch_rows * 5 + 12 * self.levels + 64)
            cmds = self._cmds = np.empty((cap, XW), dtype=np.int64)
            ptimes = self._ptimes = np.empty(cap, dtype=np.int64)
        base = venue.next_order_id(self.symbol)
        self._S[S_NEXT] = base
        self._P[P_BASE_OID] = base
        ladder = int(self._S[S_LADDER])
        n, places = planner(cmds, ptimes)
        if n == 0:
            return
        self.commands += n
        sink = None
        if self.mode == "venue" or venue.stop_orders(self.symbol):
            if self.mode == "batch":
                self.fallbacks += 1
            send_each(venue, self.symbol, cmds[:n], base)
            touched = True
        else:
            sink = BatchSink(venue, self.symbol, self.maker, self.taker, base, ptimes[:places])
            sink.send(cmds[:n])
            touched = sink.touched or self._S[S_LADDER] != ladder
        if touched:
            self._registered = reconcile_maker(venue, self.symbol, self.maker, self._registered)
        # when a user's order traded, look at their orders again next time (the best ones may be gone)
        traded = sink is None or sink.user_fills > 0
        self._seen_update_id = -1 if traded else venue.markets[self.symbol].update_id


def replay_all(replay: HistoricalReplay, venue: Venue, clock: ManualClock, step_ms: int | None = None) -> None:
    """Drive a replay to its end on a ``ManualClock``: to each next due time (``step_ms`` None), or
    in steps of ``step_ms``. For tests, benchmarks and scripts; a server has its own driver."""
    while (due := replay.next_due()) is not None:
        target = due if step_ms is None else max(due, math.ceil((clock.now_ms() + 1) / step_ms) * step_ms)
        if target > clock.now_ms():
            clock.set(target)
        replay.advance(venue, venue.now())
