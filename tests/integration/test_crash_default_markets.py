"""Kill ``sandex serve`` with SIGKILL while ccxt clients trade on the default, moving synthetic
markets, restart it, and check that nothing acknowledged was lost and nothing was added.

``test_crash_recovery.py`` runs on the quiet static book; here every market has its synthetic
makers and takers trading from house accounts all the time, so the journal is mostly their
steps, and the clients let the exchange make their client order ids (no ``newClientOrderId``) and
cancel and query by those ids. Each round: three ccxt clients place limit orders away from the
touch, cancel some by the server-made ``origClientOrderId``, query some by it and trade at
market; at a seeded random moment the server is killed. Then:

- the directory rebuilt from its newest snapshot and from its oldest (plus the whole journal), in
  process and by ``sandex verify [--from-start]``, gives one fingerprint, the one the restarted
  server reports for the state it recovered;
- every order a client was told of is there with the client id it was told, in the status it was
  told or a later one, and no order is there that was neither told nor in flight;
- every asset's balances over all accounts add up to its supply, the supply and the set of house
  accounts stay as they were (a restart re-adopts the liquidity's accounts, funds none), and the
  restarted server shows each client the balances of the replayed history;
- a last restart, killed before the clients come back, moves no house supply (house accounts
  and the fee account together).

``SANDEX_CRASH_ROUNDS`` sets the number of rounds (2 by default).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import ccxt

from simulator.config import SimulatorConfig
from simulator.launcher import replay_state
from tests import serve_process
from tests.integration.conftest import point_at
from tests.integration.test_crash_recovery import ADMIN, ROOT, _admin

ROUNDS = int(os.environ.get("SANDEX_CRASH_ROUNDS", "2"))
CLIENTS = 3
SYMBOLS = {
    "BTC/USDT": ("BTCUSDT", ("80000", "80500", "81000"), ("99000", "99500", "100000"), 0.0001),
    "ETH/USDT": ("ETHUSDT", ("2700", "2710", "2720"), ("3300", "3310", "3320"), 0.002),
}
ASSETS = ("USDT", "BTC", "ETH")
LIVE_SAMPLE = 30  # orders per client looked up on the restarted server
SNAPSHOT_EVERY = 300  # changes
FEE_ACCOUNT = 0
# a status never goes back: NEW, then PARTIALLY_FILLED, then one of the final ones
RANK = {"NEW": 0, "PARTIALLY_FILLED": 1, "FILLED": 2, "CANCELED": 2, "EXPIRED": 2, "EXPIRED_IN_MATCH": 2, "REJECTED": 2}


class ExchangeMadeIds(ccxt.binance):
    """ccxt gives every new order a client id of its own (its broker prefix and a uuid), in two
    places; a client that sends none leaves the id to the exchange, which is what this one does."""

    def create_order_request(self, *args, **kwargs):
        request = super().create_order_request(*args, **kwargs)
        request.pop("newClientOrderId", None)
        return request

    def handle_client_order_id(self, params, *_):
        return params


def _exchange(url: str, key: str, secret: str) -> ccxt.binance:
    return point_at(ExchangeMadeIds({"apiKey": key, "secret": secret, "timeout": 3000}), url)


class Trader(threading.Thread):
    """One client's order flow; remembers, per order, the last answer the server gave about it."""

    def __init__(self, url: str, key: str, secret: str, seed: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.ex = _exchange(url, key, secret)
        self.rng = random.Random(seed)
        self.stop = stop
        # (symbol, order id) -> {"clientOrderId", "status", "filled"}: ids are counted per market
        self.told: dict[tuple[str, str], dict] = {}
        self.unexpected: list[Exception] = []  # refusals and errors while the server was up
        self.gone: Exception | None = None  # how the server's end showed

    def run(self) -> None:
        try:
            self.ex.load_markets()
            while not self.stop.is_set():
                self.step()
        except ccxt.NetworkError as e:  # the server was killed
            self.gone = e
        except Exception as e:
            self.unexpected.append(e)

    def _learn(self, order: dict, symbol: str, client_id: str | None = None) -> None:
        info = order["info"]
        key = (symbol, str(info["orderId"]))
        cid = client_id or info["clientOrderId"]
        known = self.told.get(key)
        if known is not None:
            assert known["clientOrderId"] == cid, (known, info)
            assert RANK[info["status"]] >= RANK[known["status"]], (known, info)
        self.told[key] = {"clientOrderId": cid, "status": info["status"], "filled": Decimal(info["executedQty"])}

    def _open(self) -> list[tuple[tuple[str, str], dict]]:
        return [(key, o) for key, o in self.told.items() if RANK[o["status"]] < 2]

    def step(self) -> None:
        r = self.rng.random()
        symbol = self.rng.choice(sorted(SYMBOLS))
        _, bids, asks, lot = SYMBOLS[symbol]
        opened = self._open()
        if r < 0.45 or not opened:
            side = self.rng.choice(("buy", "sell"))
            price = float(self.rng.choice(bids if side == "buy" else asks))
            order = self.ex.create_order(symbol, "limit", side, lot * self.rng.randint(1, 3), price)
            made = order["info"]["clientOrderId"]
            assert made and not made.startswith("x-"), order["info"]  # made by the exchange, not by ccxt
            self._learn(order, symbol)
        elif r < 0.7:  # cancel by the id the exchange made
            (symbol, oid), known = self.rng.choice(opened)
            cid = known["clientOrderId"]
            order = self.ex.cancel_order(None, symbol, params={"origClientOrderId": cid})
            assert (str(order["info"]["orderId"]), order["info"]["origClientOrderId"]) == (oid, cid), order["info"]
            assert order["info"]["clientOrderId"] != cid, order["info"]  # the cancel's own id
            self._learn(order, symbol, cid)
        elif r < 0.85:  # look one up by that id
            (symbol, oid), known = self.rng.choice(list(self.told.items()))
            order = self.ex.fetch_order(None, symbol, params={"origClientOrderId": known["clientOrderId"]})
            assert str(order["info"]["orderId"]) == oid, (known, order["info"])
            self._learn(order, symbol)
        else:
            order = self.ex.create_order(symbol, "market", self.rng.choice(("buy", "sell")), lot)
            self._learn(order, symbol)


def _start(state_dir: Path, env: dict[str, str]) -> serve_process.Serving:
    # the default markets and liquidity; the recovery digested; snapshots (taken in a forked image)
    # every few hundred changes, so that the newest and the oldest snapshot kept differ
    settings = state_dir.parent / "sandex.toml"
    settings.write_text(
        f"fingerprint_recovery = true\nsnapshot_every = {SNAPSHOT_EVERY}\n[rate_limits]\nenabled = false\n"
    )
    return serve_process.start("--state-dir", str(state_dir), "--config", str(settings), env=env)


def _verify(state_dir: Path, env: dict[str, str], *flags: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "simulator.cli", "verify", str(state_dir), *flags],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 2), done.stderr  # 2: damage found (only a torn last record is expected)
    report = json.loads(done.stdout)
    assert all("truncated" in d for d in report["damage"]), report
    return report


def _supply(venue) -> dict[str, int]:
    return {a: venue.engine.total_supply(a) for a in ASSETS}


def _held(venue, accounts) -> dict[str, int]:
    out = {}
    for asset in ASSETS:
        balances = (venue.engine.balance(a, asset) for a in accounts)
        out[asset] = sum(b.free + b.locked for b in balances)
    return out


def _houses(venue) -> list[int]:
    return [a for a in venue.account_ids() if venue.is_house(a)]


def _all_orders(venue, account: int, market: str) -> list:
    """Every order of ``account`` on ``market``, a page of 1000 at a time (as Binance answers)."""
    found, after = [], 0
    while True:
        page = venue.all_orders(account, market, after, None, None, 1000)
        found += page
        if len(page) < 1000:
            return found
        after = page[-1].order_id + 1


def _check_replayed(services, traders: list[Trader], accounts: dict[str, int]) -> None:
    """What the clients were told is in the rebuilt state, and nothing they were not told of but
    the one order each may have had in flight."""
    venue = services.venue
    for trader in traders:
        account = accounts[trader.ex.apiKey]
        ids = {
            (symbol, str(r.order_id))
            for symbol, (market, *_) in SYMBOLS.items()
            for r in _all_orders(venue, account, market)
        }
        assert set(trader.told) <= ids, set(trader.told) - ids
        assert len(ids - set(trader.told)) <= 1, ids - set(trader.told)
        for (symbol, oid), told in trader.told.items():
            rec = venue.order(account, SYMBOLS[symbol][0], int(oid), None)
            assert rec.client_order_id == told["clientOrderId"], (oid, told, rec)
            assert RANK[rec.status] >= RANK[told["status"]], (oid, told, rec)
            if RANK[told["status"]] == 2:
                assert rec.status == told["status"], (oid, told, rec)
            base = 10 ** venue.markets[SYMBOLS[symbol][0]].spec.base.decimals
            assert Decimal(rec.executed_qty) / base >= told["filled"], (oid, told, rec)


def _check_live(serving: serve_process.Serving, traders: list[Trader], services, rng: random.Random) -> None:
    """The restarted server answers each client with the replayed history (a sample of its orders,
    by id and by client id: the rebuilt state has been checked for all of them)."""
    venue = services.venue
    for trader in traders:
        ex = _exchange(serving.url, trader.ex.apiKey, trader.ex.secret)
        all_told = sorted(trader.told.items())
        for (symbol, oid), told in rng.sample(all_told, min(LIVE_SAMPLE, len(all_told))):
            by_id = ex.fetch_order(oid, symbol)["info"]
            by_cid = ex.fetch_order(None, symbol, params={"origClientOrderId": told["clientOrderId"]})["info"]
            assert by_id == by_cid, (by_id, by_cid)
            assert by_id["clientOrderId"] == told["clientOrderId"], (told, by_id)
            assert RANK[by_id["status"]] >= RANK[told["status"]], (told, by_id)
        account = venue.keys.get(ex.apiKey).account_id
        replayed, _ = venue.balances(account)
        live = ex.fetch_balance()
        for asset in ASSETS:
            units = Decimal(10) ** venue.assets[asset].decimals
            assert Decimal(live["info"]["balances"][_index(live, asset)]["free"]) == replayed[asset].free / units
            assert Decimal(live["info"]["balances"][_index(live, asset)]["locked"]) == replayed[asset].locked / units


def _index(balance: dict, asset: str) -> int:
    return next(i for i, b in enumerate(balance["info"]["balances"]) if b["asset"] == asset)


def _trade(url: str, keys: list[tuple[str, str]], traders: list[Trader], rng: random.Random) -> list[Trader]:
    """The clients, each going on with what it was told before, trade until ``_kill``."""
    stop = threading.Event()
    told_before = [t.told for t in traders] or [{} for _ in keys]
    traders = [Trader(url, k, s, rng.randrange(1 << 30), stop) for k, s in keys]
    for trader, told in zip(traders, told_before, strict=True):
        trader.told = told
        trader.start()
    time.sleep(rng.uniform(1.0, 3.0))
    return traders


def test_sigkill_on_the_default_markets_loses_nothing_and_adds_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    env = {
        **os.environ,
        "SANDEX_ADMIN_TOKEN": ADMIN,
        "SANDEX_DEMO_API_KEY": "crash-default-demo-key",
        "SANDEX_DEMO_API_SECRET": "crash-default-demo-secret",
    }
    config = SimulatorConfig(state_dir=str(state_dir))
    rng = random.Random(20261125)
    keys: list[tuple[str, str]] = []
    accounts: dict[str, int] = {}
    traders: list[Trader] = []
    newest = services = None  # the state rebuilt after the last kill
    supply = houses = None
    for round_ in range(ROUNDS + 1):  # the last start is killed before the clients come back
        serving = _start(state_dir, env)
        try:
            if round_:
                state = _admin(serving.url, "GET", "/sandex/v1/state")
                # the server recovered exactly the history the journal holds
                assert state["recovered"]["fingerprint"] == newest.fingerprint, (state, newest)
                assert state["recovered"]["seq"] == newest.seq
                _check_live(serving, traders, services, rng)
            else:
                for _ in range(CLIENTS):
                    made = _admin(
                        serving.url,
                        "POST",
                        "/sandex/v1/accounts",
                        {"balances": {"USDT": "100000", "BTC": "2", "ETH": "20"}},
                    )
                    keys.append((made["apiKey"], made["secret"]))
                    accounts[made["apiKey"]] = made["accountId"]
            if round_ < ROUNDS:
                traders = _trade(serving.url, keys, traders, rng)
        finally:
            serve_process.kill(serving)
        for trader in traders:
            trader.join(timeout=30)
        assert not any(t.unexpected for t in traders), [t.unexpected for t in traders]
        assert all(len(t.told) > 5 * min(round_ + 1, ROUNDS) for t in traders), [(len(t.told), t.gone) for t in traders]
        before = services
        newest, services = replay_state(config)
        oldest, _ = replay_state(config, from_start=True)
        assert (newest.fingerprint, newest.seq) == (oldest.fingerprint, oldest.seq)
        assert oldest.snapshot_seq < newest.snapshot_seq or newest.seq < 2 * SNAPSHOT_EVERY, (oldest, newest)
        assert newest.replayed > 0, newest  # the kill left journal to replay
        venue = services.venue
        assert _held(venue, venue.engine.accounts()) == _supply(venue), "the balances do not add up to the supply"
        if supply is None:
            supply, houses = _supply(venue), _houses(venue)
        assert _supply(venue) == supply, "a restart changed an asset's supply"
        assert _houses(venue) == houses, "a restart opened (or lost) a house account"
        _check_replayed(services, traders, accounts)
        if round_ == ROUNDS:  # nothing but the liquidity ran since the restart: house supply unmoved
            house_accounts = [FEE_ACCOUNT, *houses]
            assert _held(venue, house_accounts) == _held(before.venue, house_accounts)
    # the command line agrees, both ways, with the state rebuilt in process
    for flags in ((), ("--from-start",)):
        assert _verify(state_dir, env, *flags)["fingerprint"] == newest.fingerprint
