"""pytest-benchmark run of the HTTP figures (``pytest benchmarks/test_http_bench.py -s``).

A short version of ``python -m benchmarks.http``: real uvicorn servers in their own processes,
1 s of warm-up and 2 s of measured signed-order load, 200 ccxt round trips against the simulator
and the canned floor, and short baselines. The figures are printed and kept in ``extra_info``;
only their validity (every request answered with HTTP 200) is checked, never a speed.
"""

from __future__ import annotations

from .http import TARGET_ORDERS_PER_S, TARGET_RATIO_P50, run


def test_http_orders(benchmark) -> None:
    figures = benchmark.pedantic(
        lambda: run(warmup=1.0, seconds=2.0, orders=200, ccxt_warmup=50, baseline_seconds=1.0),
        rounds=1,
        iterations=1,
    )
    benchmark.extra_info.update({k: v for k, v in figures.items() if k != "error_samples"})
    print()
    for key, value in figures.items():
        print(f"{key:>22}: {value:,.2f}" if isinstance(value, float) else f"{key:>22}: {value}")
    print(f"targets: orders_per_s >= {TARGET_ORDERS_PER_S:,}, ratio_p50 <= {TARGET_RATIO_P50}")
    assert figures["errors"] == 0, figures.get("error_samples")
