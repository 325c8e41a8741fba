"""Parameter sweeps: one strategy over a grid of parameters (and data files), ranked best first.

Each run is an ordinary ``run_backtest``; a sweep only fans the runs out (serially, over a process
pool, or over Ray) and gathers one small row per run (the parameters and ``compute_metrics``), never
the whole result, so thousands of runs cost little to ship back. The rows are ranked by return,
ties by run index, so the same sweep gives the same ranking and byte-identical files however many
workers ran it.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import itertools
import json
import multiprocessing
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol, TypeVar

from .extras import needs_extra
from .report import compute_metrics
from .runner import BacktestSettings, run_backtest
from .strategy import parse_param

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAY_MISSING = "the Ray backend needs Ray: pip install 'sandex[ray]'"
_RANGE = re.compile(r"(-?\d+):(-?\d+)(?::(-?\d+))?")
_ERROR_WIDTH = 40  # characters of an error shown in the table
T = TypeVar("T")
Grid = dict[str, list[Any]]  # parameter -> the values to try


class ProgressBar(Protocol):
    def update(self, n: float = 1) -> bool | None: ...

    def close(self) -> None: ...


# --- the runs ------------------------------------------------------------------------------------------------------


def grid_runs(base: BacktestSettings, grid: Grid, data_files: list[str] | None = None) -> list[BacktestSettings]:
    """Every combination of the grid's values (keys sorted) x every data file, in a fixed order.

    The strategy path is made absolute so that workers started elsewhere find it, and each run's own
    progress bar is off (a sweep has one bar of its own).
    """
    for name, values in grid.items():
        if not values:
            raise ValueError(f"grid parameter {name!r} has no values")
    names = sorted(grid)
    files = list(data_files) if data_files else [base.data]
    strategy = str(Path(base.strategy).resolve())
    return [
        dataclasses.replace(
            base,
            strategy=strategy,
            params={**base.params, **dict(zip(names, combo, strict=True))},
            data=file,
            progress=False,
        )
        for combo in itertools.product(*(grid[n] for n in names))
        for file in files
    ]


def parse_grid(texts: list[str]) -> Grid:
    """``name=v1,v2`` and ``name=a:b:step`` (integers, b included when reached) from the command line.

    Items of one list may mix: ``fast=3,5,10:30:10`` is 3, 5, 10, 20, 30. Values convert like
    ``--param`` values (int, float, true/false, else text).
    """
    grid: Grid = {}
    for text in texts:
        name, sep, spec = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ValueError(f"grid {text!r}: expected name=v1,v2,... or name=start:stop:step")
        if name in grid:
            raise ValueError(f"grid {text!r}: parameter {name!r} given twice")
        values = [v for item in spec.split(",") for v in _grid_item(text, item.strip())]
        if len({repr(v) for v in values}) != len(values):
            raise ValueError(f"grid {text!r}: a value repeats")
        grid[name] = values
    return grid


def _grid_item(text: str, item: str) -> list[Any]:
    """One comma-separated item: a value, or an integer range when it has a colon."""
    if not item:
        raise ValueError(f"grid {text!r}: empty value")
    if ":" not in item:
        return [parse_param(f"x={item}")[1]]
    match = _RANGE.fullmatch(item)
    if match is None:
        raise ValueError(f"grid {text!r}: range {item!r} is not start:stop[:step] in integers")
    start, stop, step = int(match[1]), int(match[2]), int(match[3] or 1)
    if step == 0:
        raise ValueError(f"grid {text!r}: range {item!r} has step 0")
    values = list(range(start, stop + (1 if step > 0 else -1), step))
    if not values:
        raise ValueError(f"grid {text!r}: range {item!r} is empty (step goes away from stop)")
    return values


# --- running -------------------------------------------------------------------------------------------------------


def run_one(index: int, settings: BacktestSettings) -> dict[str, Any]:
    """One run's row; a run that raises becomes a row with its error (a sweep never stops for one run)."""
    try:
        result = run_backtest(settings)
        metrics, error = compute_metrics(result), result.error
    except Exception as e:  # the strategy's or the data's failure, reported in the row
        metrics, error = None, f"{type(e).__name__}: {e}"
    return _row(index, settings, metrics, error)


def _row(index: int, settings: BacktestSettings, metrics: dict[str, Any] | None, error: str | None) -> dict[str, Any]:
    return {
        "index": index,
        "params": dict(settings.params),
        "data": Path(settings.data_file).name,
        "seed": settings.seed,
        "metrics": metrics,
        "error": error,
    }


def run_sweep(
    runs: list[BacktestSettings], workers: int | None = None, ray_address: str | None = None, progress: bool = False
) -> list[dict[str, Any]]:
    """Run every backtest and return their rows best first (see ``rank``).

    ``workers=1`` (or a single run) runs in this process; more use a spawn process pool (the caller
    may hold threads, which fork would copy in a broken state); ``ray_address`` ("local" or a
    cluster's address) hands the runs to Ray as one task each.
    """
    runs = list(runs)
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if progress:
        _tqdm()  # a missing extra is said before any run starts, not after them all
    if ray_address is not None:
        rows = _run_ray(runs, workers, ray_address, progress)
    elif workers == 1 or len(runs) <= 1:
        rows = [run_one(i, s) for i, s in _bar(list(enumerate(runs)), progress)]
    else:
        rows = _run_pool(runs, workers or os.cpu_count() or 1, progress)
    return rank(rows)


def _tqdm() -> Any:  # tqdm's class (it ships no type information)
    with needs_extra("the sweep's progress bar", "send stderr elsewhere (2>FILE) to run without it"):
        from tqdm import tqdm
    return tqdm


def _bar(items: Iterable[T], progress: bool, total: int | None = None) -> Iterable[T]:
    """The items, under a tqdm bar on stderr when asked for."""
    if not progress:
        return items
    bar: Iterable[T] = _tqdm()(items, total=total, unit="run", desc="sweep", mininterval=0.5)
    return bar


def _counter(total: int) -> ProgressBar:
    """A tqdm bar on stderr moved by hand (``update``), for runs finishing elsewhere."""
    bar: ProgressBar = _tqdm()(total=total, unit="run", desc="sweep", mininterval=0.5)
    return bar


def _run_pool(runs: list[BacktestSettings], workers: int, progress: bool) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(runs)), mp_context=context) as pool:
        futures = {pool.submit(run_one, i, s): i for i, s in enumerate(runs)}
        return [_collect(f.result, futures[f], runs) for f in _bar(as_completed(futures), progress, len(futures))]


def _collect(get: Callable[[], dict[str, Any]], index: int, runs: list[BacktestSettings]) -> dict[str, Any]:
    """A worker's row; the worker's own failure (killed, unpicklable...) as an error row."""
    try:
        return get()
    except Exception as e:
        return _row(index, runs[index], None, f"{type(e).__name__}: {e}")


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError(RAY_MISSING) from None
    return ray


def _run_ray(runs: list[BacktestSettings], workers: int | None, address: str, progress: bool) -> list[dict[str, Any]]:
    """One Ray task per run; Ray is shut down afterwards only if this call started it."""
    ray = _import_ray()
    started = not ray.is_initialized()
    if started:
        _ray_init(ray, workers, address)
    try:
        task = ray.remote(num_cpus=1)(run_one)
        pending = {task.remote(i, s): i for i, s in enumerate(runs)}
        bar = _counter(len(runs)) if progress else None
        rows = []
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            ref = done[0]
            rows.append(_collect(functools.partial(ray.get, ref), pending.pop(ref), runs))
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        return rows
    finally:
        if started:
            ray.shutdown()


def _ray_init(ray: Any, workers: int | None, address: str) -> None:
    """A local Ray (workers CPUs, this project importable in its workers) or a cluster's."""
    if address != "local":
        ray.init(address=address)
        return
    path = os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    ray.init(
        num_cpus=workers or os.cpu_count(),
        include_dashboard=False,
        log_to_driver=False,
        logging_level="WARNING",
        runtime_env={"env_vars": {"PYTHONPATH": path}},
    )


def rank(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best first: highest return; failed runs and runs without a return last; ties by run index."""

    def key(row: dict[str, Any]) -> tuple[bool, bool, float, int]:
        ret = (row.get("metrics") or {}).get("return_pct")
        return (row.get("error") is not None, ret is None, -(ret or 0.0), row["index"])

    return sorted(rows, key=key)


# --- output --------------------------------------------------------------------------------------------------------


def _param_names(rows: list[dict[str, Any]]) -> list[str]:
    return sorted({name for row in rows for name in row["params"]})


def _metric(row: dict[str, Any], name: str) -> Any:
    return (row.get("metrics") or {}).get(name)


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def _money(text: str | None) -> str:
    """Decimal text to cents, for the eye (the files keep the exact text)."""
    if text is None:
        return ""
    try:
        return format(Decimal(text).quantize(Decimal("0.01")), "f")
    except (InvalidOperation, ValueError):
        return str(text)


def _short(error: str | None) -> str:
    if error is None:
        return ""
    line = error.splitlines()[0] if error.strip() else error
    return line if len(line) <= _ERROR_WIDTH else line[: _ERROR_WIDTH - 3] + "..."


def _table_cells(rank_no: int, row: dict[str, Any], names: list[str]) -> list[str]:
    fills = _metric(row, "fills")
    return [
        str(rank_no),
        *(_text(row["params"].get(n, "")) for n in names),
        row["data"],
        _num(_metric(row, "return_pct"), "+.3f"),
        _num(_metric(row, "sharpe"), ".2f"),
        _num(_metric(row, "max_drawdown_pct"), ".3f"),
        "" if fills is None else str(fills),
        _money(_metric(row, "fees_paid")),
        _short(row.get("error")),
    ]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def sweep_table(rows: list[dict[str, Any]], top: int | None = 20) -> str:
    """The best ``top`` rows (all for None) as an aligned plain-text table, numbers right-aligned."""
    names = _param_names(rows)
    header = ["rank", *names, "data", "return %", "Sharpe", "max DD %", "fills", "fees", "error"]
    right = {0, *range(len(names) + 2, len(names) + 7)}
    shown = rows if top is None else rows[:top]
    body = [_table_cells(i, row, names) for i, row in enumerate(shown, 1)]
    widths = [max(len(line[c]) for line in [header, *body]) for c in range(len(header))]
    lines = [
        "  ".join(
            cell.rjust(w) if c in right else cell.ljust(w) for c, (cell, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [header, *body]
    ]
    if len(shown) < len(rows):
        lines.append(f"({len(rows) - len(shown)} more not shown)")
    return "\n".join(lines) + "\n"


def _metric_names(rows: list[dict[str, Any]]) -> list[str]:
    """Metric columns in ``compute_metrics``' order (any extra keys after, sorted)."""
    first: dict[str, Any] = next((row["metrics"] for row in rows if row.get("metrics")), {})
    extra = sorted({k for row in rows for k in (row.get("metrics") or {})} - set(first))
    return [*first, *extra]


def _csv_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def write_sweep(rows: list[dict[str, Any]], out_dir: str | Path) -> dict[str, Path]:
    """``sweep.json`` (byte-identical for identical rows) and ``sweep.csv`` (one flat line per run)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"json": out / "sweep.json", "csv": out / "sweep.csv"}
    paths["json"].write_text(json.dumps(rows, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    names, metrics = _param_names(rows), _metric_names(rows)
    columns = ["rank", "index", *(f"param.{n}" for n in names), "data", "seed", *metrics, "error"]
    with paths["csv"].open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(columns)
        for i, row in enumerate(rows, 1):
            writer.writerow(
                [
                    _csv_value(v)
                    for v in (
                        i,
                        row["index"],
                        *(row["params"].get(n) for n in names),
                        row["data"],
                        row["seed"],
                        *(_metric(row, m) for m in metrics),
                        row.get("error"),
                    )
                ]
            )
    return paths
