"""The simulator's settings: one frozen ``SimulatorConfig`` from arguments, environment or TOML.

Defaults are the embedded ones ``sandex serve`` starts with: five markets with Binance-like
filters and fees, a funded demo account, Binance's rate limits. Unknown keys in a file are an
error, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .durability import DurabilitySettings
from .journal import FSYNC_POLICIES
from .ratelimit import RateLimitConfig


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """One spot market in Binance's own terms (decimal text, as exchangeInfo shows it)."""

    symbol: str
    base: str
    quote: str
    tick_size: str
    step_size: str
    min_qty: str
    max_qty: str
    market_max_qty: str
    min_notional: str
    max_notional: str = "9000000"
    min_price: str = ""  # defaults to one tick
    max_price: str = "1000000"
    percent_price_up: str = "5"  # PERCENT_PRICE_BY_SIDE multipliers, both sides
    percent_price_down: str = "0.2"
    margin: bool = True  # listed in the cross and isolated margin pair lists
    reference_price: str = ""  # where a static book is centred


# Daily rates in the range Binance's VIP 0 margin data shows.
DAILY_INTEREST_RATES = {"BTC": "0.00005", "ETH": "0.00005", "USDT": "0.0002", "BNB": "0.0003", "SOL": "0.0003"}


@dataclass(frozen=True, slots=True)
class MarginConfig:
    """Cross and isolated margin: rates, leverage, risk thresholds and the house's funds (decimal text)."""

    daily_interest_rates: dict[str, str] = field(default_factory=lambda: dict(DAILY_INTEREST_RATES))
    default_daily_interest_rate: str = "0.0002"  # for an asset missing above
    cross_leverage: int = 3  # Binance's cross margin classic
    isolated_leverage: int = 10
    leverage: dict[str, int] = field(default_factory=dict)  # an asset (cross) or a symbol (isolated) -> leverage
    cross_margin_call: str = "1.5"  # margin levels (assets / debt) for the warning and the liquidation
    cross_liquidation: str = "1.1"
    isolated_margin_call: str = "1.3"
    isolated_liquidation: str = "1.1"
    transfer_out_level: str = "2"  # a transfer out of a margin account with debt must leave at least this
    lending_pool: str = "1000000000"  # whole coins of every asset the house can lend
    insurance_fund: str = "1000000"  # whole coins of every asset that absorb bad debt after a liquidation
    check_interval_ms: int = 1000  # how often margin levels are checked for liquidation

    def __post_init__(self) -> None:
        for name in ("cross_leverage", "isolated_leverage", *self.leverage):
            value = getattr(self, name) if name.endswith("_leverage") else self.leverage[name]
            if not isinstance(value, int) or not 2 <= value <= 125:
                raise ValueError(f"margin leverage {name} must be a whole number in [2, 125], got {value!r}")
        if self.check_interval_ms < 1:
            raise ValueError(f"margin check_interval_ms must be >= 1, got {self.check_interval_ms}")


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 1
    liquidity: bool = True  # False: empty books, only users trade
    liquidity_mode: str = "synthetic"  # "synthetic" (moving markets) or "static" (a fixed two-sided book)
    synthetic: dict[str, dict[str, Any]] = field(default_factory=dict)  # "default" or a symbol -> SyntheticSettings
    replay: str = ""  # a Binance data file (aggTrades or klines: csv, zip, parquet) replayed in simulated time
    replay_symbol: str = ""  # the market the replay trades (default: the first market)
    replay_speed: int = 1  # simulated milliseconds per wall millisecond while replaying
    replay_from: int = 0  # ms since the epoch: replay only rows at or after this time (0: from the first)
    replay_until: int = 0  # ms since the epoch: replay only rows before this time (0: to the last)
    mirror: str = ""  # EXCHANGE:SYMBOL (e.g. binance:BTC/USDT): follow a real exchange's public book
    admin_token: str = field(default="", repr=False)  # empty: a random one is made at start
    admin_host: str = ""  # set: the admin API listens only on admin_host:admin_port (0: any free port)
    admin_port: int = 8766
    state_dir: str = ""  # journal and snapshots here; empty: state in memory only, gone at exit
    fsync: str = "batched"  # "every": each change on disk before it is answered; "batched": every fsync_interval_ms
    fsync_interval_ms: int = 50
    snapshot_interval_s: float = 300.0  # a snapshot this often while changes come in
    snapshot_every: int = 200_000  # ... or after this many changes (a recovery replays at most these)
    snapshot_keep: int = 2  # snapshots kept, with the journal since the oldest; 0 keeps the whole history
    fingerprint_recovery: bool = False  # digest the recovered state at start (GET /sandex/v1/state shows it)
    cut_damaged_journal: bool = False  # a journal damaged before good records: cut there and start (else refuse)
    demo_api_key: str = ""
    demo_api_secret: str = field(default="", repr=False)
    demo_balances: dict[str, str] = field(default_factory=lambda: dict(DEMO_BALANCES))
    maker_fee: str = "0.001"
    taker_fee: str = "0.001"
    asset_decimals: int = 8
    markets: tuple[MarketConfig, ...] = ()
    rate_limits: RateLimitConfig = RateLimitConfig()  # noqa: RUF009 - frozen: one shared default is safe
    margin: MarginConfig = field(default_factory=MarginConfig)
    book_levels: int = 20  # per side, for the static book
    # What the exchange remembers (open orders always): closed orders for retention_s after they
    # closed and fills for retention_s after they happened (0: no time limit), at most
    # retention_orders orders and retention_fills fills per account and market (the oldest leave
    # first); public trades per market: at most retention_public_trades, none older than retention_s,
    # and the minute summaries behind klines and tickers for retention_s but at least 7 days.
    # The margin desk's histories and conversions: retention_s, at most retention_orders of each.
    retention_s: float = 7 * 86_400.0
    retention_orders: int = 100_000
    retention_fills: int = 100_000
    retention_public_trades: int = 200_000
    log_level: str = "warning"

    def __post_init__(self) -> None:
        if not self.markets:
            object.__setattr__(self, "markets", DEFAULT_MARKETS)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be in [0, 65535], got {self.port}")
        symbols = [m.symbol for m in self.markets]
        if len(set(symbols)) != len(symbols):
            raise ValueError(f"a market is listed twice: {symbols}")
        if self.liquidity_mode not in LIQUIDITY_MODES:
            raise ValueError(f"liquidity_mode must be one of {LIQUIDITY_MODES}, got {self.liquidity_mode!r}")
        unknown = sorted(set(self.synthetic) - {"default", *symbols})
        if unknown:
            raise ValueError(f"synthetic: {unknown} are not markets; use 'default' or one of {symbols}")
        if self.replay_symbol and self.replay_symbol not in symbols:
            raise ValueError(f"replay_symbol {self.replay_symbol!r} is not a market; markets: {symbols}")
        if self.replay_from < 0 or self.replay_until < 0 or 0 < self.replay_until <= self.replay_from:
            raise ValueError(f"the replay window [{self.replay_from}, {self.replay_until}) is empty or negative")
        if self.replay_speed < 1:
            raise ValueError(f"replay_speed must be a whole number >= 1, got {self.replay_speed}")
        if self.mirror and ":" not in self.mirror:
            raise ValueError(f"mirror must be EXCHANGE:SYMBOL such as binance:BTC/USDT, got {self.mirror!r}")
        if self.state_dir and self.replay:
            raise ValueError(
                "a replay starts from its history on every run, so it keeps its state in memory: "
                "drop state_dir (or --state-dir) to replay"
            )
        if self.fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {FSYNC_POLICIES}, got {self.fsync!r}")
        if (
            self.fsync_interval_ms < 1
            or self.snapshot_interval_s <= 0
            or self.snapshot_every < 1
            or self.snapshot_keep < 0
        ):
            raise ValueError(
                "fsync_interval_ms, snapshot_interval_s and snapshot_every must be positive, snapshot_keep at least 0"
            )
        if not 0 <= self.admin_port <= 65535:
            raise ValueError(f"admin_port must be in [0, 65535], got {self.admin_port}")
        if self.retention_s < 0 or min(self.retention_orders, self.retention_fills, self.retention_public_trades) < 1:
            raise ValueError(
                "retention_s must be at least 0 (0: no time limit), retention_orders, retention_fills "
                "and retention_public_trades at least 1"
            )

    def durability(self) -> DurabilitySettings:
        return DurabilitySettings(
            state_dir=self.state_dir or None,
            fsync=self.fsync,
            fsync_interval_ms=self.fsync_interval_ms,
            snapshot_interval_s=self.snapshot_interval_s,
            snapshot_every=self.snapshot_every,
            snapshot_keep=self.snapshot_keep,
            fingerprint_recovery=self.fingerprint_recovery,
            cut_damaged_journal=self.cut_damaged_journal,
        )

    def with_secrets(self) -> SimulatorConfig:
        """Fill the admin token and demo key from ``SANDEX_*`` variables, else make random ones."""
        env = os.environ
        return replace(
            self,
            admin_token=self.admin_token or env.get("SANDEX_ADMIN_TOKEN") or secrets.token_urlsafe(24),
            demo_api_key=self.demo_api_key or env.get("SANDEX_DEMO_API_KEY") or _token(64),
            demo_api_secret=self.demo_api_secret or env.get("SANDEX_DEMO_API_SECRET") or _token(64),
        )

    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> SimulatorConfig:
        """Read a TOML file: top-level keys are fields, ``[rate_limits]`` and ``[margin]`` tables and
        ``[[markets]]`` an array of tables; unknown keys raise ``ValueError``."""
        with open(path, "rb") as f:
            data = tomllib.load(f)
        return cls.from_dict(data | overrides)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SimulatorConfig:
        data = dict(data)
        _check_keys(cls, data, "config")
        if "markets" in data:
            markets = []
            for i, m in enumerate(data["markets"]):
                _check_keys(MarketConfig, m, f"markets[{i}]")
                markets.append(MarketConfig(**m))
            data["markets"] = tuple(markets)
        if "rate_limits" in data:
            _check_keys(RateLimitConfig, data["rate_limits"], "rate_limits")
            data["rate_limits"] = RateLimitConfig(**data["rate_limits"])
        if "margin" in data:
            _check_keys(MarginConfig, data["margin"], "margin")
            data["margin"] = MarginConfig(**data["margin"])
        return cls(**data)


def _check_keys(cls: type, data: dict[str, Any], where: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown}; allowed: {sorted(known)}")


def _token(n: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(n))


LIQUIDITY_MODES = ("synthetic", "static")
DEMO_BALANCES: dict[str, str] = {"USDT": "100000", "BTC": "1", "ETH": "10", "BNB": "50", "SOL": "100"}

DEFAULT_MARKETS: tuple[MarketConfig, ...] = (
    MarketConfig("BTCUSDT", "BTC", "USDT", "0.01", "0.00001", "0.00001", "9000", "100", "5", reference_price="90000"),
    MarketConfig("ETHUSDT", "ETH", "USDT", "0.01", "0.0001", "0.0001", "9000", "1000", "5", reference_price="3000"),
    # Binance steps ETHBTC by 0.0001 ETH; one tick x one such step is 1e-9 BTC, below the smallest
    # BTC unit, so here the step is 0.001 ETH to keep every trade's BTC amount exact.
    MarketConfig(
        "ETHBTC",
        "ETH",
        "BTC",
        "0.00001",
        "0.001",
        "0.001",
        "100000",
        "1000",
        "0.0001",
        max_notional="9000",
        max_price="1000",
        reference_price="0.033",
    ),
    MarketConfig("BNBUSDT", "BNB", "USDT", "0.01", "0.001", "0.001", "9000", "1000", "5", reference_price="600"),
    MarketConfig("SOLUSDT", "SOL", "USDT", "0.01", "0.001", "0.001", "9000", "5000", "5", reference_price="150"),
)
