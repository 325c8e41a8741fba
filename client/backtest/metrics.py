"""The run's figures: PnL, return, Sharpe and Sortino, drawdowns, exposure, turnover, fees, fills,
round trips and win rate, flat and JSON-ready (money as decimal text, ratios as 6-digit floats)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any

from .formatting import EXACT, RATIO, dec, sig
from .result import BacktestResult, Step
from .round_trips import round_trips
from .strategy import INTERVAL_MS

YEAR_MS = 365 * 24 * 3600 * 1000


def _returns(steps: Sequence[Step]) -> list[Decimal] | None:
    """Per-step simple returns of equity; None when a step starts from no (or negative) equity."""
    out = []
    for prev, cur in itertools.pairwise(steps):
        if prev.equity <= 0:
            return None
        out.append(RATIO.subtract(RATIO.divide(cur.equity, prev.equity), Decimal(1)))
    return out


def drawdowns(steps: Sequence[Step]) -> list[Decimal | None]:
    """Each step's fall below the highest equity so far, in % of that peak (>= 0); None while the peak is <= 0."""
    out: list[Decimal | None] = []
    peak: Decimal | None = None
    for step in steps:
        peak = step.equity if peak is None else max(peak, step.equity)
        fall = EXACT.multiply(EXACT.subtract(peak, step.equity), Decimal(100))
        out.append(RATIO.divide(fall, peak) if peak > 0 else None)
    return out


def _max_drawdown_duration(steps: Sequence[Step]) -> int:
    """The longest time from a peak of equity to its recovery (or to the end if it never recovered)."""
    longest = 0
    if not steps:
        return 0
    peak, peak_time = steps[0].equity, steps[0].time
    for step in steps[1:]:
        if step.equity >= peak:
            longest = max(longest, step.time - peak_time)
            peak, peak_time = step.equity, step.time
    if steps[-1].equity < peak:
        longest = max(longest, steps[-1].time - peak_time)
    return longest


def _sharpe_sortino(result: BacktestResult) -> tuple[float | None, float | None]:
    """Annualized Sharpe and Sortino of per-step returns (risk-free 0, population moments)."""
    returns = _returns(result.steps)
    step_ms = INTERVAL_MS.get(result.timeframe)
    if not returns or step_ms is None:
        return None, None
    scale = math.sqrt(YEAR_MS / step_ms)
    r = [float(x) for x in returns]
    mean = math.fsum(r) / len(r)
    std = math.sqrt(math.fsum((x - mean) ** 2 for x in r) / len(r))
    downside = math.sqrt(math.fsum(min(x, 0.0) ** 2 for x in r) / len(r))
    constant = len(set(returns)) == 1  # exactly: float std of equal values can be a hair above 0
    sharpe = None if constant or std == 0 else mean / std * scale
    sortino = None if downside == 0 else mean / downside * scale
    return sig(sharpe), sig(sortino)


def _ratio(num: Decimal, den: Decimal, scale: float = 1.0) -> float | None:
    return sig(float(num) / float(den) * scale) if den != 0 else None


def metrics_of(result: BacktestResult, trips: list[dict[str, Any]]) -> dict[str, Any]:
    steps = result.steps
    with localcontext(EXACT):
        initial = result.initial_equity
        final = steps[-1].equity if steps else Decimal(0)
        pnl = final - initial
        fees = sum((f.fee_in_quote for f in result.fills), Decimal(0))
        volume = sum((f.cost for f in result.fills), Decimal(0))
        equity_sum = sum((s.equity for s in steps), Decimal(0))
    falls = [d for d in drawdowns(steps) if d is not None]
    sharpe, sortino = _sharpe_sortino(result)
    mean_equity = RATIO.divide(equity_sum, len(steps)) if steps else Decimal(0)
    wins = sum(1 for t in trips if Decimal(t["pnl"]) > 0)
    return {
        "initial_equity": dec(initial),
        "final_equity": dec(final),
        "pnl": dec(pnl),
        "fees_paid": dec(fees),
        "volume": dec(volume),
        "return_pct": _ratio(pnl, initial, 100) if initial > 0 else None,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown_pct": sig(float(max(falls))) if falls else None,
        "max_drawdown_duration_ms": _max_drawdown_duration(steps),
        "exposure_pct": sig(100 * sum(1 for s in steps if s.position != 0) / len(steps)) if steps else None,
        "turnover": _ratio(volume, mean_equity) if mean_equity > 0 else None,
        "fills": len(result.fills),
        "orders": result.orders,
        "round_trips": len(trips),
        "win_rate_pct": sig(100 * wins / len(trips)) if trips else None,
        "client_calls": result.client_calls,
        "rows": result.rows,
        "steps": len(steps),
    }


def compute_metrics(result: BacktestResult) -> dict[str, Any]:
    """The run's figures, flat and JSON-ready: money as decimal text, ratios as 6-digit floats or None."""
    return metrics_of(result, round_trips(result))
