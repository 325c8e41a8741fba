"""The backtest benchmark, short (``pytest benchmarks/test_backtest_bench.py -s``): figures are
printed, never asserted; what is asserted is that the runs behind them did what they say."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from . import backtest as bench


def test_backtest_figures_short(capsys) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = bench.generate(Path(tmp) / "BTCUSDT-aggTrades-2024-01-15.zip", 50_000, span_ms=500_000)
        figures = bench.backtest_rates(path)
    figures["ccxt_floor_us"] = bench.ccxt_floor(400)
    with capsys.disabled():
        print("\n" + json.dumps({key: round(v, 3) if isinstance(v, float) else v for key, v in figures.items()}))
    assert figures["rows"] == 50_000
    assert figures["client_calls"] >= 2 * figures["candles"]  # an order and its cancel every candle
