"""Engine figures: ``python -m benchmarks.engine [--json] [--events N]``.

Batch and per-command throughput on the seeded workloads, per-command latency percentiles, and
the simple pure-Python book (``benchmarks.naive_book``) on the same standard stream, measured in
the same run. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from engine import decode
from engine import _kernel as k

from .naive_book import NaiveBook
from .workloads import deep, new_book, standard, wide


def batch_eps(cmds: np.ndarray, repeat: int = 3) -> tuple[float, int]:
    """Best of ``repeat`` runs on a fresh book (commands per second), and resting orders at the end."""
    new_book().apply_batch(cmds[:1000])  # load or compile the kernel outside the timing
    best, resting = 0.0, 0
    for _ in range(repeat):
        book = new_book()
        start = time.perf_counter()
        book.apply_batch(cmds)
        best = max(best, len(cmds) / (time.perf_counter() - start))
        resting = len(book)
    return best, resting


def percall(cmds: np.ndarray) -> dict[str, float]:
    """One kernel call per command through ``OrderBook.raw``; then with event objects."""
    rows = cmds.tolist()
    book = new_book()
    book.raw(*rows[0])
    book = new_book()
    raw = book.raw
    start = time.perf_counter()
    for row in rows:
        raw(*row)
    eps = len(rows) / (time.perf_counter() - start)

    book = new_book()
    raw = book.raw
    clock = time.perf_counter_ns
    lat = np.empty(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        t0 = clock()
        raw(*row)
        lat[i] = clock() - t0

    book = new_book()
    raw = book.raw
    start = time.perf_counter()
    for row in rows:
        decode(book.out, raw(*row))
    objects_eps = len(rows) / (time.perf_counter() - start)
    return {
        "percall_std_eps": eps,
        "percall_p50_us": float(np.percentile(lat, 50)) / 1000,
        "percall_p99_us": float(np.percentile(lat, 99)) / 1000,
        "percall_objects_std_eps": objects_eps,
    }


def reference(cmds: np.ndarray) -> float:
    start = time.perf_counter()
    NaiveBook().run(cmds)
    return len(cmds) / (time.perf_counter() - start)


def run(events: int) -> dict[str, float]:
    std, dp, wd = standard(events), deep(events), wide(events)
    figures: dict[str, float] = {}
    figures["batch_std_eps"], figures["std_resting_orders"] = batch_eps(std)
    figures["batch_deep_eps"], figures["deep_resting_orders"] = batch_eps(dp)
    figures["batch_wide_eps"], figures["wide_resting_orders"] = batch_eps(wd)
    figures.update(percall(std[: max(events // 4, 1000)]))
    figures["reference_std_eps"] = reference(std[: max(events // 4, 1000)])
    figures["batch_vs_reference"] = figures["batch_std_eps"] / figures["reference_std_eps"]
    figures["wide_slowdown_vs_std"] = figures["batch_std_eps"] / figures["batch_wide_eps"]
    figures["events"] = events
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--events", type=int, default=1_000_000, help="commands per workload")
    args = parser.parse_args()
    figures = run(args.events)
    if args.json:
        print(json.dumps({key: round(v, 3) if isinstance(v, float) else v for key, v in figures.items()}))
    else:
        for key, value in figures.items():
            print(f"{key:>26}: {value:,.2f}" if isinstance(value, float) else f"{key:>26}: {value:,}")


if __name__ == "__main__":
    main()
