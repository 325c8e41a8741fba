"""Backtest figures: ``python -m benchmarks.backtest [--json] [--rows N]``.

A generated aggTrades file of ``--rows`` rows (a random walk with sweeps, about 100 rows a second
of simulated time, generated before any timing) is backtested on 1-second candles, so the strategy
acts about every 100 rows:

* ``rows_per_s``: replayed rows per second of a whole backtest whose strategy does nothing (parse,
  replay through the engine, candle by candle stepping, the account marked at every candle);
* ``client_calls_per_s``: the strategy placing and cancelling an order every candle, through
  ``client`` and ccxt to the in-process simulator: its calls divided by the time they added to the
  run (``call_us`` per call); ``row_us`` is the replay's cost per row;
* beside them, in the same run, the references: the replay alone (``replay_all``, no backtester)
  in rows/s, and ccxt's own cost of the same two calls against a canned answer in-process
  (``ccxt_floor_us``: what a call costs before the exchange does anything), so
  ``exchange_us = call_us - ccxt_floor_us`` is what the simulator adds per call;
* ``sweep_runs_per_min``: ``sandex sweep`` of the moving-average example over the sample day
  (8 parameter sets, a process per core).

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import ccxt

from client.backtest.runner import BacktestSettings, run_backtest
from client.backtest.sweep import grid_runs, run_sweep
from client.inprocess import BASE_URL, InProcessSession
from client.targets import point_at
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.liquidity.replay import HistoricalReplay, replay_all

from .figures import show
from .replay import generate

HERE = Path(__file__).resolve().parent
STRATEGY = HERE / "strategies" / "place_cancel.py"
EXAMPLE = HERE.parent / "examples" / "ma_crossover.py"


def backtest_rates(path: Path) -> dict[str, float]:
    quiet = _timed(BacktestSettings(str(STRATEGY), str(path), params={"act": False}))
    busy = _timed(BacktestSettings(str(STRATEGY), str(path), params={"act": True}))
    rows, calls = quiet["result"].rows, busy["result"].client_calls
    added = max(busy["seconds"] - quiet["seconds"], 1e-9)
    return {
        "rows": rows,
        "candles": len(quiet["result"].steps) - 1,
        "client_calls": calls,
        "rows_per_s": rows / quiet["seconds"],
        "client_calls_per_s": calls / added,
        "row_us": quiet["seconds"] / rows * 1e6,
        "call_us": added / calls * 1e6,
        "backtest_quiet_s": quiet["seconds"],
        "backtest_busy_s": busy["seconds"],
    }


def _timed(settings: BacktestSettings) -> dict:
    start = time.perf_counter()
    result = run_backtest(settings)
    if result.error:
        raise RuntimeError(result.error)
    return {"result": result, "seconds": time.perf_counter() - start}


def replay_alone(path: Path) -> float:
    """Rows/s of the same file through ``replay_all`` alone: the reference for ``rows_per_s``."""
    clock = ManualClock(0)
    sim = build(SimulatorConfig(liquidity=False), clock=clock)
    start = time.perf_counter()
    replay = HistoricalReplay.from_file(path, "BTCUSDT", sim.venue)
    first = replay_first_time(path)
    clock.set(first)
    replay.start(sim.venue, first)
    replay_all(replay, sim.venue, clock, step_ms=1000)
    return replay.rows_done / (time.perf_counter() - start)


def replay_first_time(path: Path) -> int:
    from simulator.liquidity import datafiles as df

    return next(df.iter_agg_trades(path)).time


class _Canned:
    """Binance's answers to an order and its cancel, always the same: ccxt's work, none of ours."""

    ORDER = (
        b'{"symbol":"BTCUSDT","orderId":1,"orderListId":-1,"clientOrderId":"x","transactTime":1705276800000,'
        b'"price":"38000.00000000","origQty":"0.00100000","executedQty":"0.00000000","origQuoteOrderQty":'
        b'"0.00000000","cummulativeQuoteQty":"0.00000000","status":"NEW","timeInForce":"GTC","type":"LIMIT",'
        b'"side":"BUY","workingTime":1705276800000,"fills":[],"selfTradePreventionMode":"EXPIRE_MAKER"}'
    )
    CANCELED = ORDER.replace(b'"NEW"', b'"CANCELED"')

    def __init__(self, real) -> None:
        self.real = real  # answers everything but the two calls measured (markets, once)

    def request(self, method: str, url: str, headers, body: bytes = b""):
        if "/api/v3/order" in url:
            return 200, [("content-type", "application/json")], self.ORDER if method == "POST" else self.CANCELED
        return self.real.request(method, url, headers, body)


def ccxt_floor(calls: int = 4000) -> float:
    """Microseconds per call of ccxt's create_order and cancel_order against canned answers."""
    from simulator.inprocess import InProcessTransport

    clock = ManualClock(1_705_276_800_000)
    sim = build(SimulatorConfig(liquidity=False, demo_api_key="bench-key", demo_api_secret="bench-secret"), clock=clock)
    ex = ccxt.binance({"apiKey": "bench-key", "secret": "bench-secret", "enableRateLimit": False})
    point_at(ex, BASE_URL)
    ex.session = InProcessSession(_Canned(InProcessTransport(sim.app)))
    ex.milliseconds = clock.now_ms
    ex.load_markets()
    start = time.perf_counter()
    for _ in range(calls // 2):
        order = ex.create_order("BTC/USDT", "limit", "buy", 0.001, 38000)
        ex.cancel_order(order["id"], "BTC/USDT")
    return (time.perf_counter() - start) / calls * 1e6


def sweep_rate(runs: int = 8) -> float:
    grid = {"fast": [3, 4, 5, 6], "slow": [20, 30]}
    settings = grid_runs(BacktestSettings(str(EXAMPLE)), grid)[:runs]
    start = time.perf_counter()
    rows = run_sweep(settings, workers=os.cpu_count() or 1)
    assert all(r["error"] is None for r in rows)
    return len(rows) / (time.perf_counter() - start) * 60


def run(rows: int = 1_000_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = generate(Path(tmp) / "BTCUSDT-aggTrades-2024-01-15.zip", rows, span_ms=rows * 10)
        figures = backtest_rates(path)
        figures["replay_alone_rows_per_s"] = replay_alone(path)
    figures["ccxt_floor_us"] = ccxt_floor()
    figures["exchange_us"] = figures["call_us"] - figures["ccxt_floor_us"]
    figures["sweep_runs_per_min"] = sweep_rate()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--rows", type=int, default=1_000_000, help="aggTrades rows in the generated file")
    args = parser.parse_args()
    figures = run(args.rows)
    show(figures, args.json)


if __name__ == "__main__":
    main()
