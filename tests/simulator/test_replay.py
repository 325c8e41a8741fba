"""Historical replay: Binance's data files read exactly, and the simulated market trading through them.

Every replay runs on a ManualClock moved to each next due time (``replay_all``), on a venue built
without the static book, so history's house accounts are the only liquidity besides the test's
own orders.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.liquidity import datafiles as df
from simulator.liquidity import samples
from simulator.liquidity.replay import HistoricalReplay, ReplayError, replay_all
from simulator.liquidity.source import LiquiditySource
from simulator.liquidity.trade_tapes import TradeTape
from simulator.market_data import AggTrade, Kline
from simulator.orders import OrderRequest
from simulator.wire import format_units, parse_units

SYMBOL = "BTCUSDT"
T0 = 1_700_000_000_000


def units(text: str) -> int:
    return parse_units(text, 8, "test")


def simulator(start: int = samples.DAY_START):
    clock = ManualClock(start)
    sim = build(SimulatorConfig(liquidity=False), clock=clock)
    return sim, clock


def replayed(source, start: int = samples.DAY_START, users=None, **options):
    """A simulator with ``source`` replayed to its end; ``users(sim)`` runs after the replay starts."""
    sim, clock = simulator(start)
    venue = sim.venue
    if isinstance(source, (str, Path)):
        replay = HistoricalReplay.from_file(source, SYMBOL, venue, **options)
    else:
        replay = HistoricalReplay(SYMBOL, source, **options)
    replay.start(venue, venue.now())
    placed = users(sim) if users else None
    replay_all(replay, venue, clock)
    venue.engine.check_invariants()
    return sim, replay, placed


def limit(side: Side, price: str, qty: str) -> OrderRequest:
    return OrderRequest(
        SYMBOL,
        side,
        OrderType.LIMIT,
        TimeInForce.GTC,
        units(qty),
        units(price),
        0,
        0,
        None,
        SelfTradePrevention.NONE,
        "FULL",
    )


@pytest.fixture(scope="module")
def sample_trades() -> list[AggTrade]:
    return list(df.iter_agg_trades(samples.AGG_TRADES_ZIP))


@pytest.fixture(scope="module")
def sample_klines() -> list[Kline]:
    return list(df.iter_klines(samples.KLINES_ZIP))


# ---- the shipped samples ------------------------------------------------------------------------


def test_samples_are_small_binance_zips_regenerated_byte_for_byte(tmp_path) -> None:
    written = samples.write(tmp_path)
    for shipped in (samples.AGG_TRADES_ZIP, samples.KLINES_ZIP):
        assert shipped.stat().st_size < 200_000
        assert (tmp_path / shipped.name).read_bytes() == shipped.read_bytes()
        with zipfile.ZipFile(shipped) as zf:
            assert zf.namelist() == [shipped.with_suffix(".csv").name]
    assert len(written) == 2


def test_sample_klines_are_the_klines_of_the_sample_trades(sample_trades, sample_klines) -> None:
    assert 2_000 <= len(sample_trades) <= 10_000
    assert len(sample_klines) == 1440
    assert sample_klines == samples.klines_of(sample_trades)
    assert sample_klines[0].open_time == samples.DAY_START
    # some trades are below the 5 USDT minimum notional, some rows are sweeps at one time
    assert any(r.price * r.qty // 10**8 < units("5") for r in sample_trades)
    assert len({r.time for r in sample_trades}) < len(sample_trades)


# ---- aggTrades ----------------------------------------------------------------------------------


def test_agg_trades_replay_prints_history_exactly(sample_trades) -> None:
    sim, replay, _ = replayed(samples.AGG_TRADES_ZIP)
    source: LiquiditySource = replay  # the protocol every liquidity source implements
    assert all(callable(getattr(source, m)) for m in ("start", "advance", "next_due"))
    history = sim.venue.markets[SYMBOL].history
    served = history.agg_trades(1, None, None, 100_000)
    assert len(served) == len(sample_trades)
    tick = units("0.01")
    for a, r in zip(served, sample_trades, strict=True):
        assert abs(a.price - r.price) <= tick and a.price == r.price
        assert (a.time, a.qty, a.buyer_is_maker) == (r.time, r.qty, r.buyer_is_maker)
    assert sum(a.qty for a in served) == sum(r.qty for r in sample_trades)
    assert replay.next_due() is None and replay.rows_done == len(sample_trades)
    assert replay.fallbacks == 0


def test_served_klines_after_agg_trades_match_the_sample_klines(sample_klines) -> None:
    sim, _, _ = replayed(samples.AGG_TRADES_ZIP)
    client = TestClient(sim.app)
    got = []
    for start in (samples.DAY_START, samples.DAY_START + 1000 * 60_000):
        resp = client.get(
            "/api/v3/klines", params={"symbol": SYMBOL, "interval": "1m", "startTime": start, "limit": 1000}
        )
        assert resp.status_code == 200, resp.text
        got += resp.json()
    assert len(got) == 1440
    for row, k in zip(got, sample_klines, strict=True):
        assert row[0] == k.open_time and row[6] == k.close_time
        assert row[1:6] == [format_units(v, 8) for v in (k.open, k.high, k.low, k.close, k.volume)]
        assert row[7] == format_units(k.quote_volume, 8)
        assert row[9:11] == [format_units(k.taker_buy_volume, 8), format_units(k.taker_buy_quote_volume, 8)]


def test_batch_and_per_command_paths_agree_with_users_trading(sample_trades) -> None:
    lo, hi = min(r.price for r in sample_trades), max(r.price for r in sample_trades)
    tick = units("0.01")

    def users(sim):
        venue, demo = sim.venue, sim.demo_account
        ids = []
        for i in range(6):
            ids.append(venue.place(demo, limit(Side.BUY, format_units(lo + (i + 1) * 700 * tick, 8), "0.003")))
            ids.append(venue.place(demo, limit(Side.SELL, format_units(hi - (i + 1) * 700 * tick, 8), "0.002")))
        return [p.order.order_id for p in ids]

    results = []
    for mode in ("batch", "venue"):
        sim, _replay, ids = replayed(samples.AGG_TRADES_ZIP, users=users, mode=mode)
        venue = sim.venue
        records = [venue.order(sim.demo_account, SYMBOL, oid, None) for oid in ids]
        trades = venue.my_trades(sim.demo_account, SYMBOL, None, None, None, None, 1000)
        history = venue.markets[SYMBOL].history
        results.append(
            (
                venue.engine.fingerprint(),
                [(r.status, r.executed_qty, r.cummulative_quote_qty, r.update_time) for r in records],
                trades,
                history.recent(100_000),
                venue.balances(sim.demo_account),
            )
        )
    assert results[0] == results[1]
    statuses = [s for s, *_ in results[0][1]]
    assert statuses.count("FILLED") >= 4 and results[0][2]  # history traded through most of them


def test_a_user_order_history_trades_through_is_filled_at_its_price(sample_trades) -> None:
    lo, hi = min(r.price for r in sample_trades), max(r.price for r in sample_trades)
    buy_at, sell_at = lo + units("20"), hi - units("20")

    def users(sim):
        venue, demo = sim.venue, sim.demo_account
        return [
            venue.place(demo, limit(Side.BUY, format_units(buy_at, 8), "0.001")).order.order_id,
            venue.place(demo, limit(Side.SELL, format_units(sell_at, 8), "0.001")).order.order_id,
        ]

    sim, _, (buy_id, sell_id) = replayed(samples.AGG_TRADES_ZIP, users=users)
    venue = sim.venue
    for oid, price in ((buy_id, buy_at), (sell_id, sell_at)):
        rec = venue.order(sim.demo_account, SYMBOL, oid, None)
        assert rec.status == "FILLED" and rec.executed_qty == units("0.001")
        fills = venue.my_trades(sim.demo_account, SYMBOL, oid, None, None, None, 10)
        assert fills and all(f.price == price and f.is_maker for f in fills)
    assert venue.open_orders(sim.demo_account, SYMBOL) == []


def test_the_makers_resting_ladder_is_the_venues_open_orders(sample_trades) -> None:
    """The batch path registers the maker's resting orders with the venue (``Venue.adopt_resting``)
    and drops those the book no longer holds (``Venue.forget_order``): openOrders shows the book."""
    sim, replay, _ = replayed(samples.AGG_TRADES_ZIP)
    venue = sim.venue
    records = venue.open_orders(replay.maker, SYMBOL)
    book = venue.engine.open_orders(SYMBOL, replay.maker)
    assert len(book) == 2 * replay.levels
    assert sorted(o.order_id for o in book) == [r.order_id for r in records]
    by_id = {r.order_id: r for r in records}
    for o in book:
        r = by_id[o.order_id]
        assert (r.side, r.price, r.orig_qty, r.executed_qty) == (
            o.side,
            o.price,
            o.original_quantity,
            o.original_quantity - o.quantity,
        )
        assert r.status == ("PARTIALLY_FILLED" if r.executed_qty else "NEW") and venue.is_open(SYMBOL, o.order_id)
    assert venue.open_orders(replay.taker, SYMBOL) == []


def test_batch_records_are_for_house_accounts_only() -> None:
    sim, _ = simulator(T0)
    venue, demo = sim.venue, sim.demo_account
    house = venue.create_account({}, house=True)
    with pytest.raises(ValueError):
        venue.adopt_resting(demo, SYMBOL, 99, Side.BUY, OrderType.LIMIT, units("1"), units("1"), T0)
    user = venue.place(demo, limit(Side.BUY, "1000", "0.01")).order.order_id
    with pytest.raises(ValueError):
        venue.forget_order(SYMBOL, user)
    assert venue.is_open(SYMBOL, user) and not venue.is_open(SYMBOL, 99)
    venue.adopt_resting(house, SYMBOL, 99, Side.BUY, OrderType.LIMIT, units("1"), units("1"), T0)
    venue.adopt_resting(
        house, SYMBOL, 99, Side.BUY, OrderType.LIMIT, units("1"), units("1"), T0, units("0.25"), units("0.25")
    )
    [rec] = venue.open_orders(house, SYMBOL)
    assert (rec.order_id, rec.status, rec.executed_qty, rec.cummulative_quote_qty) == (
        99,
        "PARTIALLY_FILLED",
        units("0.25"),
        units("0.25"),
    )
    venue.forget_order(SYMBOL, 99)
    venue.forget_order(SYMBOL, 99)  # (nothing left to forget)
    assert venue.open_orders(house, SYMBOL) == [] and not venue.is_open(SYMBOL, 99)


def tape(rows: list[tuple[int, str, str, Side]]) -> list[TradeTape]:
    """Trades (ms after T0, price, quantity, taker side) as one tape."""
    return [
        TradeTape(
            np.array([T0 + t for t, *_ in rows], dtype=np.int64),
            np.array([units(p) for _, p, _, _ in rows], dtype=np.int64),
            np.array([units(q) for _, _, q, _ in rows], dtype=np.int64),
            np.array([int(s) for *_, s in rows], dtype=np.int64),
        )
    ]


@pytest.mark.parametrize("mode", ["batch", "venue"])
def test_a_user_behind_historys_liquidity_waits_its_turn(mode) -> None:
    sim, clock = simulator(T0)
    venue, demo = sim.venue, sim.demo_account
    rows = [
        (1000, "42000.50", "0.01", Side.BUY),
        (3000, "42001.00", "0.009", Side.BUY),  # all from the house's order ahead of the user
        (4000, "42001.00", "0.005", Side.BUY),  # the house's last 0.001, then the user's turn
        (5000, "42003.00", "0.02", Side.BUY),
    ]  # through both user orders: better prices first
    # a ladder level worth 420.01 USDT is 0.01 BTC at 42001.00
    replay = HistoricalReplay(
        SYMBOL, tape(rows), levels=5, spacing_ticks=100, level_notional=units("420.01"), mode=mode
    )
    replay.start(venue, venue.now())
    _, _, asks = venue.depth(SYMBOL, 5)
    assert asks[0] == (units("42001"), units("0.01"))  # history's own liquidity, ahead of the user
    assert [p for p, _ in asks] == [units(f"{42001 + i}") for i in range(5)]
    user = venue.place(demo, limit(Side.SELL, "42001.00", "0.01")).order.order_id
    early = venue.place(demo, limit(Side.SELL, "42001.50", "0.002")).order.order_id

    def executed_after(at: int, oid: int) -> int:
        clock.set(T0 + at)
        replay.advance(venue, venue.now())
        return venue.order(demo, SYMBOL, oid, None).executed_qty

    assert executed_after(1000, user) == 0
    assert executed_after(3000, user) == 0
    assert executed_after(4000, user) == units("0.004")
    assert venue.order(demo, SYMBOL, early, None).executed_qty == 0  # beyond what history printed
    assert executed_after(5000, user) == units("0.01")
    assert venue.order(demo, SYMBOL, early, None).executed_qty == units("0.002")
    fills = venue.my_trades(demo, SYMBOL, None, None, None, None, 10)
    assert [(f.price, f.qty) for f in fills] == [
        (units("42001"), units("0.004")),
        (units("42001"), units("0.006")),
        (units("42001.5"), units("0.002")),
    ]
    printed: dict[int, int] = {}
    for t in venue.markets[SYMBOL].history.recent(100):
        printed[t.time] = printed.get(t.time, 0) + t.qty
    assert printed == {T0 + t: units(q) for t, _, q, _ in rows}  # history's volumes, users or not
    venue.engine.check_invariants()


def test_the_ladder_never_fills_a_user_order_beyond_what_history_traded() -> None:
    """A sweep (rows at one time) through a user's resting order fills it by the rows' quantities
    only: the maker's ladder, following the price after each row, stays clear of the user's order
    (it used to place an ask below the user's bid after the first row of a sell sweep, filling the
    user's whole order at the second row's time)."""
    rows = [
        (1000, "42650.00", "0.001", Side.BUY),
        (2000, "42636.84", "0.00151", Side.SELL),
        (2000, "42636.82", "0.00031", Side.SELL),  # the sample's sweep
        (3000, "42660.00", "0.0005", Side.BUY),
        (3000, "42660.05", "0.0007", Side.BUY),
    ]
    results = []
    for mode in ("batch", "venue"):
        sim, clock = simulator(T0)
        venue, demo = sim.venue, sim.demo_account
        replay = HistoricalReplay(SYMBOL, tape(rows), mode=mode)  # default ladder: a level every 2 bps
        replay.start(venue, venue.now())
        clock.set(T0 + 1000)
        replay.advance(venue, venue.now())
        buy = venue.place(demo, limit(Side.BUY, "42645.73", "0.003")).order.order_id
        clock.set(T0 + 2000)
        replay.advance(venue, venue.now())
        sell = venue.place(demo, limit(Side.SELL, "42655.00", "0.001")).order.order_id
        replay_all(replay, venue, clock)
        venue.engine.check_invariants()
        # the buy gets the whole sweep (0.00182 < its 0.003); the sell its 0.001 of the 0.0012
        assert venue.order(demo, SYMBOL, buy, None).executed_qty == units("0.00182")
        assert venue.order(demo, SYMBOL, sell, None).executed_qty == units("0.001")
        fills = venue.my_trades(demo, SYMBOL, None, None, None, None, 10)
        assert [(f.time - T0, f.price, f.qty) for f in fills] == [
            (2000, units("42645.73"), units("0.00151")),
            (2000, units("42645.73"), units("0.00031")),
            (3000, units("42655"), units("0.0005")),
            (3000, units("42655"), units("0.0005")),
        ]
        history = venue.markets[SYMBOL].history.recent(100)
        printed: dict[int, int] = {}
        for t in history:
            printed[t.time] = printed.get(t.time, 0) + t.qty
        assert printed == {T0 + t: sum(units(q) for u, _, q, _ in rows if u == t) for t in (1000, 2000, 3000)}
        results.append((venue.engine.fingerprint(), fills, history, venue.balances(demo)))
    assert results[0] == results[1]


def test_trades_below_the_minimum_and_above_the_maximum_order_print_exactly() -> None:
    rows = [
        (1000, "42000.00", "0.00001", Side.BUY),
        (2000, "41999.99", "0.00002", Side.SELL),
        (3000, "42000.00", "250", Side.BUY),
        (3000, "42000.01", "0.00003", Side.BUY),
        (4000, "42000.00", "0.00001", Side.SELL),
    ]
    sim, _replay, _ = replayed(tape(rows), start=T0, spacing_ticks=100)
    history = sim.venue.markets[SYMBOL].history.recent(1000)
    by_time: dict[int, list] = {}
    for t in history:
        by_time.setdefault(t.time, []).append((t.price, t.qty, t.buyer_is_maker))
    assert by_time[T0 + 1000] == [(units("42000"), units("0.00001"), False)]
    assert by_time[T0 + 2000] == [(units("41999.99"), units("0.00002"), True)]
    big = [t for t in by_time[T0 + 3000] if t[0] == units("42000")]
    assert sum(q for _, q, _ in big) == units("250") and len(big) > 1  # 250 BTC > the 9M USDT maximum notional
    assert by_time[T0 + 3000][-1] == (units("42000.01"), units("0.00003"), False)
    assert sum(t.qty for t in history) == sum(units(q) for _, _, q, _ in rows)


def test_a_stop_order_history_triggers_runs_through_the_venue() -> None:
    rows = [(1000 * i, f"{42000 - i}.00", "0.01", Side.SELL) for i in range(1, 8)]
    sim, clock = simulator(T0)
    venue, demo = sim.venue, sim.demo_account
    replay = HistoricalReplay(SYMBOL, tape(rows), spacing_ticks=100)
    replay.start(venue, venue.now())
    req = OrderRequest(
        SYMBOL,
        Side.SELL,
        OrderType.STOP_LOSS,
        TimeInForce.GTC,
        units("0.001"),
        0,
        0,
        units("41996"),
        None,
        SelfTradePrevention.NONE,
        "FULL",
    )
    stop = venue.place(demo, req).order.order_id
    replay_all(replay, venue, clock)
    rec = venue.order(demo, SYMBOL, stop, None)
    assert rec.status == "FILLED" and rec.working_time == T0 + 4000
    assert replay.fallbacks > 0
    assert [t.price for t in venue.markets[SYMBOL].history.recent(100) if t.time != T0 + 4000] == [
        units(p) for _, p, _, _ in rows if p != "41996.00"
    ]
    venue.engine.check_invariants()


def test_a_coarse_driver_keeps_historys_times() -> None:
    rows = [
        (1000, "42000.00", "0.01", Side.BUY),
        (61_000, "42010.00", "0.02", Side.BUY),
        (61_500, "42005.00", "0.01", Side.SELL),
    ]
    sim, clock = simulator(T0)
    venue = sim.venue
    replay = HistoricalReplay(SYMBOL, tape(rows))
    replay.start(venue, venue.now())
    clock.set(T0 + 120_000)
    replay.advance(venue, venue.now())
    assert replay.next_due() is None
    assert [(t.time, t.price) for t in venue.markets[SYMBOL].history.recent(10)] == [
        (T0 + t, units(p)) for t, p, _, _ in rows
    ]


def test_prices_outside_the_market_are_refused() -> None:
    with pytest.raises(ReplayError, match="outside the market's prices"):
        replayed(tape([(1000, "42000.00", "0.01", Side.BUY), (2000, "2000000.00", "0.01", Side.BUY)]), start=T0)


# ---- klines -------------------------------------------------------------------------------------


def test_klines_replay_serves_the_source_candles(sample_klines) -> None:
    sim, _replay, _ = replayed(samples.KLINES_ZIP)
    venue = sim.venue
    history = venue.markets[SYMBOL].history
    served = history.klines("1m", samples.DAY_START, None, 1000, now=venue.now())
    served += history.klines("1m", samples.DAY_START + 1000 * 60_000, None, 1000, now=venue.now())
    assert len(served) == 1440
    for got, k in zip(served, sample_klines, strict=True):
        assert (got.open_time, got.close_time) == (k.open_time, k.close_time)
        assert (got.open, got.high, got.low, got.close) == (k.open, k.high, k.low, k.close)
        assert (got.volume, got.taker_buy_volume) == (k.volume, k.taker_buy_volume)
    resp = TestClient(sim.app).get(
        "/api/v3/klines", params={"symbol": SYMBOL, "interval": "1h", "startTime": samples.DAY_START, "limit": 24}
    )
    hours = resp.json()
    assert len(hours) == 24
    first = sample_klines[:60]
    assert hours[0][1:6] == [
        format_units(v, 8)
        for v in (
            first[0].open,
            max(k.high for k in first),
            min(k.low for k in first),
            first[-1].close,
            sum(k.volume for k in first),
        )
    ]


def test_the_klines_path_rule() -> None:
    k = [
        Kline(
            T0,
            units("100"),
            units("110"),
            units("95"),
            units("105"),
            units("0.008"),
            T0 + 59_999,
            0,
            0,
            units("0.003"),
            0,
        ),
        Kline(
            T0 + 60_000, units("105"), units("106"), units("90"), units("91"), units("0.004"), T0 + 119_999, 0, 0, 0, 0
        ),
    ]
    sim, _, _ = replayed([df.KlineChunk(np.array(k, dtype=np.int64))], start=T0, spacing_ticks=100)
    trades = [
        (t.time - T0, format_units(t.price, 8).rstrip("0").rstrip("."), t.qty, t.buyer_is_maker)
        for t in sim.venue.markets[SYMBOL].history.recent(100)
    ]
    a, b, c = units("0.00075"), units("0.00125"), units("0.001")
    # bullish: open, low, high, close at 0, 15, 30, 45 s, 0.002 each; 0.003 of taker buys spread
    # over them; the side moving the price trades first. Bearish: open, high, low, close, no buys.
    assert trades == [
        (0, "100", a, False),
        (0, "100", b, True),
        (15_000, "95", b, True),
        (15_000, "95", a, False),
        (30_000, "110", a, False),
        (30_000, "110", b, True),
        (45_000, "105", b, True),
        (45_000, "105", a, False),
        (60_000, "105", c, True),
        (75_000, "106", c, True),
        (90_000, "90", c, True),
        (105_000, "91", c, True),
    ]


# ---- reading the files --------------------------------------------------------------------------

AGG_HEADER = ",".join(df.AGG_TRADE_COLUMNS)
KLINE_HEADER = ",".join(df.KLINE_COLUMNS)


def write_variant(tmp_path: Path, name: str, lines: list[str], header: str | None, zipped: bool) -> Path:
    if zipped:
        return df.write_csv(
            tmp_path / f"{name}.zip", lines, header.split(",") if header else None, zip_member=f"{name}.csv"
        )
    return df.write_csv(tmp_path / f"{name}.csv", lines, header.split(",") if header else None)


@pytest.mark.parametrize("header", [False, True])
@pytest.mark.parametrize("micros", [False, True])
@pytest.mark.parametrize("zipped", [False, True])
def test_csv_variants_read_the_same(tmp_path, sample_trades, sample_klines, header, micros, zipped) -> None:
    trades, klines = sample_trades[:500], sample_klines[:100]
    a = write_variant(
        tmp_path,
        "BTCUSDT-aggTrades-x",
        list(df.agg_trade_lines(trades, micros=micros)),
        AGG_HEADER if header else None,
        zipped,
    )
    k = write_variant(
        tmp_path, "BTCUSDT-1m-x", list(df.kline_lines(klines, micros=micros)), KLINE_HEADER if header else None, zipped
    )
    assert list(df.iter_agg_trades(a)) == trades
    assert list(df.iter_klines(k)) == klines
    assert df.detect_kind(a) == df.AGG_TRADES and df.detect_kind(k) == df.KLINES


def test_microsecond_files_replay_like_millisecond_ones(tmp_path, sample_trades) -> None:
    path = write_variant(tmp_path, "trades", list(df.agg_trade_lines(sample_trades[:300], micros=True)), None, True)
    assert df.detect_kind(path) == df.AGG_TRADES  # by its eight columns
    sim, _, _ = replayed(path)
    served = sim.venue.markets[SYMBOL].history.agg_trades(1, None, None, 1000)
    assert [(a.time, a.price, a.qty) for a in served] == [(r.time, r.price, r.qty) for r in sample_trades[:300]]


def test_small_blocks_stream_across_block_boundaries(tmp_path, sample_trades, monkeypatch) -> None:
    path = write_variant(tmp_path, "trades", list(df.agg_trade_lines(sample_trades)), AGG_HEADER, False)
    monkeypatch.setattr(df, "BLOCK", 997)
    chunks = list(df.agg_trade_chunks(path, chunk_rows=100))
    assert max(len(c) for c in chunks) <= 100
    assert [r for c in chunks for r in c.rows()] == sample_trades


GOOD = "1,42000.01000000,0.00100000,10,10,1705276800123,True,True"


@pytest.mark.parametrize(
    "bad, why",
    [
        ("1,42000.010000001,0.001,10,10,1705276800123,True,True", "price '42000.010000001': more decimals"),
        ("1,42000.01,-0.001,10,10,1705276800123,True,True", "quantity '-0.001': not a decimal"),
        ("1,42000.01,1e-3,10,10,1705276800123,True,True", "quantity '1e-3': not a decimal"),
        ("1,42000.01,0.001,10,10,1705276800123,yes,True", "is_buyer_maker 'yes': not a boolean"),
        ("1,42000.01,0.001,10,10,17052768001x3,True,True", "transact_time '17052768001x3'"),
        ("1,42000.01,0.001,10,10,1705276800123,True", "expected 8 comma-separated fields, found 7"),
        ("1,42000.01,0.001,10,10,1705276800123,True,True,", "expected 8 comma-separated fields, found 9"),
        ("1,42000.01,0.001,10,10,1705276800122,True,True", "time goes back"),
        ("1,,0.001,10,10,1705276800123,True,True", "price '': not a decimal"),
        ("1,42000.,0.001,10,10,1705276800123,True,True", "price '42000.': not a decimal"),
        ("1,42000.01,0.001,10,10,170527680012300000,True,True", "not a time"),
    ],
)
@pytest.mark.parametrize("zipped", [False, True])
def test_malformed_lines_are_refused_with_file_and_line(tmp_path, bad, why, zipped) -> None:
    path = write_variant(tmp_path, "trades", [GOOD, GOOD, bad, GOOD], AGG_HEADER, zipped)
    where = f"{path}:trades.csv:4:" if zipped else f"{path}:4:"
    with pytest.raises(ValueError) as info:
        list(df.iter_agg_trades(path))
    assert str(info.value).startswith(where) and why in str(info.value)


def test_malformed_klines_and_headers_are_refused(tmp_path, sample_klines) -> None:
    lines = list(df.kline_lines(sample_klines[:3]))
    path = write_variant(tmp_path, "k", lines[:2] + [lines[2].replace(",0", ",", 1)], None, False)
    with pytest.raises(ValueError, match=r"k\.csv:3: "):
        list(df.iter_klines(path))
    path = write_variant(tmp_path, "h", lines, "open_time,open,high", False)
    with pytest.raises(ValueError, match=r"h\.csv:1: the header has 3 fields"):
        list(df.iter_klines(path))
    with pytest.raises(ValueError, match="expected 12 comma-separated fields"):
        list(df.iter_klines(write_variant(tmp_path, "a", ["1,2,3"], None, False)))


def test_files_out_of_order_are_refused(tmp_path, sample_trades) -> None:
    a = write_variant(tmp_path, "a", list(df.agg_trade_lines(sample_trades[:10])), None, False)
    b = write_variant(tmp_path, "b", list(df.agg_trade_lines(sample_trades[10:20])), None, False)
    assert list(df.iter_agg_trades([a, b])) == sample_trades[:20]
    with pytest.raises(ValueError, match="give the files in time order"):
        list(df.iter_agg_trades([b, a]))


@pytest.mark.parametrize("as_text", [True, False])
def test_parquet_reads_like_csv(tmp_path, sample_trades, sample_klines, as_text) -> None:
    pytest.importorskip("pyarrow")
    a = df.write_parquet(tmp_path / "BTCUSDT-aggTrades.parquet", sample_trades, as_text=as_text)
    k = df.write_parquet(tmp_path / "klines.parquet", sample_klines, as_text=as_text)
    assert list(df.iter_agg_trades(a)) == sample_trades
    assert list(df.iter_klines(k)) == sample_klines
    assert df.detect_kind(k) == df.KLINES
    sim, _, _ = replayed(a)
    assert len(sim.venue.markets[SYMBOL].history.agg_trades(1, None, None, 100_000)) == len(sample_trades)


def test_parquet_with_microseconds_and_bad_values(tmp_path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    base = {
        "agg_trade_id": [1, 2],
        "price": [42000.01, 42000.02],
        "quantity": ["0.001", "0.002"],
        "first_trade_id": [1, 2],
        "last_trade_id": [1, 2],
        "transact_time": [1705276800123000, 1705276800124000],
        "is_buyer_maker": [True, False],
        "is_best_match": [True, True],
    }
    pq.write_table(pa.table(base), tmp_path / "ok.parquet")
    rows = list(df.iter_agg_trades(tmp_path / "ok.parquet"))
    assert [(r.price, r.qty, r.time) for r in rows] == [
        (units("42000.01"), units("0.001"), 1705276800123),
        (units("42000.02"), units("0.002"), 1705276800124),
    ]
    for column, values, why in (
        ("price", [42000.01, 1 / 3], "row 2: price"),
        ("quantity", ["0.001", "0.0000000001"], "row 2: quantity '0.0000000001': more"),
        ("transact_time", [1705276800123000, 1705276800122000], "row 2: time goes back"),
    ):
        pq.write_table(pa.table(base | {column: values}), tmp_path / "bad.parquet")
        with pytest.raises(ValueError, match=why):
            list(df.iter_agg_trades(tmp_path / "bad.parquet"))
    pq.write_table(pa.table({"price": [1.0]}), tmp_path / "cols.parquet")
    with pytest.raises(ValueError, match="no column for"):
        list(df.iter_agg_trades(tmp_path / "cols.parquet"))
