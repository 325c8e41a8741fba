"""One market's public trade history and every market-data view Binance derives from it.

Fills arrive in trade-id order, so each trade lives at index ``id - first id`` of a few parallel
int64 columns and time lookups are a bisect on the (non-decreasing) time column. Recording is a
handful of appends; every query touches only the rows it returns, never the whole history, so a
market with millions of trades still answers trades, aggTrades, klines and tickers quickly.

Two summaries are kept up to date as fills arrive, because Binance serves them from the same:
aggregate trades (consecutive fills of one taker order at one price) and per-minute buckets,
from which klines of 1m and longer and the 24hr / rolling ticker statistics are computed.
All prices and quantities are ints in asset units; sums are Python ints, so they never overflow.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import compress

from . import binance_errors as err

SECOND_MS = 1_000
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
WEEK_SHIFT_MS = 3 * DAY_MS  # the epoch was a Thursday; weeks start on Monday
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()

# Every kline interval Binance accepts, in its order, with its length; "1M" is a calendar month
# (length None) because months differ in length.
INTERVALS: dict[str, int | None] = {
    "1s": SECOND_MS,
    "1m": MINUTE_MS, "3m": 3 * MINUTE_MS, "5m": 5 * MINUTE_MS, "15m": 15 * MINUTE_MS, "30m": 30 * MINUTE_MS,
    "1h": HOUR_MS, "2h": 2 * HOUR_MS, "4h": 4 * HOUR_MS, "6h": 6 * HOUR_MS, "8h": 8 * HOUR_MS,
    "12h": 12 * HOUR_MS,
    "1d": DAY_MS, "3d": 3 * DAY_MS, "1w": 7 * DAY_MS,
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
class AggTrade:
    id: int
    price: int
    qty: int
    first_trade_id: int
    last_trade_id: int
    time: int
    buyer_is_maker: bool


@dataclass(frozen=True, slots=True)
class Kline:
    open_time: int
    open: int
    high: int
    low: int
    close: int
    volume: int
    close_time: int
    quote_volume: int
    count: int
    taker_buy_volume: int
    taker_buy_quote_volume: int


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
        return self.quote_volume * 10 ** base_decimals // self.volume


# ---- request parameters ------------------------------------------------------------------------

_TIME_ZONE = re.compile(r"([+-]?)([0-9]{1,2})(?::([0-9]{2}))?", re.ASCII)
_WINDOW = re.compile(r"([1-9][0-9]?)([mhd])", re.ASCII)
_WINDOW_UNITS = {"m": (59, MINUTE_MS), "h": (23, HOUR_MS), "d": (7, DAY_MS)}


def parse_interval(text: str) -> str:
    """A kline interval name exactly as Binance spells it (case matters: 1m is not 1M)."""
    if text not in INTERVALS:
        raise err.BAD_INTERVAL
    return text


def parse_time_zone(text: str) -> int:
    """Binance's ``timeZone`` ("-1:00", "05:45", "+08:00", "0", "8", "-5") as minutes east of UTC."""
    m = _TIME_ZONE.fullmatch(text)
    if m is None:
        raise err.invalid_value("timeZone")
    sign, hours, minutes = m.groups()
    if minutes is not None and int(minutes) >= 60:
        raise err.invalid_value("timeZone")
    total = int(hours) * 60 + int(minutes or 0)
    total = -total if sign == "-" else total
    if not -12 * 60 <= total <= 14 * 60:
        raise err.invalid_value("timeZone")
    return total


def parse_window(text: str) -> int:
    """The rolling ticker's ``windowSize`` (1m..59m, 1h..23h, 1d..7d) in ms."""
    m = _WINDOW.fullmatch(text)
    if m is None:
        raise err.invalid_value("windowSize")
    most, unit_ms = _WINDOW_UNITS[m.group(2)]
    n = int(m.group(1))
    if n > most:
        raise err.invalid_value("windowSize")
    return n * unit_ms


# ---- kline buckets -------------------------------------------------------------------------------

def _bucketing(interval: str, tz_offset_min: int) -> tuple[Callable[[int], int], Callable[[int], int]]:
    """(open time of the bucket holding t, open time of the bucket after the one opening at b).

    Buckets are aligned to the epoch in local time (t + offset), weeks to Monday, months to the
    calendar; the offset is applied the same way to every interval.
    """
    off = tz_offset_min * MINUTE_MS
    length = INTERVALS[interval]
    if length is None:
        return (lambda t: _month_open(t, off)), (lambda b: _month_open(b, off, 1))
    shift = off + (WEEK_SHIFT_MS if interval == "1w" else 0)
    return (lambda t: (t + shift) // length * length - shift), (lambda b: b + length)


def _month_open(t: int, off: int, months_later: int = 0) -> int:
    """Start of the local calendar month holding t (or `months_later` after it), in UTC ms."""
    day = date.fromordinal(_EPOCH_ORDINAL + (t + off) // DAY_MS)
    year, month0 = divmod(day.year * 12 + day.month - 1 + months_later, 12)
    return (date(year, month0 + 1, 1).toordinal() - _EPOCH_ORDINAL) * DAY_MS - off


def _spans(times: Sequence[int], open_of: Callable[[int], int], next_open: Callable[[int], int],
           start: int | None, end: int | None, limit: int) -> list[tuple[int, int, int]]:
    """The chosen buckets as (open time, first row, row after last), oldest first.

    ``times`` is sorted (trade times or minute starts), so each bucket is one bisect away and
    only the returned buckets are visited.
    """
    out: list[tuple[int, int, int]] = []
    if start is not None:  # the bucket holding start and later ones, up to end
        i, n = bisect_left(times, open_of(start)), len(times)
        while i < n and len(out) < limit:
            b = open_of(times[i])
            if end is not None and b > end:
                break
            j = bisect_left(times, next_open(b), i)
            out.append((b, i, j))
            i = j
        return out
    # the newest buckets, up to and including the one holding end
    j = len(times) if end is None else bisect_left(times, next_open(open_of(end)))
    while j > 0 and len(out) < limit:
        b = open_of(times[j - 1])
        i = bisect_left(times, b, 0, j)
        out.append((b, i, j))
        j = i
    out.reverse()
    return out


# ---- the history ----------------------------------------------------------------------------------

class MarketHistory:
    """The public trades of one market, with aggregate trades and minute buckets kept alongside."""

    def __init__(self) -> None:
        self._first_id = 0
        # trades, by index = trade id - first id
        self._price = array("q")
        self._qty = array("q")
        self._quote = array("q")
        self._time = array("q")
        self._taker_buy = array("b")  # 1 when the taker bought (buyer was not the maker)
        # aggregate trades, by index = aggregate id - 1; price, side and last id follow from trades
        self._agg_first = array("q")  # index of the first trade
        self._agg_qty = array("q")
        self._agg_time = array("q")
        self._last_taker: int | None = None
        # minute buckets holding at least one trade, in time order; open/close/count/ids follow from
        # the trades since a minute's trades are one contiguous run
        self._m_start = array("q")
        self._m_first = array("q")  # index of the minute's first trade
        self._m_high = array("q")
        self._m_low = array("q")
        self._m_volume: list[int] = []  # sums: Python ints so a busy minute cannot overflow
        self._m_quote: list[int] = []
        self._m_buy_volume: list[int] = []
        self._m_buy_quote: list[int] = []

    def __len__(self) -> int:
        return len(self._time)

    # ---- recording ----

    def record(self, trade_id: int, price: int, qty: int, quote_qty: int, time: int, buyer_is_maker: bool,
               taker_order_id: int) -> None:
        """Append one fill; ids must be consecutive and time non-decreasing (bisect relies on it)."""
        k = len(self._time)
        if k == 0:
            self._first_id = trade_id
        elif trade_id != self._first_id + k or time < self._time[-1]:
            raise ValueError(f"trade {trade_id} at {time} does not follow trade "
                             f"{self._first_id + k - 1} at {self._time[-1]}")
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
            self._agg_first.append(k)
            self._agg_qty.append(qty)
            self._agg_time.append(time)

        minute = time - time % MINUTE_MS
        if self._m_start and self._m_start[-1] == minute:
            if price > self._m_high[-1]:
                self._m_high[-1] = price
            elif price < self._m_low[-1]:
                self._m_low[-1] = price
            self._m_volume[-1] += qty
            self._m_quote[-1] += quote_qty
            if buy:
                self._m_buy_volume[-1] += qty
                self._m_buy_quote[-1] += quote_qty
        else:
            self._m_start.append(minute)
            self._m_first.append(k)
            self._m_high.append(price)
            self._m_low.append(price)
            self._m_volume.append(qty)
            self._m_quote.append(quote_qty)
            self._m_buy_volume.append(qty if buy else 0)
            self._m_buy_quote.append(quote_qty if buy else 0)

    # ---- trades ----

    def _trade(self, k: int) -> Trade:
        return Trade(self._first_id + k, self._price[k], self._qty[k], self._quote[k], self._time[k],
                     not self._taker_buy[k])

    def last(self) -> Trade | None:
        return self._trade(len(self._time) - 1) if self._time else None

    def recent(self, limit: int) -> list[Trade]:
        """The newest `limit` trades, oldest first."""
        n = len(self._time)
        return [self._trade(k) for k in range(max(0, n - limit), n)]

    def from_id(self, from_id: int, limit: int) -> list[Trade]:
        """Trades with id >= from_id, oldest first, at most `limit`."""
        n = len(self._time)
        i = max(0, from_id - self._first_id)
        return [self._trade(k) for k in range(i, min(n, i + limit))]

    def price_before(self, time: int) -> int | None:
        """Price of the last trade strictly before `time` (the previous close)."""
        k = bisect_left(self._time, time)
        return self._price[k - 1] if k else None

    # ---- aggregate trades ----

    def _agg(self, a: int) -> AggTrade:
        first = self._agg_first[a]
        after = self._agg_first[a + 1] if a + 1 < len(self._agg_first) else len(self._time)
        return AggTrade(a + 1, self._price[first], self._agg_qty[a], self._first_id + first,
                        self._first_id + after - 1, self._agg_time[a], not self._taker_buy[first])

    def agg_trades(self, from_id: int | None, start: int | None, end: int | None, limit: int) -> list[AggTrade]:
        """Aggregates with id >= from_id, else with start <= time <= end, else the newest; oldest first."""
        n = len(self._agg_time)
        if from_id is not None:
            i = max(0, from_id - 1)
            j = min(n, i + limit)
        elif start is not None or end is not None:
            i = 0 if start is None else bisect_left(self._agg_time, start)
            j = n if end is None else bisect_right(self._agg_time, end)
            j = min(j, i + limit)
        else:
            i, j = max(0, n - limit), n
        return [self._agg(a) for a in range(i, j)]

    # ---- klines ----

    def klines(self, interval: str, start: int | None, end: int | None, limit: int,
               tz_offset_min: int = 0) -> list[Kline]:
        """Klines oldest first; only buckets holding at least one trade are returned.

        Binance fills quiet buckets with flat candles; we skip them so that a sparse simulated
        market answers with its real activity and a limit is never spent on empty rows.
        start given: the bucket holding start and later ones with open time <= end, the first
        `limit`; only end: buckets up to the one holding end, the last `limit`; neither: the
        newest `limit`. 1s klines come from the trades, longer ones from the minute buckets.
        """
        open_of, next_open = _bucketing(interval, tz_offset_min)
        if interval == "1s":
            spans = _spans(self._time, open_of, next_open, start, end, limit)
            return [self._kline_of_trades(b, next_open(b) - 1, i, j) for b, i, j in spans]
        spans = _spans(self._m_start, open_of, next_open, start, end, limit)
        return [self._kline_of_minutes(b, next_open(b) - 1, i, j) for b, i, j in spans]

    def _kline_of_trades(self, open_time: int, close_time: int, i: int, j: int) -> Kline:
        qty, quote, buy = self._qty[i:j], self._quote[i:j], self._taker_buy[i:j]
        price = self._price[i:j]
        return Kline(open_time, price[0], max(price), min(price), price[-1], sum(qty), close_time, sum(quote),
                     j - i, sum(compress(qty, buy)), sum(compress(quote, buy)))

    def _minute_end(self, row: int) -> int:
        """Index of the first trade of minute row `row`, or the trade count when past the last row."""
        return self._m_first[row] if row < len(self._m_first) else len(self._time)

    def _kline_of_minutes(self, open_time: int, close_time: int, i: int, j: int) -> Kline:
        first, after = self._m_first[i], self._minute_end(j)
        return Kline(open_time, self._price[first], max(self._m_high[i:j]), min(self._m_low[i:j]),
                     self._price[after - 1], sum(self._m_volume[i:j]), close_time, sum(self._m_quote[i:j]),
                     after - first, sum(self._m_buy_volume[i:j]), sum(self._m_buy_quote[i:j]))

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
            open_time=self._time[first], close_time=self._time[last],
            open=self._price[first], high=max(self._m_high[i:j]), low=min(self._m_low[i:j]),
            close=self._price[last], volume=sum(self._m_volume[i:j]), quote_volume=sum(self._m_quote[i:j]),
            count=last - first + 1, first_id=self._first_id + first, last_id=self._first_id + last,
            last_qty=self._qty[last])
