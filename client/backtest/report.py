"""The backtest report: metrics, round trips, and the files a run leaves behind.

Money stays in exact decimals (printed as plain decimal text); only ratios (returns, Sharpe,
drawdown %) are floats, rounded to 6 significant digits so the JSON is stable from run to run:
``report.json`` is byte-for-byte the same for the same result, so runs can be diffed and cached.
Plots use matplotlib's object API (never pyplot: the user's backend is left alone) and plotly.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from decimal import Context, Decimal, localcontext
from pathlib import Path
from typing import Any

from .extras import needs_extra
from .result import BacktestResult, Fill, Step
from .strategy import INTERVAL_MS

YEAR_MS = 365 * 24 * 3600 * 1000
NO_PLOTS = "write JSON and CSV only (--no-plots, or plots=False)"
_TABLE_ROWS = 500  # rows shown per HTML table; the CSV files hold them all
_EXACT = Context(prec=60)  # sums and products of money: exact in practice
_RATIO = Context(prec=28)  # quotients (average prices, drawdowns): rounded like Decimal's default

EQUITY_COLUMNS = ("time", "datetime", "price", "cash", "position", "equity", "drawdown_pct")
ROUND_TRIP_COLUMNS = ("open_time", "open_datetime", "close_time", "close_datetime", "side", "amount",
                      "entry_price", "exit_price", "pnl")
FILL_FIELDS = tuple(f.name for f in fields(Fill))


# --- formatting helpers --------------------------------------------------------------------------------------------

def _dec(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros: '1E+2' and '100.00' both print '100'."""
    if value == 0:
        return "0"
    return format(value.normalize(_EXACT), "f")


def _sig(value: float | None) -> float | None:
    """6 significant digits, so float noise never reaches the report; None for undefined (NaN, inf)."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{value:.6g}") + 0.0  # + 0.0 turns -0.0 into 0.0


def iso(ms: int) -> str:
    """UTC ISO 8601 with milliseconds and a 'Z'."""
    text = datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _jsonable(value: Any) -> Any:
    """The strategy's parameters as JSON: Decimals as text, tuples as lists, anything else unknown as str."""
    if isinstance(value, Decimal):
        return _dec(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


# --- series --------------------------------------------------------------------------------------------------------

def _returns(steps: Sequence[Step]) -> list[Decimal] | None:
    """Per-step simple returns of equity; None when a step starts from no (or negative) equity."""
    out = []
    for prev, cur in zip(steps, steps[1:]):
        if prev.equity <= 0:
            return None
        out.append(_RATIO.subtract(_RATIO.divide(cur.equity, prev.equity), Decimal(1)))
    return out


def _drawdowns(steps: Sequence[Step]) -> list[Decimal | None]:
    """Each step's fall below the highest equity so far, in % of that peak (>= 0); None while the peak is <= 0."""
    out: list[Decimal | None] = []
    peak: Decimal | None = None
    for step in steps:
        peak = step.equity if peak is None else max(peak, step.equity)
        fall = _EXACT.multiply(_EXACT.subtract(peak, step.equity), Decimal(100))
        out.append(_RATIO.divide(fall, peak) if peak > 0 else None)
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
    return _sig(sharpe), _sig(sortino)


# --- round trips ---------------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Lot:
    """What is left of one opening fill."""

    time: int
    amount: Decimal
    price: Decimal


@dataclass(slots=True)
class _Trip:
    """One closing order's fills, matched against the oldest open lots."""

    open_time: int
    close_time: int
    sign: int  # +1 long, -1 short
    amount: Decimal = Decimal(0)
    entry_value: Decimal = Decimal(0)
    exit_value: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, Any]:
        pnl = _EXACT.multiply(_EXACT.subtract(self.exit_value, self.entry_value), Decimal(self.sign))
        return {
            "open_time": self.open_time,
            "close_time": self.close_time,
            "side": "long" if self.sign > 0 else "short",
            "amount": _dec(self.amount),
            "entry_price": _dec(_RATIO.divide(self.entry_value, self.amount)),
            "exit_price": _dec(_RATIO.divide(self.exit_value, self.amount)),
            "pnl": _dec(pnl),
        }


def _sign(fill: Fill) -> int:
    if fill.side not in ("buy", "sell"):
        raise ValueError(f"a fill's side is 'buy' or 'sell', not {fill.side!r}")
    return 1 if fill.side == "buy" else -1


def _close(lots: deque[_Lot], trip: _Trip, fill: Fill) -> Decimal:
    """Closes the oldest lots with the fill (FIFO, splitting a lot on a partial close); returns what is left of it."""
    left = fill.amount
    while left > 0 and lots:
        lot = lots[0]
        take = min(left, lot.amount)
        trip.amount += take
        trip.entry_value += _EXACT.multiply(take, lot.price)
        trip.exit_value += _EXACT.multiply(take, fill.price)
        lot.amount -= take
        left -= take
        if lot.amount == 0:
            lots.popleft()
    trip.close_time = fill.time
    return left


def _trips(fills: Iterable[Fill]) -> list[_Trip]:
    """FIFO round trips; consecutive fills of one closing order make one trip (so partial fills do not
    multiply trips); a fill that flips the position closes the old one and opens the rest."""
    lots: deque[_Lot] = deque()
    side = 0  # the open position's sign
    trips: list[_Trip] = []
    merging: int | None = None  # the order whose closing fill came last, if it left lots open
    with localcontext(_EXACT):
        for fill in fills:
            sign, left = _sign(fill), fill.amount
            if lots and sign != side:
                if merging != fill.order_id:
                    trips.append(_Trip(lots[0].time, fill.time, side))
                left = _close(lots, trips[-1], fill)
            merging = fill.order_id if lots and sign != side else None
            if left > 0:
                lots.append(_Lot(fill.time, left, fill.price))
                side = sign
    return trips


def round_trips(result: BacktestResult) -> list[dict[str, Any]]:
    """The position's round trips, FIFO: each closing order against the oldest open lots.

    Prices are volume-weighted over the lots (entry) and fills (exit) matched; pnl is in the quote
    asset, gross of fees. Open lots at the end are not a round trip.
    """
    return [trip.as_dict() for trip in _trips(result.fills)]


# --- metrics -------------------------------------------------------------------------------------------------------

def _ratio(num: Decimal, den: Decimal, scale: float = 1.0) -> float | None:
    return _sig(float(num) / float(den) * scale) if den != 0 else None


def _metrics(result: BacktestResult, trips: list[dict[str, Any]]) -> dict[str, Any]:
    steps = result.steps
    with localcontext(_EXACT):
        initial = result.initial_equity
        final = steps[-1].equity if steps else Decimal(0)
        pnl = final - initial
        fees = sum((f.fee_in_quote for f in result.fills), Decimal(0))
        volume = sum((f.cost for f in result.fills), Decimal(0))
        equity_sum = sum((s.equity for s in steps), Decimal(0))
    drawdowns = [d for d in _drawdowns(steps) if d is not None]
    sharpe, sortino = _sharpe_sortino(result)
    mean_equity = _RATIO.divide(equity_sum, len(steps)) if steps else Decimal(0)
    wins = sum(1 for t in trips if Decimal(t["pnl"]) > 0)
    return {
        "initial_equity": _dec(initial),
        "final_equity": _dec(final),
        "pnl": _dec(pnl),
        "fees_paid": _dec(fees),
        "volume": _dec(volume),
        "return_pct": _ratio(pnl, initial, 100) if initial > 0 else None,
        "sharpe": sharpe,
        "sortino": sortino,
        "max_drawdown_pct": _sig(float(max(drawdowns))) if drawdowns else None,
        "max_drawdown_duration_ms": _max_drawdown_duration(steps),
        "exposure_pct": _sig(100 * sum(1 for s in steps if s.position != 0) / len(steps)) if steps else None,
        "turnover": _ratio(volume, mean_equity) if mean_equity > 0 else None,
        "fills": len(result.fills),
        "orders": result.orders,
        "round_trips": len(trips),
        "win_rate_pct": _sig(100 * wins / len(trips)) if trips else None,
        "client_calls": result.client_calls,
        "rows": result.rows,
        "steps": len(steps),
    }


def compute_metrics(result: BacktestResult) -> dict[str, Any]:
    """The run's figures, flat and JSON-ready: money as decimal text, ratios as 6-digit floats or None."""
    return _metrics(result, round_trips(result))


# --- the report ----------------------------------------------------------------------------------------------------

def _run(result: BacktestResult) -> dict[str, Any]:
    return {
        "strategy": result.strategy, "data": result.data, "symbol": result.symbol, "timeframe": result.timeframe,
        "start": result.start, "end": result.end, "seed": result.seed, "params": _jsonable(result.params),
        "balances": {str(k): str(v) for k, v in result.balances.items()}, "error": result.error,
    }


def _equity_rows(result: BacktestResult) -> list[dict[str, Any]]:
    return [
        {"time": s.time, "price": _dec(s.price), "cash": _dec(s.cash), "position": _dec(s.position),
         "equity": _dec(s.equity), "drawdown_pct": None if d is None else _sig(float(d))}
        for s, d in zip(result.steps, _drawdowns(result.steps))
    ]


def _fill_dict(fill: Fill) -> dict[str, Any]:
    out = {}
    for name in FILL_FIELDS:
        value = getattr(fill, name)
        out[name] = _dec(value) if isinstance(value, Decimal) else value
    return out


def report_dict(result: BacktestResult) -> dict[str, Any]:
    """Everything the report shows, as one JSON-ready dict (no wall-clock time, no paths)."""
    trips = round_trips(result)
    return {
        "run": _run(result),
        "metrics": _metrics(result, trips),
        "equity": _equity_rows(result),
        "fills": [_fill_dict(f) for f in result.fills],
        "round_trips": trips,
    }


def _csv_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_csv_text(row.get(c)) for c in columns] for row in rows)


def _with_datetimes(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """Rows with a readable UTC date beside each ms time ('time' -> 'datetime', 'open_time' -> 'open_datetime')."""
    return [{**row, **{k.replace("time", "datetime"): iso(row[k]) for k in keys}} for row in rows]


def write_report(result: BacktestResult, out_dir: str | Path, plots: bool = True) -> dict[str, Path]:
    """Writes report.json, the CSV files and (if plots) equity.png and report.html into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = report_dict(result)
    paths = {"json": out / "report.json", "equity_csv": out / "equity.csv", "fills_csv": out / "fills.csv",
             "round_trips_csv": out / "round_trips.csv"}
    paths["json"].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _write_csv(paths["equity_csv"], EQUITY_COLUMNS, _with_datetimes(report["equity"], "time"))
    _write_csv(paths["fills_csv"], ("time", "datetime") + FILL_FIELDS[1:], _with_datetimes(report["fills"], "time"))
    _write_csv(paths["round_trips_csv"], ROUND_TRIP_COLUMNS,
               _with_datetimes(report["round_trips"], "open_time", "close_time"))
    if plots:
        paths["png"] = out / "equity.png"
        _write_png(result, report, paths["png"])
        paths["html"] = out / "report.html"
        paths["html"].write_text(_html_page(result, report), encoding="utf-8")
    return paths


# --- the PNG -------------------------------------------------------------------------------------------------------

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


def _write_png(result: BacktestResult, report: dict[str, Any], path: Path) -> None:
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
        price_ax.scatter(x, y, marker=marker, s=55, color=color, edgecolors="black", linewidths=0.4,
                         zorder=3, label=f"{side} ({len(x)})")
    price_ax.set_ylabel(f"price ({result.quote})", parse_math=False)
    price_ax.legend(loc="best", fontsize=8, framealpha=0.85)
    price_ax.set_title(_headline(result, report["metrics"]), loc="left", fontsize=12, fontweight="bold",
                       parse_math=False)
    period = f"{_minute(result.start)} → {_minute(result.end)} UTC"
    price_ax.set_title(f"{result.strategy}\n{period}", loc="right",
                       fontsize=8, color="#555555", parse_math=False)
    equity_ax.plot(times, [float(s.equity) for s in result.steps], color="#6a3d9a", lw=1.2)
    if result.steps:
        equity_ax.axhline(float(result.initial_equity), color="grey", lw=0.8, ls="--")
    equity_ax.set_ylabel(f"equity ({result.quote})", parse_math=False)
    dd = [-(d or 0.0) for d in (row["drawdown_pct"] for row in report["equity"])]
    dd_ax.fill_between(times, dd, 0, color="#d62728", alpha=0.35, lw=0)
    dd_ax.plot(times, dd, color="#d62728", lw=0.8)
    dd_ax.set_ylabel("drawdown (%)")
    dd_ax.set_xlabel("time (UTC)")
    locator = AutoDateLocator(tz=UTC)
    dd_ax.xaxis.set_major_locator(locator)
    dd_ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=UTC))
    for ax in (price_ax, equity_ax, dd_ax):
        ax.grid(True, alpha=0.3)
        ax.ticklabel_format(axis="y", useOffset=False, style="plain")
    if not result.steps:
        price_ax.text(0.5, 0.5, "no steps", transform=price_ax.transAxes, ha="center")
    fig.savefig(path, format="png")


# --- the HTML ------------------------------------------------------------------------------------------------------

_CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}.run{color:#555;margin-bottom:12px}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td.l,th.l{text-align:left}.note{color:#777;font-size:12px;margin:4px 0}
.metrics{display:inline-table;margin-right:16px;vertical-align:top}"""


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _plotly_html(result: BacktestResult, report: dict[str, Any]) -> str:
    """The interactive chart: price with fills, equity and drawdown on one x axis with a range slider."""
    with needs_extra("the interactive report (report.html)", NO_PLOTS):
        import plotly.graph_objects as go
        import plotly.io as pio
        from plotly.subplots import make_subplots

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.03, row_heights=[0.5, 0.3, 0.2])
    x = [iso(s.time)[:23].replace("T", " ") for s in result.steps]
    fig.add_trace(go.Scatter(x=x, y=[float(s.price) for s in result.steps], name="price",
                             line={"color": "#1f4e79", "width": 1.2}), row=1, col=1)
    for side, symbol, color in (("buy", "triangle-up", "#1a9c3e"), ("sell", "triangle-down", "#d62728")):
        chosen = [f for f in result.fills if f.side == side]
        fig.add_trace(go.Scatter(
            x=[iso(f.time)[:23].replace("T", " ") for f in chosen], y=[float(f.price) for f in chosen],
            mode="markers", name=side, marker={"symbol": symbol, "size": 10, "color": color,
                                                "line": {"width": 0.5, "color": "black"}},
            text=[_fill_hover(f) for f in chosen], hovertemplate="%{text}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=[float(s.equity) for s in result.steps], name="equity",
                             line={"color": "#6a3d9a", "width": 1.2}), row=2, col=1)
    dd = [-(row["drawdown_pct"] or 0.0) for row in report["equity"]]
    fig.add_trace(go.Scatter(x=x, y=dd, name="drawdown %", fill="tozeroy", line={"color": "#d62728", "width": 1}),
                  row=3, col=1)
    fig.update_yaxes(title_text=f"price ({_esc(result.quote)})", row=1, col=1)
    fig.update_yaxes(title_text=f"equity ({_esc(result.quote)})", row=2, col=1)
    fig.update_yaxes(title_text="drawdown %", row=3, col=1)
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.05}, title_text="time (UTC)", row=3, col=1)
    fig.update_layout(height=820, hovermode="x unified", template="plotly_white",
                      margin={"l": 70, "r": 20, "t": 50, "b": 40},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"})
    return pio.to_html(fig, include_plotlyjs=True, full_html=False, div_id="sandex-chart")


def _fill_hover(fill: Fill) -> str:
    return (f"{fill.side} {_dec(fill.amount)} @ {_dec(fill.price)}<br>cost {_dec(fill.cost)}"
            f"<br>fee {_dec(fill.fee)} {_esc(fill.fee_asset)}<br>{'maker' if fill.maker else 'taker'}")


def _table(columns: Sequence[str], rows: Sequence[dict[str, Any]], left: Sequence[str] = ()) -> str:
    """An escaped HTML table of the first rows; a note says how many more the CSV file holds."""
    cls = {c: ' class="l"' if c in left else "" for c in columns}
    head = "".join(f"<th{cls[c]}>{_esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td{cls[c]}>{_esc(_csv_text(r.get(c)))}</td>" for c in columns) + "</tr>"
                   for r in rows[:_TABLE_ROWS])
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _more(rows: Sequence[Any], csv_name: str) -> str:
    extra = len(rows) - _TABLE_ROWS
    return f'<p class="note">{extra} more in {csv_name}</p>' if extra > 0 else ""


def _metrics_tables(result: BacktestResult, metrics: dict[str, Any]) -> str:
    rows = [{"metric": label, "value": value} for label, value in _metric_lines(result, metrics)]
    half = (len(rows) + 1) // 2
    return "".join(f'<div class="metrics">{_table(("metric", "value"), part, left=("metric",))}</div>'
                   for part in (rows[:half], rows[half:]))


def _html_page(result: BacktestResult, report: dict[str, Any]) -> str:
    """One self-contained page: metrics, the chart, the fills and round trips."""
    fills = _with_datetimes(report["fills"], "time")
    trips = _with_datetimes(report["round_trips"], "open_time", "close_time")
    run = "<br>".join(f"<b>{_esc(k)}</b>: {_esc(v)}" for k, v in _run_lines(result))
    title = f"{_esc(result.strategy)} · {_esc(result.symbol)} {_esc(result.timeframe)}"
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Backtest: {title}</title>", f"<style>{_CSS}</style></head><body>",
        f"<h1>Backtest: {title}</h1>", f'<div class="run">{run}</div>',
        _metrics_tables(result, report["metrics"]),
        "<h2>Chart</h2>", _plotly_html(result, report),
        f"<h2>Fills ({len(fills)})</h2>",
        _table(("datetime",) + FILL_FIELDS[1:], fills, left=("datetime", "side", "fee_asset")),
        _more(fills, "fills.csv"),
        f"<h2>Round trips ({len(trips)})</h2>",
        _table(("open_datetime", "close_datetime", "side", "amount", "entry_price", "exit_price", "pnl"), trips,
               left=("open_datetime", "close_datetime", "side")),
        _more(trips, "round_trips.csv"),
        "</body></html>", ""])


# --- the terminal summary ------------------------------------------------------------------------------------------

def _duration(ms: int) -> str:
    """'3d 04:05:06' (or '04:05:06' under a day)."""
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {clock}" if days else clock


def _num(value: float | None, unit: str = "", fmt: str = "{:.2f}") -> str:
    return "n/a" if value is None else fmt.format(value) + unit


def _run_lines(result: BacktestResult) -> list[tuple[str, str]]:
    lines = [
        ("strategy", result.strategy),
        ("market", f"{result.symbol} {result.timeframe}"),
        ("period", f"{iso(result.start)[:19]}Z -> {iso(result.end)[:19]}Z"),
        ("data", result.data),
        ("seed", str(result.seed)),
    ]
    if result.params:
        lines.append(("params", json.dumps(_jsonable(result.params), sort_keys=True)))
    if result.error:
        lines.append(("error", result.error))
    return lines


def _metric_lines(result: BacktestResult, m: dict[str, Any]) -> list[tuple[str, str]]:
    q = f" {result.quote}"
    return [
        ("initial equity", m["initial_equity"] + q),
        ("final equity", m["final_equity"] + q),
        ("pnl", m["pnl"] + q),
        ("return", _num(m["return_pct"], " %", "{:+.3f}")),
        ("sharpe", _num(m["sharpe"])),
        ("sortino", _num(m["sortino"])),
        ("max drawdown", _num(m["max_drawdown_pct"], " %")),
        ("max drawdown duration", _duration(m["max_drawdown_duration_ms"])),
        ("exposure", _num(m["exposure_pct"], " %")),
        ("fees paid", m["fees_paid"] + q),
        ("volume", m["volume"] + q),
        ("turnover", _num(m["turnover"], " x")),
        ("fills", str(m["fills"])),
        ("orders", str(m["orders"])),
        ("round trips", str(m["round_trips"])),
        ("win rate", _num(m["win_rate_pct"], " %")),
        ("client calls", str(m["client_calls"])),
        ("rows replayed", str(m["rows"])),
        ("steps", str(m["steps"])),
    ]


def _box(sections: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """(alignment, lines) sections in one ASCII box: labels left, values aligned '<' or '>'."""
    label_w = max(len(k) for _, lines in sections for k, _ in lines)
    value_w = max(len(v) for _, lines in sections for _, v in lines)
    rule = "+" + "-" * (label_w + value_w + 5) + "+"
    out = [rule]
    for align, lines in sections:
        out += [f"| {k:<{label_w}} : {v:{align}{value_w}} |" for k, v in lines]
        out.append(rule)
    return "\n".join(out)


def summary_table(result: BacktestResult, metrics: dict[str, Any] | None = None) -> str:
    """The run and its metrics as a plain-text box for the terminal."""
    metrics = compute_metrics(result) if metrics is None else metrics
    run = [(k, " ".join(v.split())) for k, v in _run_lines(result)]  # one line each, whatever the text held
    return _box([("<", run), (">", _metric_lines(result, metrics))])
