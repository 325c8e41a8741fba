"""Parameter sweeps: the same rows, in the same order, whether run serially, over processes or over Ray."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from client.backtest.runner import BacktestSettings
from client.backtest.sweep import grid_runs, parse_grid, run_sweep, sweep_table, write_sweep
from simulator.launcher import sample_data

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ma_crossover.py"
GRID = {"slow": [20, 30], "fast": [3, 5]}

FRAGILE = """
from examples.ma_crossover import PARAMS as _P, Strategy as _Base

TIMEFRAME = "1m"
PARAMS = dict(_P)


class Strategy(_Base):
    def __init__(self, credential, symbol, fast, slow, fraction, offset_bps):
        if fast == 3:
            raise RuntimeError("fast=3 is refused")
        super().__init__(credential, symbol, fast, slow, fraction, offset_bps)
"""


@pytest.fixture(scope="module")
def serial_rows() -> list[dict]:
    return run_sweep(grid_runs(BacktestSettings(str(EXAMPLE)), GRID), workers=1)


def test_grid_runs_order_and_counts() -> None:
    base = BacktestSettings("examples/ma_crossover.py", params={"fraction": 0.25}, progress=True)
    files = [sample_data("aggTrades"), sample_data("klines")]
    runs = grid_runs(base, {"slow": [20, 30], "fast": [3, 5, 7]}, files)
    assert len(runs) == 12
    assert [(r.params["fast"], r.params["slow"], Path(r.data).name) for r in runs[:4]] == [
        (3, 20, Path(files[0]).name),
        (3, 20, Path(files[1]).name),
        (3, 30, Path(files[0]).name),
        (3, 30, Path(files[1]).name),
    ]
    assert all(r.params["fraction"] == 0.25 and not r.progress for r in runs)
    assert all(Path(r.strategy).is_absolute() and Path(r.strategy) == EXAMPLE for r in runs)
    assert runs == grid_runs(base, {"fast": [3, 5, 7], "slow": [20, 30]}, files)  # key order does not matter
    assert [r.data for r in grid_runs(base, GRID)] == [""] * 4  # no files: the base's data
    assert len(grid_runs(base, {})) == 1
    with pytest.raises(ValueError, match="no values"):
        grid_runs(base, {"fast": []})


def test_parse_grid() -> None:
    assert parse_grid(["fast=3,5", "slow=10:30:10", "fraction=0.5,1", "flag=true,FALSE", "name=a,b"]) == {
        "fast": [3, 5],
        "slow": [10, 20, 30],
        "fraction": [0.5, 1],
        "flag": [True, False],
        "name": ["a", "b"],
    }
    assert parse_grid(["n=1:10:4"]) == {"n": [1, 5, 9]}  # stop included only when reached
    assert parse_grid(["n=5:1:-2", "m=1:3", "k=2,10:12"]) == {"n": [5, 3, 1], "m": [1, 2, 3], "k": [2, 10, 11, 12]}
    assert parse_grid([]) == {}
    for bad, message in [
        ("fast", "expected name="),
        ("=1,2", "expected name="),
        ("fast=", "empty"),
        ("fast=1,,2", "empty"),
        ("n=1:x:2", "integers"),
        ("n=1:5:0", "step 0"),
        ("n=5:1", "empty"),
        ("n=1.5:3", "integers"),
        ("n=1,1", "repeats"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_grid([bad])
    with pytest.raises(ValueError, match="twice"):
        parse_grid(["n=1", "n=2"])


def test_serial_rows(serial_rows: list[dict]) -> None:
    assert len(serial_rows) == 4
    returns = [row["metrics"]["return_pct"] for row in serial_rows]
    assert returns == sorted(returns, reverse=True)
    assert sorted(row["index"] for row in serial_rows) == [0, 1, 2, 3]
    for row in serial_rows:
        assert row["error"] is None and row["seed"] == 1
        assert row["data"] == Path(sample_data("aggTrades")).name
        assert set(row["params"]) == {"fast", "slow"} and row["metrics"]["fills"] > 0
    table = sweep_table(serial_rows, top=3)
    lines = table.splitlines()
    assert lines[0].split()[:4] == ["rank", "fast", "slow", "data"] and len(lines) == 5
    assert lines[-1] == "(1 more not shown)"


@pytest.mark.slow
def test_process_pool_matches_serial(serial_rows: list[dict]) -> None:
    runs = grid_runs(BacktestSettings(str(EXAMPLE)), GRID)
    assert run_sweep(runs, workers=2) == serial_rows


@pytest.mark.slow
def test_ray_matches_serial(serial_rows: list[dict]) -> None:
    pytest.importorskip("ray")
    runs = grid_runs(BacktestSettings(str(EXAMPLE)), GRID)
    assert run_sweep(runs, workers=2, ray_address="local") == serial_rows


def test_failing_runs_rank_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))  # the file imports the example as examples.ma_crossover
    strategy = tmp_path / "fragile.py"
    strategy.write_text(FRAGILE)
    runs = grid_runs(BacktestSettings(str(strategy)), {"fast": [3, 5], "slow": [20]})
    rows = run_sweep(runs, workers=1)
    assert [row["index"] for row in rows] == [1, 0]  # the failed run (index 0) ranks last
    assert rows[0]["error"] is None and rows[0]["metrics"]["return_pct"] is not None
    assert rows[1]["error"] == "RuntimeError: fast=3 is refused" and rows[1]["metrics"] is None
    assert sweep_table(rows).splitlines()[-1].rstrip().endswith("RuntimeError: fast=3 is refused")
    unknown = run_sweep(grid_runs(BacktestSettings(str(EXAMPLE)), {"nope": [1]}), workers=1)
    assert unknown[0]["metrics"] is None and unknown[0]["error"].startswith("StrategyError:")


def test_write_sweep_is_byte_identical(serial_rows: list[dict], tmp_path: Path) -> None:
    first = write_sweep(serial_rows, tmp_path / "a")
    second = write_sweep([dict(row) for row in serial_rows], tmp_path / "b")
    assert first["json"].read_bytes() == second["json"].read_bytes()
    assert first["json"].read_bytes().endswith(b"]\n")
    csv_lines = first["csv"].read_text().splitlines()
    assert len(csv_lines) == 5
    header = csv_lines[0].split(",")
    assert header[:4] == ["rank", "index", "param.fast", "param.slow"]
    assert {"return_pct", "sharpe", "fees_paid", "error"} <= set(header)


def test_ray_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed
    runs = grid_runs(BacktestSettings(str(EXAMPLE)), {"fast": [3]})
    with pytest.raises(RuntimeError, match=r"pip install 'sandex\[ray\]'"):
        run_sweep(runs, ray_address="local")
