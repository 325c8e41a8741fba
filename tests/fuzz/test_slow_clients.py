"""Slow and malformed HTTP against a real uvicorn server (``running_server``): while hostile clients
hold connections (headers one byte per 100 ms, a body shorter than its Content-Length, bytes that
are not HTTP), other clients' requests still answer promptly (each under a second), and what the
app itself answers stays Binance-shaped.

Uvicorn answers what never becomes a request (garbage, a request line over 64 KiB) itself, with a
plain-text 400 and a closed connection; that is outside the app and not checked for its body.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from simulator.config import SimulatorConfig
from simulator.http import limits
from simulator.launcher import RunningServer, running_server
from simulator.ratelimit import RateLimitConfig

PROMPT_S = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[RunningServer]:
    with running_server(SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False))) as srv:
        yield srv


def address(server: RunningServer) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").rsplit(":", 1)
    return host, int(port)


def timed_get(server: RunningServer, path: str = "/api/v3/depth?symbol=BTCUSDT&limit=5") -> float:
    """One normal request on a fresh connection; its answer must be right, and is timed."""
    host, port = address(server)
    start = time.perf_counter()
    conn = http.client.HTTPConnection(host, port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = json.loads(response.read())
    finally:
        conn.close()
    assert response.status == 200 and "bids" in body
    return time.perf_counter() - start


def assert_prompt(server: RunningServer, n: int = 8, pause: float = 0.1) -> None:
    """Normal requests answer in under a second each, while whatever else is going on goes on."""
    for _ in range(n):
        elapsed = timed_get(server)
        assert elapsed < PROMPT_S, elapsed
        time.sleep(pause)


def read_answer(sock: socket.socket, timeout: float) -> bytes:
    """Everything the server sends until it closes (or ``timeout``)."""
    sock.settimeout(timeout)
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return out


def binance_error(raw: bytes) -> tuple[int, dict]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower(), head
    data = json.loads(body)
    assert set(data) == {"code", "msg"} and isinstance(data["code"], int) and isinstance(data["msg"], str), data
    return status, data


@contextmanager
def connections(server: RunningServer, n: int) -> Iterator[list[socket.socket]]:
    socks = [socket.create_connection(address(server), timeout=5) for _ in range(n)]
    try:
        yield socks
    finally:
        for s in socks:
            s.close()


def test_slowloris_headers_do_not_hold_up_others(server: RunningServer):
    request = b"GET /api/v3/time HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 200
    stop = threading.Event()
    with connections(server, 20) as socks:

        def drip() -> None:  # one byte per 100 ms on every connection
            for i in range(len(request)):
                if stop.wait(0.1):
                    return
                for s in socks:
                    with suppress(OSError):
                        s.send(request[i : i + 1])

        thread = threading.Thread(target=drip, daemon=True)
        thread.start()
        try:
            time.sleep(0.3)
            assert_prompt(server, n=12)
        finally:
            stop.set()
            thread.join()


def test_bodies_shorter_than_their_content_length_do_not_hold_up_others(server: RunningServer, monkeypatch):
    monkeypatch.setattr(limits, "BODY_TIMEOUT_S", 1.5)
    head = (
        b"POST /api/v3/order HTTP/1.1\r\nHost: 127.0.0.1\r\nX-MBX-APIKEY: k\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nsymbol=BTCUSDT"
    )
    with connections(server, 10) as socks:
        for s in socks:
            s.sendall(head)
        started = time.perf_counter()
        assert_prompt(server, n=6)
        # then each stalled request is given up on: 408, Binance's body, connection closed
        for s in socks:
            raw = read_answer(s, timeout=5)
            status, data = binance_error(raw)
            assert (status, data["code"]) == (408, -1007)
        assert time.perf_counter() - started < 5


def test_garbage_that_is_not_http_is_dropped_and_others_go_on(server: RunningServer):
    garbage = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(range(256)) + b"\r\n\r\n",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"\x00" * 64 + b"\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /api/v3/time HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ]
    with connections(server, len(garbage) + 1) as socks:
        socks[-1].sendall(b"\x01\x02\x03 still no newline")  # garbage that never ends, left open
        for s, data in zip(socks, garbage, strict=False):  # the last socket keeps its endless garbage
            s.sendall(data)
        assert_prompt(server, n=5)
        for s in socks[:-1]:
            raw = read_answer(s, timeout=3)
            assert raw == b"" or raw.startswith(b"HTTP/1.1 4"), raw[:200]  # refused and closed by uvicorn
        assert_prompt(server, n=2)


def test_a_huge_declared_body_is_refused_without_being_sent(server: RunningServer):
    with connections(server, 1) as (s,):
        s.sendall(b"POST /api/v3/order HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10000000000\r\n\r\n")
        status, data = binance_error(read_answer(s, timeout=3))
        assert (status, data["code"]) == (413, -1101)


def test_an_overlong_query_gets_binance_414(server: RunningServer):
    with connections(server, 1) as (s,):
        s.sendall(
            b"GET /api/v3/depth?symbol=BTCUSDT&x="
            + b"a" * 20_000
            + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        status, data = binance_error(read_answer(s, timeout=3))
        assert (status, data["code"]) == (414, -1101)
