"""``report.html``: one self-contained page with the metrics, a plotly chart (price with fills,
equity, drawdown) and the fills and round trips. plotly is in the backtest extra."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from .extras import needs_extra
from .formatting import FILL_FIELDS, cell_text, dec, iso, with_datetimes
from .report_png import NO_PLOTS
from .result import BacktestResult, Fill
from .summary import metric_lines, run_lines

_TABLE_ROWS = 500  # rows shown per HTML table; the CSV files hold them all
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
    fig.add_trace(
        go.Scatter(
            x=x, y=[float(s.price) for s in result.steps], name="price", line={"color": "#1f4e79", "width": 1.2}
        ),
        row=1,
        col=1,
    )
    for side, symbol, color in (("buy", "triangle-up", "#1a9c3e"), ("sell", "triangle-down", "#d62728")):
        chosen = [f for f in result.fills if f.side == side]
        fig.add_trace(
            go.Scatter(
                x=[iso(f.time)[:23].replace("T", " ") for f in chosen],
                y=[float(f.price) for f in chosen],
                mode="markers",
                name=side,
                marker={"symbol": symbol, "size": 10, "color": color, "line": {"width": 0.5, "color": "black"}},
                text=[_fill_hover(f) for f in chosen],
                hovertemplate="%{text}<extra></extra>",
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=x, y=[float(s.equity) for s in result.steps], name="equity", line={"color": "#6a3d9a", "width": 1.2}
        ),
        row=2,
        col=1,
    )
    dd = [-(row["drawdown_pct"] or 0.0) for row in report["equity"]]
    fig.add_trace(
        go.Scatter(x=x, y=dd, name="drawdown %", fill="tozeroy", line={"color": "#d62728", "width": 1}), row=3, col=1
    )
    fig.update_yaxes(title_text=f"price ({_esc(result.quote)})", row=1, col=1)
    fig.update_yaxes(title_text=f"equity ({_esc(result.quote)})", row=2, col=1)
    fig.update_yaxes(title_text="drawdown %", row=3, col=1)
    fig.update_xaxes(rangeslider={"visible": True, "thickness": 0.05}, title_text="time (UTC)", row=3, col=1)
    fig.update_layout(
        height=820,
        hovermode="x unified",
        template="plotly_white",
        margin={"l": 70, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    chart: str = pio.to_html(fig, include_plotlyjs=True, full_html=False, div_id="sandex-chart")
    return chart


def _fill_hover(fill: Fill) -> str:
    return (
        f"{fill.side} {dec(fill.amount)} @ {dec(fill.price)}<br>cost {dec(fill.cost)}"
        f"<br>fee {dec(fill.fee)} {_esc(fill.fee_asset)}<br>{'maker' if fill.maker else 'taker'}"
    )


def _table(columns: Sequence[str], rows: Sequence[dict[str, Any]], left: Sequence[str] = ()) -> str:
    """An escaped HTML table of the first rows; a note says how many more the CSV file holds."""
    cls = {c: ' class="l"' if c in left else "" for c in columns}
    head = "".join(f"<th{cls[c]}>{_esc(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td{cls[c]}>{_esc(cell_text(r.get(c)))}</td>" for c in columns) + "</tr>"
        for r in rows[:_TABLE_ROWS]
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _more(rows: Sequence[Any], csv_name: str) -> str:
    extra = len(rows) - _TABLE_ROWS
    return f'<p class="note">{extra} more in {csv_name}</p>' if extra > 0 else ""


def _metrics_tables(result: BacktestResult, metrics: dict[str, Any]) -> str:
    rows = [{"metric": label, "value": value} for label, value in metric_lines(result, metrics)]
    half = (len(rows) + 1) // 2
    return "".join(
        f'<div class="metrics">{_table(("metric", "value"), part, left=("metric",))}</div>'
        for part in (rows[:half], rows[half:])
    )


def html_page(result: BacktestResult, report: dict[str, Any]) -> str:
    """One self-contained page: metrics, the chart, the fills and round trips."""
    fills = with_datetimes(report["fills"], "time")
    trips = with_datetimes(report["round_trips"], "open_time", "close_time")
    run = "<br>".join(f"<b>{_esc(k)}</b>: {_esc(v)}" for k, v in run_lines(result))
    title = f"{_esc(result.strategy)} · {_esc(result.symbol)} {_esc(result.timeframe)}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>Backtest: {title}</title>",
            f"<style>{_CSS}</style></head><body>",
            f"<h1>Backtest: {title}</h1>",
            f'<div class="run">{run}</div>',
            _metrics_tables(result, report["metrics"]),
            "<h2>Chart</h2>",
            _plotly_html(result, report),
            f"<h2>Fills ({len(fills)})</h2>",
            _table(("datetime",) + FILL_FIELDS[1:], fills, left=("datetime", "side", "fee_asset")),
            _more(fills, "fills.csv"),
            f"<h2>Round trips ({len(trips)})</h2>",
            _table(
                ("open_datetime", "close_datetime", "side", "amount", "entry_price", "exit_price", "pnl"),
                trips,
                left=("open_datetime", "close_datetime", "side"),
            ),
            _more(trips, "round_trips.csv"),
            "</body></html>",
            "",
        ]
    )
