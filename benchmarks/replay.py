"""Historical replay figures: ``python -m benchmarks.replay [--json] [--rows N]``.

A generated aggTrades file of ``--rows`` rows (one day of BTCUSDT in Binance's zip format, a
random walk with sweeps; generated before any timing) is replayed through a venue holding resting
user orders, with a driver stepping the ManualClock a minute at a time, as a backtest would:
``replay_rows_per_s`` is file rows per second from opening the zip to the last trade recorded in
the market history (parsing, planning, ``Engine.apply_batch``, the venue's records).

Beside it, in the same run: the plain engine batch figure of ``benchmarks.engine`` (``engine_batch_eps``,
the book on the standard stream) and the whole exchange in batch (``engine_full_batch_cps``); where
the replay's time goes (parse, plan, engine, history recording, user fills, the rest); the same
replay with one ``advance`` per due time (a per-trade driver); and fills per second appending the
replayed history again with ``MarketHistory.record`` one fill at a time and with ``record_many``
per chunk of 4096 fills (what the replay's sink does). Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from array import array
from pathlib import Path

import numpy as np

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.clock import DAY_MS, MINUTE_MS, ManualClock
from simulator.config import SimulatorConfig
from simulator.history import MarketHistory
from simulator.launcher import build
from simulator.liquidity import datafiles as df
from simulator.liquidity import replay as rp
from simulator.liquidity.replay_bookkeeping import BatchSink
from simulator.orders import OrderRequest

from .engine import batch_eps
from .figures import show
from .workloads import exchange_rows, new_exchange, standard

SYMBOL = "BTCUSDT"
DAY = 1_705_276_800_000  # 2024-01-15 00:00 UTC
USER_ORDERS = 40


def generate(path: Path, rows: int, seed: int = 7, span_ms: int = DAY_MS) -> Path:
    """A day of aggTrades as Binance ships them (zip of one headerless csv, ms times): a random walk
    on the 0.01 tick, a quarter of the rows continuing the previous row's sweep (same time and side)."""
    rng = np.random.default_rng(seed)
    t = np.sort(rng.integers(0, span_ms, rows)) + DAY
    step = np.rint(rng.normal(0, 120, rows)).astype(np.int64)
    sweep = rng.random(rows) < 0.25
    sweep[0] = False
    sell = step < 0
    for i in np.flatnonzero(sweep):  # same time and side as the row before, one tick further
        t[i] = t[i - 1]
        sell[i] = sell[i - 1]
        step[i] = -1 if sell[i] else 1
    px = 4_265_000 + np.cumsum(step)  # ticks of 0.01
    lots = np.clip(np.exp(rng.normal(np.log(500), 1.3, rows)).astype(np.int64), 1, 2_000_000)  # of 0.00001
    ids = np.arange(1, rows + 1)
    columns = zip(ids.tolist(), px.tolist(), lots.tolist(), t.tolist(), sell.tolist(), strict=True)
    lines = (
        f"{i},{p // 100}.{p % 100:02d}000000,{q // 100_000}.{q % 100_000:05d}000,{2 * i},{2 * i + 1},{tt},"
        f"{'True' if s else 'False'},True"
        for i, p, q, tt, s in columns
    )
    return df.write_csv(path, lines, zip_member=path.with_suffix(".csv").name)


def parse_rate(path: Path, repeat: int = 2) -> float:
    best = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        n = sum(len(c) for c in df.agg_trade_chunks(path))
        best = max(best, n / (time.perf_counter() - start))
    return best


class _Timers:
    """Wall time of the replay's phases, by wrapping the calls each batch makes (one per batch or
    per 4096 event rows, so the wrappers cost nothing measurable)."""

    def __init__(self) -> None:
        self.t = {"parse": 0.0, "plan": 0.0, "apply_batch": 0.0, "sink": 0.0, "record": 0.0, "user_fill": 0.0}
        self.user_fills = 0
        self._undo: list = []

    def _wrap(self, owner, name: str, key: str, count: bool = False) -> None:
        inner = getattr(owner, name)
        t = self.t

        def timed(*a, **kw):
            start = time.perf_counter()
            try:
                return inner(*a, **kw)
            finally:
                t[key] += time.perf_counter() - start
                if count:
                    self.user_fills += 1

        setattr(owner, name, timed)
        self._undo.append((owner, name, inner))

    def install(self, venue) -> None:
        self._wrap(rp, "plan", "plan")
        self._wrap(venue.engine, "apply_batch", "apply_batch")
        self._wrap(BatchSink, "sink", "sink")
        self._wrap(BatchSink, "_record", "record")
        self._wrap(BatchSink, "_user_fill", "user_fill", count=True)

    def time_tapes(self, replay: rp.HistoricalReplay) -> None:
        inner, t = replay._tapes, self.t

        def timed():
            while True:
                start = time.perf_counter()
                tape = next(inner, None)
                t["parse"] += time.perf_counter() - start
                if tape is None:
                    return
                yield tape

        replay._tapes = timed()

    def remove(self) -> None:
        for owner, name, inner in reversed(self._undo):
            if owner is BatchSink or owner is rp:
                setattr(owner, name, inner)
            else:
                delattr(owner, name)  # an instance attribute shadowing the method


def _venue_with_users(seed: int = 3):
    """A simulator on a ManualClock at the day's start, and resting user limit orders (10 accounts)
    within 0.5 % of the first price: history trades through many of them."""
    clock = ManualClock(DAY)
    sim = build(SimulatorConfig(liquidity=False), clock=clock)
    venue = sim.venue
    rng = np.random.default_rng(seed)
    users = [venue.create_account({"USDT": 10**6 * 10**8, "BTC": 10 * 10**8}) for _ in range(10)]
    for i in range(USER_ORDERS):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        off = int(rng.integers(1, 21_000))  # ticks: up to 210 USDT, about 0.5 %
        price = (4_265_000 - off if side == Side.BUY else 4_265_000 + off) * 10**6
        qty = int(rng.integers(100, 1000)) * 1000
        venue.place(
            users[i % 10],
            OrderRequest(
                SYMBOL, side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, None, SelfTradePrevention.NONE, "ACK"
            ),
        )
    return sim, clock, users


def replay_run(
    path: Path, step_ms: int | None = MINUTE_MS, limit_rows: int | None = None, timers: _Timers | None = None
) -> dict[str, float]:
    """One replay of the file; ``step_ms`` None advances to each next due time."""
    sim, clock, users = _venue_with_users()
    venue = sim.venue
    start = time.perf_counter()
    replay = rp.HistoricalReplay.from_file(path, SYMBOL, venue)
    if timers is not None:
        timers.install(venue)
    try:
        replay.start(venue, venue.now())
        if timers is not None:
            timers.time_tapes(replay)
        while (due := replay.next_due()) is not None and (limit_rows is None or replay.rows_done < limit_rows):
            target = due if step_ms is None else (due // step_ms + 1) * step_ms
            clock.set(max(target, clock.now_ms()))
            replay.advance(venue, venue.now())
        elapsed = time.perf_counter() - start
    finally:
        if timers is not None:
            timers.remove()
    venue.engine.check_invariants()
    history = venue.markets[SYMBOL].history
    filled = sum(len(venue.my_trades(u, SYMBOL, None, None, None, None, 1000)) for u in users)
    return {
        "rows": replay.rows_done,
        "seconds": elapsed,
        "rows_per_s": replay.rows_done / elapsed,
        "commands": replay.commands,
        "fills": len(history),
        "user_fills": filled,
        "history": history,
    }


# ---- history recording: one fill at a time, or a batch's fills at once ----------------------------


def history_columns(h: MarketHistory) -> tuple[int, tuple[np.ndarray, ...]]:
    """A replayed history's first trade id and fills as arrays (price, qty, quote, time, buyer is
    maker, a taker id per aggregate trade), to append again; read through the history's views."""
    trades = h.from_id(0, len(h))
    first = trades[0].id if trades else 0
    cols = [
        np.array([getattr(t, name) for t in trades], dtype=np.int64)
        for name in ("price", "qty", "quote_qty", "time", "buyer_is_maker")
    ]
    starts = np.zeros(len(trades), dtype=np.int64)
    starts[[a.first_trade_id - first for a in h.agg_trades(1, None, None, len(trades))]] = 1
    return first, (*cols, np.cumsum(starts))


def record_rates(h: MarketHistory, chunk: int = 4096) -> tuple[float, float, MarketHistory, MarketHistory]:
    """Fills per second appending a replayed history again: ``record`` per fill, and ``record_many``
    per chunk of ``chunk`` fills (the sink's chunk size)."""
    first, (price, qty, quote, t, bm, taker) = history_columns(h)
    n = len(price)
    loop = MarketHistory()
    start = time.perf_counter()
    for args in zip(
        range(first, first + n),
        price.tolist(),
        qty.tolist(),
        quote.tolist(),
        t.tolist(),
        (bm != 0).tolist(),
        taker.tolist(),
        strict=True,
    ):
        loop.record(*args)
    loop_rate = n / (time.perf_counter() - start)
    many = MarketHistory()
    start = time.perf_counter()
    for a in range(0, n, chunk):
        b = min(n, a + chunk)
        many.record_many(first + a, price[a:b], qty[a:b], quote[a:b], t[a:b], bm[a:b], taker[a:b])
    many_rate = n / (time.perf_counter() - start)
    return loop_rate, many_rate, loop, many


def same_history(a: MarketHistory, b: MarketHistory) -> bool:
    names = (
        "_first_id",
        "_price",
        "_qty",
        "_quote",
        "_time",
        "_taker_buy",
        "_agg_first",
        "_agg_qty",
        "_agg_time",
        "_last_taker",
        "_m_start",
        "_m_first",
        "_m_high",
        "_m_low",
        "_m_volume",
        "_m_quote",
        "_m_buy_volume",
        "_m_buy_quote",
    )
    return all(
        (getattr(a, x).tolist() if isinstance(getattr(a, x), array) else getattr(a, x))
        == (getattr(b, x).tolist() if isinstance(getattr(b, x), array) else getattr(b, x))
        for x in names
    )


# ---- the run ------------------------------------------------------------------------------------


def engine_full_batch(events: int) -> float:
    """``benchmarks.engine``'s whole-exchange batch figure (best of 3) on the standard stream."""
    rows = exchange_rows(standard(events))
    new_exchange(1).apply_batch("BTCUSDT", rows[:100])
    best = 0.0
    for _ in range(3):
        e = new_exchange()
        start = time.perf_counter()
        e.apply_batch("BTCUSDT", rows)
        best = max(best, len(rows) / (time.perf_counter() - start))
    return best


def run(rows: int, engine_events: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp) / "BTCUSDT-aggTrades-2024-01-15.zip", rows)
        replay_run(path, limit_rows=5000)  # load or compile outside the timing
        figures["parse_rows_per_s"] = parse_rate(path)
        best = None
        for _ in range(2):
            r = replay_run(path)
            if best is None or r["rows_per_s"] > best["rows_per_s"]:
                best = r
        timers = _Timers()
        timed = replay_run(path, timers=timers)
        per_row = replay_run(path, step_ms=None, limit_rows=min(rows, 20_000))
    t = timers.t
    engine_s = t["apply_batch"] - t["sink"]
    other = timed["seconds"] - t["parse"] - t["plan"] - t["apply_batch"]
    figures["replay_rows_per_s"] = best["rows_per_s"]
    figures["engine_batch_eps"] = batch_eps(standard(engine_events))[0]
    figures["engine_full_batch_cps"] = engine_full_batch(max(engine_events // 4, 1000))
    figures["replay_commands_per_row"] = best["commands"] / best["rows"]
    figures["replay_engine_cps"] = timed["commands"] / engine_s
    for key, seconds in (
        ("parse", t["parse"]),
        ("plan", t["plan"]),
        ("engine", engine_s),
        ("history_record", t["record"]),
        ("user_fills", t["user_fill"]),
        ("sink_other", t["sink"] - t["record"] - t["user_fill"]),
        ("driver_and_records", other),
    ):
        figures[f"share_{key}"] = seconds / timed["seconds"]
    loop_rate, many_rate, _, _ = record_rates(best["history"])
    figures["history_record_fills_per_s"] = loop_rate
    figures["history_record_many_fills_per_s"] = many_rate
    figures["per_row_driver_rows_per_s"] = per_row["rows_per_s"]
    figures["rows"] = best["rows"]
    figures["fills"] = best["fills"]
    figures["user_orders"] = USER_ORDERS
    figures["user_fills"] = best["user_fills"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--rows", type=int, default=1_000_000, help="aggTrades rows in the generated file")
    parser.add_argument("--events", type=int, default=1_000_000, help="commands of the engine figure")
    args = parser.parse_args()
    figures = run(args.rows, args.events)
    show(figures, args.json)


if __name__ == "__main__":
    main()
