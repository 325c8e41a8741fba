"""``run_backtest``: a strategy file over history, in simulated time, through the client.

The simulator replays the data file on a hand-moved clock. For each candle of the strategy's
timeframe the clock moves to the candle's last millisecond (history up to then prints through the
matching engine, meeting the strategy's resting orders in price-time priority), the strategy's
``on_candle`` runs at that time, and the account is marked at the last trade price. Everything the
strategy does goes through ``client`` and ccxt to the simulator's Binance API, in-process; nothing
sleeps, so simulated time runs as fast as the strategy and the exchange allow.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Protocol

import simulator.launcher as launcher

from ..connections import forget_target
from ..credentials import Credential
from ..inprocess import InProcessTarget
from .extras import needs_extra
from .result import BacktestResult, Fill, Step
from .strategy import Strategy, interval_ms, load

DEFAULT_BALANCES = {"USDT": "10000"}
_names = itertools.count(1)


class Candle(Protocol):
    """A candle as the simulator keeps it (read-only, integer units)."""

    @property
    def open_time(self) -> int: ...

    @property
    def open(self) -> int: ...

    @property
    def high(self) -> int: ...

    @property
    def low(self) -> int: ...

    @property
    def close(self) -> int: ...

    @property
    def volume(self) -> int: ...


class ExchangeFill(Protocol):
    """A fill as the simulator records it (read-only, integer units)."""

    @property
    def time(self) -> int: ...

    @property
    def trade_id(self) -> int: ...

    @property
    def order_id(self) -> int: ...

    @property
    def is_buyer(self) -> bool: ...

    @property
    def is_maker(self) -> bool: ...

    @property
    def price(self) -> int: ...

    @property
    def qty(self) -> int: ...

    @property
    def quote_qty(self) -> int: ...

    @property
    def commission(self) -> int: ...

    @property
    def commission_asset(self) -> str: ...


class ProgressBar(Protocol):
    def update(self, n: float = 1) -> bool | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class BacktestSettings:
    strategy: str  # a strategy file (see ``strategy.py``)
    data: str = ""  # a Binance aggTrades or klines file; "" for the sample day shipped with sandex
    symbol: str = "BTC/USDT"
    start: int | None = None  # ms since the epoch; None: the data's first row
    end: int | None = None  # ms, excluded; None: the data's last row
    balances: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_BALANCES))
    seed: int = 1
    timeframe: str | None = None  # None: the strategy file's TIMEFRAME
    params: dict[str, object] = field(default_factory=dict)
    progress: bool = False  # a progress bar on stderr

    @property
    def data_file(self) -> str:
        return self.data or launcher.sample_data("aggTrades")


def run_backtest(settings: BacktestSettings) -> BacktestResult:
    """Run the strategy over the history; a strategy that raises ends the run early (``error``)."""
    strategy_file = load(settings.strategy)
    timeframe = settings.timeframe or strategy_file.timeframe
    step = interval_ms(timeframe)
    base, _, quote = settings.symbol.partition("/")
    run = launcher.history_run(
        settings.data_file, settings.symbol, start=settings.start, end=settings.end, seed=settings.seed
    )
    target = InProcessTarget(run.transport, run.now_ms, f"backtest-{os.getpid()}-{next(_names)}")
    try:
        api_key, secret = run.open_account(settings.balances)
        account = run.account_of(api_key)
        result = BacktestResult(
            strategy_file.name,
            Path(settings.data_file).name,
            settings.symbol,
            base,
            quote,
            timeframe,
            0,
            0,
            settings.seed,
            dict(settings.params),
            dict(settings.balances),
        )
        credential = Credential.new("binance", target=target, apiKey=api_key, secret=secret)
        strategy = strategy_file.create(credential, settings.symbol, settings.params)
        _drive(run, strategy, step, timeframe, settings, account, result)
        result.fills = [_fill(run, f, base, quote) for f in run.fills(account)]
        result.orders = run.order_count(account)
        result.client_calls = run.transport.requests
        result.rows = run.replay.rows_done
        return result
    finally:
        forget_target(target)
        run.close()


def _drive(
    run: launcher.HistoryRun,
    strategy: Strategy,
    step: int,
    timeframe: str,
    settings: BacktestSettings,
    account: int,
    result: BacktestResult,
) -> None:
    """Candle by candle to the end of history (or ``settings.end``)."""
    assets = (result.base, result.quote)
    open_time = (settings.start or run.now_ms()) // step * step
    bar = _progress(run, settings, step) if settings.progress else None
    try:
        while settings.end is None or open_time + step <= settings.end:
            close_time = open_time + step - 1
            run.advance_to(close_time)
            candle = run.candle(timeframe, open_time)
            if candle is not None:
                if not result.steps:  # the start: the account as given, marked at the first price
                    result.start = open_time
                    result.steps.append(_step(run, account, assets, open_time, _price(run, candle.open)))
                if result.error is None:
                    try:
                        strategy.on_candle(_ohlcv(run, candle))
                    except Exception as e:  # the strategy's own failure: reported, the run stops here
                        result.error = f"{type(e).__name__}: {e}"
                mark = run.last_price() or _price(run, candle.close)  # the candle's close is the last trade
                result.steps.append(_step(run, account, assets, close_time + 1, mark))
                result.end = close_time + 1
            if bar is not None:
                bar.update(1)
            if result.error is not None or run.next_due() is None:
                break
            open_time += step
        stop = getattr(strategy, "on_stop", None)
        if stop is not None and result.error is None:
            try:
                stop()
            except Exception as e:
                result.error = f"{type(e).__name__}: {e}"
    finally:
        if bar is not None:
            bar.close()


def _progress(run: launcher.HistoryRun, settings: BacktestSettings, step: int) -> ProgressBar:
    with needs_extra("the progress bar", "run with --quiet"):
        from tqdm import tqdm

    last = settings.end or run.last_row_time() + 1
    total = max(1, -(-(last - run.now_ms() // step * step) // step))
    bar: ProgressBar = tqdm(total=total, unit="candle", desc=Path(settings.strategy).name, leave=False, mininterval=0.5)
    return bar


def _price(run: launcher.HistoryRun, units: int) -> Decimal:
    return Decimal(units).scaleb(-run.price_decimals)


def _ohlcv(run: launcher.HistoryRun, candle: Candle) -> list[float]:
    """ccxt's OHLCV row of a candle, numbers as ccxt parses the exchange's decimal text."""
    p, q = run.price_decimals, run.qty_decimals
    return [
        candle.open_time,
        *(float(Decimal(v).scaleb(-p)) for v in (candle.open, candle.high, candle.low, candle.close)),
        float(Decimal(candle.volume).scaleb(-q)),
    ]


def _step(run: launcher.HistoryRun, account: int, assets: tuple[str, str], time: int, price: Decimal) -> Step:
    held = run.holdings(account, assets)
    position, cash = held[assets[0]], held[assets[1]]
    return Step(time, price, cash, position, cash + position * price)


def _fill(run: launcher.HistoryRun, fill: ExchangeFill, base: str, quote: str) -> Fill:
    price = _price(run, fill.price)
    amount = Decimal(fill.qty).scaleb(-run.qty_decimals)
    fee = Decimal(fill.commission).scaleb(-run.decimals(fill.commission_asset))
    if fill.commission_asset == quote:
        fee_in_quote = fee
    elif fill.commission_asset == base:
        fee_in_quote = fee * price
    else:  # (BNB fees) at that asset's last price against the quote, where it trades
        fee_in_quote = fee * (run.price_of(fill.commission_asset + quote) or 0)
    return Fill(
        fill.time,
        fill.trade_id,
        fill.order_id,
        "buy" if fill.is_buyer else "sell",
        price,
        amount,
        Decimal(fill.quote_qty).scaleb(-run.price_decimals),
        fee,
        fill.commission_asset,
        fee_in_quote,
        fill.is_maker,
    )
