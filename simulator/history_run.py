"""A simulator on a hand-moved clock, fed by a history file: what a backtest drives.

The clock moves only when told (``advance_to``); each move prints history up to the new time
through the replay (a real matching engine: user orders meet history in price-time priority).
Requests reach the server's application in-process (``transport``), byte for byte what a socket
would carry. The read-outs (``holdings``, ``fills``, ``candle``) are exact and bypass the API:
they are the backtest's bookkeeping, not the strategy's calls.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from decimal import Decimal

from .assembly import Simulator, build
from .clock import ManualClock
from .config import SimulatorConfig
from .inprocess import InProcessTransport
from .liquidity import datafiles as df
from .liquidity.replay import HistoricalReplay
from .liquidity.setup import replay_start_ms
from .market_data import Kline
from .orders import Fill
from .venue import Venue
from .wire import units_to_decimal


@dataclass
class HistoryRun:
    """One backtest's simulator: its clock, its replay and the in-process way to its API."""

    simulator: Simulator
    clock: ManualClock
    replay: HistoricalReplay
    transport: InProcessTransport
    market: str  # the replayed market's id, e.g. BTCUSDT
    first_time: int  # the first replayed row's time (ms)

    @property
    def venue(self) -> Venue:
        return self.simulator.venue

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def next_due(self) -> int | None:
        """When history next prints (ms), None once it is over."""
        return self.replay.next_due()

    def advance_to(self, ms: int) -> None:
        """Move the clock to ``ms`` (never back) and let history and every other source catch up."""
        if ms > self.clock.now_ms():
            self.clock.set(ms)
        self.simulator.liquidity.step()

    def open_account(self, balances: dict[str, str]) -> tuple[str, str]:
        """A fresh account funded with ``balances`` (asset -> decimal text) and an HMAC key for it:
        returns (api key, secret)."""
        api_key, secret = "bt" + secrets.token_hex(31), secrets.token_hex(32)
        self.simulator.ensure_account(api_key, secret, balances)
        return api_key, secret

    def account_of(self, api_key: str) -> int:
        key = self.venue.keys.get(api_key)
        if key is None:
            raise KeyError(f"{api_key}: not a key of this run (open_account makes them)")
        return key.account_id

    def decimals(self, asset: str) -> int:
        return self.venue.assets[asset].decimals

    def holdings(self, account: int, assets: tuple[str, ...]) -> dict[str, Decimal]:
        """Free + locked of each asset, exactly."""
        balances, _ = self.venue.balances(account)
        return {a: units_to_decimal(balances[a].free + balances[a].locked, self.decimals(a)) for a in assets}

    @property
    def price_decimals(self) -> int:
        return self.venue.markets[self.market].spec.quote.decimals

    @property
    def qty_decimals(self) -> int:
        return self.venue.markets[self.market].spec.base.decimals

    def last_price(self) -> Decimal | None:
        return self.price_of(self.market)

    def price_of(self, market: str) -> Decimal | None:
        """A market's last trade price, None if it has none (or is not listed)."""
        found = self.venue.markets.get(market)
        if found is None:
            return None
        last = found.history.last()
        return None if last is None else units_to_decimal(last.price, found.spec.quote.decimals)

    def order_count(self, account: int) -> int:
        """Orders the account placed on the replayed market (accepted ones)."""
        return len(self.venue.all_orders(account, self.market, None, None, None, 2**62))

    def last_row_time(self) -> int:
        """The last replayed row's time (ms): reads the data file once more."""
        config = self.simulator.config
        kind = df.detect_kind(config.replay)
        column = df.A_TIME if kind == df.AGG_TRADES else df.K_OPEN_TIME
        last = self.first_time
        for chunk in df.chunks_between(
            config.replay, kind, start=config.replay_from or None, end=config.replay_until or None
        ):
            last = int(chunk.data[-1, column])
        return last

    def fills(self, account: int) -> list[Fill]:
        """Every fill of the account on the replayed market, oldest first."""
        return self.venue.my_trades(account, self.market, None, None, None, None, 2**62)

    def candle(self, interval: str, open_time: int) -> Kline | None:
        """The candle opening at ``open_time`` as the exchange serves it; None before history starts."""
        history = self.venue.markets[self.market].history
        found = history.klines(interval, open_time, open_time, 1, now=self.clock.now_ms())
        return found[0] if found and found[0].open_time == open_time else None

    def close(self) -> None:
        self.simulator.liquidity.stop()
        self.transport.close()


def history_run(
    data: str,
    symbol: str = "",
    *,
    start: int | None = None,
    end: int | None = None,
    seed: int = 1,
    config: SimulatorConfig | None = None,
) -> HistoryRun:
    """A simulator replaying ``data`` (Binance aggTrades or klines: csv, zip or parquet) on
    ``symbol``'s market (default: the configuration's first) from ``start`` to ``end`` (ms, end
    excluded; default: the whole file), the other markets holding a static book. The run keeps the
    accounts' whole history and every minute of the market's (the retention does not apply: the
    report reads every fill, and the file bounds what there is)."""
    given = config or SimulatorConfig()
    market = symbol.replace("/", "") if symbol else given.markets[0].symbol
    config = replace(
        given,
        seed=seed,
        state_dir="",
        liquidity=True,
        liquidity_mode="static",
        replay=str(data),
        replay_symbol=market,
        replay_from=start or 0,
        replay_until=end or 0,
        retention_s=0,
        retention_orders=2**62,
        retention_fills=2**62,
    )
    clock = ManualClock(replay_start_ms(config))
    sim = build(config, clock=clock)
    replay = next(s for s in sim.liquidity.sources if isinstance(s, HistoricalReplay))
    return HistoryRun(sim, clock, replay, InProcessTransport(sim.app), market, clock.now_ms())
