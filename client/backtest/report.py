"""The backtest report: what a run leaves behind (``report_dict``) and the files it is written to
(``write_report``): report.json, equity.csv, fills.csv, round_trips.csv and, with the backtest
extra, equity.png and report.html.

``report.json`` is byte-for-byte the same for the same result, so runs can be diffed and cached.
The figures come from ``metrics`` and ``round_trips``, the plots from ``report_png`` and
``report_html``, the terminal's box from ``summary``; their public names are importable here too.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from .formatting import FILL_FIELDS, cell_text, dec, iso, jsonable, sig, with_datetimes
from .metrics import YEAR_MS, compute_metrics, drawdowns, metrics_of
from .report_html import html_page
from .report_png import write_png
from .result import BacktestResult, Fill
from .round_trips import round_trips
from .summary import summary_table

__all__ = [
    "EQUITY_COLUMNS",
    "FILL_FIELDS",
    "ROUND_TRIP_COLUMNS",
    "YEAR_MS",
    "compute_metrics",
    "iso",
    "report_dict",
    "round_trips",
    "summary_table",
    "write_report",
]

EQUITY_COLUMNS = ("time", "datetime", "price", "cash", "position", "equity", "drawdown_pct")
ROUND_TRIP_COLUMNS = (
    "open_time",
    "open_datetime",
    "close_time",
    "close_datetime",
    "side",
    "amount",
    "entry_price",
    "exit_price",
    "pnl",
)


def _run(result: BacktestResult) -> dict[str, Any]:
    return {
        "strategy": result.strategy,
        "data": result.data,
        "symbol": result.symbol,
        "timeframe": result.timeframe,
        "start": result.start,
        "end": result.end,
        "seed": result.seed,
        "params": jsonable(result.params),
        "balances": {str(k): str(v) for k, v in result.balances.items()},
        "error": result.error,
    }


def _equity_rows(result: BacktestResult) -> list[dict[str, Any]]:
    return [
        {
            "time": s.time,
            "price": dec(s.price),
            "cash": dec(s.cash),
            "position": dec(s.position),
            "equity": dec(s.equity),
            "drawdown_pct": None if d is None else sig(float(d)),
        }
        for s, d in zip(result.steps, drawdowns(result.steps), strict=True)
    ]


def _fill_dict(fill: Fill) -> dict[str, Any]:
    out = {}
    for name in FILL_FIELDS:
        value = getattr(fill, name)
        out[name] = dec(value) if isinstance(value, Decimal) else value
    return out


def report_dict(result: BacktestResult) -> dict[str, Any]:
    """Everything the report shows, as one JSON-ready dict (no wall-clock time, no paths)."""
    trips = round_trips(result)
    return {
        "run": _run(result),
        "metrics": metrics_of(result, trips),
        "equity": _equity_rows(result),
        "fills": [_fill_dict(f) for f in result.fills],
        "round_trips": trips,
    }


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([cell_text(row.get(c)) for c in columns] for row in rows)


def write_report(result: BacktestResult, out_dir: str | Path, plots: bool = True) -> dict[str, Path]:
    """Writes report.json, the CSV files and (if plots) equity.png and report.html into out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = report_dict(result)
    paths = {
        "json": out / "report.json",
        "equity_csv": out / "equity.csv",
        "fills_csv": out / "fills.csv",
        "round_trips_csv": out / "round_trips.csv",
    }
    paths["json"].write_text(json.dumps(report, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    _write_csv(paths["equity_csv"], EQUITY_COLUMNS, with_datetimes(report["equity"], "time"))
    _write_csv(paths["fills_csv"], ("time", "datetime") + FILL_FIELDS[1:], with_datetimes(report["fills"], "time"))
    _write_csv(
        paths["round_trips_csv"], ROUND_TRIP_COLUMNS, with_datetimes(report["round_trips"], "open_time", "close_time")
    )
    if plots:
        paths["png"] = out / "equity.png"
        write_png(result, report, paths["png"])
        paths["html"] = out / "report.html"
        paths["html"].write_text(html_page(result, report), encoding="utf-8")
    return paths
