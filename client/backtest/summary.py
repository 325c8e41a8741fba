"""The run and its metrics as text: the terminal's box (``summary_table``), and the lines the HTML
page shows too."""

from __future__ import annotations

import json
from typing import Any

from .formatting import iso, jsonable
from .metrics import compute_metrics
from .result import BacktestResult


def _duration(ms: int) -> str:
    """'3d 04:05:06' (or '04:05:06' under a day)."""
    seconds = ms // 1000
    days, rest = divmod(seconds, 86_400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {clock}" if days else clock


def _num(value: float | None, unit: str = "", fmt: str = "{:.2f}") -> str:
    return "n/a" if value is None else fmt.format(value) + unit


def run_lines(result: BacktestResult) -> list[tuple[str, str]]:
    lines = [
        ("strategy", result.strategy),
        ("market", f"{result.symbol} {result.timeframe}"),
        ("period", f"{iso(result.start)[:19]}Z -> {iso(result.end)[:19]}Z"),
        ("data", result.data),
        ("seed", str(result.seed)),
    ]
    if result.params:
        lines.append(("params", json.dumps(jsonable(result.params), sort_keys=True)))
    if result.error:
        lines.append(("error", result.error))
    return lines


def metric_lines(result: BacktestResult, m: dict[str, Any]) -> list[tuple[str, str]]:
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
    run = [(k, " ".join(v.split())) for k, v in run_lines(result)]  # one line each, whatever the text held
    return _box([("<", run), (">", metric_lines(result, metrics))])
