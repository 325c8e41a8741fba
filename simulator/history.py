"""One market's public trade history and every market-data view Binance derives from it.

Fills arrive in trade-id order, so each trade lives at index ``id - first id`` of a few parallel
int64 columns and time lookups are a bisect on the (non-decreasing) time column. Recording is a
handful of appends; every query touches only the rows it returns, never the whole history, so a
market with millions of trades still answers trades, aggTrades, klines and tickers quickly.
``record_many`` appends a batch of fills in a few vectorised steps, to the same state.

Two summaries are kept up to date as fills arrive, because Binance serves them from the same:
aggregate trades (consecutive fills of one taker order at one price) and per-minute buckets,
from which klines of 1m and longer and the 24hr / rolling ticker statistics are computed.
All prices and quantities are ints in asset units; sums are Python ints, so they never overflow.
Aggregate trades and klines are answered as ``simulator.market_data`` records, the type Binance's
data files are read into.

Klines are continuous, as Binance's are: one candle per bucket from the bucket of the market's
first trade up to the still-open bucket holding the current time. A bucket without trades is a
flat candle at the previous close (volumes and count 0). Bucket boundaries are computed
arithmetically (calendar months by date arithmetic), so only the returned candles are visited,
however long the quiet stretches between trades are.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import MutableSequence
from dataclasses import dataclass
from datetime import date
from itertools import compress

import numpy as np

from .clock import DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS
from .market_data import AggTrade, Kline
from .refusals import Refusal, Refused
from .retention import TRIM_SLACK

# The latest time (ms) the history is asked about: year 6429, inside every calendar its month
# arithmetic (datetime.date) can reach; market-data requests accept no later time.
MAX_HISTORY_TIME = 2**47
WEEK_SHIFT_MS = 3 * DAY_MS  # the epoch was a Thursday; weeks start on Monday
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Every kline interval Binance accepts, in its order, with its length; "1M" is a calendar month
# (length None) because months differ in length.
INTERVALS: dict[str, int | None] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS,
    "3m": 3 * MINUTE_MS,
    "5m": 5 * MINUTE_MS,
    "15m": 15 * MINUTE_MS,
    "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS,
    "2h": 2 * HOUR_MS,
    "4h": 4 * HOUR_MS,
    "6h": 6 * HOUR_MS,
    "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS,
    "3d": 3 * DAY_MS,
    "1w": 7 * DAY_MS,
    "1M": None,
}


@dataclass(frozen=True, slots=True)
class Trade:
    id: int
    price: int
    qty: int
    quote_qty: int
    time: int
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Ticker statistics of a window; open_time/close_time are its first and last trade times."""

    open_time: int
    close_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    quote_volume: int
    count: int
    first_id: int
    last_id: int
    last_qty: int

    def weighted_avg_price(self, base_decimals: int) -> int:
        """Quote units per whole coin, rounded down; needs the base decimals to scale volume."""
        if self.volume == 0:
            return 0
        one_base: int = 10**base_decimals
        return self.quote_volume * one_base // self.volume


# ---- request parameters ------------------------------------------------------------------------

_TIME_ZONE = re.compile(r"([+-]?)([0-9]{1,2})(?::([0-9]{2}))?", re.ASCII)
_WINDOW = re.compile(r"([1-9][0-9]?)([mhd])", re.ASCII)
_WINDOW_UNITS = {"m": (59, MINUTE_MS), "h": (23, HOUR_MS), "d": (7, DAY_MS)}


def parse_interval(text: str) -> str:
    """A kline interval name exactly as Binance spells it (case matters: 1m is not 1M)."""
    if text not in INTERVALS:
        raise Refused(Refusal.UNKNOWN_INTERVAL)
    return text


def parse_time_zone(text: str) -> int:
    """Binance's ``timeZone`` ("-1:00", "05:45", "+08:00", "0", "8", "-5") as minutes east of UTC."""
    m = _TIME_ZONE.fullmatch(text)
    if m is None:
        raise Refused(Refusal.BAD_TIME_ZONE)
    sign, hours, minutes = m.groups()
    if minutes is not None and int(minutes) >= 60:
        raise Refused(Refusal.BAD_TIME_ZONE)
    total = int(hours) * 60 + int(minutes or 0)
    total = -total if sign == "-" else total
    if not -12 * 60 <= total <= 14 * 60:
        raise Refused(Refusal.BAD_TIME_ZONE)
    return total


def parse_window(text: str) -> int:
    """The rolling ticker's ``windowSize`` (1m..59m, 1h..23h, 1d..7d) in ms."""
    m = _WINDOW.fullmatch(text)
    if m is None:
        raise Refused(Refusal.BAD_WINDOW_SIZE)
    most, unit_ms = _WINDOW_UNITS[m.group(2)]
    n = int(m.group(1))
    if n > most:
        raise Refused(Refusal.BAD_WINDOW_SIZE)
    return n * unit_ms


# ---- kline buckets -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Buckets:
    """Bucket arithmetic of one interval and time zone; buckets are named by their open time (UTC ms).

    Buckets are aligned to the epoch in local time (t + offset), weeks to Monday, months to the
    calendar; the offset is applied the same way to every interval.
    """

    length: int | None  # ms, or None for calendar months
    shift: int  # ms added to a UTC time to align it (offset, plus the Monday shift for weeks)

    def open_of(self, t: int) -> int:
        """Open time of the bucket holding t."""
        if self.length is None:
            return _month_open(t, self.shift)
        return (t + self.shift) // self.length * self.length - self.shift

    def step(self, b: int, k: int) -> int:
        """Open time of the bucket k buckets after the one opening at b (k may be negative)."""
        if self.length is None:
            return _month_open(b, self.shift, k)
        return b + k * self.length

    def between(self, a: int, b: int) -> int:
        """How many buckets the one opening at b is after the one opening at a."""
        if self.length is None:
            return _month_index(b, self.shift) - _month_index(a, self.shift)
        return (b - a) // self.length


def _bucketing(interval: str, tz_offset_min: int) -> _Buckets:
    off = tz_offset_min * MINUTE_MS
    length = INTERVALS[interval]
    return _Buckets(length, off + (WEEK_SHIFT_MS if interval == "1w" else 0))


def _month_index(t: int, off: int) -> int:
    """Months since year 0 of the local calendar month holding t."""
    day = date.fromordinal(_EPOCH_ORDINAL + (t + off) // DAY_MS)
    return day.year * 12 + day.month - 1


def _month_open(t: int, off: int, months_later: int = 0) -> int:
    """Start of the local calendar month holding t (or `months_later` after it), in UTC ms."""
    year, month0 = divmod(_month_index(t, off) + months_later, 12)
    return (date(year, month0 + 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY_MS - off


# ---- the history ----------------------------------------------------------------------------------


class MarketHistory:
    """The public trades of one market, with aggregate trades and minute buckets kept alongside.

    Unbounded unless ``set_limits`` bounds it: then at most ``max_trades`` trades (and the aggregates
    they end) and none older than ``keep_ms`` are kept, and minute buckets for ``minute_keep_ms``.
    The oldest rows leave from the front, a batch at a time (at least an eighth of what is kept, and
    at least ``TRIM_SLACK`` rows), when a fill is recorded: at the fill's time, so that the same fills
    always leave the same history. Trade and aggregate ids carry on from where they were, and a
    minute bucket keeps its own open, close, first and last trade's time and last quantity, so
    klines of 1m and longer and the ticker statistics need none of its trades.
    """

    _vector_from = 24  # ``record_many`` of fewer fills calls ``record`` per fill (faster below about 20)

    def __init__(self) -> None:
        self._first_id = 0
        self._dropped = 0  # trades dropped from the front: a trade's number (id - first id) = dropped + index
        # trades, by index = trade number - dropped
        self._price = array("q")
        self._qty = array("q")
        self._quote = array("q")
        self._time = array("q")
        self._taker_buy = array("b")  # 1 when the taker bought (buyer was not the maker)
        # aggregate trades, by index = aggregate id - 1 - agg_dropped; price, side and last id follow
        # from trades
        self._agg_first = array("q")  # number of the first trade
        self._agg_qty = array("q")
        self._agg_time = array("q")
        self._agg_dropped = 0
        self._last_taker: int | None = None
        # minute buckets holding at least one trade, in time order; a minute's trades are one
        # contiguous run, so its count and trade ids follow from the next bucket's first trade
        self._m_start = array("q")
        self._m_first = array("q")  # number of the minute's first trade
        self._m_high = array("q")
        self._m_low = array("q")
        self._m_open = array("q")
        self._m_close = array("q")
        self._m_t0 = array("q")  # time of the minute's first trade
        self._m_t1 = array("q")  # ... and of its last
        self._m_last_qty = array("q")  # quantity of its last trade
        self._m_volume: list[int] = []  # sums: Python ints so a busy minute cannot overflow
        self._m_quote: list[int] = []
        self._m_buy_volume: list[int] = []
        self._m_buy_quote: list[int] = []
        self.max_trades = 0  # limits (``set_limits``); 0: none
        self.keep_ms = 0
        self.minute_keep_ms = 0
        self._bounded = False

    def __len__(self) -> int:
        """Trades recorded so far (those dropped since included)."""
        return self._dropped + len(self._time)

    def kept(self) -> int:
        """Trades held now."""
        return len(self._time)

    def set_limits(self, max_trades: int = 0, keep_ms: int = 0, minute_keep_ms: int = 0) -> None:
        """Keep at most ``max_trades`` trades, none older than ``keep_ms`` before the newest fill, and
        minute buckets for ``minute_keep_ms`` (each 0: no limit); applied from the next fill on."""
        if min(max_trades, keep_ms, minute_keep_ms) < 0:
            raise ValueError("history limits cannot be negative")
        self.max_trades, self.keep_ms, self.minute_keep_ms = max_trades, keep_ms, minute_keep_ms
        self._bounded = bool(max_trades or keep_ms or minute_keep_ms)

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        if "_m_open" not in state:  # saved before histories were bounded: every trade is there
            self._dropped = self._agg_dropped = 0
            self.max_trades = self.keep_ms = self.minute_keep_ms = 0
            self._bounded = False
            ends = [*self._m_first[1:], len(self._time)]
            self._m_open = array("q", (self._price[f] for f in self._m_first))
            self._m_close = array("q", (self._price[e - 1] for e in ends))
            self._m_t0 = array("q", (self._time[f] for f in self._m_first))
            self._m_t1 = array("q", (self._time[e - 1] for e in ends))
            self._m_last_qty = array("q", (self._qty[e - 1] for e in ends))

    # ---- recording ----

    def record(
        self, trade_id: int, price: int, qty: int, quote_qty: int, time: int, buyer_is_maker: bool, taker_order_id: int
    ) -> None:
        """Append one fill; ids must be consecutive and time non-decreasing (bisect relies on it)."""
        k = len(self._time)
        n = self._dropped + k  # this trade's number
        if n == 0:
            self._first_id = trade_id
        elif trade_id != self._first_id + n or time < self._time[-1]:
            raise ValueError(
                f"trade {trade_id} at {time} does not follow trade {self._first_id + n - 1} at {self._time[-1]}"
            )
        same_agg = k > 0 and taker_order_id == self._last_taker and price == self._price[-1]
        buy = 0 if buyer_is_maker else 1
        self._price.append(price)
        self._qty.append(qty)
        self._quote.append(quote_qty)
        self._time.append(time)
        self._taker_buy.append(buy)
        self._last_taker = taker_order_id

        if same_agg:
            self._agg_qty[-1] += qty
        else:
            self._agg_first.append(n)
            self._agg_qty.append(qty)
            self._agg_time.append(time)

        minute = time - time % MINUTE_MS
        if self._m_start and self._m_start[-1] == minute:
            if price > self._m_high[-1]:
                self._m_high[-1] = price
            elif price < self._m_low[-1]:
                self._m_low[-1] = price
            self._m_close[-1] = price
            self._m_t1[-1] = time
            self._m_last_qty[-1] = qty
            self._m_volume[-1] += qty
            self._m_quote[-1] += quote_qty
            if buy:
                self._m_buy_volume[-1] += qty
                self._m_buy_quote[-1] += quote_qty
        else:
            self._m_start.append(minute)
            self._m_first.append(n)
            self._m_high.append(price)
            self._m_low.append(price)
            self._m_open.append(price)
            self._m_close.append(price)
            self._m_t0.append(time)
            self._m_t1.append(time)
            self._m_last_qty.append(qty)
            self._m_volume.append(qty)
            self._m_quote.append(quote_qty)
            self._m_buy_volume.append(qty if buy else 0)
            self._m_buy_quote.append(quote_qty if buy else 0)
        if self._bounded:
            self._maybe_trim(time, k + 1)

    def record_many(
        self,
        first_trade_id: int,
        price: np.ndarray,
        qty: np.ndarray,
        quote: np.ndarray,
        time: np.ndarray,
        buyer_is_maker: np.ndarray,
        taker_order_id: np.ndarray,
    ) -> None:
        """``record`` for each fill in order, in a few vectorised appends (a batch's fills at once).

        Fills are parallel integer (or bool) arrays of equal length with consecutive trade ids from
        ``first_trade_id``; the result is exactly the state ``record`` one fill at a time leaves, and
        the same refusals (ValueError, same message) for an id that does not follow or a time going
        back, except that a refused call changes nothing. Empty arrays change nothing.
        """
        n = len(price)
        cols = [np.asarray(a, dtype=np.int64) for a in (price, qty, quote, time, buyer_is_maker, taker_order_id)]
        if any(c.shape != (n,) for c in cols):
            raise ValueError("the fills' arrays must be one-dimensional and of the same length")
        if n == 0:
            return
        price, qty, quote, time, buyer_is_maker, taker_order_id = cols
        n0 = len(self)  # the batch's first trade's number
        if n0 and (first_trade_id != self._first_id + n0 or time[0] < self._time[-1]):
            raise ValueError(
                f"trade {first_trade_id} at {int(time[0])} does not follow trade "
                f"{self._first_id + n0 - 1} at {self._time[-1]}"
            )
        back = np.flatnonzero(time[1:] < time[:-1]) if n > 1 else None
        if back is not None and len(back):
            j = int(back[0]) + 1
            raise ValueError(
                f"trade {first_trade_id + j} at {int(time[j])} does not follow trade "
                f"{first_trade_id + j - 1} at {int(time[j - 1])}"
            )
        # One at a time for a few fills (the vector steps cost more than they save), and for absurd
        # amounts, whose int64 batch sums could overflow: there sums are Python ints and the aggregate
        # column refuses what int64 cannot hold, as with ``record``.
        if n < self._vector_from or (
            max(int(qty.max()), -int(qty.min()), int(quote.max()), -int(quote.min())) >= (1 << 62) // n
        ):
            for args in zip(
                range(first_trade_id, first_trade_id + n),
                price.tolist(),
                qty.tolist(),
                quote.tolist(),
                time.tolist(),
                (buyer_is_maker != 0).tolist(),
                taker_order_id.tolist(),
                strict=True,
            ):
                self.record(*args)
            return
        if n0 == 0:
            self._first_id = int(first_trade_id)
        buy = (buyer_is_maker == 0).astype(np.int8)

        # aggregate trades: a new one wherever the taker or the price changes
        new_agg = np.empty(n, dtype=bool)
        new_agg[1:] = (taker_order_id[1:] != taker_order_id[:-1]) | (price[1:] != price[:-1])
        new_agg[0] = n0 == 0 or taker_order_id[0] != self._last_taker or price[0] != self._price[-1]
        starts = np.flatnonzero(new_agg).astype(np.int64)
        if not new_agg[0]:  # the first fills continue the last aggregate
            self._agg_qty[-1] += int(qty[: starts[0] if len(starts) else n].sum())
        if len(starts):
            self._agg_first.frombytes((starts + n0).tobytes())
            self._agg_qty.frombytes(np.add.reduceat(qty, starts).tobytes())
            self._agg_time.frombytes(time[starts].tobytes())

        # minute buckets: a new one wherever the minute changes
        minute = time - time % MINUTE_MS
        new_min = np.empty(n, dtype=bool)
        new_min[1:] = minute[1:] != minute[:-1]
        new_min[0] = not (self._m_start and self._m_start[-1] == minute[0])
        ms = np.flatnonzero(new_min).astype(np.int64)
        bounds = ms if new_min[0] else np.concatenate((np.zeros(1, dtype=np.int64), ms))
        hi = np.maximum.reduceat(price, bounds)
        lo = np.minimum.reduceat(price, bounds)
        last = np.append(bounds[1:], n) - 1  # each minute's last fill
        opens, closes, t0, t1, last_qty = price[bounds], price[last], time[bounds], time[last], qty[last]
        vol = np.add.reduceat(qty, bounds).tolist()
        qv = np.add.reduceat(quote, bounds).tolist()
        bv = np.add.reduceat(qty * buy, bounds).tolist()
        bq = np.add.reduceat(quote * buy, bounds).tolist()
        j = 0
        if not new_min[0]:  # the first fills continue the last minute
            self._m_high[-1] = max(self._m_high[-1], int(hi[0]))
            self._m_low[-1] = min(self._m_low[-1], int(lo[0]))
            self._m_close[-1] = int(closes[0])
            self._m_t1[-1] = int(t1[0])
            self._m_last_qty[-1] = int(last_qty[0])
            self._m_volume[-1] += vol[0]
            self._m_quote[-1] += qv[0]
            self._m_buy_volume[-1] += bv[0]
            self._m_buy_quote[-1] += bq[0]
            j = 1
        if len(ms):
            self._m_start.frombytes(minute[ms].tobytes())
            self._m_first.frombytes((ms + n0).tobytes())
            self._m_high.frombytes(hi[j:].tobytes())
            self._m_low.frombytes(lo[j:].tobytes())
            for col, values in (
                (self._m_open, opens),
                (self._m_close, closes),
                (self._m_t0, t0),
                (self._m_t1, t1),
                (self._m_last_qty, last_qty),
            ):
                col.frombytes(values[j:].tobytes())
            self._m_volume += vol[j:]
            self._m_quote += qv[j:]
            self._m_buy_volume += bv[j:]
            self._m_buy_quote += bq[j:]

        # the trades
        for col, values in ((self._price, price), (self._qty, qty), (self._quote, quote), (self._time, time)):
            col.frombytes(values.tobytes())
        self._taker_buy.frombytes(buy.tobytes())
        self._last_taker = int(taker_order_id[-1])
        if self._bounded:
            self._maybe_trim(int(time[-1]), len(self._time))

    def _maybe_trim(self, now: int, n: int) -> None:
        """Trim if at least a batch of rows is due to leave: an eighth of the ``n`` trades kept (at
        least ``TRIM_SLACK``) past ``max_trades`` or older than ``keep_ms``, or ``TRIM_SLACK`` minute
        buckets older than ``minute_keep_ms``."""
        s = max(TRIM_SLACK, n >> 3)
        if (
            (self.max_trades and n >= self.max_trades + s)
            or (self.keep_ms and n > s and self._time[s - 1] < now - self.keep_ms)
            or (
                self.minute_keep_ms
                and len(self._m_t1) > TRIM_SLACK
                and self._m_t1[TRIM_SLACK - 1] < now - self.minute_keep_ms
            )
        ):
            self._trim(now)

    def _trim(self, now: int) -> None:
        """Drop from the front every trade (with the aggregates it starts) and minute bucket the limits
        no longer keep at ``now``; the newest trade and minute always stay."""
        col: MutableSequence[int]  # the columns: arrays, and lists
        n = len(self._time)
        k = n - self.max_trades if self.max_trades else 0
        if self.keep_ms:
            k = max(k, bisect_left(self._time, now - self.keep_ms))
        k = min(k, n - 1)
        if k > 0:
            for col in (self._price, self._qty, self._quote, self._time, self._taker_buy):
                del col[:k]
            self._dropped += k
            a = bisect_right(self._agg_first, self._dropped) - 1  # aggregates whose last trade is gone
            if a > 0:
                for col in (self._agg_first, self._agg_qty, self._agg_time):
                    del col[:a]
                self._agg_dropped += a
        if self.minute_keep_ms:
            r = min(bisect_left(self._m_t1, now - self.minute_keep_ms), len(self._m_t1) - 1)
            if r > 0:
                for col in (
                    self._m_start,
                    self._m_first,
                    self._m_high,
                    self._m_low,
                    self._m_open,
                    self._m_close,
                    self._m_t0,
                    self._m_t1,
                    self._m_last_qty,
                    self._m_volume,
                    self._m_quote,
                    self._m_buy_volume,
                    self._m_buy_quote,
                ):
                    del col[:r]

    # ---- trades ----

    def _trade(self, k: int) -> Trade:
        return Trade(
            self._first_id + self._dropped + k,
            self._price[k],
            self._qty[k],
            self._quote[k],
            self._time[k],
            not self._taker_buy[k],
        )

    def last(self) -> Trade | None:
        return self._trade(len(self._time) - 1) if self._time else None

    def recent(self, limit: int) -> list[Trade]:
        """The newest `limit` trades, oldest first."""
        n = len(self._time)
        return [self._trade(k) for k in range(max(0, n - limit), n)]

    def from_id(self, from_id: int, limit: int) -> list[Trade]:
        """Trades with id >= from_id (from the oldest kept), oldest first, at most `limit`."""
        n = len(self._time)
        i = max(0, from_id - self._first_id - self._dropped)
        return [self._trade(k) for k in range(i, min(n, i + limit))]

    def price_before(self, time: int) -> int | None:
        """Price of the last trade strictly before `time` (the previous close); when the trades before
        `time` are no longer kept, the close of the last minute that ended before it."""
        if self._time and self._time[0] < time:
            return self._price[bisect_left(self._time, time) - 1]
        j = bisect_left(self._m_t1, time)
        return self._m_close[j - 1] if j else None

    # ---- aggregate trades ----

    def _agg(self, a: int) -> AggTrade:
        first = self._agg_first[a]
        after = self._agg_first[a + 1] if a + 1 < len(self._agg_first) else len(self)
        k = max(first - self._dropped, 0)  # (its first trade may be gone: all have its price and side)
        return AggTrade(
            self._agg_dropped + a + 1,
            self._price[k],
            self._agg_qty[a],
            self._first_id + first,
            self._first_id + after - 1,
            self._agg_time[a],
            not self._taker_buy[k],
        )

    def agg_trades(self, from_id: int | None, start: int | None, end: int | None, limit: int) -> list[AggTrade]:
        """Aggregates with id >= from_id, else with start <= time <= end, else the newest; oldest first."""
        n = len(self._agg_time)
        if from_id is not None:
            i = max(0, from_id - 1 - self._agg_dropped)
            j = min(n, i + limit)
        elif start is not None or end is not None:
            i = 0 if start is None else bisect_left(self._agg_time, start)
            j = n if end is None else bisect_right(self._agg_time, end)
            j = min(j, i + limit)
        else:
            i, j = max(0, n - limit), n
        return [self._agg(a) for a in range(i, j)]

    # ---- klines ----

    def klines(
        self, interval: str, start: int | None, end: int | None, limit: int, tz_offset_min: int = 0, *, now: int
    ) -> list[Kline]:
        """Klines oldest first, one per bucket from the first trade's bucket to the one holding now.

        A bucket without trades is a flat candle at the previous close with zero volumes and count;
        the bucket holding `now` is the open candle so far. Nothing precedes the first trade kept (an
        empty history answers []): the first minute bucket kept for 1m and longer, the first trade
        kept for 1s. A `now` before the last trade counts as the last trade's time.
        start given: from the bucket holding start (not before the first trade's) up to the one
        holding min(end, now), the first `limit`; only end: up to the bucket holding min(end, now),
        the last `limit`; neither: the newest `limit`. 1s klines come from the trades, longer ones
        from the minute buckets; each bucket costs a bisect at most, and empty ones not even that.
        """
        if not self._time or limit <= 0:
            return []
        bk = _bucketing(interval, tz_offset_min)
        by_trade = interval == "1s"
        now = max(now, self._time[-1])
        oldest = self._time[0] if by_trade else self._m_t0[0]
        first, current = bk.open_of(oldest), bk.open_of(now)
        if start is not None and start >= bk.step(current, 1):
            return []  # (checked first: a far-future start need not fit the calendar)
        last = current if end is None or end >= now else bk.open_of(end)
        if last < first:
            return []
        if start is None:
            lo = bk.step(last, -min(limit - 1, bk.between(first, last)))
        else:
            lo = first if start <= oldest else max(first, bk.open_of(start))
            if lo > last:
                return []
        count = min(limit, bk.between(lo, last) + 1)

        times = self._time if by_trade else self._m_start
        n = len(times)
        i = bisect_left(times, lo)
        out: list[Kline] = []
        b = lo
        for _ in range(count):
            nb = bk.step(b, 1)
            if i < n and times[i] < nb:
                j = bisect_left(times, nb, i)
                k = (self._kline_of_trades if by_trade else self._kline_of_minutes)(b, nb - 1, i, j)
                i = j
            else:  # no trade: flat at the previous close; lo >= first, so one exists
                close = out[-1].close if out else (self._price if by_trade else self._m_close)[i - 1]
                k = Kline(b, close, close, close, close, 0, nb - 1, 0, 0, 0, 0)
            out.append(k)
            b = nb
        return out

    def _kline_of_trades(self, open_time: int, close_time: int, i: int, j: int) -> Kline:
        qty, quote, buy = self._qty[i:j], self._quote[i:j], self._taker_buy[i:j]
        price = self._price[i:j]
        return Kline(
            open_time,
            price[0],
            max(price),
            min(price),
            price[-1],
            sum(qty),
            close_time,
            sum(quote),
            j - i,
            sum(compress(qty, buy)),
            sum(compress(quote, buy)),
        )

    def _minute_end(self, row: int) -> int:
        """Number of the first trade of minute row `row`, or of the next trade when past the last row."""
        return self._m_first[row] if row < len(self._m_first) else len(self)

    def _kline_of_minutes(self, open_time: int, close_time: int, i: int, j: int) -> Kline:
        return Kline(
            open_time,
            self._m_open[i],
            max(self._m_high[i:j]),
            min(self._m_low[i:j]),
            self._m_close[j - 1],
            sum(self._m_volume[i:j]),
            close_time,
            sum(self._m_quote[i:j]),
            self._minute_end(j) - self._m_first[i],
            sum(self._m_buy_volume[i:j]),
            sum(self._m_buy_quote[i:j]),
        )

    # ---- ticker statistics ----

    def window(self, start: int, end: int) -> WindowStats | None:
        """Statistics of the trades in the minute buckets starting in [floor_to_minute(start), end].

        Like Binance's, the statistics work on whole minutes, so they may cover up to 59999 ms
        before `start`; that keeps a 7-day window at most 10080 rows. None when no trade is in it.
        """
        i = bisect_left(self._m_start, start - start % MINUTE_MS)
        j = bisect_right(self._m_start, end)
        if i >= j:
            return None
        first, last = self._m_first[i], self._minute_end(j) - 1
        return WindowStats(
            open_time=self._m_t0[i],
            close_time=self._m_t1[j - 1],
            open=self._m_open[i],
            high=max(self._m_high[i:j]),
            low=min(self._m_low[i:j]),
            close=self._m_close[j - 1],
            volume=sum(self._m_volume[i:j]),
            quote_volume=sum(self._m_quote[i:j]),
            count=last - first + 1,
            first_id=self._first_id + first,
            last_id=self._first_id + last,
            last_qty=self._m_last_qty[j - 1],
        )
