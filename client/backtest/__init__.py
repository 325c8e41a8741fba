"""Backtests of strategy files: ``run_backtest(BacktestSettings(...))`` over history in simulated
time, reports (``report``), parameter sweeps (``sweep``) and the live loop (``live``)."""

from .result import BacktestResult, Fill, Step
from .runner import BacktestSettings, run_backtest

__all__ = ["BacktestResult", "BacktestSettings", "Fill", "Step", "run_backtest"]
