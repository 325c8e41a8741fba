"""The embedded simulator's lifecycle: started by the first call on 127.0.0.1 (an ephemeral port),
shared by every credential of the process, stopped by ``client.embedded.stop()``, and started
afresh by the next call."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest

import client
from client import connections, embedded
from simulator.launcher import RunningServer, SimulatorConfig

from .conftest import DEMO_BALANCES, fresh_credential

pytestmark = pytest.mark.usefixtures("no_remote_network")


@pytest.fixture(autouse=True)
def _leave_no_stale_instance() -> Iterator[None]:
    """These tests stop the shared simulator: drop ccxt instances aimed at a stopped one afterwards."""
    yield
    connections.forget_sync()


def running() -> RunningServer | None:
    """The embedded server if one is running (no public accessor exists that would not start one)."""
    return embedded._server


def port_of(url: str) -> int:
    match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)", url)
    assert match, url
    return int(match.group(1))


def accepts_connections(url: str) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port_of(url))) == 0


def totals(cred: client.Credential) -> dict[str, float]:
    return {code: amount for code, amount in client.fetch_balance(cred)["total"].items() if amount}


def test_the_first_call_starts_it_on_loopback_with_an_ephemeral_port() -> None:
    embedded.stop()
    assert running() is None
    cred = fresh_credential()
    assert totals(cred) == DEMO_BALANCES
    server = running()
    assert server is not None and embedded.server() is server  # one server, not one per call
    port = port_of(server.url)
    assert port != SimulatorConfig().port and port > 1024
    assert connections.sync_exchange(cred).urls["api"]["public"] == server.url + "/api/v3"
    assert accepts_connections(server.url)


def test_configuring_a_running_simulator_is_refused() -> None:
    embedded.server()
    with pytest.raises(RuntimeError, match="already running"):
        embedded.configure(SimulatorConfig())


def test_two_credentials_share_one_server_with_an_account_each() -> None:
    first, second = fresh_credential(), fresh_credential()
    client.create_limit_buy_order(first, "BTC/USDT", 0.001, 80_000)
    assert totals(second) == DEMO_BALANCES  # the other account is untouched
    server = embedded.server()
    assert {connections.sync_exchange(c).urls["api"]["private"] for c in (first, second)} == {server.url + "/api/v3"}
    keys = server.venue.keys
    assert keys.get(first.api_key).account_id != keys.get(second.api_key).account_id
    assert client.fetch_open_orders(first, "BTC/USDT")[0]["price"] == 80_000
    assert client.fetch_open_orders(second, "BTC/USDT") == []


def test_stop_stops_it_and_a_later_call_starts_a_fresh_one() -> None:
    before = embedded.server()
    old_key = fresh_credential()
    client.fetch_balance(old_key)
    embedded.stop()
    assert running() is None
    assert not accepts_connections(before.url)
    embedded.stop()  # stopping twice is harmless

    cred = fresh_credential()
    assert totals(cred) == DEMO_BALANCES
    after = running()
    assert after is not None and after is not before and after.simulator is not before.simulator
    assert accepts_connections(after.url)
    assert after.venue.keys.get(old_key.api_key) is None  # a fresh simulator, no accounts carried over


def test_a_credential_used_before_stop_works_after_it() -> None:
    cred = fresh_credential()
    client.fetch_balance(cred)
    embedded.stop()
    assert totals(cred) == DEMO_BALANCES


def test_a_public_call_by_exchange_id_works_after_stop() -> None:
    client.fetch_time("binance")
    embedded.stop()
    assert client.fetch_time("binance") > 0


def test_a_restart_on_the_same_port_is_still_a_fresh_simulator(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = embedded.running_server
    monkeypatch.setattr(embedded, "running_server", lambda config: start(config, port=port))
    embedded.stop()
    cred = fresh_credential()
    client.fetch_balance(cred)
    embedded.stop()
    assert totals(cred) == DEMO_BALANCES
    assert port_of(embedded.server().url) == port
