"""Shared set-up of the client tests: a deterministic embedded simulator, a ``sandex serve``
subprocess for the URL target, and a guard that fails any attempt to reach a real exchange.

The embedded simulator is one per process and shared by every test file, so it is configured once
here (a static book, rate limits off) after stopping any default one a previous import started.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import client
from client import connections, embedded
from simulator.launcher import SimulatorConfig
from simulator.ratelimit import RateLimitConfig
from tests import serve_process

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")
ADMIN_TOKEN = "client-tests-admin-token"
DEMO_BALANCES = {"USDT": 100000.0, "BTC": 1.0, "ETH": 10.0, "BNB": 50.0, "SOL": 100.0}

REMOTE_ATTEMPTS: list[str] = []


# ---- no real exchange ---------------------------------------------------------------------------


def _check_host(host: object) -> None:
    """Refuse (and remember) a connection or name lookup for anything but this machine."""
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(host, str) and host not in LOOPBACK:
        REMOTE_ATTEMPTS.append(host)
        raise ConnectionRefusedError(f"client tests make no network calls, yet {host!r} was asked for")


@pytest.fixture(scope="module")
def no_remote_network() -> Iterator[None]:
    """Patch name lookups and socket connects (sync and asyncio both go through them) for a module,
    with no proxy variables, so a call can neither leave directly nor through a local proxy. Modules
    opt in (``pytestmark = pytest.mark.usefixtures("no_remote_network")``): other files here run
    subprocesses that may need the network and the proxy settings."""
    real_getaddrinfo = socket.getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def getaddrinfo(host: object, *args: Any, **kwargs: Any) -> list:
        _check_host(host)
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(self: socket.socket, address: Any) -> None:
        if isinstance(address, tuple):
            _check_host(address[0])
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if isinstance(address, tuple):
            _check_host(address[0])
        return real_connect_ex(self, address)

    with pytest.MonkeyPatch.context() as mp:
        for var in PROXY_VARIABLES:
            mp.delenv(var, raising=False)
        mp.setattr(socket, "getaddrinfo", getaddrinfo)
        mp.setattr(socket.socket, "connect", connect)
        mp.setattr(socket.socket, "connect_ex", connect_ex)
        yield


@pytest.fixture(autouse=True)
def _no_remote_attempt_in_this_test() -> Iterator[None]:
    """Fail a test that tried to reach a remote host even if the refusal was swallowed on the way."""
    REMOTE_ATTEMPTS.clear()
    yield
    assert not REMOTE_ATTEMPTS, f"tried to reach {REMOTE_ATTEMPTS}"


@pytest.fixture(autouse=True)
def _no_target_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own ``SANDEX_TARGET`` must not redirect the tests; tests that need it set it."""
    monkeypatch.delenv("SANDEX_TARGET", raising=False)


# ---- the embedded simulator ---------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _embedded_simulator() -> Iterator[None]:
    """A static book and no rate limits for the embedded simulator, started by the first call."""
    embedded.stop()
    connections.forget_sync()
    embedded.configure(SimulatorConfig(liquidity_mode="static", rate_limits=RateLimitConfig(enabled=False)))
    yield
    embedded.stop()
    connections.forget_sync()
    embedded.configure(None)


def fresh_credential(target: str | None = None) -> client.Credential:
    """A credential with a never-seen key: on the embedded target, an account with the demo balances."""
    tag = uuid.uuid4().hex
    return client.Credential.new(
        name="binance", apiKey=f"client-test-key-{tag}", secret=f"client-test-secret-{tag}", target=target
    )


# ---- sandex serve -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A running ``sandex serve`` and the demo account it printed."""

    url: str
    api_key: str
    secret: str

    def credential(self, secret: str | None = None) -> client.Credential:
        """The demo account's credential aimed at this server (``secret`` to get a wrong one)."""
        return client.Credential.new(name="binance", apiKey=self.api_key, secret=secret or self.secret, target=self.url)


@pytest.fixture(scope="session")
def served() -> Iterator[Served]:
    """``sandex serve --static`` on a free port in a subprocess, stopped with Ctrl-C at the end."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANDEX_")}
    env.update(PYTHONPATH=str(ROOT), SANDEX_ADMIN_TOKEN=ADMIN_TOKEN)
    serving = serve_process.start("--static", env=env)
    try:
        yield Served(serving.url, serving.key, serving.secret)
    finally:
        serve_process.stop(serving)
