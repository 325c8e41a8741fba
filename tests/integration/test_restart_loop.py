"""Start and stop the exchange on one state directory over and over, trading a little each time:
nothing made is lost, nothing is added.

One start of ``sandex serve`` takes several seconds here (the interpreter, numba's cache, the
markets), so the bulk of the loop is 20 starts in process (``build`` on the directory, then
``close``, which is what Ctrl-C runs: a last snapshot), each on a clock a few seconds later than
the last, followed by 3 real ``sandex serve --state-dir D`` processes stopped with Ctrl-C (SIGINT),
which must exit with status 0. All run the default synthetic markets. Between start and stop a
client opens an account through the admin API, places an order or two through the signed API
(client ids made by the exchange; one order at market), cancels one by its client id, and the
liquidity acts. At every start:

- every account opened so far is there, with the balances it had at the last stop; every order
  is there, with the status and client id last seen;
- the exchange holds exactly the users' accounts and the house accounts of the first start (a
  restart re-adopts the liquidity's accounts instead of opening and funding new ones);
- in process: the house supply (house accounts and the fee account, per asset) is what it was at
  the stop, and each asset's supply is the first start's plus what the accounts were opened with.

At the end the directory is rebuilt read-only from its newest and its oldest snapshot: the same
fingerprint, the same accounts, the supply expected.
"""

from __future__ import annotations

import os
import time
from decimal import Decimal
from pathlib import Path

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build, replay_state
from simulator.wire import parse_units
from tests import serve_process
from tests.harness import ApiClient

IN_PROCESS_STARTS = 20
REAL_STARTS = 3
ADMIN = "restart-loop-admin-token-0123456789"
DEMO_KEY, DEMO_SECRET = "restartloopdemokey" + "k" * 46, "restartloopdemosecret" + "s" * 43
FEE_ACCOUNT = 0
ASSETS = ("USDT", "BTC", "ETH", "BNB", "SOL")
OPENED_WITH = {"USDT": "20000", "BTC": "1", "ETH": "3"}
# far from the synthetic references (90000 and 3000): only their owners change them
RESTING = [
    ("BTCUSDT", "BUY", "0.0002", "80000"),
    ("ETHUSDT", "SELL", "0.01", "3300"),
    ("BTCUSDT", "SELL", "0.0003", "99000"),
]


def config(state_dir: Path) -> SimulatorConfig:
    return SimulatorConfig(
        state_dir=str(state_dir), admin_token=ADMIN, demo_api_key=DEMO_KEY, demo_api_secret=DEMO_SECRET
    )


def signed(client: ApiClient, method: str, path: str, params: dict, user: dict) -> dict:
    """A signed call by ``user`` (``{"key", "secret"}``) that must succeed."""
    return client.signed_ok(method, path, params, key=user["key"], secret=user["secret"])


class Book:
    """What the clients made and last saw, checked at every start."""

    def __init__(self) -> None:
        self.users: dict[int, dict] = {}  # account -> {"key", "secret", "balances"}
        self.orders: dict[tuple[str, int], dict] = {}  # (symbol, order id) -> {"account", "clientOrderId", "status"}
        self.houses: int | None = None  # how many accounts are not users' (after the first start)
        self.opened: dict[str, int] = {a: 0 for a in ASSETS}  # units the test's accounts were opened with

    def check(self, client: ApiClient) -> None:
        health = client.admin_ok("GET", "/sandex/v1/health")
        assert health["accounts"] == len(self.users) + self.houses, (health, len(self.users), self.houses)
        for account, user in self.users.items():
            shown = client.admin_ok("GET", f"/sandex/v1/accounts/{account}")["balances"]["spot"]
            assert shown == user["balances"], (account, shown, user["balances"])
        for (symbol, order_id), seen in self.orders.items():
            user = self.users[seen["account"]]
            now = signed(client, "GET", "/api/v3/order", {"symbol": symbol, "orderId": order_id}, user)
            assert (now["status"], now["clientOrderId"]) == (seen["status"], seen["clientOrderId"]), (seen, now)

    def trade(self, client: ApiClient, round_: int) -> None:
        """A new account, its orders (one at market, one cancelled by client id), and one more
        order from the demo account."""
        made = client.admin_ok("POST", "/sandex/v1/accounts", {"balances": OPENED_WITH})
        user = {"key": made["apiKey"], "secret": made["secret"]}
        self.users[made["accountId"]] = user
        for asset, amount in OPENED_WITH.items():
            self.opened[asset] += parse_units(amount, 8, asset)
        demo = self.users[min(self.users)]
        for who, (symbol, side, qty, price) in (
            (user, RESTING[0]),
            (user, RESTING[1]),
            (demo, RESTING[round_ % len(RESTING)]),
        ):
            placed = signed(
                client,
                "POST",
                "/api/v3/order",
                {
                    "symbol": symbol,
                    "side": side,
                    "type": "LIMIT",
                    "timeInForce": "GTC",
                    "quantity": qty,
                    "price": price,
                },
                who,
            )
            assert placed["status"] == "NEW" and len(placed["clientOrderId"]) > 10, placed
            self._saw(placed, who)
        cancelled = signed(
            client,
            "DELETE",
            "/api/v3/order",
            {"symbol": "ETHUSDT", "origClientOrderId": self._newest_open(user, "ETHUSDT")},
            user,
        )
        self._saw(cancelled, user, cancelled["origClientOrderId"])
        bought = signed(
            client,
            "POST",
            "/api/v3/order",
            {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.0001"},
            user,
        )
        assert bought["status"] == "FILLED", bought
        self._saw(bought, user)

    def _newest_open(self, user: dict, symbol: str) -> str:
        """The client id of ``user``'s newest open order on ``symbol``."""
        account = next(a for a, u in self.users.items() if u is user)
        return max(
            (oid, seen["clientOrderId"])
            for (s, oid), seen in self.orders.items()
            if s == symbol and seen["account"] == account and seen["status"] == "NEW"
        )[1]

    def _saw(self, order: dict, user: dict, client_id: str | None = None) -> None:
        account = next(a for a, u in self.users.items() if u is user)
        self.orders[(order["symbol"], order["orderId"])] = {
            "account": account,
            "clientOrderId": client_id or order["clientOrderId"],
            "status": order["status"],
        }

    def remember_balances(self, client: ApiClient) -> None:
        for account, user in self.users.items():
            user["balances"] = client.admin_ok("GET", f"/sandex/v1/accounts/{account}")["balances"]["spot"]


def _house_supply(venue, houses: list[int]) -> dict[str, int]:
    out = {}
    for asset in ASSETS:
        balances = [venue.engine.balance(a, asset) for a in (FEE_ACCOUNT, *houses)]
        out[asset] = sum(b.free + b.locked for b in balances)
    return out


def _houses(venue) -> list[int]:
    return [a for a in venue.account_ids() if venue.is_house(a)]


def test_many_restarts_keep_everything_and_add_nothing(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    cfg = config(state_dir)
    book = Book()
    t = int(time.time() * 1000) - 3_600_000  # in process the clock starts in the past: never ahead of a real start
    houses: list[int] = []
    supply: dict[str, int] = {}
    house_supply: dict[str, int] = {}
    for round_ in range(IN_PROCESS_STARTS):
        clock = ManualClock(t)
        sim = build(cfg, clock=clock)
        client = ApiClient.in_process(sim.app, clock.now_ms, admin_token=ADMIN)
        try:
            venue = sim.venue
            if round_ == 0:
                assert sim.recovery.fresh
                houses, supply = _houses(venue), {a: venue.engine.total_supply(a) for a in ASSETS}
                book.houses = len(houses)
                book.users[sim.demo_account] = {"key": DEMO_KEY, "secret": DEMO_SECRET}
                book.remember_balances(client)
            else:
                assert not sim.recovery.fresh and sim.recovery.replayed == 0  # a clean stop: all in the snapshot
                assert _houses(venue) == houses, "a restart opened a house account"
                assert _house_supply(venue, houses) == house_supply, "a restart moved house supply"
            assert {a: venue.engine.total_supply(a) - supply[a] for a in ASSETS} == book.opened
            book.check(client)
            book.trade(client, round_)
            for _ in range(5):  # the liquidity goes on: makers re-quote, takers trade, prices move
                clock.advance(1_000)
                sim.liquidity.step()
            book.remember_balances(client)
            house_supply = _house_supply(venue, houses)
        finally:
            client.close()
            sim.close()  # what Ctrl-C does: a last snapshot, the directory let go
        t = clock.now_ms() + 2_000
    env = {
        **os.environ,
        "SANDEX_ADMIN_TOKEN": ADMIN,
        "SANDEX_DEMO_API_KEY": DEMO_KEY,
        "SANDEX_DEMO_API_SECRET": DEMO_SECRET,
    }
    for round_ in range(IN_PROCESS_STARTS, IN_PROCESS_STARTS + REAL_STARTS):
        serving = serve_process.start("--state-dir", str(state_dir), env=env)
        try:
            assert "recovered change" in serving.banner, serving.banner
            with ApiClient.served(serving.url, admin_token=ADMIN) as client:
                book.check(client)
                book.trade(client, round_)
                book.remember_balances(client)
        finally:
            rest = serve_process.stop(serving)
        assert serving.proc.returncode == 0, rest
        assert "Traceback" not in rest, rest
    newest, services = replay_state(cfg)
    oldest, _ = replay_state(cfg, from_start=True)
    assert (newest.fingerprint, newest.seq) == (oldest.fingerprint, oldest.seq)
    venue = services.venue
    assert _houses(venue) == houses
    assert len(venue.account_ids()) == len(book.users) + len(houses)
    assert {a: venue.engine.total_supply(a) - supply[a] for a in ASSETS} == book.opened
    for asset in ASSETS:
        total = sum(
            venue.engine.balance(a, asset).free + venue.engine.balance(a, asset).locked for a in venue.engine.accounts()
        )
        assert total == venue.engine.total_supply(asset), asset
    for (symbol, order_id), seen in book.orders.items():
        rec = venue.order(seen["account"], symbol, order_id, None)
        assert (rec.status, rec.client_order_id) == (seen["status"], seen["clientOrderId"]), (seen, rec)
    for account, user in book.users.items():
        balances, _ = venue.balances(account)
        shown = {a: {"free": Decimal(b["free"]), "locked": Decimal(b["locked"])} for a, b in user["balances"].items()}
        assert shown == {
            a: {"free": Decimal(b.free) / 10**8, "locked": Decimal(b.locked) / 10**8}
            for a, b in balances.items()
            if a in shown
        }, account
