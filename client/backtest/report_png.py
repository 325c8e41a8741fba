"""``equity.png``: price with fills, equity and drawdown on one time axis, drawn with matplotlib's
object API (never pyplot: the user's backend is left alone). matplotlib is in the backtest extra."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .extras import needs_extra
from .formatting import iso
from .result import BacktestResult

NO_PLOTS = "write JSON and CSV only (--no-plots, or plots=False)"


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _minute(ms: int) -> str:
    return iso(ms)[:16].replace("T", " ")


def _headline(result: BacktestResult, metrics: dict[str, Any]) -> str:
    ret, sharpe = metrics["return_pct"], metrics["sharpe"]
    ret_text = "n/a" if ret is None else f"{ret:+.2f} %"
    sharpe_text = "n/a" if sharpe is None else f"{sharpe:.2f}"
    return f"{result.symbol} {result.timeframe}  ·  return {ret_text}  ·  Sharpe {sharpe_text}"


def _fill_points(result: BacktestResult, side: str) -> tuple[list[datetime], list[float]]:
    chosen = [f for f in result.fills if f.side == side]
    return [_utc(f.time) for f in chosen], [float(f.price) for f in chosen]


def write_png(result: BacktestResult, report: dict[str, Any], path: Path) -> None:
    """Price with fills, equity and drawdown, stacked on one time axis."""
    with needs_extra("the equity plot (equity.png)", NO_PLOTS):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
        from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 8), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    price_ax, equity_ax, dd_ax = fig.subplots(3, 1, sharex=True, gridspec_kw={"height_ratios": [3, 2, 1.2]})
    times = [_utc(s.time) for s in result.steps]
    price_ax.plot(times, [float(s.price) for s in result.steps], color="#1f4e79", lw=1.1, label="price")
    for side, marker, color in (("buy", "^", "#1a9c3e"), ("sell", "v", "#d62728")):
        x, y = _fill_points(result, side)
        price_ax.scatter(
            x,
            y,
            marker=marker,
            s=55,
            color=color,
            edgecolors="black",
            linewidths=0.4,
            zorder=3,
            label=f"{side} ({len(x)})",
        )
    price_ax.set_ylabel(f"price ({result.quote})", parse_math=False)
    price_ax.legend(loc="best", fontsize=8, framealpha=0.85)
    price_ax.set_title(
        _headline(result, report["metrics"]), loc="left", fontsize=12, fontweight="bold", parse_math=False
    )
    period = f"{_minute(result.start)} → {_minute(result.end)} UTC"
    price_ax.set_title(f"{result.strategy}\n{period}", loc="right", fontsize=8, color="#555555", parse_math=False)
    equity_ax.plot(times, [float(s.equity) for s in result.steps], color="#6a3d9a", lw=1.2)
    if result.steps:
        equity_ax.axhline(float(result.initial_equity), color="grey", lw=0.8, ls="--")
    equity_ax.set_ylabel(f"equity ({result.quote})", parse_math=False)
    dd = [-(d or 0.0) for d in (row["drawdown_pct"] for row in report["equity"])]
    dd_ax.fill_between(times, dd, 0, color="#d62728", alpha=0.35, lw=0)
    dd_ax.plot(times, dd, color="#d62728", lw=0.8)
    dd_ax.set_ylabel("drawdown (%)")
    dd_ax.set_xlabel("time (UTC)")
    locator = AutoDateLocator(tz=UTC)  # type: ignore[no-untyped-call]  # matplotlib.dates is unannotated
    dd_ax.xaxis.set_major_locator(locator)
    dd_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))  # type: ignore[no-untyped-call]  # as above
    for ax in (price_ax, equity_ax, dd_ax):
        ax.grid(True, alpha=0.3)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    if not result.steps:
        price_ax.text(0.5, 0.5, "no steps", transform=price_ax.transAxes, ha="center")
    fig.savefig(path, format="png")
