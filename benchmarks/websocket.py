"""WebSocket figures: ``python -m benchmarks.websocket [--json] [--connections N] [--seconds S] [--orders N]``.

- ``fanout_msgs_per_s``: a server running the synthetic markets of ``sandex serve`` in its own
  process, one market moved by ``--traders`` (8) connections sending signed orders (BUY and SELL in
  turn, at one price: every other order trades), ``--connections`` (1000) WebSocket connections
  each subscribed to that market's trades, book ticker and 100 ms diff depth; the messages all of
  them received in ``--seconds``, per second (``fanout_orders_per_s``: the orders meanwhile).
  The clients count frames with a minimal frame reader (no per-message Python objects), so the
  figure is the server's, not a client library's. ``fanout_connections_dropped``: connections the
  server closed as too slow to read (none should be).
- ``fill_to_report_p50_us`` / ``_p99_us``: an order sent on REST (resting, so it is only accepted)
  until its ``executionReport`` arrives on the account's listen-key stream, ``--orders`` (300) times.
- ``ws_api_orders_per_s``: signed ``order.place`` requests on the WebSocket API, one in flight on
  each of 32 connections (the same accounts and orders as the REST load), answered per second.
- ``orders_per_s``: the yardstick, signed REST orders per second of ``benchmarks.http``'s load
  (32 keep-alive connections) against the same server, just before.

Targets (on the issue's machine): fan-out at least 100,000 messages a second, fill-to-report p99 at
most 5 ms, the WebSocket API's orders/s at least the REST orders/s.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import threading
import time
import urllib.request
from collections.abc import Callable

import numpy as np

from .figures import show
from .http import (
    HOST,
    LOAD_PRICE,
    LOAD_QTY,
    LOAD_SYMBOL,
    OrderSource,
    ServerProcess,
    _serve_simulator,
    load,
    new_account,
    order_body,
)

TARGET_FANOUT = 100_000.0
TARGET_FILL_TO_REPORT_P99_US = 5_000.0
STREAMS = "/".join(f"{LOAD_SYMBOL.lower()}@{name}" for name in ("trade", "bookTicker", "depth@100ms"))


class _FrameCounter(asyncio.Protocol):
    """Counts the server's WebSocket frames on one connection once the upgrade is answered."""

    def __init__(self, path: str, counts: list[int], index: int, ready: asyncio.Future[None]) -> None:
        self.path, self.counts, self.index, self.ready = path, counts, index, ready
        self.buffer = b""
        self.upgraded = False
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        key = base64.b64encode(os.urandom(16)).decode()
        transport.write(
            f"GET {self.path} HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(RuntimeError(buf[:200].decode(errors="replace")))
                return
            self.upgraded = True
            self.ready.set_result(None)
            buf = buf[end + 4 :]
        at, n = 0, 0
        while len(buf) - at >= 2:
            length = buf[at + 1] & 0x7F
            head = 2
            if length == 126:
                if len(buf) - at < 4:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 4], "big"), 4
            elif length == 127:
                if len(buf) - at < 10:
                    break
                length, head = int.from_bytes(buf[at + 2 : at + 10], "big"), 10
            if len(buf) - at < head + length:
                break
            if buf[at] & 0x0F == 0x8:  # a close frame
                self.closed = True
            at += head + length
            n += 1
        self.counts[self.index] += n
        self.buffer = buf[at:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True


async def _fanout(
    port: int, connections: int, warmup: float, seconds: float, connected: Callable[[], None] = lambda: None
) -> dict[str, float]:
    """Open the connections (50 at a time), then ``connected()``, then warm up and count."""
    loop = asyncio.get_running_loop()
    counts = [0] * connections
    protocols: list[_FrameCounter] = []
    transports: list[asyncio.BaseTransport] = []
    path = f"/stream/ws/{STREAMS}"

    async def open_one(i: int) -> None:
        ready: asyncio.Future[None] = loop.create_future()
        transport, protocol = await loop.create_connection(lambda: _FrameCounter(path, counts, i, ready), HOST, port)
        await ready
        protocols.append(protocol)
        transports.append(transport)

    for first in range(0, connections, 50):
        await asyncio.gather(*(open_one(i) for i in range(first, min(first + 50, connections))))
    connected()
    await asyncio.sleep(warmup)
    start, t0 = sum(counts), time.perf_counter()
    await asyncio.sleep(seconds)
    received, elapsed = sum(counts) - start, time.perf_counter() - t0
    for transport in transports:
        transport.close()
    return {
        "fanout_msgs_per_s": received / elapsed,
        "fanout_connections": connections,
        "fanout_connections_dropped": sum(p.closed for p in protocols),
    }


def fanout(connections: int, warmup: float, seconds: float, traders: int) -> dict[str, float]:
    """With ``traders`` connections sending signed orders into the load market (from a thread of
    their own, started once every subscriber is connected) beside the synthetic flow."""
    server = ServerProcess(_serve_simulator, None, True)
    try:
        server.wait_ready()
        orders: dict[str, float] = {}
        sources = [
            OrderSource(f"{HOST}:{server.port}", k, s) for k, s in (new_account(server.url) for _ in range(traders))
        ]
        trading = threading.Thread(target=lambda: orders.update(load(server, sources, warmup, seconds)), daemon=True)
        cpu: list[float] = []

        def connected() -> None:
            cpu.append(server.cpu_seconds())
            if sources:
                trading.start()

        figures = asyncio.run(_fanout(server.port, connections, warmup, seconds, connected))
        figures["fanout_server_cpu_pct"] = 100 * (server.cpu_seconds() - cpu[0]) / (seconds + warmup)
        if sources:
            trading.join()
            figures["fanout_orders_per_s"] = orders.get("per_s", 0.0)
        return figures
    finally:
        server.stop()


async def _fill_to_report(url: str, orders: int) -> np.ndarray:
    from websockets.asyncio.client import connect

    key, secret = new_account(url)
    request = urllib.request.Request(
        url + "/api/v3/userDataStream", method="POST", headers={"X-MBX-APIKEY": key}, data=b""
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        listen_key = json.loads(resp.read())["listenKey"]
    latencies = []
    loop = asyncio.get_running_loop()
    async with connect(url.replace("http://", "ws://") + f"/ws/{listen_key}") as ws:
        await asyncio.sleep(0.2)
        for i in range(orders):
            body = order_body(secret.encode(), int(time.time() * 1000), "BTCUSDT", "BUY", "0.001", "50000")
            post = urllib.request.Request(
                url + "/api/v3/order",
                method="POST",
                data=body.encode(),
                headers={"X-MBX-APIKEY": key, "Content-Type": "application/x-www-form-urlencoded"},
            )
            sent = time.perf_counter_ns()
            answer = loop.run_in_executor(None, lambda post=post: urllib.request.urlopen(post, timeout=10).read())
            while True:
                event = json.loads(await ws.recv())
                if event.get("e") == "executionReport" and event["x"] == "NEW":
                    latencies.append((time.perf_counter_ns() - sent) / 1000)
                    break
            await answer
            if i % 50 == 49:  # keep the open orders under the market's limit
                await loop.run_in_executor(None, _cancel_all, url, key, secret)
    return np.array(latencies)


def _cancel_all(url: str, key: str, secret: str) -> None:
    payload = f"symbol=BTCUSDT&timestamp={int(time.time() * 1000)}&recvWindow=60000"
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        url + f"/api/v3/openOrders?{payload}&signature={signature}", method="DELETE", headers={"X-MBX-APIKEY": key}
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        resp.read()


def fill_to_report(orders: int) -> dict[str, float]:
    server = ServerProcess(_serve_simulator, None, False)
    try:
        server.wait_ready()
        lat = asyncio.run(_fill_to_report(server.url, orders))
        return {
            "fill_to_report_p50_us": float(np.percentile(lat, 50)),
            "fill_to_report_p99_us": float(np.percentile(lat, 99)),
            "reports": len(lat),
        }
    finally:
        server.stop()


async def _ws_api_orders(url: str, accounts: list[tuple[str, str]], warmup: float, seconds: float) -> float:
    """Signed ``order.place`` requests, one in flight per connection (each its own account, BUY and
    SELL in turn at one price, so every other order trades); orders answered per second measured."""
    from websockets.asyncio.client import connect

    done = [0]
    measuring = [False]

    async def trade(key: str, secret: str) -> None:
        async with connect(url.replace("http://", "ws://") + "/ws-api/v3?returnRateLimits=false") as ws:
            turn = 0
            while True:
                params = {
                    "apiKey": key,
                    "symbol": LOAD_SYMBOL,
                    "side": "BUY" if turn % 2 == 0 else "SELL",
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": LOAD_QTY,
                    "price": LOAD_PRICE,
                    "newOrderRespType": "ACK",
                    "recvWindow": "60000",
                    "timestamp": str(int(time.time() * 1000)),
                }
                payload = "&".join(f"{k}={params[k]}" for k in sorted(params))
                params["signature"] = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
                await ws.send(json.dumps({"id": turn, "method": "order.place", "params": params}))
                answer = json.loads(await ws.recv())
                if answer.get("status") != 200:
                    raise RuntimeError(f"order.place answered {answer}")
                turn += 1
                if measuring[0]:
                    done[0] += 1

    tasks = [asyncio.create_task(trade(k, s)) for k, s in accounts]
    await asyncio.sleep(warmup)
    measuring[0] = True
    t0 = time.perf_counter()
    await asyncio.sleep(seconds)
    measuring[0] = False
    rate = done[0] / (time.perf_counter() - t0)
    for task in tasks:
        task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]
    return rate


def orders_per_s(warmup: float, seconds: float, connections: int = 32) -> dict[str, float]:
    server = ServerProcess(_serve_simulator, None, False)
    try:
        server.wait_ready()
        accounts = [new_account(server.url) for _ in range(connections)]
        result = load(server, [OrderSource(f"{HOST}:{server.port}", k, s) for k, s in accounts], warmup, seconds)
        ws_api = asyncio.run(_ws_api_orders(server.url, accounts, warmup, seconds))
        return {"orders_per_s": result["per_s"], "rest_errors": result["errors"], "ws_api_orders_per_s": ws_api}
    finally:
        server.stop()


def run(
    connections: int = 1000, warmup: float = 2.0, seconds: float = 5.0, orders: int = 300, traders: int = 8
) -> dict[str, float]:
    figures: dict[str, float] = {}
    figures.update(fanout(connections, warmup, seconds, traders))
    figures.update(fill_to_report(orders))
    figures.update(orders_per_s(warmup, seconds))
    figures.update(target_fanout_msgs_per_s=TARGET_FANOUT, target_fill_to_report_p99_us=TARGET_FILL_TO_REPORT_P99_US)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    parser.add_argument("--connections", type=int, default=1000, help="subscribed connections for the fan-out")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each measurement")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds")
    parser.add_argument("--orders", type=int, default=300, help="orders timed from REST to executionReport")
    parser.add_argument("--traders", type=int, default=8, help="connections sending orders during the fan-out")
    args = parser.parse_args()
    show(run(args.connections, args.warmup, args.seconds, args.orders, args.traders), args.json)


if __name__ == "__main__":
    main()
