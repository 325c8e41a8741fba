"""Durability figures: ``python -m benchmarks.durability [--json] [--seconds S] [--commands N] [--rss-seconds S]
[--resting N]`` (``--only-rss``, ``--only-snapshots``: one figure alone).

- ``orders_per_s_journal_off`` / ``_batched`` / ``_every``: signed ``POST /api/v3/order`` over HTTP
  (the load of ``benchmarks.http``: 32 keep-alive connections, BUY and SELL in turn) against a
  server in its own process keeping its state in memory, journaling with a sync every 50 ms, and
  syncing every change to disk before answering, ``--rounds`` (3) times each, the modes taken in
  turn, the median reported (one run of each differed by up to 13 % from the next on two cores
  shared with the load). Journal off is the reference (target: batched costs at most 10 %, that is
  at least 0.9 times the journal-off rate).
- ``recovery_1m_s``: a state directory holding ``--commands`` (1M) journaled changes (limit orders,
  cancels and the fills between 200 accounts, made through the venue's own methods, no snapshot
  after the first) rebuilt read-only, as a restart does (the digest ``sandex verify`` adds is not
  counted; target: at most 4 s). Beside it, ``live_1m_s``: the time the same changes took when
  they first ran, the reference. ``recovery_changes_per_s``: the same as a rate (target:
  250,000).
- ``snapshot_pause_p99_ms``: with ``--resting`` (1M) orders resting, the longest another thread
  (a request) waits for the venue's lock while a snapshot is taken, p99 over ``--snapshots`` (10)
  snapshots (target: 50 ms). The reference, ``snapshot_pause_in_process_ms``: the same state
  serialised under the lock, as snapshots were taken before they were made on a forked image.
- ``rss_growth_mb_per_10min``: the same order load for ``--rss-warmup`` (30) then ``--rss-seconds``
  (60) seconds against a server in memory with the synthetic markets running, as ``sandex serve``
  runs; the server's resident memory read every second of the measured part, its trend (least
  squares) extrapolated to 10 minutes (target: at most 50 MB, the allocator's drift; unbounded
  histories grew it by 1.4 GB at 2400 orders/s). The retention's caps are set low (``RSS_RETENTION``) so that
  what it keeps is full before the measurement starts: what still grows then is a leak, not history
  filling up. ``rss_warm_mb`` / ``rss_end_mb``: the first and last readings.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .http import HOST, OrderSource, ServerProcess, _serve_simulator, load, new_account

TARGET_BATCHED_COST = 0.10
TARGET_RECOVERY_S = 4.0
TARGET_RSS_GROWTH_MB = 50.0
TARGET_RECOVERY_RATE = 250_000.0
TARGET_SNAPSHOT_PAUSE_MS = 50.0
RSS_RETENTION = {"retention_orders": 1000, "retention_fills": 1000, "retention_public_trades": 20_000}


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def rss_growth(warmup: float, seconds: float, connections: int) -> dict:
    server = ServerProcess(_serve_simulator, None, True, "", "batched", RSS_RETENTION)
    try:
        server.wait_ready()
        accounts = [new_account(server.url) for _ in range(connections)]
        sources = [OrderSource(f"{HOST}:{server.port}", k, s) for k, s in accounts]
        pid = server.process.pid
        readings: list[tuple[float, float]] = []  # (seconds since the warm-up ended, MB)
        done = threading.Event()

        def read() -> None:
            if done.wait(warmup):
                return
            t0 = time.monotonic()
            while True:
                readings.append((time.monotonic() - t0, rss_mb(pid)))
                if done.wait(1.0):
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        result = load(server, sources, warmup, seconds)
        done.set()
        reader.join()
        t = [r[0] for r in readings]
        mb = [r[1] for r in readings]
        slope = float(np.polyfit(t, mb, 1)[0]) if len(readings) > 1 else 0.0  # MB per second
        return {
            "rss_warm_mb": mb[0],
            "rss_end_mb": mb[-1],
            "rss_growth_mb_per_10min": slope * 600,
            "rss_orders_per_s": result["per_s"],
            "errors": result["errors"],
        }
    finally:
        server.stop()


def orders_per_s(state_dir: str, fsync: str, warmup: float, seconds: float, connections: int) -> dict:
    server = ServerProcess(_serve_simulator, None, False, state_dir, fsync)
    try:
        server.wait_ready()
        accounts = [new_account(server.url) for _ in range(connections)]
        return load(server, [OrderSource(f"{HOST}:{server.port}", k, s) for k, s in accounts], warmup, seconds)
    finally:
        server.stop()


def journal_commands(state_dir: str, commands: int, seed: int = 1) -> float:
    """Journal ``commands`` changes into ``state_dir``; returns the seconds they took to run."""
    from engine import OrderType, SelfTradePrevention, Side, TimeInForce
    from simulator.clock import ManualClock
    from simulator.config import SimulatorConfig
    from simulator.launcher import build
    from simulator.orders import OrderRequest
    from simulator.ratelimit import RateLimitConfig

    config = SimulatorConfig(
        state_dir=state_dir,
        liquidity=False,
        rate_limits=RateLimitConfig(enabled=False),
        snapshot_every=10**12,
        snapshot_interval_s=10**9,
    )
    clock = ManualClock(1_700_000_000_000)
    sim = build(config, clock=clock)
    venue = sim.venue
    accounts = [venue.create_account({"USDT": 10**14, "BTC": 10**12}) for _ in range(200)]
    rng = random.Random(seed)
    resting: list[tuple[int, int]] = []
    started = time.perf_counter()
    for i in range(commands - sim.durability.seq):
        if rng.random() < 0.45 and resting:
            account, order_id = resting.pop(rng.randrange(len(resting)))
            with contextlib.suppress(Exception):  # filled meanwhile: a refused cancel is journaled too
                venue.cancel(account, "BTCUSDT", order_id, None)
            continue
        account = accounts[i % len(accounts)]
        side = Side.BUY if rng.random() < 0.5 else Side.SELL
        price = (90_000 + rng.randint(-50, 50)) * 10**8
        placed = venue.place(
            account,
            OrderRequest(
                "BTCUSDT",
                side,
                OrderType.LIMIT,
                TimeInForce.GTC,
                rng.randint(10, 200) * 1000,
                price,
                0,
                0,
                None,
                SelfTradePrevention.NONE,
                "ACK",
            ),
        )
        if placed.order.is_open:
            resting.append((account, placed.order.order_id))
        if i % 1000 == 0:
            clock.advance(1)
    elapsed = time.perf_counter() - started
    sim.durability.close_without_snapshot()
    return elapsed


def recovery_seconds(state_dir: str) -> tuple[float, int]:
    """What a restart spends rebuilding the state (snapshot load and replay; not the digest that
    ``sandex verify`` adds)."""
    from simulator.config import SimulatorConfig
    from simulator.launcher import replay_state

    report, _ = replay_state(SimulatorConfig(state_dir=state_dir, liquidity=False))
    return report.seconds, report.replayed


def snapshot_pauses(resting: int, snapshots: int) -> dict:
    """How long a snapshot holds the venue's lock (every request waits at most that long) with
    ``resting`` orders in the book: taken on a forked image, and, the reference, serialised in-process."""
    from engine import OrderType, SelfTradePrevention, Side, TimeInForce
    from simulator.clock import ManualClock
    from simulator.config import SimulatorConfig
    from simulator.launcher import build
    from simulator.orders import OrderRequest
    from simulator.ratelimit import RateLimitConfig

    with tempfile.TemporaryDirectory() as tmp:
        config = SimulatorConfig(
            state_dir=f"{tmp}/state",
            liquidity=False,
            rate_limits=RateLimitConfig(enabled=False),
            snapshot_every=10**12,
            snapshot_interval_s=10**9,
        )
        sim = build(config, clock=ManualClock(1_700_000_000_000))
        venue, durability = sim.venue, sim.durability
        per_account = 150  # under MAX_NUM_ORDERS
        accounts = [venue.create_account({"USDT": 10**12, "BTC": 10**11}) for _ in range(resting // per_account + 1)]
        for i in range(resting):
            buy = i % 2 == 0
            price = (30_000 - i % 1000 if buy else 50_000 + i % 1000) * 10**8
            venue.place(
                accounts[i // per_account],
                OrderRequest(
                    "BTCUSDT",
                    Side.BUY if buy else Side.SELL,
                    OrderType.LIMIT,
                    TimeInForce.GTC,
                    100_000,
                    price,
                    0,
                    0,
                    None,
                    SelfTradePrevention.NONE,
                    "ACK",
                ),
            )
        # what another thread (a request) waits for the lock while each checkpoint runs
        waits: list[float] = []
        stop = threading.Event()

        def probe() -> None:
            while not stop.is_set():
                t0 = time.perf_counter()
                with venue.lock:
                    pass
                waits.append(time.perf_counter() - t0)
                time.sleep(0.001)

        prober = threading.Thread(target=probe, daemon=True)
        prober.start()
        pauses = []
        for _ in range(snapshots):
            waits.clear()
            durability.checkpoint()  # image under the lock; serialised and written outside it
            pauses.append(max(waits, default=0.0))
        stop.set()
        prober.join()
        started = time.perf_counter()
        with venue.lock:  # the reference: the state serialised under the lock, as before images
            durability.dump()
        in_process = time.perf_counter() - started
        sim.close()
    return {
        "snapshot_resting_orders": resting,
        "snapshot_pause_p99_ms": float(np.percentile(pauses, 99)) * 1000,
        "snapshot_pause_in_process_ms": in_process * 1000,
    }


def run(
    warmup: float = 3.0,
    seconds: float = 8.0,
    connections: int = 32,
    commands: int = 1_000_000,
    rss_warmup: float = 30.0,
    rss_seconds: float = 60.0,
    resting: int = 1_000_000,
    snapshots: int = 10,
    rounds: int = 3,
) -> dict:
    figures: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs: dict[str, list[dict]] = {"off": [], "batched": [], "every": []}
        for r in range(rounds):  # the modes in turn, so that a slow spell of the machine hits them alike
            for name, state_dir, fsync in (
                ("off", "", "batched"),
                ("batched", f"{tmp}/batched{r}", "batched"),
                ("every", f"{tmp}/every{r}", "every"),
            ):
                runs[name].append(orders_per_s(state_dir, fsync, warmup, seconds, connections))
        for name, results in runs.items():
            figures[f"orders_per_s_journal_{name}"] = float(np.median([x["per_s"] for x in results]))
            figures[f"p99_us_journal_{name}"] = float(np.median([x["p99_us"] for x in results]))
            figures["errors"] = figures.get("errors", 0) + sum(x["errors"] for x in results)
        figures["batched_cost"] = 1 - figures["orders_per_s_journal_batched"] / figures["orders_per_s_journal_off"]
        state_dir = str(Path(tmp) / "recovery")
        live = journal_commands(state_dir, commands)
        recovery, replayed = recovery_seconds(state_dir)
        scale = 1_000_000 / replayed
        figures.update(
            {
                "commands": replayed,
                "live_1m_s": live * scale,
                "recovery_1m_s": recovery * scale,
                "recovery_vs_live": recovery / live,
                "recovery_changes_per_s": replayed / recovery,
                "target_batched_cost": TARGET_BATCHED_COST,
                "target_recovery_1m_s": TARGET_RECOVERY_S,
                "target_recovery_changes_per_s": TARGET_RECOVERY_RATE,
            }
        )
    if resting > 0:
        figures.update(snapshot_pauses(resting, snapshots), target_snapshot_pause_p99_ms=TARGET_SNAPSHOT_PAUSE_MS)
    if rss_seconds > 0:
        rss = rss_growth(rss_warmup, rss_seconds, connections)
        figures["errors"] += rss.pop("errors")
        figures.update(rss, target_rss_growth_mb_per_10min=TARGET_RSS_GROWTH_MB)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of load before measuring")
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of measured load per journal mode")
    parser.add_argument(
        "--rounds", type=int, default=3, help="runs of each journal mode, taken in turn; the median is reported"
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--commands", type=int, default=1_000_000, help="journaled changes to recover")
    parser.add_argument("--rss-warmup", type=float, default=30.0, help="seconds of load before the first RSS reading")
    parser.add_argument(
        "--rss-seconds",
        type=float,
        default=60.0,
        help="seconds of load between the two RSS readings (0: skip the RSS figure)",
    )
    parser.add_argument(
        "--resting", type=int, default=1_000_000, help="resting orders in the book for the snapshot pause (0: skip it)"
    )
    parser.add_argument("--snapshots", type=int, default=10, help="snapshots timed for the pause")
    parser.add_argument("--only-rss", action="store_true", help="measure only the RSS growth")
    parser.add_argument("--only-snapshots", action="store_true", help="measure only the snapshot pause")
    args = parser.parse_args()
    if args.only_rss:
        figures = rss_growth(args.rss_warmup, args.rss_seconds, args.connections)
        figures["target_rss_growth_mb_per_10min"] = TARGET_RSS_GROWTH_MB
    elif args.only_snapshots:
        figures = snapshot_pauses(args.resting, args.snapshots, args.rounds)
        figures["target_snapshot_pause_p99_ms"] = TARGET_SNAPSHOT_PAUSE_MS
    else:
        figures = run(
            args.warmup,
            args.seconds,
            args.connections,
            args.commands,
            args.rss_warmup,
            args.rss_seconds,
            args.resting,
            args.snapshots,
            args.rounds,
        )
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
        return
    for key, value in figures.items():
        print(f"{key:>28}: {value:,.3f}" if isinstance(value, float) else f"{key:>28}: {value:,}")


if __name__ == "__main__":
    main()
