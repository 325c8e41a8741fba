"""The backtest extra (matplotlib, plotly, tqdm) is not part of sandex itself: without it, JSON and
CSV reports still work, and whatever needs a missing package says which and how to install it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from client.backtest import sweep
from client.backtest.extras import MissingExtra, needs_extra
from client.backtest.report import write_report

from .test_report import buy_then_sell

INSTALL = 'pip install "sandex[backtest]"'


def missing(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``modules`` fail to import, as if their package were not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def test_the_equity_plot_without_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing(monkeypatch, "matplotlib.backends.backend_agg")
    with pytest.raises(MissingExtra, match=r"equity\.png") as info:
        write_report(buy_then_sell(), tmp_path)
    assert "matplotlib" in str(info.value) and INSTALL in str(info.value) and "--no-plots" in str(info.value)
    assert isinstance(info.value, ImportError) and info.value.name == "matplotlib"


def test_the_html_report_without_plotly_names_the_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing(monkeypatch, "plotly.graph_objects")
    with pytest.raises(MissingExtra, match=r"report\.html.* plotly, part of the backtest extra"):
        write_report(buy_then_sell(), tmp_path)


def test_json_and_csv_need_no_extra(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing(monkeypatch, "matplotlib.backends.backend_agg", "plotly.graph_objects", "tqdm")
    files = write_report(buy_then_sell(), tmp_path, plots=False)
    assert sorted(files) == ["equity_csv", "fills_csv", "json", "round_trips_csv"]


def test_a_sweep_with_a_progress_bar_says_so_before_running(monkeypatch: pytest.MonkeyPatch) -> None:
    missing(monkeypatch, "tqdm")
    with pytest.raises(MissingExtra, match="progress bar needs tqdm"):
        sweep.run_sweep([], progress=True)


def test_other_missing_modules_pass_through() -> None:
    with pytest.raises(ModuleNotFoundError) as info, needs_extra("something"):
        import sandex_no_such_module  # type: ignore[import-not-found]  # noqa: F401 (imported to fail)
    assert not isinstance(info.value, MissingExtra)
