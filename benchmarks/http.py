"""HTTP figures: ``python -m benchmarks.http [--json] [--warmup S] [--seconds S] [--orders N]``.

Signed order placement against a real uvicorn server, everything measured in the same run:

* throughput (``orders_per_s``): the simulator runs ``simulator.launcher.serve`` in a process of its
  own (rate limits off); this process drives it with ``--connections`` (32) keep-alive HTTP/1.1
  connections of a cheap load generator (``asyncio.Protocol`` on uvloop writing pre-signed request
  bytes, reading responses by Content-Length). Each connection has its own account (opened through
  the admin API) and alternates BUY and SELL LIMIT GTC 0.001 BTCUSDT at one price, 60000, with
  ``selfTradePreventionMode=NONE``: every other order fills, and since all orders share one price the
  book is one-sided and holds at most one order per connection, so the run stays valid (under
  MAX_NUM_ORDERS, funds never run out) for any number of orders. Bodies are HMAC-SHA256-signed as
  Binance wants (``...&signature=<hex>`` over everything before it), in batches of 64 per
  connection with fresh timestamps and ``recvWindow=60000``. Any answer other than HTTP 200 is
  counted in ``errors`` and makes the run invalid (exit status 1).
* latency (``ccxt_p50_us``/``ccxt_p99_us``): sequential sync ccxt ``create_order`` round trips
  (ETHUSDT, alternately a BUY that rests and a SELL that fills it), against the simulator and,
  interleaved call by call, against a canned raw-ASGI app under the same uvicorn settings that
  serves the simulator's own exchangeInfo and, for orders, the simulator's own FULL answers
  (alternately the resting and the filled one) with no auth or processing: ``floor_p50_us``. Both
  ccxt clients are identical: ``enableRateLimit: False`` and ``options={"fetchCurrencies": False,
  "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}}`` (so ``load_markets`` needs only
  spot exchangeInfo from either server); only the scheme and host of ccxt's URLs are rewritten.
* baselines (``ping_per_s``, ``floor_orders_per_s``; skip with ``--no-baselines``): the same load
  generator on the simulator's ``GET /api/v3/ping`` and on the canned app's ``POST /api/v3/order``,
  i.e. what uvicorn + Starlette routing alone, and uvicorn alone, can serve on this machine.

``server_cpu_pct``/``client_cpu_pct`` say which side was busy during the measured window (on two
cores the server should be near 100 and the client well below). ``--profile FILE`` runs the
simulator's server under cProfile and writes its stats to FILE (read them with ``pstats``).
Targets are printed beside the figures, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import signal
import socket
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

TARGET_ORDERS_PER_S = 8000
TARGET_RATIO_P50 = 1.3
HOST = "127.0.0.1"
ADMIN_TOKEN = "bench-admin-token"
DEMO_KEY = "B" * 64
DEMO_SECRET = "S" * 64
BALANCES = {"USDT": "1000000000", "FDUSD": "1000000000", "BTC": "1000000", "ETH": "10000000"}  # x 1e8 fits int64
CCXT_OPTIONS = {"fetchCurrencies": False, "fetchMargins": False, "fetchMarkets": {"types": ["spot"]}}
# The measured orders go to two markets no liquidity source quotes, so the same order stream stays
# valid (fills among the load's own accounts, a small book) with synthetic markets running beside it.
LOAD_SYMBOL, LOAD_PRICE, LOAD_QTY = "BTCFDUSD", "60000", "0.001"
CCXT_SYMBOL, CCXT_PRICE, CCXT_QTY = "ETH/FDUSD", 3000, 0.01
SIGN_BATCH = 64


# ---- servers (each in a spawned process) -----------------------------------------------------------


def _exit_on_sigterm() -> None:
    # uvicorn shuts down on SIGTERM and then re-raises it with the previous handler: this one turns
    # it into SystemExit, so ``finally`` blocks (the profile dump) still run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def _serve_simulator(
    port: int,
    profile: str | None,
    liquidity: bool = False,
    state_dir: str = "",
    fsync: str = "batched",
    changes: dict | None = None,
) -> None:
    from simulator.config import DEFAULT_MARKETS, MarketConfig, SimulatorConfig
    from simulator.launcher import serve
    from simulator.ratelimit import RateLimitConfig

    _exit_on_sigterm()
    quiet = (
        MarketConfig("BTCFDUSD", "BTC", "FDUSD", "0.01", "0.00001", "0.00001", "9000", "100", "5"),
        MarketConfig("ETHFDUSD", "ETH", "FDUSD", "0.01", "0.0001", "0.0001", "9000", "1000", "5"),
    )
    config = SimulatorConfig(
        host=HOST,
        port=port,
        liquidity=liquidity,
        markets=DEFAULT_MARKETS + quiet,
        rate_limits=RateLimitConfig(enabled=False),
        log_level="warning",
        admin_token=ADMIN_TOKEN,
        demo_api_key=DEMO_KEY,
        demo_api_secret=DEMO_SECRET,
        demo_balances=dict(BALANCES),
        state_dir=state_dir,
        fsync=fsync,
        **(changes or {}),
    )
    if not profile:
        serve(config)
        return
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
    try:
        serve(config)
    finally:
        prof.disable()
        prof.dump_stats(profile)


def canned_app(exchange_info: bytes, order_bodies: list[bytes], order_headers: dict[str, str]):
    """A raw ASGI app: exchangeInfo and ping from fixed bytes, ``POST /api/v3/order`` answered with
    ``order_bodies`` in turn; no auth, no parsing, the request body is read and dropped."""
    json_type = (b"content-type", b"application/json")
    extra = [(k.lower().encode(), v.encode()) for k, v in order_headers.items()]

    def start(body: bytes, headers: list) -> dict:
        return {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(body)).encode()), json_type, *headers],
        }

    fixed = {("GET", "/api/v3/exchangeInfo"): exchange_info, ("GET", "/api/v3/ping"): b"{}"}
    turn = [0]

    async def app(scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        key = (scope["method"], scope["path"])
        if key == ("POST", "/api/v3/order"):
            body = order_bodies[turn[0] % len(order_bodies)]
            turn[0] += 1
            await send(start(body, extra))
        elif key in fixed:
            body = fixed[key]
            await send(start(body, []))
        else:
            body = b'{"code":-1020,"msg":"not here"}'
            await send({**start(body, []), "status": 404})
        await send({"type": "http.response.body", "body": body})

    return app


def _serve_canned(port: int, exchange_info: bytes, order_bodies: list[bytes], order_headers: dict[str, str]) -> None:
    import uvicorn

    _exit_on_sigterm()
    # the same uvicorn.run settings as simulator.launcher.serve
    uvicorn.run(
        canned_app(exchange_info, order_bodies, order_headers),
        host=HOST,
        port=port,
        log_level="warning",
        access_log=False,
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class ServerProcess:
    """A server started with ``target(port, *args)`` in a spawned process, ready once ping answers."""

    def __init__(self, target: Callable, *args) -> None:
        self.port = _free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.process = multiprocessing.get_context("spawn").Process(target=target, args=(self.port, *args), daemon=True)
        self.process.start()

    def wait_ready(self, timeout: float = 120.0) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + "/api/v3/ping", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except OSError:
                pass
            if not self.process.is_alive():
                raise RuntimeError(f"the server process exited with {self.process.exitcode}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer from {self.url}/api/v3/ping in {timeout:.0f} s")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """user + system CPU time of the server process so far (Linux; NaN elsewhere)."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            return float("nan")

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)


# ---- plain HTTP helpers ------------------------------------------------------------------------------


def _call(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, dict(resp.headers), resp.read()


def new_account(url: str) -> tuple[str, str]:
    """A fresh account with large balances through the admin API: (api key, secret)."""
    _, _, body = _call(
        url + "/sandex/v1/accounts",
        "POST",
        json.dumps({"balances": BALANCES}).encode(),
        {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
    )
    data = json.loads(body)
    return data["apiKey"], data["secret"]


def order_body(secret: bytes, ts: int, symbol: str, side: str, qty: str, price: str) -> str:
    """A signed new-order form body, Binance's HMAC-SHA256 over everything before ``&signature``."""
    payload = (
        f"timestamp={ts}&symbol={symbol}&side={side}&type=LIMIT&timeInForce=GTC&quantity={qty}"
        f"&price={price}&recvWindow=60000&selfTradePreventionMode=NONE"
    )
    return payload + "&signature=" + hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def signed_order(
    url: str, key: str, secret: str, symbol: str, side: str, qty: str, price: str
) -> tuple[int, dict[str, str], bytes]:
    body = order_body(secret.encode(), int(time.time() * 1000), symbol, side, qty, price)
    return _call(
        url + "/api/v3/order",
        "POST",
        body.encode(),
        {"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"},
    )


def canned_material(url: str) -> tuple[bytes, list[bytes], dict[str, str]]:
    """The simulator's exchangeInfo and its FULL answers to a resting and a filling ccxt-sized order
    (the demo account on ETHUSDT), and the rate-limit headers an order answer carries."""
    _, _, info = _call(url + "/api/v3/exchangeInfo")
    symbol, price, qty = CCXT_SYMBOL.replace("/", ""), str(CCXT_PRICE), str(CCXT_QTY)
    status, headers, resting = signed_order(url, DEMO_KEY, DEMO_SECRET, symbol, "BUY", qty, price)
    status2, _, filled = signed_order(url, DEMO_KEY, DEMO_SECRET, symbol, "SELL", qty, price)
    if (
        (status, status2) != (200, 200)
        or json.loads(resting)["status"] != "NEW"
        or json.loads(filled)["status"] != "FILLED"
    ):
        raise RuntimeError(f"unexpected answers for the canned orders: {resting!r} {filled!r}")
    mbx = {k: v for k, v in headers.items() if k.lower().startswith("x-mbx-")}
    return info, [resting, filled], mbx


# ---- load generator ----------------------------------------------------------------------------------


class OrderSource:
    """Pre-signed ``POST /api/v3/order`` requests of one connection's account, BUY and SELL in turn."""

    def __init__(self, host_header: str, key: str, secret: str) -> None:
        self.secret = secret.encode()
        self.head = (
            f"POST /api/v3/order HTTP/1.1\r\nHost: {host_header}\r\nX-MBX-APIKEY: {key}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
        )
        self.turn = 0

    def __call__(self) -> list[bytes]:
        """The next ``SIGN_BATCH`` requests, last one first (the caller pops from the end)."""
        ts = int(time.time() * 1000)
        out = []
        for _ in range(SIGN_BATCH):
            side = "BUY" if self.turn % 2 == 0 else "SELL"
            self.turn += 1
            body = order_body(self.secret, ts, LOAD_SYMBOL, side, LOAD_QTY, LOAD_PRICE)
            out.append(f"{self.head}Content-Length: {len(body)}\r\n\r\n{body}".encode())
        out.reverse()
        return out


def fixed_source(request: bytes) -> Callable[[], list[bytes]]:
    batch = [request] * SIGN_BATCH
    return lambda: list(batch)


@dataclass
class LoadRun:
    completed: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    measuring: bool = False
    stopping: bool = False
    latencies: list[int] = field(default_factory=list)

    def failed(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])


class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request in flight; a response is complete once its
    Content-Length bytes after the head have arrived."""

    def __init__(self, run: LoadRun, source: Callable[[], list[bytes]], done: asyncio.Future) -> None:
        self.run = run
        self.source = source
        self.done = done
        self.queue: list[bytes] = []
        self.buf = b""
        self.sent = 0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        if self.run.stopping:
            self.transport.close()
            return
        if not self.queue:
            self.queue = self.source()
        self.transport.write(self.queue.pop())
        self.sent = time.perf_counter_ns()

    def data_received(self, data: bytes) -> None:
        buf = self.buf + data if self.buf else data
        run = self.run
        while True:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                break
            i = buf.find(b"\r\ncontent-length:", 0, end)
            if i < 0:
                i = buf[:end].lower().find(b"\r\ncontent-length:")
                if i < 0:
                    run.failed(f"no content-length: {buf[:end]!r}")
                    self.transport.close()
                    return
            j = buf.find(b"\r\n", i + 2)
            total = end + 4 + int(buf[i + 17 : j])
            if len(buf) < total:
                break
            if run.measuring:
                run.latencies.append(time.perf_counter_ns() - self.sent)
            run.completed += 1
            if buf[9:12] != b"200":
                run.failed(buf[:total].decode("latin-1"))
            buf = buf[total:]
            self._send()
        self.buf = buf

    def connection_lost(self, exc) -> None:
        if not self.run.stopping:
            self.run.failed(f"connection lost: {exc!r}")
        if not self.done.done():
            self.done.set_result(None)


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def load(server: ServerProcess, sources: list[Callable[[], list[bytes]]], warmup: float, seconds: float) -> dict:
    """Drive ``server`` with one connection per source: ``warmup`` seconds, then ``seconds`` measured."""
    run = LoadRun()
    window: dict[str, float] = {}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        dones = []
        for source in sources:
            done = loop.create_future()
            dones.append(done)
            await loop.create_connection(lambda s=source, d=done: _Connection(run, s, d), HOST, server.port)

        def begin() -> None:
            run.measuring = True
            window.update(c0=run.completed, t0=time.perf_counter(), s0=server.cpu_seconds(), p0=time.process_time())

        def end() -> None:
            window.update(c1=run.completed, t1=time.perf_counter(), s1=server.cpu_seconds(), p1=time.process_time())
            run.measuring = False
            run.stopping = True

        loop.call_later(warmup, begin)
        loop.call_later(warmup + seconds, end)
        await asyncio.sleep(warmup + seconds)
        await asyncio.wait_for(asyncio.gather(*dones), 30)

    with asyncio.Runner(loop_factory=_new_loop) as runner:
        runner.run(main())
    elapsed = window["t1"] - window["t0"]
    lat = np.array(run.latencies or [0], dtype=np.int64)
    return {
        "per_s": (window["c1"] - window["c0"]) / elapsed,
        "requests": run.completed,
        "errors": run.errors,
        "error_samples": run.error_samples,
        "p50_us": float(np.percentile(lat, 50)) / 1000,
        "p99_us": float(np.percentile(lat, 99)) / 1000,
        "server_cpu_pct": 100 * (window["s1"] - window["s0"]) / elapsed,
        "client_cpu_pct": 100 * (window["p1"] - window["p0"]) / elapsed,
    }


# ---- ccxt latency --------------------------------------------------------------------------------------


def ccxt_client(url: str, key: str, secret: str):
    import ccxt

    ex = ccxt.binance({"apiKey": key, "secret": secret, "enableRateLimit": False, "options": dict(CCXT_OPTIONS)})
    for name, value in ex.urls["api"].items():  # as tests/integration/conftest.py point_at
        if isinstance(value, str):
            ex.urls["api"][name] = re.sub(r"^https://[^/]+", url, value)
    ex.load_markets()
    return ex


def quote_updates(url: str) -> dict[str, int]:
    """Per market, the orders the synthetic makers have placed or cancelled (admin health)."""
    req = urllib.request.Request(url + "/sandex/v1/health", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())["quoteUpdates"]


def ccxt_latency(sim, canned, orders: int, warmup: int) -> tuple[np.ndarray, np.ndarray]:
    """Round trips in ns of ``create_order``, interleaved call by call (the first of each pair alternates)."""
    clock = time.perf_counter_ns
    lat = np.zeros((2, orders), dtype=np.int64)
    pair = ((0, sim), (1, canned))
    for i in range(warmup + orders):
        side = "buy" if i % 2 == 0 else "sell"
        for which, ex in pair if i % 4 < 2 else pair[::-1]:
            t0 = clock()
            ex.create_order(CCXT_SYMBOL, "limit", side, CCXT_QTY, CCXT_PRICE, {"selfTradePreventionMode": "NONE"})
            dt = clock() - t0
            if i >= warmup:
                lat[which, i - warmup] = dt
    return lat[0], lat[1]


# ---- the whole run --------------------------------------------------------------------------------------


def run(
    warmup: float = 5.0,
    seconds: float = 10.0,
    connections: int = 32,
    orders: int = 500,
    ccxt_warmup: int = 100,
    baselines: bool = True,
    baseline_seconds: float = 3.0,
    profile: str | None = None,
    liquidity: bool = False,
) -> dict:
    sim = ServerProcess(_serve_simulator, profile, liquidity)
    canned = None
    try:
        sim.wait_ready()
        info, bodies, mbx_headers = canned_material(sim.url)
        canned = ServerProcess(_serve_canned, info, bodies, mbx_headers)
        host = f"{HOST}:{sim.port}"
        accounts = [new_account(sim.url) for _ in range(connections + 1)]
        canned.wait_ready()

        quotes_before, t0 = quote_updates(sim.url), time.monotonic()
        tp = load(sim, [OrderSource(host, k, s) for k, s in accounts[:connections]], warmup, seconds)
        quotes_after, elapsed = quote_updates(sim.url), time.monotonic() - t0
        figures: dict = {
            "orders_per_s": tp["per_s"],
            "target_orders_per_s": TARGET_ORDERS_PER_S,
        }
        if liquidity:  # what the synthetic markets kept doing while the load ran
            rates = {s: (quotes_after[s] - quotes_before.get(s, 0)) / elapsed for s in quotes_after}
            figures["quote_updates_per_s"] = {s: round(r, 1) for s, r in rates.items()}
            figures["quote_updates_per_s_min"] = min(rates.values()) if rates else 0.0

        key, secret = accounts[connections]
        sim_lat, floor_lat = ccxt_latency(
            ccxt_client(sim.url, key, secret), ccxt_client(canned.url, key, secret), orders, ccxt_warmup
        )
        p = {
            name: (float(np.percentile(a, 50)) / 1000, float(np.percentile(a, 99)) / 1000)
            for name, a in (("ccxt", sim_lat), ("floor", floor_lat))
        }
        figures.update(
            {
                "ccxt_p50_us": p["ccxt"][0],
                "ccxt_p99_us": p["ccxt"][1],
                "floor_p50_us": p["floor"][0],
                "floor_p99_us": p["floor"][1],
                "ratio_p50": p["ccxt"][0] / p["floor"][0],
                "target_ratio_p50": TARGET_RATIO_P50,
                "load_p50_us": tp["p50_us"],
                "load_p99_us": tp["p99_us"],
                "server_cpu_pct": tp["server_cpu_pct"],
                "client_cpu_pct": tp["client_cpu_pct"],
            }
        )
        errors, samples = tp["errors"], list(tp["error_samples"])

        if baselines:
            ping = b"GET /api/v3/ping HTTP/1.1\r\nHost: " + host.encode() + b"\r\n\r\n"
            pr = load(sim, [fixed_source(ping)] * connections, 1.0, baseline_seconds)
            chost = f"{HOST}:{canned.port}"
            fr = load(canned, [OrderSource(chost, k, s) for k, s in accounts[:connections]], 1.0, baseline_seconds)
            figures.update(
                {
                    "ping_per_s": pr["per_s"],
                    "floor_orders_per_s": fr["per_s"],
                    "orders_vs_ping": tp["per_s"] / pr["per_s"],
                    "orders_vs_floor": tp["per_s"] / fr["per_s"],
                    "floor_server_cpu_pct": fr["server_cpu_pct"],
                    "floor_client_cpu_pct": fr["client_cpu_pct"],
                }
            )
            errors += pr["errors"] + fr["errors"]
            samples += pr["error_samples"] + fr["error_samples"]

        figures.update(
            {
                "orders": tp["requests"],
                "connections": connections,
                "latency_orders": orders,
                "seconds": seconds,
                "errors": errors,
            }
        )
        if samples:
            figures["error_samples"] = samples[:5]
        return figures
    finally:
        if canned is not None:
            canned.stop()
        sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds of load before measuring")
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of measured load")
    parser.add_argument("--connections", type=int, default=32, help="concurrent keep-alive connections")
    parser.add_argument("--orders", type=int, default=500, help="measured ccxt round trips per server")
    parser.add_argument("--ccxt-warmup", type=int, default=100, help="unmeasured ccxt round trips first")
    parser.add_argument("--no-baselines", action="store_true", help="skip the ping and canned throughput runs")
    parser.add_argument("--baseline-seconds", type=float, default=3.0, help="measured seconds of each baseline")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the simulator's server process into FILE")
    parser.add_argument(
        "--liquidity",
        action="store_true",
        help="run the synthetic markets of sandex serve beside the load (target: >= 50 quote "
        "updates/s per market, orders/s within 20%% of the target)",
    )
    args = parser.parse_args()
    figures = run(
        args.warmup,
        args.seconds,
        args.connections,
        args.orders,
        args.ccxt_warmup,
        not args.no_baselines,
        args.baseline_seconds,
        args.profile,
        args.liquidity,
    )
    if args.json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
    else:
        notes = {
            "orders_per_s": f"target >= {TARGET_ORDERS_PER_S:,}",
            "ratio_p50": f"target <= {TARGET_RATIO_P50} (ccxt_p50_us / floor_p50_us)",
        }
        for key, value in figures.items():
            if key.startswith("target_"):
                continue
            text = (
                f"{value:,.2f}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)
            )
            print(f"{key:>22}: {text}" + (f"   ({notes[key]})" if key in notes else ""))
    if figures["errors"]:
        print(f"INVALID: {figures['errors']} requests were not answered with HTTP 200", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
