"""The strategy protocol: one Python file that runs unchanged in a backtest and live.

A strategy file defines::

    TIMEFRAME = "1m"                  # optional (default "1m"): the step, a Binance kline interval
    PARAMS = {"fast": 10, "slow": 30}  # optional: parameter defaults (``--param`` overrides them)

    class Strategy:
        def __init__(self, credential, symbol, **params): ...
        def on_candle(self, candle): ...  # each closed candle: [open time ms, open, high, low, close, volume]
        def on_stop(self): ...            # optional: the run is over

and trades only through ``client`` with the credential it is given (``client.create_order(credential,
...)``). The candle is ccxt's OHLCV row, the same list ``fetch_ohlcv`` returns. In a backtest
(``sandex backtest``) the credential reaches a simulator replaying history in simulated time and
``on_candle`` is called as each candle closes there; under ``sandex run`` the credential reaches
``sandex serve``, the testnet or the exchange, and ``on_candle`` is called as each candle closes
on the wall clock.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Protocol

from ..credentials import Credential

DEFAULT_TIMEFRAME = "1m"
INTERVAL_MS = {
    "1s": 1_000,
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
    "3d": 259_200_000,
    "1w": 604_800_000,
}


class StrategyError(ValueError):
    """A strategy file that does not follow the protocol."""


class Strategy(Protocol):
    """What the runners call of a strategy file's ``Strategy`` object (``on_stop`` is optional)."""

    def on_candle(self, candle: list[float]) -> None: ...


@dataclass(frozen=True)
class StrategyFile:
    path: Path
    module: ModuleType

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def timeframe(self) -> str:
        return str(getattr(self.module, "TIMEFRAME", DEFAULT_TIMEFRAME))

    @property
    def defaults(self) -> dict[str, object]:
        return dict(getattr(self.module, "PARAMS", {}))

    def create(self, credential: Credential, symbol: str, params: dict[str, object]) -> Strategy:
        """The strategy object: the file's ``Strategy(credential, symbol, **params)``."""
        unknown = set(params) - set(self.defaults) if self.defaults else set()
        if unknown:
            raise StrategyError(
                f"{self.name}: unknown parameter(s) {sorted(unknown)}; PARAMS has {sorted(self.defaults)}"
            )
        strategy: Strategy = self.module.Strategy(credential, symbol, **{**self.defaults, **params})
        return strategy


def load(path: str | Path) -> StrategyFile:
    """Import a strategy file (under a name of its own, so two files never share a module)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise StrategyError(f"{path.name}: no such strategy file")
    name = "sandex_strategy_" + hashlib.sha256(str(path).encode()).hexdigest()[:12]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StrategyError(f"{path.name}: cannot be imported as a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pickling look their module up here
    spec.loader.exec_module(module)
    strategy = getattr(module, "Strategy", None)
    if strategy is None or not callable(getattr(strategy, "on_candle", None)):
        raise StrategyError(f"{path.name}: defines no Strategy class with an on_candle(candle) method")
    timeframe = getattr(module, "TIMEFRAME", DEFAULT_TIMEFRAME)
    if timeframe not in INTERVAL_MS:
        raise StrategyError(f"{path.name}: TIMEFRAME {timeframe!r} is not one of {list(INTERVAL_MS)}")
    return StrategyFile(path, module)


def interval_ms(timeframe: str) -> int:
    try:
        return INTERVAL_MS[timeframe]
    except KeyError:
        raise StrategyError(f"timeframe {timeframe!r} is not one of {list(INTERVAL_MS)}") from None


def parse_param(text: str) -> tuple[str, object]:
    """``name=value`` from the command line: an int, a float, true/false, else the text."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise StrategyError(f"--param {text!r}: expected name=value")
    for convert in (int, float):
        try:
            return name, convert(value)
        except ValueError:
            pass
    return name, {"true": True, "false": False}.get(value.lower(), value)
