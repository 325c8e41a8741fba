"""pytest-benchmark suites over the same seeded workloads (``pytest benchmarks/``).

Each kernel figure has the simple pure-Python book beside it on the same stream, so the ratio
is measured in the same run. Nothing here asserts a speed.
"""

from __future__ import annotations

import pytest

from .naive_book import NaiveBook
from .workloads import deep, new_book, standard, wide

EVENTS = 200_000


@pytest.fixture(scope="module")
def streams():
    return {"std": standard(EVENTS), "deep": deep(EVENTS), "wide": wide(EVENTS)}


@pytest.mark.parametrize("workload", ["std", "deep", "wide"])
def test_batch(benchmark, streams, workload) -> None:
    cmds = streams[workload]
    new_book().apply_batch(cmds[:1000])
    benchmark.extra_info["commands"] = len(cmds)
    benchmark.pedantic(lambda: new_book().apply_batch(cmds), rounds=3, iterations=1)


def test_per_command(benchmark, streams) -> None:
    rows = streams["std"][:50_000].tolist()

    def run() -> None:
        raw = new_book().raw
        for row in rows:
            raw(*row)

    benchmark.extra_info["commands"] = len(rows)
    benchmark.pedantic(run, rounds=3, iterations=1)


def test_reference_book(benchmark, streams) -> None:
    cmds = streams["std"][:50_000]
    benchmark.extra_info["commands"] = len(cmds)
    benchmark.pedantic(lambda: NaiveBook().run(cmds), rounds=3, iterations=1)
