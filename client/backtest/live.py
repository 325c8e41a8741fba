"""``run_live``: a strategy file as a loop against a running exchange (``sandex serve``, the testnet
or live), on the exchange's clock: the same ``on_candle`` calls a backtest makes, as candles close."""

from __future__ import annotations

import threading
import time

from .. import api
from ..credentials import Credential
from .strategy import StrategyFile, interval_ms

SETTLE_MS = 250  # after a candle's close, before asking for it: the exchange has recorded its last trades


def run_live(
    strategy_file: StrategyFile,
    credential: Credential,
    symbol: str,
    params: dict[str, object],
    timeframe: str | None = None,
    steps: int | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Call ``on_candle`` with each candle as it closes, ``steps`` times (None: until ``stop`` is set
    or Ctrl-C); then ``on_stop``. Returns the number of candles handled."""
    timeframe = timeframe or strategy_file.timeframe
    step = interval_ms(timeframe)
    stop = stop or threading.Event()
    strategy = strategy_file.create(credential, symbol, params)
    offset = _clock_offset(credential)
    last_open = None
    handled = 0
    try:
        while not stop.is_set() and (steps is None or handled < steps):
            now = _wall_ms() + offset
            next_close = (now // step + 1) * step
            if stop.wait(max(0.0, (next_close + SETTLE_MS - now) / 1000)):
                break
            offset = _clock_offset(credential)
            candles = api.fetch_ohlcv(credential, symbol, timeframe, None, 3)
            closed = [c for c in candles if c[0] + step <= _wall_ms() + offset]
            if closed and closed[-1][0] != last_open:
                last_open = closed[-1][0]
                strategy.on_candle(closed[-1])
                handled += 1
    except KeyboardInterrupt:
        pass
    finally:
        on_stop = getattr(strategy, "on_stop", None)
        if on_stop is not None:
            on_stop()
    return handled


def _clock_offset(credential: Credential) -> int:
    """The exchange's clock less the wall clock (a replaying server runs its own)."""
    server_ms = api.fetch_time(credential)
    if server_ms is None:
        raise RuntimeError("the exchange's time answer held no time")
    return server_ms - _wall_ms()


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000
