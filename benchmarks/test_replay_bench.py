"""The replay benchmark, short (``pytest benchmarks/test_replay_bench.py -s``): figures are printed,
never asserted; what is asserted is that ``MarketHistory.record_many`` leaves a replayed history
exactly as ``record`` one fill at a time does."""

from __future__ import annotations

import json
from pathlib import Path

from . import replay as bench


def test_replay_figures_short(capsys) -> None:
    figures = bench.run(rows=100_000, engine_events=100_000)
    with capsys.disabled():
        print("\n" + json.dumps({key: round(v, 3) if isinstance(v, float) else v for key, v in figures.items()}))
    assert figures["rows"] == 100_000
    assert figures["fills"] >= figures["rows"]


def test_record_many_matches_record(tmp_path: Path) -> None:
    path = bench.generate(tmp_path / "BTCUSDT-aggTrades-x.zip", 30_000)
    history = bench.replay_run(path)["history"]
    for chunk in (1, 7, 4096):
        _, _, loop, many = bench.record_rates(history, chunk)
        assert bench.same_history(loop, many)
        assert len(many) == len(history) and len(many._agg_first) == len(history._agg_first)
