"""The client's per-call overhead: ``python -m benchmarks.client [--calls N] [--json]``.

Against the embedded simulator (a static book, rate limits off), sequential round trips of the same
two calls, interleaved call by call so both see the same server state and machine load:

* ``client_*``: through the client (``client.fetch_ticker(cred, ...)``, a limit order placed and
  cancelled with ``client.create_order``/``client.cancel_order``): credential lookup, the cached
  ccxt instance, ccxt, HTTP, the simulator;
* ``ccxt_*`` (the reference): the same calls on a plain ccxt instance pointed at the same server.

``overhead_us`` is the difference of the medians: what the client adds to a call. The target (a
few tens of microseconds, under 5 % of a signed round trip) is printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import ccxt

import client
from client import embedded
from client.targets import point_at
from simulator.launcher import SimulatorConfig
from simulator.ratelimit import RateLimitConfig

TARGET_OVERHEAD_PCT = 5.0
KEY, SECRET = "benchmark-client-key", "benchmark-client-secret"


def _timed(fn) -> float:
    start = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - start) / 1_000


def run(calls: int = 300, warmup: int = 30) -> dict[str, float]:
    embedded.stop()
    embedded.configure(SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False)))
    cred = client.Credential.new(name="binance", apiKey=KEY, secret=SECRET)
    client.load_markets(cred)  # starts the simulator and registers the key
    raw = ccxt.binance({"apiKey": KEY, "secret": SECRET, "enableRateLimit": False})
    point_at(raw, embedded.server().url)
    raw.load_markets()
    client.connections.sync_exchange(cred).enableRateLimit = False  # same limiter setting as the reference

    def order_via_client() -> None:
        order = client.create_order(cred, "BTC/USDT", "limit", "buy", 0.001, 80_000)
        client.cancel_order(cred, order["id"], "BTC/USDT")

    def order_via_ccxt() -> None:
        order = raw.create_order("BTC/USDT", "limit", "buy", 0.001, 80_000)
        raw.cancel_order(order["id"], "BTC/USDT")

    pairs = {
        "ticker": (lambda: client.fetch_ticker(cred, "BTC/USDT"), lambda: raw.fetch_ticker("BTC/USDT")),
        "order": (order_via_client, order_via_ccxt),
    }
    figures: dict[str, float] = {}
    for name, (via_client, via_ccxt) in pairs.items():
        for _ in range(warmup):
            via_client()
            via_ccxt()
        ours, theirs = [], []
        for _ in range(calls):
            ours.append(_timed(via_client))
            theirs.append(_timed(via_ccxt))
        figures[f"client_{name}_p50_us"] = statistics.median(ours)
        figures[f"ccxt_{name}_p50_us"] = statistics.median(theirs)
        figures[f"{name}_overhead_us"] = figures[f"client_{name}_p50_us"] - figures[f"ccxt_{name}_p50_us"]
        figures[f"{name}_overhead_pct"] = 100 * figures[f"{name}_overhead_us"] / figures[f"ccxt_{name}_p50_us"]
    embedded.stop()
    embedded.configure(None)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.calls)
    if args.json:
        print(json.dumps(figures))
        return
    for key, value in figures.items():
        print(f"{key:>24}: {value:,.1f}")
    print(f"target: overhead under {TARGET_OVERHEAD_PCT} % of a call")


if __name__ == "__main__":
    main()
