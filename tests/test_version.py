"""One version: the installed package's (pyproject.toml), as the command line, the OpenAPI
description and the client's User-Agent report it."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.version import VERSION

INSTALLED = metadata.version("sandex")


def test_the_version_is_the_installed_packages() -> None:
    assert VERSION == INSTALLED


@pytest.mark.slow
def test_sandex_version_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and done.stdout.strip() == f"sandex {INSTALLED}"


def test_the_openapi_description_carries_it() -> None:
    sim = build(SimulatorConfig(liquidity=False), clock=ManualClock(1_700_000_000_000))
    try:
        assert sim.app.fastapi.openapi()["info"]["version"] == INSTALLED
    finally:
        sim.close()


def test_the_clients_requests_carry_it_as_their_user_agent() -> None:
    import ccxt

    import client
    from client.connections import sync_exchange

    exchange = sync_exchange(client.Credential.new("binance", target="http://127.0.0.1:9", apiKey="k", secret="s"))
    assert exchange.userAgent == f"sandex/{INSTALLED} ccxt/{ccxt.__version__}"
