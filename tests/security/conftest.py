"""An in-process exchange for the security suite: accounts made through the admin API, requests
signed byte for byte with HMAC, Ed25519 or RSA keys, and digests of the state a refused request
must leave alone.

Each ``Exchange`` is a whole simulator (static book, no rate limits) on a ManualClock, driven
through its ASGI app, so times are exact and nothing moves unless a test moves it.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.margin import CROSS_MARGIN, WalletRef
from simulator.ratelimit import RateLimitConfig
from tests.harness import ApiClient, Pairs, Prepared, sign

T0 = 1_699_963_200_000  # on an hour boundary: no interest falls due unless a test moves the clock an hour
ADMIN_TOKEN = "sec-admin-token-Zq81xYtT0kLmN4pR"
DEMO_KEY = "SECDEMOKEY" + "k" * 54
DEMO_SECRET = "SECDEMOSECRET" + "s" * 51
CLIENT_IP = "127.0.0.1"

NOT_FOUND_QUERY = (400, -2013, "Order does not exist.")
NOT_FOUND_CANCEL = (400, -2011, "Unknown order sent.")
REJECTED_KEY = (401, -2015, "Invalid API-key, IP, or permissions for action.")
BAD_SIGNATURE = (400, -1022, "Signature for this request is not valid.")
TIMESTAMP_OUTSIDE = (400, -1021, "Timestamp for this request is outside of the recvWindow.")
TIMESTAMP_AHEAD = (400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
BAD_RECV_WINDOW = (400, -1131, "recvWindow must be less than 60000")
BAD_ADMIN_TOKEN = (401, -1002, "You are not authorized to execute this request.")


@dataclass(frozen=True)
class User:
    """One API key of one account, as the admin API issued it."""

    account: int
    api_key: str
    secret: str  # HMAC secret or PKCS#8 private key PEM
    key_type: str = "HMAC"

    def sign(self, payload: bytes) -> str:
        return sign(self.key_type, self.secret, payload)


def error(response: httpx.Response) -> tuple[int, int, str]:
    """(HTTP status, code, msg) of a Binance-style error body (and nothing else in it)."""
    body = response.json()
    assert set(body) == {"code", "msg"}, body
    return response.status_code, body["code"], body["msg"]


def answer(response: httpx.Response) -> tuple[int, object]:
    """Everything a client learns from a response's status and body."""
    return response.status_code, response.json()


class Exchange:
    """One simulator on a ManualClock, its admin API and signed Binance calls."""

    def __init__(self, *, client_ip: str = CLIENT_IP) -> None:
        self.clock = ManualClock(T0)
        config = SimulatorConfig(
            liquidity=True,
            liquidity_mode="static",
            rate_limits=RateLimitConfig(enabled=False),
            admin_token=ADMIN_TOKEN,
            demo_api_key=DEMO_KEY,
            demo_api_secret=DEMO_SECRET,
        )
        self.sim = build(config, clock=self.clock)
        self.app = self.sim.app
        self.services = self.app.services
        self.venue = self.sim.venue
        self.api = ApiClient.in_process(self.app, self.clock.now_ms, admin_token=ADMIN_TOKEN, client_ip=client_ip)
        self.client = self.api.http

    def __enter__(self) -> Exchange:
        self.api.__enter__()  # one event loop for every request, not one per request
        return self

    def __exit__(self, *exc) -> None:
        self.api.__exit__(*exc)

    def client_from(self, ip: str) -> ApiClient:
        """A client whose requests arrive from ``ip``."""
        return ApiClient.in_process(self.app, self.clock.now_ms, admin_token=ADMIN_TOKEN, client_ip=ip)

    # ---- the admin API ------------------------------------------------------------------------

    def admin(self, method: str, path: str, body: object = None, *, authorization: str | None = None) -> httpx.Response:
        return self.api.admin(method, path, body, authorization=authorization)

    def admin_ok(self, method: str, path: str, body: object = None) -> dict:
        return self.api.admin_ok(method, path, body)

    def new_user(self, balances: dict[str, str] | None = None, **options) -> User:
        """A fresh account through ``POST /sandex/v1/accounts`` (options: permissions, keyType, ipAllow)."""
        body = self.admin_ok("POST", "/sandex/v1/accounts", {"balances": balances or {}, **options})
        return User(body["accountId"], body["apiKey"], body["secret"], body["keyType"])

    def new_key(self, user: User, **options) -> User:
        """Another key of the same account (``POST /sandex/v1/accounts/{id}/keys``)."""
        body = self.admin_ok("POST", f"/sandex/v1/accounts/{user.account}/keys", options)
        assert body["accountId"] == user.account
        return User(user.account, body["apiKey"], body["secret"], body["keyType"])

    def revoke(self, user: User) -> None:
        self.admin_ok("DELETE", f"/sandex/v1/keys/{user.api_key}")

    # ---- signed Binance calls -------------------------------------------------------------------

    def prepare(
        self,
        user: User,
        method: str,
        path: str,
        params: Pairs = (),
        *,
        timestamp: int | None = None,
        recv_window: object = None,
    ) -> Prepared:
        """Sign as Binance clients do: urlencoded parameters, ``signature`` last; POST/PUT in the body."""
        return self.api.prepare(
            method,
            path,
            params,
            key=user.api_key,
            secret=user.secret,
            key_type=user.key_type,
            timestamp=timestamp,
            recv_window=recv_window,
        )

    def send(
        self, p: Prepared, *, client: ApiClient | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return (client or self.api).send(p, headers=headers)

    def call(self, user: User, method: str, path: str, params: Pairs = (), **kwargs) -> httpx.Response:
        return self.send(self.prepare(user, method, path, params, **kwargs))

    def ok(self, user: User, method: str, path: str, params: Pairs = (), **kwargs):
        r = self.call(user, method, path, params, **kwargs)
        assert r.status_code == 200, (path, r.text)
        return r.json()

    # ---- state --------------------------------------------------------------------------------

    def wallets(self, user: User) -> list[tuple[str, int]]:
        """(name, venue account) of each wallet the user has: spot, cross, each isolated pair."""
        desk = self.services.margin
        out = [("SPOT", user.account)]
        cross = desk.wallet_of(user.account, CROSS_MARGIN)
        if cross is not None:
            out.append(("CROSS", cross))
        for symbol in desk.wallets.isolated_symbols(user.account):
            out.append((symbol, desk.wallet_of(user.account, WalletRef("ISOLATED", symbol))))
        return out

    def account_state(self, user: User) -> tuple:
        """Everything of one user's: every wallet's balances, loans, orders (open or not) and fills,
        margin and convert records, keys."""
        venue, engine, desk = self.venue, self.venue.engine, self.services.margin
        wallets = []
        for name, account in self.wallets(user):
            balances, updated = venue.balances(account)
            orders = [
                (
                    r.symbol,
                    r.order_id,
                    r.client_order_id,
                    r.status,
                    r.orig_qty,
                    r.executed_qty,
                    r.cummulative_quote_qty,
                    r.update_time,
                )
                for s in venue.markets
                for r in venue.all_orders(account, s, 0, None, None, 10**6)
            ]
            fills = [
                (f.symbol, f.trade_id, f.order_id, f.qty, f.commission)
                for s in venue.markets
                for f in venue.my_trades(account, s, None, None, None, 0, 10**6)
            ]
            wallets.append(
                (
                    name,
                    account,
                    updated,
                    {a: (b.free, b.locked) for a, b in balances.items()},
                    sorted((loan.asset, loan.principal, loan.interest) for loan in engine.loans(account)),
                    orders,
                    fills,
                )
            )
        records = [(r.tran_id, r.kind, r.amount) for r in desk.loans if r.owner == user.account]
        records += [(r.tran_id, "TRANSFER", r.amount) for r in desk.transfers if r.owner == user.account]
        records += [(r.tx_id, "INTEREST", r.amount) for r in desk.interest if r.owner == user.account]
        converts, _ = self.services.convert.history(user.account, 0, 2**62, 10**6)
        keys = [(k.api_key, k.revoked, sorted(k.permissions)) for k in venue.keys.keys_of(user.account)]
        return (wallets, records, [(o.order_id, o.quote.quote_id, o.status) for o in converts], keys)

    def state(self, full: bool = True) -> tuple:
        """The whole exchange: ``services.fingerprint()`` (every piece of state, ~10 ms) or, not
        ``full``, the engine's own digest (~0.1 ms), plus the records kept beside it."""
        desk = self.services.margin
        digest = self.services.fingerprint() if full else self.venue.engine.fingerprint()
        return (
            digest,
            tuple(self.venue.account_ids()),
            len(self.venue.keys),
            len(desk.loans),
            len(desk.transfers),
            len(desk.interest),
            len(desk.liquidations),
            {s: m.update_id for s, m in self.venue.markets.items()},
        )
