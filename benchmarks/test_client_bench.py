"""pytest-benchmark run of the client's overhead (``pytest benchmarks/test_client_bench.py -s``):
the figures are printed and kept in ``extra_info``; no speed is asserted."""

from __future__ import annotations

from .client import TARGET_OVERHEAD_PCT, run


def test_client_overhead(benchmark) -> None:
    figures = benchmark.pedantic(lambda: run(calls=150, warmup=20), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    print()
    for key, value in figures.items():
        print(f"{key:>24}: {value:,.1f}")
    print(f"target: overhead under {TARGET_OVERHEAD_PCT} % of a call")
