"""pytest-benchmark run of the WebSocket figures (``pytest benchmarks/test_websocket_bench.py -s``).

A short version of ``python -m benchmarks.websocket``: 100 subscribed connections for 2 s, 50 orders
timed to their execution report. The figures are printed and kept in ``extra_info``; only their
validity is checked (no connection dropped, every order reported, every REST order answered),
never a speed.
"""

from __future__ import annotations

from .websocket import run


def test_websocket_figures(benchmark) -> None:
    figures = benchmark.pedantic(
        lambda: run(connections=100, warmup=1.0, seconds=2.0, orders=50, traders=4), rounds=1, iterations=1
    )
    benchmark.extra_info.update(figures)
    print()
    for key, value in figures.items():
        print(f"{key:>30}: {value:,.2f}" if isinstance(value, float) else f"{key:>30}: {value}")
    assert figures["fanout_connections_dropped"] == 0
    assert figures["reports"] == 50
    assert figures["rest_errors"] == 0
