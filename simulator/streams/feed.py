"""What each change did to each watched market, taken from the venue's event stream.

A listener of the venue's stream (``simulator/stream.py``) runs on the thread that made the change,
with the venue's lock held and the state just as the change left it. For every market somebody
watches it notes, in a few steps: the trades the change printed (read back from the market's
history, the records ``/api/v3/trades`` and ``/aggTrades`` serve), the price levels its events
touched with their new totals (read from the book's level index, never by walking the book), the
book's update id after it (the ``lastUpdateId`` of ``/api/v3/depth``) and the top of the book.
That note is queued for the stream hub on the event loop, which renders and sends; nothing here
waits on a socket.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from engine import OrderAccepted, OrderAmended, OrderCanceled, OrderExpired, OrderFilled, Side
from engine.batch import E_KIND, E_PRICE, E_SIDE, E_TID, EV_ACCEPTED, EV_AMENDED, EV_CANCELED, EV_EXPIRED, EV_FILL

from ..history import Trade
from ..market_data import AggTrade
from ..stream import Attachment, BookBatch, Change
from ..venue import Venue

TOP_LEVELS = 20  # the deepest partial book stream
_BOOK_EVENTS = (OrderAccepted, OrderCanceled, OrderExpired, OrderAmended)  # each names a side and a price


@dataclass(frozen=True, slots=True)
class MarketChange:
    """One change as seen in one market."""

    time: int
    update_id: int  # the book's update id after the change
    trades: tuple[Trade, ...]
    aggs: tuple[AggTrade, ...]
    levels: tuple[tuple[Side, int, int], ...]  # (side, price, new total quantity) of each level touched
    bids: tuple[tuple[int, int], ...]  # the top of the book after the change, best first
    asks: tuple[tuple[int, int], ...]


@dataclass(slots=True)
class _Pending:
    changes: dict[str, list[MarketChange]] = field(default_factory=dict)


class MarketFeed:
    """Notes the changes of the watched markets; ``take`` hands them over, oldest first."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self._lock = threading.Lock()
        self._watched: dict[str, int] = {}  # symbol -> how many subscriptions watch it
        # symbol -> partial depth subscriptions: the top levels are read after each change only as
        # deep as a stream sends them (TOP_LEVELS for a partial book, else the best level)
        self._partial: dict[str, int] = {}
        self._pending = _Pending()
        self._wake: Callable[[], None] | None = None
        self._attachment = Attachment(venue.stream, self._on_change)  # attached while a market is watched

    def start(self, wake: Callable[[], None]) -> None:
        """Note the watched markets' changes from now on; ``wake`` (thread-safe) is called after one."""
        self._wake = wake
        self._attachment.want(bool(self._watched))

    def stop(self) -> None:
        self._wake = None
        self._attachment.want(False)

    def watch(self, symbol: str) -> None:
        with self._lock:
            self._watched[symbol] = self._watched.get(symbol, 0) + 1
            self._attachment.want(self._wake is not None)

    def unwatch(self, symbol: str) -> None:
        with self._lock:
            left = self._watched.get(symbol, 0) - 1
            if left > 0:
                self._watched[symbol] = left
            else:
                self._watched.pop(symbol, None)
                self._pending.changes.pop(symbol, None)
            self._attachment.want(self._wake is not None and bool(self._watched))

    def want_partial_depth(self, symbol: str, wanted: bool) -> None:
        """A partial depth stream of ``symbol`` began (``wanted``) or ended."""
        with self._lock:
            count = self._partial.get(symbol, 0) + (1 if wanted else -1)
            if count > 0:
                self._partial[symbol] = count
            else:
                self._partial.pop(symbol, None)

    def take(self) -> dict[str, list[MarketChange]]:
        """Everything noted since the last call, by market."""
        with self._lock:
            pending, self._pending = self._pending, _Pending()
        return pending.changes

    def current(self, symbol: str) -> MarketChange:
        """The market as it stands (a new subscription's starting point): its update id and top of
        book, no trades, no levels."""
        with self.venue.lock:
            update_id, bids, asks = self.venue.depth(symbol, TOP_LEVELS)
            return MarketChange(self.venue.now(), update_id, (), (), (), tuple(bids), tuple(asks))

    # ---- on the changing thread, under the venue's lock ----------------------------------------

    def _on_change(self, change: Change) -> None:
        watched = self._watched
        if not watched:
            return
        touched: dict[str, dict[tuple[Side, int], None]] = {}
        trade_ids: dict[str, list[int]] = {}
        for e in change.events:
            if isinstance(e, OrderFilled):
                if e.market not in watched:
                    continue
                maker = Side.SELL if e.taker_side == Side.BUY else Side.BUY
                touched.setdefault(e.market, {})[(maker, e.price)] = None
                ids = trade_ids.get(e.market)
                if ids is None:
                    trade_ids[e.market] = [e.trade_id, e.trade_id]
                else:
                    ids[0], ids[1] = min(ids[0], e.trade_id), max(ids[1], e.trade_id)
            elif isinstance(e, _BOOK_EVENTS) and e.market in watched and e.price > 0:
                # (a waiting stop's price too: the level read there is simply unchanged)
                touched.setdefault(e.market, {})[(e.side, e.price)] = None
            elif isinstance(e, BookBatch) and e.market in watched:
                self._batch(e, touched.setdefault(e.market, {}), trade_ids)
        if not touched and not trade_ids:
            return
        noted = {
            symbol: self._note(symbol, change.time, touched.get(symbol, {}), trade_ids.get(symbol))
            for symbol in touched | trade_ids
        }
        with self._lock:
            for symbol, market_change in noted.items():
                if symbol in self._watched:
                    self._pending.changes.setdefault(symbol, []).append(market_change)
        if self._wake is not None:
            self._wake()

    def _batch(self, batch: BookBatch, touched: dict[tuple[Side, int], None], trade_ids: dict[str, list[int]]) -> None:
        """The levels and trades of an engine batch, from its rows."""
        rows = batch.rows
        kinds = rows[:, E_KIND]
        book = (kinds == EV_ACCEPTED) | (kinds == EV_CANCELED) | (kinds == EV_AMENDED) | (kinds == EV_EXPIRED)
        fills = kinds == EV_FILL
        sides = np.where(fills, 1 - rows[:, E_SIDE], rows[:, E_SIDE])  # a fill's row names the taker's side
        spec = self.venue.markets[batch.market].spec
        at = np.flatnonzero((book | fills) & (rows[:, E_PRICE] > 0))
        for side, price in zip(sides[at].tolist(), spec.price_units(rows[at, E_PRICE]).tolist(), strict=True):
            touched[(Side(side), price)] = None
        if fills.any():
            ids = rows[fills, E_TID]
            first, last = int(ids.min()), int(ids.max())
            known = trade_ids.get(batch.market)
            trade_ids[batch.market] = [first, last] if known is None else [min(known[0], first), max(known[1], last)]

    def _note(
        self, symbol: str, time: int, touched: dict[tuple[Side, int], None], ids: list[int] | None
    ) -> MarketChange:
        venue = self.venue
        market = venue.markets[symbol]
        trades: tuple[Trade, ...] = ()
        aggs: tuple[AggTrade, ...] = ()
        if ids is not None:
            first, last = ids
            trades = tuple(market.history.from_id(first, last - first + 1))
            aggs = tuple(
                a for a in market.history.agg_trades(None, None, None, len(trades)) if a.first_trade_id >= first
            )
        levels = list(touched)
        quantities = venue.level_quantities(symbol, levels) if levels else []
        update_id, bids, asks = venue.depth(symbol, TOP_LEVELS if symbol in self._partial else 1)
        return MarketChange(
            time,
            update_id,
            trades,
            aggs,
            tuple((side, price, q) for (side, price), q in zip(levels, quantities, strict=True)),
            tuple(bids),
            tuple(asks),
        )
