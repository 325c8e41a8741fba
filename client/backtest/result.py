"""What a backtest leaves behind: the run's settings, the equity at every step and every fill,
in exact decimals (the simulator's integer units printed), ready for the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Step:
    """The account at the close of one step (a candle of the strategy's timeframe)."""

    time: int  # ms since the epoch: the candle's close (its open time + the timeframe)
    price: Decimal  # the mark: the market's last trade price at that time
    cash: Decimal  # the quote asset, free + locked
    position: Decimal  # the base asset, free + locked
    equity: Decimal  # cash + position * price


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution of one of the strategy's orders, as the exchange recorded it."""

    time: int  # ms since the epoch
    trade_id: int
    order_id: int
    side: str  # "buy" or "sell"
    price: Decimal
    amount: Decimal  # base asset
    cost: Decimal  # quote asset: price * amount as the exchange computed it
    fee: Decimal
    fee_asset: str
    fee_in_quote: Decimal  # the fee valued in the quote asset (at the fill's price for the base asset)
    maker: bool


@dataclass(slots=True)
class BacktestResult:
    strategy: str  # the strategy file's name (no directory: reports do not depend on where it ran)
    data: str  # the data file's name
    symbol: str  # ccxt's unified symbol, e.g. "BTC/USDT"
    base: str
    quote: str
    timeframe: str  # the step, a Binance interval: "1m", "1h"...
    start: int  # ms: the first step's open
    end: int  # ms: the last step's close
    seed: int
    params: dict[str, object]  # the strategy's parameters, as given
    balances: dict[str, str]  # the starting balances, decimal text
    steps: list[Step] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    orders: int = 0  # orders the strategy placed (accepted by the exchange)
    client_calls: int = 0  # requests the strategy's client sent
    rows: int = 0  # history rows replayed (trades printed)
    error: str | None = None  # why the strategy stopped early, if it raised

    @property
    def initial_equity(self) -> Decimal:
        return self.steps[0].equity if self.steps else Decimal(0)
