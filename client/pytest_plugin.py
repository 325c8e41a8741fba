"""pytest fixtures for testing trading code against the embedded simulator (no keys, no network).

Installed with sandex (the ``pytest11`` entry point ``sandex``), so a test only names a fixture:

    def test_a_resting_buy_locks_its_cost(sandex_credential):
        order = client.create_limit_buy_order(sandex_credential, "BTC/USDT", 0.001, 45000.0)
        assert client.fetch_balance(sandex_credential)["USDT"]["used"] == 45.0

From a checkout that is not installed, load it with ``pytest -p client.pytest_plugin``.

- ``sandex_server`` (session): the embedded simulator's ``RunningServer``; ``.url`` is its base URL
  (``http://127.0.0.1:<port>``) and ``.simulator`` the simulator behind it. Started on first use and
  stopped when the test process exits (never by a fixture: instances cached by the client keep its URL).
- ``sandex_url`` (session): that base URL, for code that builds its own ccxt instance.
- ``sandex_credential`` (function): a fresh ``client.Credential`` for ``binance`` on the embedded
  target, with a unique placeholder key: an account of its own, funded with the demo balances
  (100000 USDT, 1 BTC, 10 ETH, 50 BNB, 100 SOL by default) on its first call.

Other simulator settings: call ``client.embedded.configure(SimulatorConfig(...))`` at the top of
``conftest.py``, before any fixture starts it. ``client`` is imported inside the fixtures, so pytest
sessions that use none of them pay nothing.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulator.launcher import RunningServer

    from .credentials import Credential


@pytest.fixture(scope="session")
def sandex_server() -> RunningServer:
    """The embedded simulator (``RunningServer``: ``.url``, ``.simulator``), started if need be."""
    from client import embedded

    return embedded.server()


@pytest.fixture(scope="session")
def sandex_url(sandex_server: RunningServer) -> str:
    """The embedded simulator's base URL, e.g. ``http://127.0.0.1:54321``."""
    return sandex_server.url


@pytest.fixture
def sandex_credential(sandex_server: RunningServer) -> Credential:
    """A new funded account's credential on the embedded target (its own key, so tests do not share balances)."""
    from client import Credential

    token = uuid.uuid4().hex
    return Credential.new(name="binance", apiKey=f"sandex-test-{token}", secret=f"secret-{token}", target="embedded")
