"""The same strategy files run unchanged against a live ``sandex serve``: ``sandex run`` calls
``on_candle`` as each candle closes on the server, and the orders reach the exchange."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ccxt
import pytest

from client.targets import point_at
from tests import serve_process

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[serve_process.Serving]:
    serving = serve_process.start(env={**os.environ, "SANDEX_DEMO_API_KEY": ""})
    try:
        yield serving
    finally:
        serve_process.stop(serving)


def sandex_run(server: serve_process.Serving, example: str, *args: str) -> str:
    env = {**os.environ, "BINANCE_API_KEY": server.key, "BINANCE_SECRET_KEY": server.secret}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "run",
            str(ROOT / "examples" / example),
            "--target",
            server.url,
            "--timeframe",
            "1s",
            *args,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.slow
def test_the_market_maker_quotes_a_live_server_each_candle(server: serve_process.Serving) -> None:
    out = sandex_run(server, "market_maker.py", "--steps", "3")
    assert "3 candles handled" in out
    ex = ccxt.binance({"apiKey": server.key, "secret": server.secret})
    point_at(ex, server.url)
    orders = ex.fetch_orders("BTC/USDT")
    asks = [o for o in orders if o["side"] == "sell"]
    assert len(asks) >= 3  # one ask a candle (the demo account holds BTC, more than max_position)
    assert not ex.fetch_open_orders("BTC/USDT")  # on_stop took the quotes down


@pytest.mark.slow
def test_the_crossover_runs_live_unchanged(server: serve_process.Serving) -> None:
    out = sandex_run(server, "ma_crossover.py", "--steps", "4", "--param", "fast=1", "--param", "slow=2")
    assert "4 candles handled" in out
