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
    """On the wire: a listener on 127.0.0.1 records the header of the request ``client.fetch_time`` sends."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import ccxt

    import client

    seen: list[str] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("User-Agent", ""))
            body = json.dumps({"serverTime": 1_700_000_000_000}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Recorder) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            url = f"http://127.0.0.1:{server.server_address[1]}"
            cred = client.Credential.new("binance", target=url, apiKey="k", secret="s")
            assert client.fetch_time(cred) == 1_700_000_000_000
        finally:
            server.shutdown()
    assert seen == [f"sandex/{INSTALLED} ccxt/{ccxt.__version__}"]
