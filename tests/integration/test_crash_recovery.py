"""Kill ``sandex serve`` with SIGKILL while ccxt clients trade, restart it, and check that nothing
acknowledged was lost and that the recovered state is exactly the journal's history.

Each round: four ccxt clients place limit orders away from the touch (so only their owners change
them), cancel some and buy a little at market; at a random moment the server is killed. Then:
- the state rebuilt read-only from the newest snapshot equals the one rebuilt from the oldest
  snapshot plus the whole journal (fingerprints), and the restarted server recovered that state;
- every order a client was told about exists in the state the client was last told (an order
  whose cancel was in flight is either open or cancelled), every fill it was told of is there;
- each client's balances on the restarted server are those of the replayed history.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import ccxt

from client.targets import point_at
from simulator.config import SimulatorConfig
from simulator.launcher import replay_state
from tests import serve_process
from tests.integration.conftest import binance

ROUNDS = int(os.environ.get("SANDEX_CRASH_ROUNDS", "3"))
CLIENTS = 4
ADMIN = "crash-test-admin-token"
ROOT = Path(__file__).resolve().parents[2]


def _admin(url: str, method: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        url + path,
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


class Trader(threading.Thread):
    """One client's order flow; remembers what the server acknowledged, last answer per order."""

    def __init__(self, url: str, key: str, secret: str, seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.ex = binance(url, key, secret, timeout=3000)
        self.rng = random.Random(seed)
        self.stop = stop
        self.told: dict[str, dict] = {}  # order id -> the last order structure the server answered with
        self.cancelling: set[str] = set()  # cancels sent but never answered
        self.failures: list[Exception] = []

    def run(self) -> None:
        try:
            self.ex.load_markets()
        except ccxt.BaseError as e:
            self.failures.append(e)
            return
        while not self.stop.is_set():
            try:
                self.step()
            except ccxt.NetworkError as e:  # the server is gone
                self.failures.append(e)
                return

    def step(self) -> None:
        r = self.rng.random()
        open_ids = [i for i, o in self.told.items() if o["status"] == "open" and i not in self.cancelling]
        if r < 0.55 or not open_ids:
            side = self.rng.choice(("buy", "sell"))
            price = (
                Decimal(self.rng.choice(("80000", "80500", "81000")))
                if side == "buy"
                else Decimal(self.rng.choice(("99000", "99500", "100000")))
            )
            order = self.ex.create_order("BTC/USDT", "limit", side, 0.0001 * self.rng.randint(1, 3), float(price))
            self.told[order["id"]] = order
        elif r < 0.9:
            oid = self.rng.choice(open_ids)
            self.cancelling.add(oid)
            order = self.ex.cancel_order(oid, "BTC/USDT")
            self.told[oid] = order
            self.cancelling.discard(oid)
        else:
            order = self.ex.create_order("BTC/USDT", "market", "buy", 0.0001)
            self.told[order["id"]] = order


def _start(state_dir: Path, env: dict[str, str]) -> serve_process.Serving:
    settings = state_dir.parent / "sandex.toml"
    settings.write_text("fingerprint_recovery = true\n")
    return serve_process.start("--state-dir", str(state_dir), "--static", "--config", str(settings), env=env)


def _check_told(trader: Trader) -> None:
    for oid, told in trader.told.items():
        now = trader.ex.fetch_order(oid, "BTC/USDT")
        if oid in trader.cancelling:
            assert now["status"] in ("open", "canceled"), (oid, told, now)
            continue
        assert now["status"] == told["status"], (oid, told, now)
        assert now["filled"] == told["filled"], (oid, told, now)
        assert now["amount"] == told["amount"] and now["price"] == told["price"], (oid, told, now)


def test_sigkill_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    env = {
        **os.environ,
        "SANDEX_ADMIN_TOKEN": ADMIN,
        "SANDEX_DEMO_API_KEY": "crash-demo-key",
        "SANDEX_DEMO_API_SECRET": "crash-demo-secret",
    }
    config = SimulatorConfig(state_dir=str(state_dir), liquidity_mode="static")
    rng = random.Random(20261124)
    keys: list[tuple[str, str]] = []
    traders: list[Trader] = []
    newest = services_of_replay = None  # the state replayed after the last kill
    for round_ in range(ROUNDS):
        serving = _start(state_dir, env)
        try:
            if round_:
                state = _admin(serving.url, "GET", "/sandex/v1/state")
                # the server recovered exactly the history the journal holds
                assert state["recovered"]["fingerprint"] == newest.fingerprint, (state, newest)
                assert state["recovered"]["seq"] == newest.seq
                for trader in traders:
                    point_at(trader.ex, serving.url)
                    _check_told(trader)
                    _check_balances(trader, services_of_replay)
            if not keys:
                for _ in range(CLIENTS):
                    made = _admin(
                        serving.url, "POST", "/sandex/v1/accounts", {"balances": {"USDT": "100000", "BTC": "2"}}
                    )
                    keys.append((made["apiKey"], made["secret"]))
            stop = threading.Event()
            traders = [Trader(serving.url, k, s, rng.randrange(1 << 30), stop) for k, s in keys]
            for trader in traders:
                trader.start()
            time.sleep(rng.uniform(0.8, 2.5))
        finally:
            serve_process.kill(serving)
        for trader in traders:
            trader.join(timeout=30)
        assert sum(len(t.told) for t in traders) > 10, [t.failures for t in traders]
        newest, services_of_replay = replay_state(config)
        oldest, _ = replay_state(config, from_start=True)
        assert newest.fingerprint == oldest.fingerprint and newest.seq == oldest.seq
    # the command line's verification agrees with the in-process one
    out = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "verify", str(state_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert json.loads(out)["fingerprint"] == replay_state(config)[0].fingerprint


def _check_balances(trader: Trader, services) -> None:
    """The restarted server's balances are those of the replayed journal."""
    venue = services.venue
    account = venue.keys.get(trader.ex.apiKey).account_id
    replayed, _ = venue.balances(account)
    live = trader.ex.fetch_balance()
    for asset in ("USDT", "BTC"):
        units = 10 ** venue.assets[asset].decimals
        assert Decimal(str(live[asset]["free"])) == Decimal(replayed[asset].free) / units, asset
        assert Decimal(str(live[asset]["used"])) == Decimal(replayed[asset].locked) / units, asset
