"""Trade history views against Binance's rules and against brute-force recomputation."""

from __future__ import annotations

import copy
import itertools
import time as clock
from array import array
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.binance_errors import ApiError, for_refusal
from simulator.history import (
    INTERVALS,
    AggTrade,
    Kline,
    MarketHistory,
    Trade,
    WindowStats,
    parse_interval,
    parse_time_zone,
    parse_window,
)
from simulator.refusals import Refused

SEC = 1_000
MIN = 60_000
HOUR = 3_600_000
DAY = 86_400_000
EPOCH = datetime(1970, 1, 1)
T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
ALL_INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"]


def ms(text: str) -> int:
    """UTC ISO time as epoch ms."""
    return (datetime.fromisoformat(text) - EPOCH) // timedelta(milliseconds=1)


@dataclass
class Fill:
    id: int
    price: int
    qty: int
    quote: int
    time: int
    maker: bool
    taker: int


def build(fills: list[Fill]) -> MarketHistory:
    h = MarketHistory()
    for f in fills:
        h.record(
            trade_id=f.id,
            price=f.price,
            qty=f.qty,
            quote_qty=f.quote,
            time=f.time,
            buyer_is_maker=f.maker,
            taker_order_id=f.taker,
        )
    return h


def fills_at(times: list[int], first_id: int = 1, price: int = 100) -> list[Fill]:
    """One fill per time, each from its own taker, prices rising so open/close are recognisable."""
    return [
        Fill(first_id + k, price + k, 10 + k, (price + k) * (10 + k), t, k % 2 == 0, 1000 + k)
        for k, t in enumerate(times)
    ]


def refused(call, *args) -> ApiError:
    """What the HTTP edge answers the refusal with."""
    with pytest.raises(Refused) as info:
        call(*args)
    return for_refusal(info.value)


# ---- brute-force references ---------------------------------------------------------------------


def ref_aggs(fills: list[Fill]) -> list[AggTrade]:
    groups: list[list[Fill]] = []
    for f in fills:
        if groups and groups[-1][-1].taker == f.taker and groups[-1][-1].price == f.price:
            groups[-1].append(f)
        else:
            groups.append([f])
    return [
        AggTrade(n + 1, g[0].price, sum(f.qty for f in g), g[0].id, g[-1].id, g[0].time, g[0].maker)
        for n, g in enumerate(groups)
    ]


def ref_bucket(t: int, interval: str, tz: int) -> tuple[int, int]:
    """(open, close) of the bucket holding t, by calendar arithmetic in local time."""
    off = timedelta(minutes=tz)
    local = EPOCH + timedelta(milliseconds=t) + off
    n, unit = int(interval[:-1]), interval[-1]
    if unit == "s":
        start, nxt = local.replace(microsecond=0), timedelta(seconds=1)
    elif unit == "m":
        start, nxt = local.replace(minute=local.minute // n * n, second=0, microsecond=0), timedelta(minutes=n)
    elif unit == "h":
        start, nxt = local.replace(hour=local.hour // n * n, minute=0, second=0, microsecond=0), timedelta(hours=n)
    elif unit == "d":
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start, nxt = midnight - timedelta(days=(midnight - EPOCH).days % n), timedelta(days=n)
    elif unit == "w":
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        start, nxt = midnight - timedelta(days=midnight.weekday()), timedelta(days=7)
    else:
        start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        nxt = (start + timedelta(days=32)).replace(day=1) - start
    open_ = (start - off - EPOCH) // timedelta(milliseconds=1)
    return open_, open_ + nxt // timedelta(milliseconds=1) - 1


def ref_candle(open_: int, close: int, g: list[Fill]) -> Kline:
    buys = [f for f in g if not f.maker]
    return Kline(
        open_,
        g[0].price,
        max(f.price for f in g),
        min(f.price for f in g),
        g[-1].price,
        sum(f.qty for f in g),
        close,
        sum(f.quote for f in g),
        len(g),
        sum(f.qty for f in buys),
        sum(f.quote for f in buys),
    )


def ref_klines(fills: list[Fill], interval: str, tz: int) -> list[Kline]:
    """Only the candles of buckets holding trades."""
    groups: dict[tuple[int, int], list[Fill]] = {}
    for f in fills:
        groups.setdefault(ref_bucket(f.time, interval, tz), []).append(f)
    return [ref_candle(open_, close, g) for (open_, close), g in sorted(groups.items())]


def ref_series(fills: list[Fill], interval: str, tz: int, now: int) -> list[Kline]:
    """Every candle from the first trade's bucket to the one holding now, walking bucket by bucket;
    a bucket without trades is flat at the previous close."""
    if not fills:
        return []
    groups: dict[tuple[int, int], list[Fill]] = {}
    for f in fills:
        groups.setdefault(ref_bucket(f.time, interval, tz), []).append(f)
    last_open = ref_bucket(max(now, fills[-1].time), interval, tz)[0]
    bucket = ref_bucket(fills[0].time, interval, tz)
    out: list[Kline] = []
    while bucket[0] <= last_open:
        g = groups.get(bucket)
        if g:
            out.append(ref_candle(*bucket, g))
        else:
            p = out[-1].close
            out.append(Kline(bucket[0], p, p, p, p, 0, bucket[1], 0, 0, 0, 0))
        bucket = ref_bucket(bucket[1] + 1, interval, tz)
    return out


def ref_select(
    series: list[Kline], interval: str, tz: int, start: int | None, end: int | None, limit: int, now: int
) -> list[Kline]:
    """Binance's selection on the whole continuous series."""
    top = ref_bucket(now if end is None else min(end, now), interval, tz)[0]
    rows = [k for k in series if k.open_time <= top]
    if start is not None:
        first = ref_bucket(start, interval, tz)[0]
        return [k for k in rows if k.open_time >= first][:limit]
    return rows[-limit:]


def ref_window(fills: list[Fill], start: int, end: int) -> WindowStats | None:
    g = [f for f in fills if start // MIN * MIN <= f.time // MIN * MIN <= end]
    if not g:
        return None
    return WindowStats(
        g[0].time,
        g[-1].time,
        g[0].price,
        max(f.price for f in g),
        min(f.price for f in g),
        g[-1].price,
        sum(f.qty for f in g),
        sum(f.quote for f in g),
        len(g),
        g[0].id,
        g[-1].id,
        g[-1].qty,
    )


GAPS = st.one_of(
    st.sampled_from([0, 0, 1, 999, 1_000, 59_999, 60_000, HOUR, DAY]),
    st.integers(0, 5 * MIN),
    st.integers(0, 40 * DAY),
)
# A rough bucket length per interval, to draw gaps of a few buckets (months: 31 days)
UNIT = {name: length or 31 * DAY for name, length in INTERVALS.items()}


def gaps_of(unit: int) -> st.SearchStrategy[int]:
    """Gaps between fills of a few buckets at most, edges included, so a walk over every bucket
    stays short whatever the interval."""
    return st.one_of(
        st.sampled_from([0, 0, 1, unit - 1, unit, unit + 1, 2 * unit, 5 * unit]),
        st.integers(0, 3 * unit),
        st.integers(0, 12 * unit),
    )


@st.composite
def fill_streams(draw, max_size: int = 40, gaps: st.SearchStrategy[int] = GAPS) -> list[Fill]:
    """Fills as the engine makes them: consecutive ids, time non-decreasing, takers often repeated."""
    n = draw(st.integers(1, max_size))
    first_id = draw(st.integers(1, 10_000))
    t = T0 + draw(st.integers(-400 * DAY, 400 * DAY))
    taker, out = 1, []
    for k in range(n):
        gap = draw(gaps) if k else 0
        if gap or draw(st.booleans()):  # a new taker order always takes a new timestamp here
            taker += 1
        t += gap
        price = draw(st.integers(90, 110))
        qty = draw(st.integers(1, 10**12))
        out.append(Fill(first_id + k, price, qty, price * qty // 7, t, draw(st.booleans()), taker))
    return out


TZS = st.sampled_from([0, 480, -300, 345, 330, -720, 840, -60])


# ---- trades -----------------------------------------------------------------------------------------


def test_recent_from_id_and_last_index_by_trade_id() -> None:
    h = build(fills_at([T0 + k for k in range(10)], first_id=1000))
    assert len(h) == 10
    assert h.last() == Trade(1009, 109, 19, 109 * 19, T0 + 9, False)
    assert [t.id for t in h.recent(3)] == [1007, 1008, 1009]
    assert [t.id for t in h.recent(50)] == list(range(1000, 1010))
    assert [t.id for t in h.from_id(1004, 2)] == [1004, 1005]
    assert [t.id for t in h.from_id(1, 3)] == [1000, 1001, 1002]  # before the first: from the oldest
    assert [t.id for t in h.from_id(1008, 10)] == [1008, 1009]
    assert h.from_id(1010, 10) == []
    assert h.recent(1)[0] == h.from_id(1009, 1)[0] == h.last()
    assert h.recent(2)[0] == Trade(1008, 108, 18, 108 * 18, T0 + 8, True)


def test_empty_history_answers_empty() -> None:
    h = MarketHistory()
    assert h.last() is None and h.recent(5) == [] and h.from_id(1, 5) == []
    assert h.agg_trades(None, None, None, 5) == [] and h.agg_trades(1, None, None, 5) == []
    assert h.agg_trades(None, T0, T0 + HOUR, 5) == []
    assert all(h.klines(i, None, None, 5, now=T0) == [] for i in ALL_INTERVALS)
    assert h.klines("1h", T0, None, 5, now=T0) == [] and h.klines("1s", None, T0, 5, now=T0) == []
    assert all(h.klines(i, 0, T0 + DAY, 1000, 480, now=T0 + DAY) == [] for i in ALL_INTERVALS)
    assert h.window(T0 - DAY, T0) is None
    assert h.price_before(T0) is None


def test_record_refuses_gaps_in_ids_and_time_going_back() -> None:
    h = build(fills_at([T0, T0 + 5], first_id=7))
    with pytest.raises(ValueError):
        h.record(10, 1, 1, 1, T0 + 5, True, 1)  # id 9 skipped
    with pytest.raises(ValueError):
        h.record(9, 1, 1, 1, T0 + 4, True, 1)  # earlier than trade 8
    h.record(9, 1, 1, 1, T0 + 5, True, 1)  # same time is fine
    assert h.last().id == 9 and len(h) == 3


# ---- record_many: a batch's fills at once ----------------------------------------------------------

STATE = (
    "_first_id",
    "_dropped",
    "_price",
    "_qty",
    "_quote",
    "_time",
    "_taker_buy",
    "_agg_first",
    "_agg_qty",
    "_agg_time",
    "_agg_dropped",
    "_last_taker",
    "_m_start",
    "_m_first",
    "_m_high",
    "_m_low",
    "_m_open",
    "_m_close",
    "_m_t0",
    "_m_t1",
    "_m_last_qty",
    "_m_volume",
    "_m_quote",
    "_m_buy_volume",
    "_m_buy_quote",
)


def state(h: MarketHistory) -> dict:
    """Every column of the history, with each value's type (numpy ints must not leak in)."""
    out = {}
    for name in STATE:
        v = getattr(h, name)
        if isinstance(v, array):
            out[name] = (v.typecode, v.tolist())
        elif isinstance(v, list):
            out[name] = [(type(x), x) for x in v]
        else:
            out[name] = (type(v), v)
    return out


def columns(fills: list[Fill], bool_maker: bool = False) -> tuple[np.ndarray, ...]:
    maker = np.array([f.maker for f in fills], dtype=bool if bool_maker else np.int64)
    return (
        *(np.array([getattr(f, a) for f in fills], dtype=np.int64) for a in ("price", "qty", "quote", "time")),
        maker,
        np.array([f.taker for f in fills], dtype=np.int64),
    )


def record_each(h: MarketHistory, first_id: int, cols: tuple[np.ndarray, ...]) -> None:
    """``record`` per fill of a ``record_many`` call's arguments."""
    for k, (p, q, qq, t, m, tk) in enumerate(zip(*(c.tolist() for c in cols), strict=True)):
        h.record(first_id + k, p, q, qq, t, bool(m), tk)


def refusal(call, *args) -> str:
    with pytest.raises(ValueError) as info:
        call(*args)
    return str(info.value)


@st.composite
def batch_streams(draw) -> list[Fill]:
    """Fills with few prices and takers repeated across time, so aggregates and minutes often run on
    from one batch into the next; gaps around the minute's edges."""
    n = draw(st.integers(0, 60))
    first_id = draw(st.integers(1, 10_000))
    t = T0 + draw(st.integers(-400 * DAY, 400 * DAY))
    taker, out = draw(st.integers(1, 5)), []
    for k in range(n):
        t += draw(gaps_of(MIN)) if k else 0
        if draw(st.integers(0, 3)) == 0:
            taker = draw(st.integers(1, 5))
        price = draw(st.sampled_from([99, 100, 100, 101]))
        qty = draw(st.integers(1, 10**12))
        out.append(Fill(first_id + k, price, qty, price * qty, t, draw(st.booleans()), taker))
    return out


@given(batch_streams(), st.data())
def test_record_many_leaves_exactly_the_state_of_record_per_fill(fills: list[Fill], data: st.DataObject) -> None:
    """The stream cut into batches (empty ones too), each through ``record_many`` or ``record`` per fill,
    with refused batches (an id gap, a time going back at the start or inside) on the way: the same
    state as ``record`` per fill, the same refusals, and a refused batch changes nothing."""
    n = len(fills)
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=8)))
    loop, many = build(fills), MarketHistory()
    many._vector_from = data.draw(st.sampled_from([0, MarketHistory._vector_from]))  # 0: the vector steps always
    for a, b in zip([0, *cuts], [*cuts, n], strict=True):
        cols = columns(fills[a:b], bool_maker=data.draw(st.booleans()))
        first = fills[a].id if a < n else 0
        if a < b and len(many) and data.draw(st.booleans()):
            bad = [np.copy(c) for c in cols]
            what = data.draw(st.sampled_from(["gap", "back_first", "back_inside"]))
            bad_first = first + data.draw(st.sampled_from([1, 2, -1])) if what == "gap" else first
            if what == "back_first":
                bad[3][0] = many.last().time - data.draw(st.integers(1, DAY))
            elif what == "back_inside":
                if b - a < 2:
                    bad[3][0] = many.last().time - 1
                else:
                    j = data.draw(st.integers(1, b - a - 1))
                    bad[3][j] = bad[3][j - 1] - data.draw(st.integers(1, DAY))
            before = state(many)
            expected = refusal(record_each, copy.deepcopy(many), bad_first, tuple(bad))
            assert refusal(many.record_many, bad_first, *bad) == expected
            assert state(many) == before
        if data.draw(st.booleans()):
            many.record_many(first, *cols)
        else:
            record_each(many, first, cols)
    assert state(many) == state(loop)
    assert many.agg_trades(1, None, None, 1000) == ref_aggs(fills)


def test_record_many_of_nothing_changes_nothing() -> None:
    h = build(fills_at([T0, T0 + 5], first_id=7))
    before = state(h)
    empty = np.zeros(0, dtype=np.int64)
    h.record_many(12345, *[empty] * 6)  # (no fill, so no id to check)
    assert state(h) == before
    fresh = MarketHistory()
    fresh.record_many(1, *[empty] * 6)
    assert state(fresh) == state(MarketHistory())


def test_record_many_refuses_columns_of_different_lengths() -> None:
    h = MarketHistory()
    one, two = np.ones(1, dtype=np.int64), np.ones(2, dtype=np.int64)
    with pytest.raises(ValueError):
        h.record_many(1, one, one, one, two, one, one)
    assert len(h) == 0


def test_record_many_continues_an_aggregate_and_a_minute_across_batches() -> None:
    h = MarketHistory()
    h._vector_from = 0  # the vector steps even for these few fills
    h.record_many(1, *columns([Fill(1, 100, 5, 500, T0, False, 9)]))
    h.record_many(2, *columns([Fill(2, 100, 3, 300, T0 + 1, False, 9), Fill(3, 101, 1, 101, T0 + MIN, True, 9)]))
    assert h.agg_trades(1, None, None, 10) == [
        AggTrade(1, 100, 8, 1, 2, T0, False),
        AggTrade(2, 101, 1, 3, 3, T0 + MIN, True),
    ]
    minute = T0 - T0 % MIN
    first, second = h.klines("1m", minute, None, 10, now=T0 + MIN)
    assert (first.open_time, first.volume, first.count, first.taker_buy_volume) == (minute, 8, 2, 8)
    assert (second.volume, second.count, second.taker_buy_volume) == (1, 1, 0)


def test_record_many_of_huge_amounts_sums_like_record() -> None:
    """Amounts whose int64 batch sums could overflow are recorded one by one (Python int sums)."""
    big = 1 << 61
    fills = [Fill(1 + k, 100, big, big + k, T0 + k * 20_000, k % 2 == 0, 1) for k in range(3)]
    h = MarketHistory()
    h._vector_from = 0  # (so it is the amounts that make it record one by one)
    h.record_many(1, *columns(fills))
    assert state(h) == state(build(fills))
    assert h.window(T0, T0 + MIN).quote_volume == 3 * big + 3


def test_price_before_is_strictly_before() -> None:
    h = build(fills_at([T0, T0 + 10, T0 + 10, T0 + 20]))
    assert h.price_before(T0) is None
    assert h.price_before(T0 + 1) == 100
    assert h.price_before(T0 + 10) == 100
    assert h.price_before(T0 + 11) == 102  # the later of two trades at the same ms
    assert h.price_before(T0 + 10**9) == 103


# ---- aggregate trades -------------------------------------------------------------------------------


def test_fills_of_one_taker_at_one_price_aggregate() -> None:
    fills = [
        Fill(5, 100, 1, 100, T0, False, 1),
        Fill(6, 100, 2, 200, T0, False, 1),  # same taker, same price: joins
        Fill(7, 101, 4, 404, T0, False, 1),  # same taker, new price: new aggregate
        Fill(8, 101, 8, 808, T0, True, 2),  # new taker, same price: new aggregate
        Fill(9, 101, 16, 1616, T0 + 1, False, 3),
        Fill(10, 101, 32, 3232, T0 + 1, True, 2),  # taker 2 again but not adjacent: new aggregate
        Fill(11, 101, 64, 6464, T0 + 1, True, 2),
    ]
    h = build(fills)
    assert h.agg_trades(None, None, None, 100) == [
        AggTrade(1, 100, 3, 5, 6, T0, False),
        AggTrade(2, 101, 4, 7, 7, T0, False),
        AggTrade(3, 101, 8, 8, 8, T0, True),
        AggTrade(4, 101, 16, 9, 9, T0 + 1, False),
        AggTrade(5, 101, 96, 10, 11, T0 + 1, True),
    ]


@given(fill_streams())
def test_aggregates_match_a_brute_force_grouping(fills: list[Fill]) -> None:
    h = build(fills)
    want = ref_aggs(fills)
    assert h.agg_trades(None, None, None, 5000) == want
    assert h.agg_trades(1, None, None, 5000) == want
    assert sum(a.qty for a in want) == sum(f.qty for f in fills)


@given(fill_streams(), st.integers(1, 8), st.data())
def test_agg_trade_selection_matches_brute_force(fills: list[Fill], limit: int, data: st.DataObject) -> None:
    h = build(fills)
    aggs = ref_aggs(fills)
    from_id = data.draw(st.integers(0, len(aggs) + 2))
    assert h.agg_trades(from_id, None, None, limit) == [a for a in aggs if a.id >= from_id][:limit]
    assert h.agg_trades(None, None, None, limit) == aggs[-limit:]
    times = [f.time for f in fills]
    moment = st.one_of(st.sampled_from(times), st.integers(min(times) - HOUR, max(times) + HOUR))
    start = data.draw(st.none() | moment)
    end = data.draw(st.none() | moment)
    if start is None and end is None:
        return
    want = [a for a in aggs if (start is None or a.time >= start) and (end is None or a.time <= end)][:limit]
    assert h.agg_trades(None, start, end, limit) == want


def test_agg_trade_time_bounds_are_inclusive() -> None:
    h = build(fills_at([T0, T0 + 1, T0 + 2, T0 + 3, T0 + 4]))
    ids = lambda rows: [a.id for a in rows]  # noqa: E731 - a one-line projection, read where it is used
    assert ids(h.agg_trades(None, T0 + 1, T0 + 3, 10)) == [2, 3, 4]
    assert ids(h.agg_trades(None, T0 + 1, T0 + 3, 2)) == [2, 3]  # oldest first
    assert ids(h.agg_trades(None, T0 + 3, None, 10)) == [4, 5]
    assert ids(h.agg_trades(None, None, T0 + 1, 10)) == [1, 2]
    assert ids(h.agg_trades(None, T0 + 5, T0 + 9, 10)) == []
    assert ids(h.agg_trades(None, None, None, 2)) == [4, 5]  # newest, oldest first
    assert ids(h.agg_trades(3, None, None, 10)) == [3, 4, 5]
    assert ids(h.agg_trades(3, None, None, 1)) == [3]
    assert ids(h.agg_trades(6, None, None, 10)) == []


# ---- klines -------------------------------------------------------------------------------------------


def test_interval_table_lists_all_sixteen_in_binance_order() -> None:
    assert list(INTERVALS) == ALL_INTERVALS
    assert INTERVALS["1s"] == SEC and INTERVALS["1w"] == 7 * DAY and INTERVALS["3d"] == 3 * DAY
    assert INTERVALS["1M"] is None


def flat(open_time: int, close_time: int, price: int) -> Kline:
    return Kline(open_time, price, price, price, price, 0, close_time, 0, 0, 0, 0)


def all_pages(h: MarketHistory, interval: str, tz: int, now: int) -> list[Kline]:
    """The whole series, paged forward by start time as clients page it."""
    out: list[Kline] = []
    start = 0
    while True:
        page = h.klines(interval, start, None, 1000, tz, now=now)
        out += page
        if len(page) < 1000:
            return out
        start = page[-1].close_time + 1


@pytest.mark.parametrize("interval", ALL_INTERVALS)
@pytest.mark.parametrize("tz", [0, 480, -300, 345])
def test_every_interval_matches_calendar_bucketing(interval: str, tz: int) -> None:
    # trades at awkward instants: bucket edges in UTC and local time, month and year ends, leap day
    edges = sorted(
        {
            ms("2023-12-31T23:59:59.999"),
            ms("2024-01-01T00:00:00"),
            ms("2024-01-01T00:00:00.001"),
            ms("2024-02-28T16:00:00"),
            ms("2024-02-29T15:59:59.999"),
            ms("2024-02-29T23:59:59.999"),
            ms("2024-03-01T00:00:00"),
            ms("2024-03-03T23:59:59.999"),
            ms("2024-03-04T00:00:00"),
            ms("2024-03-04T00:00:00") + 7 * MIN,
            ms("2024-03-04T05:45:00"),
            ms("2024-03-04T05:44:59.999"),
            ms("2024-03-04T11:59:59.999"),
            ms("2024-03-04T12:00:00"),
            ms("2024-03-04T12:00:00.500"),
            ms("2024-03-04T12:00:01"),
            ms("2024-03-04T12:02:59.999"),
            ms("2024-03-04T12:03:00"),
            ms("2024-04-30T20:00:00"),
            ms("2024-12-31T23:30:00"),
            ms("2025-01-01T05:00:00"),
        }
    )
    fills = fills_at(edges, first_id=77)
    h = build(fills)
    now = edges[-1]
    traded = ref_klines(fills, interval, tz)
    assert sum(k.count for k in traded) == len(fills)
    for k in traded:  # each bucket holding trades, asked for alone by its open time
        assert h.klines(interval, k.open_time, k.open_time, 1000, tz, now=now) == [k]
        assert h.klines(interval, None, k.open_time, 1, tz, now=now) == [k]
    assert h.klines(interval, None, None, 1, tz, now=now) == [traded[-1]]
    newest = h.klines(interval, None, None, 2, tz, now=now)
    assert newest[-1] == traded[-1] and newest[0].close_time + 1 == newest[1].open_time
    if INTERVALS[interval] is None or INTERVALS[interval] >= HOUR:  # the whole series, bucket by bucket
        series = ref_series(fills, interval, tz, now)
        assert all_pages(h, interval, tz, now) == series
        assert [k for k in series if k.count] == traded


@given(st.sampled_from(ALL_INTERVALS), TZS, st.integers(1, 12), st.data())
def test_kline_selection_matches_a_walk_over_every_bucket(
    interval: str, tz: int, limit: int, data: st.DataObject
) -> None:
    unit = UNIT[interval]
    fills = data.draw(fill_streams(max_size=25, gaps=gaps_of(unit)))
    h = build(fills)
    times = [f.time for f in fills]
    now = times[-1] + data.draw(st.one_of(st.sampled_from([0, 1, unit - 1, unit]), st.integers(0, 8 * unit)))
    series = ref_series(fills, interval, tz, now)
    moment = st.one_of(
        st.sampled_from(times + [now, now + 1, times[0] - 1]), st.integers(times[0] - 4 * unit, now + 4 * unit)
    )
    start = data.draw(st.none() | moment)
    end = data.draw(st.none() | moment)
    if start is not None and end is not None and start > end:
        start, end = end, start
    got = h.klines(interval, start, end, limit, tz, now=now)
    assert got == ref_select(series, interval, tz, start, end, limit, now)
    # the rows are consecutive buckets, each empty one flat at the close before it
    assert all(a.close_time + 1 == b.open_time for a, b in itertools.pairwise(got))
    assert all(b.count or b == flat(b.open_time, b.close_time, a.close) for a, b in itertools.pairwise(got))


def test_gaps_are_flat_candles_at_the_previous_close() -> None:
    base = ms("2024-03-04T12:00:00")
    fills = [
        Fill(1, 100, 3, 300, base + 5 * SEC, False, 1),
        Fill(2, 90, 4, 360, base + 20 * SEC, True, 2),
        Fill(3, 120, 5, 600, base + 3 * MIN + 1, False, 3),
    ]
    h = build(fills)
    rows = h.klines("1m", None, None, 10, now=base + 3 * MIN + 1)
    assert rows == [
        Kline(base, 100, 100, 90, 90, 7, base + MIN - 1, 660, 2, 3, 300),
        flat(base + MIN, base + 2 * MIN - 1, 90),  # at the previous close, not the open nor the last high
        flat(base + 2 * MIN, base + 3 * MIN - 1, 90),
        Kline(base + 3 * MIN, 120, 120, 120, 120, 5, base + 4 * MIN - 1, 600, 1, 5, 600),
    ]
    # the same on trade-built 1s candles: 3 minutes of seconds between the trades, each flat
    secs = h.klines("1s", None, None, 1000, now=base + 3 * MIN + 1)
    assert len(secs) == 3 * 60 - 5 + 1
    assert secs[0].close == 100 and secs[15].count == 2 - 1 and secs[15].close == 90
    assert secs[1] == flat(base + 6 * SEC, base + 7 * SEC - 1, 100)
    assert secs[16] == flat(base + 21 * SEC, base + 22 * SEC - 1, 90)
    assert all(k == flat(k.open_time, k.close_time, 90) for k in secs[16:-1])
    # a 1s query that starts inside a gap takes its price from before the gap
    assert h.klines("1s", base + MIN, base + MIN, 5, now=base + 3 * MIN + 1) == [flat(base + MIN, base + MIN + 999, 90)]


def test_the_candle_holding_now_is_open_and_later_ones_do_not_exist() -> None:
    base = ms("2024-03-04T12:00:00")
    h = build(fills_at([base + 10 * SEC]))
    now = base + 2 * MIN + 30 * SEC
    rows = h.klines("1m", None, None, 10, now=now)
    assert [k.open_time for k in rows] == [base, base + MIN, base + 2 * MIN]
    assert rows[-1] == flat(base + 2 * MIN, base + 3 * MIN - 1, 100)  # close time is the bucket's end
    assert h.klines("1m", None, None, 1, now=now) == [rows[-1]]
    # nothing after now, even when asked for: start past now's bucket answers [], end is cut at now
    assert h.klines("1m", now + 30 * SEC - 1, None, 10, now=now) == [rows[-1]]  # still now's bucket
    assert h.klines("1m", now + 30 * SEC, None, 10, now=now) == []
    assert h.klines("1m", None, now + DAY, 10, now=now) == rows
    assert h.klines("1m", base, now + DAY, 10, now=now) == rows
    # as time passes the open candle becomes a closed one and new ones open
    later = h.klines("1m", None, None, 10, now=base + 5 * MIN)
    assert [k.open_time for k in later] == [base + k * MIN for k in range(6)]
    assert later[:3] == rows
    # a 1s series ends at now's second, a day at now's day
    assert h.klines("1s", None, None, 1, now=now + 999)[0].open_time == now
    assert h.klines("1s", None, None, 1, now=now + 1000)[0].open_time == now + SEC
    (day,) = h.klines("1d", None, None, 5, now=now)
    assert day.count == 1 and day.open_time == ms("2024-03-04T00:00:00")


def test_now_before_the_last_trade_still_shows_every_trade() -> None:
    base = ms("2024-03-04T12:00:00")
    h = build(fills_at([base, base + 2 * MIN]))
    assert h.klines("1m", None, None, 10, now=base) == h.klines("1m", None, None, 10, now=base + 2 * MIN)
    assert h.klines("1m", None, None, 10, now=0)[-1].count == 1


def test_nothing_before_the_first_trade() -> None:
    base = ms("2024-03-04T12:00:00")
    first = base + 30 * SEC
    h = build(fills_at([first, base + 4 * MIN]))
    now = base + 4 * MIN
    opens = lambda rows: [(k.open_time - base) // MIN for k in rows]  # noqa: E731 - a one-line projection, read where it is used
    assert opens(h.klines("1m", None, None, 100, now=now)) == [0, 1, 2, 3, 4]
    assert opens(h.klines("1m", base - DAY, None, 100, now=now)) == [0, 1, 2, 3, 4]
    assert opens(h.klines("1m", 0, None, 2, now=now)) == [0, 1]  # the limit is not spent before it
    assert opens(h.klines("1m", base - DAY, base - 1, 100, now=now)) == []
    assert opens(h.klines("1m", None, base - 1, 100, now=now)) == []
    assert opens(h.klines("1m", None, base + 10 * SEC, 100, now=now)) == [0]  # before the trade, same bucket
    assert opens(h.klines("1m", base - DAY, base + MIN, 100, now=now)) == [0, 1]
    # only end with a limit larger than the history: from the first trade's bucket, not earlier
    assert opens(h.klines("1m", None, base + 2 * MIN, 1000, now=now)) == [0, 1, 2]
    assert h.klines("1m", None, None, 1000, now=now)[0].open == 100
    for interval in ALL_INTERVALS:
        rows = h.klines(interval, 0, None, 1000, 480, now=now)
        assert rows[0].count >= 1 and rows[0].open_time <= first <= rows[0].close_time, interval


def test_kline_selection_rules_by_example() -> None:
    # trades in minutes 0, 1, 3 and 6 of an hour; minutes 2, 4 and 5 are flat; now is in minute 7
    base = ms("2024-03-04T12:00:00")
    h = build(fills_at([base + 10 * SEC, base + MIN, base + MIN + 30 * SEC, base + 3 * MIN, base + 6 * MIN + 59_999]))
    now = base + 7 * MIN + 1

    def opens(*args: int | None) -> list[int]:
        return [(k.open_time - base) // MIN for k in h.klines("1m", *args, now=now)]

    assert opens(None, None, 100) == [0, 1, 2, 3, 4, 5, 6, 7]
    assert opens(None, None, 3) == [5, 6, 7]  # neither: the newest, the open candle last
    # start: from the bucket holding it, oldest first, the first `limit`
    assert opens(base + MIN + 45 * SEC, None, 100) == [1, 2, 3, 4, 5, 6, 7]
    assert opens(base + MIN + 45 * SEC, None, 2) == [1, 2]
    assert opens(base + 2 * MIN, None, 2) == [2, 3]  # starting on an empty bucket
    assert opens(base + 4 * MIN, None, 2) == [4, 5]  # only empty buckets
    # start and end: buckets opening up to end, whole (minute 1 keeps its later trade)
    assert opens(base, base + MIN, 100) == [0, 1]
    assert h.klines("1m", base, base + MIN, 100, now=now)[1].count == 2
    assert opens(base, base + MIN - 1, 100) == [0]
    assert opens(base + 4 * MIN, base + 5 * MIN + 1, 100) == [4, 5]
    assert opens(base + 2 * MIN, base + 6 * MIN, 3) == [2, 3, 4]  # start wins: the first `limit`
    # only end: the last `limit` up to the bucket holding end
    assert opens(None, base + 3 * MIN + 1, 100) == [0, 1, 2, 3]
    assert opens(None, base + 3 * MIN + 1, 2) == [2, 3]
    assert opens(None, base + 5 * MIN, 2) == [4, 5]
    assert opens(None, base - 1, 100) == []
    assert opens(base + 8 * MIN, None, 100) == []

    # the same rules on trade-built 1s klines
    def secs(*args: int | None) -> list[int]:
        return [(k.open_time - base) // SEC for k in h.klines("1s", *args, now=now)]

    assert secs(None, None, 3) == [418, 419, 420]
    assert secs(base + 60 * SEC + 500, None, 3) == [60, 61, 62]
    assert secs(None, base + 179_999, 2) == [178, 179]
    assert secs(base + 11 * SEC, base + 13 * SEC, 10) == [11, 12, 13]
    assert secs(0, None, 2) == [10, 11]
    # the 5m buckets: the first holds four trades, the second one trade and is still open
    first, second = h.klines("5m", base + 4 * MIN, None, 10, now=now)
    assert (first.open_time, first.count, first.open, first.close) == (base, 4, 100, 103)
    assert (second.open_time, second.count, second.open) == (base + 5 * MIN, 1, 104)


def test_limits_count_empty_candles() -> None:
    base = ms("2024-03-04T12:00:00")
    h = build(fills_at([base, base + 10 * MIN]))
    now = base + 15 * MIN
    for limit in (1, 2, 5, 9, 11, 16, 17, 1000):
        n = min(limit, 16)
        assert len(h.klines("1m", None, None, limit, now=now)) == n
        assert len(h.klines("1m", base, None, limit, now=now)) == n
        assert len(h.klines("1m", None, now, limit, now=now)) == n
        assert len(h.klines("1m", base + MIN, base + 9 * MIN, limit, now=now)) == min(limit, 9)
    # the limit can be used up by empty candles alone, on either side of a trade
    assert all(k.count == 0 for k in h.klines("1m", base + MIN, None, 9, now=now))
    assert all(k.count == 0 for k in h.klines("1m", None, None, 5, now=now))
    assert [k.count for k in h.klines("1m", None, None, 6, now=now)] == [1, 0, 0, 0, 0, 0]


def test_long_gaps_are_not_walked() -> None:
    # ten years without trades is 315 million 1s buckets: only the returned ones may cost anything
    far = T0 + 3653 * DAY
    h = build(fills_at([T0, T0 + 1, far]))
    began = clock.perf_counter()
    for _ in range(20):
        fwd = h.klines("1s", T0, None, 1000, now=far + 5 * SEC)
        assert len(fwd) == 1000 and fwd[0].count == 2 and fwd[-1] == flat(T0 + 999 * SEC, T0 + 1000 * SEC - 1, 101)
        back = h.klines("1s", None, None, 1000, now=far + 5 * SEC)
        assert back[-7].count == 0 and back[-6].count == 1 and back[-7].close == 101 and back[-1].close == 102
        mid = h.klines("1s", None, T0 + 1000 * DAY, 1000, now=far + 5 * SEC)
        assert mid[-1] == flat(T0 + 1000 * DAY, T0 + 1000 * DAY + 999, 101)
        assert h.klines("1s", T0 + 2000 * DAY + 1, None, 1, now=far)[0].open_time == T0 + 2000 * DAY
        assert len(h.klines("1m", T0 + 5 * DAY, None, 1000, now=far)) == 1000
        assert len(h.klines("1M", None, None, 1000, 345, now=far)) == 121
    assert clock.perf_counter() - began < 5  # walking the gap would take minutes


def test_a_far_future_start_answers_empty_for_every_interval() -> None:
    h = build(fills_at([T0]))
    for interval in ALL_INTERVALS:
        for start in (2**47, 253_402_300_800_000, 2**63):
            assert h.klines(interval, start, None, 10, -720, now=T0 + DAY) == []
        assert len(h.klines(interval, None, 2**47, 1, 840, now=T0 + DAY)) == 1


def test_trade_on_a_bucket_boundary_opens_the_new_bucket() -> None:
    edge = ms("2024-03-04T12:00:00")
    h = build(fills_at([edge - 1, edge, edge + 1]))
    for interval in ["1s", "1m", "5m", "1h", "4h", "12h"]:
        length = INTERVALS[interval]
        before, after = h.klines(interval, None, None, 10, now=edge + 1)
        assert (before.count, after.count) == (1, 2)
        assert after.open_time == edge and after.close_time == edge + length - 1
        assert before.close_time == edge - 1
        assert (after.open, after.close, after.high, after.low) == (101, 102, 102, 101)


def test_kline_fields_count_taker_buys_only() -> None:
    fills = [
        Fill(1, 100, 3, 300, T0, True, 1),
        Fill(2, 120, 5, 600, T0 + 1, False, 2),
        Fill(3, 90, 7, 630, T0 + 2, False, 3),
        Fill(4, 110, 11, 1210, T0 + 3, True, 4),
    ]
    h = build(fills)
    for interval in ["1s", "1m", "1d"]:
        (k,) = h.klines(interval, None, None, 5, now=T0 + 3)
        assert (k.open, k.high, k.low, k.close) == (100, 120, 90, 110)
        assert (k.volume, k.quote_volume, k.count) == (26, 2740, 4)
        assert (k.taker_buy_volume, k.taker_buy_quote_volume) == (12, 1230)


def test_weeks_start_on_monday() -> None:
    sunday_night, monday = ms("2024-03-03T23:59:59.999"), ms("2024-03-04T00:00:00")
    h = build(fills_at([sunday_night, monday, ms("2024-03-10T23:59:59.999")]))
    first, second = h.klines("1w", None, None, 10, now=ms("2024-03-10T23:59:59.999"))
    assert first.open_time == ms("2024-02-26T00:00:00") and first.count == 1
    assert second.open_time == monday and second.close_time == ms("2024-03-11T00:00:00") - 1
    assert second.count == 2
    assert (EPOCH + timedelta(milliseconds=second.open_time)).weekday() == 0


def test_weeks_with_gaps_are_flat_mondays() -> None:
    h = build(fills_at([ms("2024-03-06T10:00:00"), ms("2024-03-28T10:00:00")]))
    now = ms("2024-04-09T00:00:00")
    rows = h.klines("1w", None, None, 10, now=now)
    mondays = ["2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25", "2024-04-01", "2024-04-08"]
    assert [k.open_time for k in rows] == [ms(f"{d}T00:00:00") for d in mondays]
    assert [k.count for k in rows] == [1, 0, 0, 1, 0, 0]
    assert rows[1] == flat(ms("2024-03-11T00:00:00"), ms("2024-03-18T00:00:00") - 1, 100)
    assert rows[4] == flat(ms("2024-04-01T00:00:00"), ms("2024-04-08T00:00:00") - 1, 101)
    assert h.klines("1w", ms("2024-03-13T00:00:00"), ms("2024-03-19T00:00:00"), 10, now=now) == rows[1:3]
    assert h.klines("1w", None, ms("2024-04-03T00:00:00"), 2, now=now) == rows[3:5]
    # at +08:00 the Monday begins at 16:00 UTC on Sunday
    local = h.klines("1w", None, None, 10, 480, now=now)
    assert local[0].open_time == ms("2024-03-03T16:00:00") and len(local) == 6


def test_three_day_buckets_are_aligned_to_the_epoch() -> None:
    h = build(fills_at([ms("2024-03-04T00:00:00")]))
    (k,) = h.klines("3d", None, None, 1, now=ms("2024-03-04T00:00:00"))
    assert k.open_time % (3 * DAY) == 0 and k.open_time <= ms("2024-03-04T00:00:00") < k.close_time
    rows = h.klines("3d", None, None, 10, now=ms("2024-03-15T00:00:00"))
    assert all(r.open_time % (3 * DAY) == 0 and r.close_time == r.open_time + 3 * DAY - 1 for r in rows)
    assert [r.count for r in rows] == [1, 0, 0, 0, 0] and rows[-1].open_time <= ms("2024-03-15T00:00:00")


def test_months_are_calendar_months_across_a_leap_february_and_new_year() -> None:
    times = [
        ms("2023-12-15T00:00:00"),
        ms("2023-12-31T23:59:59.999"),
        ms("2024-01-01T00:00:00"),
        ms("2024-02-01T00:00:00"),
        ms("2024-02-29T23:59:59.999"),
        ms("2024-03-01T00:00:00"),
    ]
    h = build(fills_at(times))
    now = times[-1]
    rows = h.klines("1M", None, None, 10, now=now)
    assert [(k.open_time, k.close_time, k.count) for k in rows] == [
        (ms("2023-12-01T00:00:00"), ms("2024-01-01T00:00:00") - 1, 2),
        (ms("2024-01-01T00:00:00"), ms("2024-02-01T00:00:00") - 1, 1),
        (ms("2024-02-01T00:00:00"), ms("2024-03-01T00:00:00") - 1, 2),  # 29 days
        (ms("2024-03-01T00:00:00"), ms("2024-04-01T00:00:00") - 1, 1),
    ]
    # a non-leap February has 28 days
    (feb,) = build(fills_at([ms("2023-02-10T00:00:00")])).klines("1M", None, None, 1, now=ms("2023-02-10T00:00:00"))
    assert feb.close_time - feb.open_time + 1 == 28 * DAY
    # selection by time: the month holding start, then later ones
    assert [k.count for k in h.klines("1M", ms("2024-02-15T00:00:00"), None, 10, now=now)] == [2, 1]
    assert [k.count for k in h.klines("1M", None, ms("2024-01-31T00:00:00"), 1, now=now)] == [1]


def test_months_with_gaps_are_flat_calendar_months() -> None:
    h = build(fills_at([ms("2023-11-20T00:00:00"), ms("2024-03-31T23:00:00")]))
    now = ms("2024-06-02T00:00:00")
    rows = h.klines("1M", None, None, 100, now=now)
    months = ["2023-11", "2023-12", "2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06"]
    assert [k.open_time for k in rows] == [ms(f"{m}-01T00:00:00") for m in months]
    assert [k.count for k in rows] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert rows[3] == flat(ms("2024-02-01T00:00:00"), ms("2024-03-01T00:00:00") - 1, 100)  # leap February
    assert rows[-1] == flat(ms("2024-06-01T00:00:00"), ms("2024-07-01T00:00:00") - 1, 101)  # open month
    assert h.klines("1M", None, None, 3, now=now) == rows[-3:]
    assert h.klines("1M", ms("2024-01-15T00:00:00"), None, 2, now=now) == rows[2:4]
    assert h.klines("1M", None, ms("2024-02-15T00:00:00"), 2, now=now) == rows[2:4]
    assert h.klines("1M", None, ms("2023-11-01T00:00:00"), 2, now=now) == rows[:1]
    # at +08:00 the March trade at 23:00 UTC is already April's
    local = h.klines("1M", None, None, 100, 480, now=now)
    assert [k.count for k in local] == [1, 0, 0, 0, 0, 1, 0, 0]
    assert local[0].open_time == ms("2023-10-31T16:00:00")


def test_time_zone_moves_day_and_month_boundaries() -> None:
    # 16:00 UTC is local midnight at +08:00
    a, b = ms("2024-03-04T15:59:59.999"), ms("2024-03-04T16:00:00")
    h = build(fills_at([a, b]))
    (utc,) = h.klines("1d", None, None, 10, now=b)
    assert utc.open_time == ms("2024-03-04T00:00:00") and utc.count == 2
    first, second = h.klines("1d", None, None, 10, 480, now=b)
    assert first.open_time == ms("2024-03-03T16:00:00") and first.close_time == a
    assert second.open_time == b and second.count == 1
    # start/end are still UTC instants; the bucket holding start is local
    assert h.klines("1d", b, None, 10, 480, now=b) == [second]
    assert h.klines("1d", None, a, 10, 480, now=b) == [first]
    # west of UTC, and a 45-minute offset shifting hour buckets
    (west,) = h.klines("1d", None, None, 10, -300, now=b)
    assert west.open_time == ms("2024-03-04T05:00:00")
    hours = h.klines("1h", None, None, 10, 345, now=b)
    assert [k.open_time for k in hours] == [ms("2024-03-04T15:15:00")]
    # month at +08:00: 16:00 UTC on the last day of December is already January
    new_year = ms("2023-12-31T16:00:00")
    (jan,) = build(fills_at([new_year])).klines("1M", None, None, 1, 480, now=new_year)
    assert jan.open_time == new_year and jan.close_time == ms("2024-01-31T16:00:00") - 1
    # intervals below an hour do not move with whole-hour offsets
    assert h.klines("1m", None, None, 10, 480, now=b) == h.klines("1m", None, None, 10, now=b)
    assert h.klines("1s", None, None, 10, -720, now=b) == h.klines("1s", None, None, 10, now=b)
    # the open candle is the local day holding now: 11:00 UTC on the 5th is the local 6th at +14:00
    now = ms("2024-03-05T11:00:00")
    assert h.klines("1d", None, None, 1, now=now)[0].open_time == ms("2024-03-05T00:00:00")
    assert h.klines("1d", None, None, 1, 480, now=now)[0].open_time == b
    assert h.klines("1d", None, None, 1, 840, now=now)[0].open_time == ms("2024-03-05T10:00:00")
    assert h.klines("1d", None, None, 1, -300, now=now)[0].open_time == ms("2024-03-05T05:00:00")


# ---- ticker windows --------------------------------------------------------------------------------


@given(fill_streams(max_size=60), st.data())
def test_window_matches_brute_force_on_minute_buckets(fills: list[Fill], data: st.DataObject) -> None:
    h = build(fills)
    times = [f.time for f in fills]
    moment = st.one_of(st.sampled_from(times), st.integers(min(times) - DAY, max(times) + DAY))
    start = data.draw(moment)
    end = data.draw(st.one_of(moment, st.integers(start, start + 7 * DAY)))
    got = h.window(start, end)
    assert got == ref_window(fills, start, end)
    if got is not None:
        decimals = data.draw(st.integers(0, 12))
        assert got.weighted_avg_price(decimals) == got.quote_volume * 10**decimals // got.volume


def test_window_covers_whole_minutes_from_the_start_minute() -> None:
    base = ms("2024-03-04T12:00:00")
    h = build(fills_at([base - 1, base + 10 * SEC, base + 50 * SEC, base + MIN + 5 * SEC]))
    w = h.window(base + 50 * SEC, base + 24 * HOUR)
    assert (w.first_id, w.last_id, w.count) == (2, 4, 3)  # the trade at 12:00:10 counts, 11:59:59.999 not
    assert (w.open_time, w.close_time, w.open, w.close, w.last_qty) == (
        base + 10 * SEC,
        base + MIN + 5 * SEC,
        101,
        103,
        13,
    )
    assert (w.high, w.low, w.volume) == (103, 101, 11 + 12 + 13)
    # a minute is in when it starts no later than end, with all its trades
    assert h.window(base - MIN, base).count == 3
    assert h.window(base - MIN, base - 1).count == 1
    assert h.window(base + 2 * MIN, base + HOUR) is None


def test_weighted_average_price_rounds_down_per_whole_coin() -> None:
    # 10 quote units for 3 base units: 3.33.. per unit, scaled to a whole coin and floored
    w = WindowStats(0, 0, 0, 0, 0, 0, volume=3, quote_volume=10, count=2, first_id=1, last_id=2, last_qty=1)
    assert w.weighted_avg_price(0) == 3
    assert w.weighted_avg_price(2) == 333
    assert WindowStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0).weighted_avg_price(8) == 0


# ---- parameters ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ALL_INTERVALS)
def test_parse_interval_accepts_binance_intervals(text: str) -> None:
    assert parse_interval(text) == text


@pytest.mark.parametrize("text", ["", "1", "2m", "1W", "1H", "1D", "1mo", " 1m", "1m ", "60s", "7d", "1y", "m1"])
def test_parse_interval_rejects_others(text: str) -> None:
    e = refused(parse_interval, text)
    assert (e.status, e.code, e.msg) == (400, -1120, "Invalid interval.")


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("0", 0),
        ("8", 480),
        ("-5", -300),
        ("+3", 180),
        ("-1:00", -60),
        ("05:45", 345),
        ("+08:00", 480),
        ("-12:00", -720),
        ("+14:00", 840),
        ("14", 840),
        ("-12", -720),
        ("-0", 0),
        ("00:00", 0),
        ("5:30", 330),
        ("-03:30", -210),
    ],
)
def test_parse_time_zone_accepts_binance_forms(text: str, minutes: int) -> None:
    assert parse_time_zone(text) == minutes


@pytest.mark.parametrize(
    "text",
    [
        "",
        "+",
        "-",
        "15",
        "-13",
        "+14:01",
        "-12:01",
        "8:60",
        "08:5",
        "008",
        "8:",
        ":30",
        "1:2:3",
        "08.00",
        "UTC",
        "+08:00Z",
        " 8",
        "\u0668",
        "1e1",
    ],
)
def test_parse_time_zone_rejects_others(text: str) -> None:
    e = refused(parse_time_zone, text)
    assert (e.status, e.code) == (400, -1130)
    assert e.msg == "Invalid data sent for a parameter. Parameter 'timeZone'."


@pytest.mark.parametrize(
    "text, span",
    [
        ("1m", MIN),
        ("2m", 2 * MIN),
        ("59m", 59 * MIN),
        ("1h", HOUR),
        ("23h", 23 * HOUR),
        ("1d", DAY),
        ("7d", 7 * DAY),
    ],
)
def test_parse_window_accepts_minutes_hours_days(text: str, span: int) -> None:
    assert parse_window(text) == span


@pytest.mark.parametrize(
    "text", ["", "0m", "60m", "0h", "24h", "0d", "8d", "1w", "1M", "1s", "01m", "m", "1", "1 m", "-1m", "1.5h", "100m"]
)
def test_parse_window_rejects_others(text: str) -> None:
    e = refused(parse_window, text)
    assert (e.status, e.code) == (400, -1130)
    assert e.msg == "Invalid data sent for a parameter. Parameter 'windowSize'."


# ---- scale -----------------------------------------------------------------------------------------------


def test_two_hundred_thousand_trades_record_and_query_without_full_scans() -> None:
    n = 200_000
    h = MarketHistory()
    began = clock.perf_counter()
    for k in range(n):
        price = 3_000_000_000_000 + (k * 7919 % 1000) * 100_000_000
        h.record(k + 1, price, 100_000 + k % 13, price // 1000, T0 + k * 1_300, k % 3 == 0, k // 3)
    for _ in range(20):
        end = T0 + n * 1_300
        assert h.window(end - DAY, end).count > 0
        assert len(h.klines("1m", None, None, 1000, now=end)) == 1000
        assert len(h.klines("1s", None, end, 1000, now=end)) == 1000
        assert len(h.klines("1h", T0, None, 1000, now=end)) == 73
        assert len(h.klines("1M", None, None, 1000, 480, now=end)) >= 1
        assert len(h.agg_trades(None, end - HOUR, end, 1000)) == 1000
        assert len(h.agg_trades(None, None, None, 1000)) == 1000
        assert len(h.recent(1000)) == 1000 and len(h.from_id(n // 2, 1000)) == 1000
    assert h.last().id == n
    assert clock.perf_counter() - began < 60  # a generous guard against accidental quadratic work
