"""Random mixes of every kind of change against a simulator with a state directory: the state
rebuilt from the directory is always the live state, exactly.

A hypothesis state machine drives one simulator (default synthetic markets on a hand-moved clock)
with user orders (placed, cancelled by id and by the server-made client id, cancelled all, amended;
through the venue and through the signed HTTP API), admin calls (accounts, deposits, market
status, keys), moves of the synthetic reference prices, liquidity steps, margin (transfers, loans,
repayments, margin orders with every side effect, their cancels), conversions, snapshots and
restarts (clean, or as a crash leaves the directory). Refusals are part of the mix: a refused
change is journaled too and must be refused again on replay. Every few steps, and at the end, the
directory is rebuilt read-only from its newest snapshot and from its oldest (with the whole
journal since): both must give the live fingerprint. Every restart, and a last one after a
"crash" at the end, must recover the live state and add no house account or supply. A mismatch
names the holder's field that differs.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from engine import OrderType, SelfTradePrevention, Side, TimeInForce
from simulator.binance_errors import ApiError
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.durability import _plain
from simulator.journal import LOCK_NAME
from simulator.launcher import build, replay_state
from simulator.margin import CROSS_MARGIN, SIDE_EFFECTS, SPOT, WalletRef
from simulator.orders import OrderRequest
from simulator.ratelimit import RateLimitConfig
from simulator.refusals import Refused
from tests.harness import ApiClient

T0 = 1_699_963_200_000
ADMIN = "stateful-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
DEMO_KEY, DEMO_SECRET = "statefuldemokey" + "k" * 49, "statefuldemosecret" + "s" * 46
SYMBOLS = ("BTCUSDT", "ETHUSDT", "ETHBTC")  # where users trade (the makers quote all five markets)
ASSETS = ("USDT", "BTC", "ETH")
COIN = 10**8
BACKGROUND_MS = 37  # time that passes with each step, the liquidity acting on it
CHECK_EVERY = 15  # steps between two rebuilds of the directory (each costs two replays)
REFUSED = (Refused, ApiError, ValueError, KeyError)


def config(state_dir: Path | str) -> SimulatorConfig:
    return SimulatorConfig(
        state_dir=str(state_dir),
        admin_token=ADMIN,
        demo_api_key=DEMO_KEY,
        demo_api_secret=DEMO_SECRET,
        fingerprint_recovery=True,
        rate_limits=RateLimitConfig(enabled=False),
    )


# ---- finding what differs ----------------------------------------------------------------------


def _first_difference(a: object, b: object, path: str = "") -> str:
    if type(a) is not type(b):
        return f"{path or '(top)'}: {type(a).__name__} {a!r:.200} != {type(b).__name__} {b!r:.200}"
    if isinstance(a, (list, tuple)):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):  # unequal lengths are reported below
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
        return f"{path}: lengths {len(a)} != {len(b)}"
    return f"{path or '(top)'}: {a!r:.300} != {b!r:.300}"


def differences(live: dict[str, object], rebuilt: dict[str, object]) -> list[str]:
    """Per holder field (``simulator.durability._plain`` walks, as the fingerprint sees them): where
    the live state and a rebuilt one part."""
    live_ids = {id(o): n for n, o in live.items()}
    rebuilt_ids = {id(o): n for n, o in rebuilt.items()}
    out = []
    for name, obj in live.items():
        other = rebuilt[name]
        for attr in obj.durable_fields:
            a, b = getattr(obj, attr), getattr(other, attr)
            if hasattr(a, "fingerprint") and callable(a.fingerprint):  # the engine
                if a.fingerprint() != b.fingerprint():
                    accounts = sorted(set(a.accounts()) | set(b.accounts()))
                    unequal = [
                        acct
                        for acct in accounts
                        if acct not in b.accounts() or acct not in a.accounts() or a.balances(acct) != b.balances(acct)
                    ]
                    out.append(f"{name}.{attr}: engine fingerprints differ (balances differ in accounts {unequal})")
                continue
            pa, pb = _plain(a, live_ids), _plain(b, rebuilt_ids)
            if pa != pb:
                out.append(f"{name}.{attr}: {_first_difference(pa, pb)}")
    return out


def supply(venue) -> dict[str, int]:
    return {asset: venue.engine.total_supply(asset) for asset in venue.assets}


def house_accounts(venue) -> list[int]:
    return [a for a in venue.account_ids() if venue.is_house(a)]


def assert_conserved(venue) -> None:
    """Every asset's balances over all accounts (the fee account included) add up to its supply."""
    for asset, total in supply(venue).items():
        held = 0
        for account in venue.engine.accounts():
            b = venue.engine.balance(account, asset)
            held += b.free + b.locked
        assert held == total, (asset, held, total)


# ---- the machine -------------------------------------------------------------------------------


class JournalReplay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="sandex-stateful-"))
        self.clock = ManualClock(T0)
        self.sim = build(config(self.dir / "state"), clock=self.clock)
        self.venue = self.sim.venue
        self.services = self.sim.app.services
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms, admin_token=ADMIN)
        self.client = self.api.http
        self.users: list[dict] = []  # {"account", "key", "secret"}
        self.orders: list[tuple[int, str, int, str]] = []  # (account, symbol, order id, client id) as told
        self.margin_orders: list[tuple[int, str, int]] = []  # (wallet account, symbol, order id)
        self.quotes: list[tuple[int, str]] = []  # (account, quote id)
        self.saved: list[str] = []  # admin snapshots
        self.steps = 0
        self.checks = 0
        for _ in range(2):
            self._open_account({"USDT": "200000", "BTC": "3", "ETH": "40"})
        desk = self.services.margin  # collateral in a cross and an isolated wallet, to borrow against
        desk.transfer(self.users[0]["account"], "USDT", 20_000 * COIN, SPOT, CROSS_MARGIN)
        desk.transfer(self.users[1]["account"], "USDT", 5_000 * COIN, SPOT, WalletRef("ISOLATED", "BTCUSDT"))
        self.houses = house_accounts(self.venue)

    # ---- helpers -------------------------------------------------------------------------------

    def _open_account(self, balances: dict[str, str]) -> None:
        r = self.client.post("/sandex/v1/accounts", headers=AUTH, json={"balances": balances})
        assert r.status_code == 200, r.text
        made = r.json()
        self.users.append({"account": made["accountId"], "key": made["apiKey"], "secret": made["secret"]})

    def _user(self, i: int) -> dict:
        return self.users[i % len(self.users)]

    def _signed(self, method: str, path: str, params: dict, user: dict):
        return self.api.signed(method, path, params, key=user["key"], secret=user["secret"])

    def _price(self, symbol: str, bps: int) -> int:
        spec = self.venue.markets[symbol].spec
        ref = self.services.sources.reference(symbol)
        tick = spec.price_filter.tick_size
        return max(tick, ref * (10_000 + bps) // 10_000 // tick * tick)

    def _qty(self, symbol: str, price: int, notionals: int) -> int:
        spec = self.venue.markets[symbol].spec
        step = spec.lot_size.step_size
        want = notionals * spec.notional.min_notional * 10**spec.base.decimals
        return max(spec.lot_size.min_qty, -(-want // price // step) * step + step)

    def _request(
        self,
        symbol: str,
        side: Side,
        kind: OrderType,
        qty: int,
        price: int = 0,
        tif: TimeInForce = TimeInForce.GTC,
        client_id: str | None = None,
    ) -> OrderRequest:
        return OrderRequest(
            symbol, side, kind, tif, qty, price, 0, 0, client_id, SelfTradePrevention.EXPIRE_MAKER, "FULL"
        )

    def _told(self, account: int, rec) -> None:
        self.orders.append((account, rec.symbol, rec.order_id, rec.client_order_id))

    # ---- spot orders through the venue ------------------------------------------------------------

    @rule(
        user=st.integers(0, 9),
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(Side),
        bps=st.sampled_from([-300, -40, -8, 0, 8, 40, 300]),
        size=st.integers(1, 30),
        tif=st.sampled_from([TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]),
        own_id=st.booleans(),
    )
    def place_limit(self, user, symbol, side, bps, size, tif, own_id) -> None:
        u = self._user(user)
        price = self._price(symbol, bps)
        cid = f"own-{self.steps}" if own_id else None
        try:
            placed = self.venue.place(
                u["account"],
                self._request(symbol, side, OrderType.LIMIT, self._qty(symbol, price, size), price, tif, cid),
            )
        except REFUSED:
            return
        self._told(u["account"], placed.order)

    @rule(user=st.integers(0, 9), symbol=st.sampled_from(SYMBOLS), side=st.sampled_from(Side), size=st.integers(1, 40))
    def place_market(self, user, symbol, side, size) -> None:
        u = self._user(user)
        try:
            placed = self.venue.place(
                u["account"],
                self._request(symbol, side, OrderType.MARKET, self._qty(symbol, self._price(symbol, 0), size)),
            )
        except REFUSED:
            return
        self._told(u["account"], placed.order)

    @rule(pick=st.integers(0, 10**6), by_client_id=st.booleans())
    def cancel(self, pick, by_client_id) -> None:
        if not self.orders:
            return
        account, symbol, oid, cid = self.orders[pick % len(self.orders)]
        with contextlib.suppress(REFUSED):
            self.venue.cancel(account, symbol, None if by_client_id else oid, cid if by_client_id else None)

    @rule(user=st.integers(0, 9), symbol=st.sampled_from(SYMBOLS))
    def cancel_all(self, user, symbol) -> None:
        with contextlib.suppress(REFUSED):
            self.venue.cancel_all(self._user(user)["account"], symbol)

    @rule(pick=st.integers(0, 10**6), share=st.integers(1, 100), rename=st.booleans())
    def amend(self, pick, share, rename) -> None:
        """An open order made smaller (all of it: refused, nothing to change)."""
        open_ = [i for i, (_, symbol, oid, _) in enumerate(self.orders) if self.venue.is_open(symbol, oid)]
        if not open_:
            return
        i = open_[pick % len(open_)]
        account, symbol, oid, _cid = self.orders[i]
        rec = self.venue.order_record(symbol, oid)
        step = self.venue.markets[symbol].spec.lot_size.step_size
        new_qty = max(step, rec.orig_qty * share // 100 // step * step)
        new_cid = f"amended-{self.steps}" if rename else None
        try:
            amended, _ = self.venue.amend(account, symbol, oid, None, new_qty, new_cid)
        except REFUSED:
            return
        self.orders[i] = (account, symbol, oid, amended.client_order_id)

    # ---- spot orders through the HTTP API (client ids made by the server) -------------------------

    @rule(
        user=st.integers(0, 9),
        symbol=st.sampled_from(SYMBOLS),
        side=st.sampled_from(["BUY", "SELL"]),
        bps=st.sampled_from([-200, -20, 0, 20, 200]),
        size=st.integers(1, 20),
    )
    def http_place(self, user, symbol, side, bps, size) -> None:
        u = self._user(user)
        spec = self.venue.markets[symbol].spec
        price = self._price(symbol, bps)
        qty = self._qty(symbol, price, size)
        q, p = spec.base.decimals, spec.quote.decimals
        r = self._signed(
            "POST",
            "/api/v3/order",
            {
                "symbol": symbol,
                "side": side,
                "type": "LIMIT",
                "timeInForce": "GTC",
                "quantity": f"{qty / 10**q:.{q}f}",
                "price": f"{price / 10**p:.{p}f}",
            },
            u,
        )
        if r.status_code != 200:
            assert r.status_code in (400, 403), r.text
            return
        body = r.json()
        self.orders.append((u["account"], symbol, body["orderId"], body["clientOrderId"]))
        assert self.venue.order_record(symbol, body["orderId"]).client_order_id == body["clientOrderId"]

    @rule(pick=st.integers(0, 10**6))
    def http_cancel_by_client_id(self, pick) -> None:
        if not self.orders:
            return
        account, symbol, oid, cid = self.orders[pick % len(self.orders)]
        user = next((u for u in self.users if u["account"] == account), None)
        if user is None:
            return
        r = self._signed("DELETE", "/api/v3/order", {"symbol": symbol, "origClientOrderId": cid}, user)
        if r.status_code == 200:
            body = r.json()
            assert (body["orderId"], body["origClientOrderId"], body["status"]) == (oid, cid, "CANCELED"), body
        else:
            assert r.status_code == 400, r.text

    @rule(user=st.integers(0, 9))
    def http_reads(self, user) -> None:
        """Reads change nothing but interest due (a margin read charges the hours begun, journaled):
        with no record, the same fingerprint."""
        u = self._user(user)
        recorder = self.venue.recorder
        journaled: list[tuple[str, str]] = []
        record = recorder.record

        def tap(at, holder, method, *rest):
            journaled.append((holder, method))
            return record(at, holder, method, *rest)

        with self.venue.lock:
            before = self.sim.durability.fingerprint()
        recorder.record = tap
        try:
            for path, params in (
                ("/api/v3/account", {}),
                ("/api/v3/openOrders", {}),
                ("/api/v3/allOrders", {"symbol": "BTCUSDT"}),
                ("/api/v3/myTrades", {"symbol": "ETHUSDT"}),
                ("/sapi/v1/margin/account", {}),
                ("/sapi/v1/margin/openOrders", {}),
            ):
                r = self._signed("GET", path, params, u)
                assert r.status_code == 200, (path, r.text)
            r = self.client.get(f"/sandex/v1/accounts/{u['account']}", headers=AUTH)
            assert r.status_code == 200, r.text
        finally:
            del recorder.record
        assert set(journaled) <= {("margin", "catch_up")}, journaled
        if not journaled:
            with self.venue.lock:
                assert self.sim.durability.fingerprint() == before, "a read changed the state and journaled nothing"

    # ---- admin ---------------------------------------------------------------------------------

    @precondition(lambda self: len(self.users) < 5)
    @rule(usdt=st.sampled_from(["0", "500", "50000"]), btc=st.sampled_from(["0", "0.5", "2"]))
    def admin_open_account(self, usdt, btc) -> None:
        self._open_account({"USDT": usdt, "BTC": btc, "ETH": "5"})

    @rule(user=st.integers(0, 9), asset=st.sampled_from(ASSETS), amount=st.sampled_from(["0.001", "1", "1000"]))
    def admin_deposit(self, user, asset, amount) -> None:
        r = self.client.post(
            f"/sandex/v1/accounts/{self._user(user)['account']}/deposit",
            headers=AUTH,
            json={"asset": asset, "amount": amount},
        )
        assert r.status_code == 200, r.text

    @rule(symbol=st.sampled_from(SYMBOLS), status=st.sampled_from(["HALT", "BREAK", "TRADING", "TRADING"]))
    def admin_market_status(self, symbol, status) -> None:
        r = self.client.put(f"/sandex/v1/markets/{symbol}/status", headers=AUTH, json={"status": status})
        assert r.status_code == 200, r.text

    @rule(user=st.integers(0, 9), revoke=st.booleans())
    def keys(self, user, revoke) -> None:
        u = self._user(user)
        issued = self.venue.issue_key(u["account"])
        if revoke:  # the new key goes again; the user keeps trading with the first
            assert self.venue.revoke_key(issued.api_key)

    @rule(
        symbol=st.sampled_from(SYMBOLS + ("BNBUSDT",)),
        percent=st.sampled_from([-4, -1, 1, 3]),
        through_http=st.booleans(),
    )
    def move_reference(self, symbol, percent, through_http) -> None:
        price = self.services.sources.reference(symbol) * (100 + percent) // 100
        if through_http:
            p = self.venue.markets[symbol].spec.quote.decimals
            r = self.client.put(
                f"/sandex/v1/markets/{symbol}/price", headers=AUTH, json={"price": f"{price / 10**p:.{p}f}"}
            )
            assert r.status_code == 200, r.text
        else:
            with self.venue.lock:
                self.services.sources.set_reference(symbol, price)

    # ---- time and liquidity ----------------------------------------------------------------------

    @rule(ms=st.sampled_from([1, 50, 250, 1_000, 4_000, 30_000, 3_600_000]))
    def tick(self, ms) -> None:
        self.clock.advance(ms)
        self.sim.liquidity.step()

    # ---- margin ----------------------------------------------------------------------------------

    def _ref(self, isolated: bool) -> WalletRef:
        return WalletRef("ISOLATED", "BTCUSDT") if isolated else CROSS_MARGIN

    @rule(
        user=st.integers(0, 9),
        asset=st.sampled_from(["USDT", "BTC"]),
        amount=st.sampled_from([1, 20, 3000]),
        isolated=st.booleans(),
        back=st.booleans(),
    )
    def margin_transfer(self, user, asset, amount, isolated, back) -> None:
        u, ref = self._user(user), self._ref(isolated)
        units = amount * COIN // (1 if asset == "USDT" else 10_000)
        try:
            if back:
                self.services.margin.transfer(u["account"], asset, units, ref, SPOT)
            else:
                self.services.margin.transfer(u["account"], asset, units, SPOT, ref)
        except REFUSED:
            pass

    @rule(
        user=st.integers(0, 9),
        asset=st.sampled_from(["USDT", "BTC"]),
        amount=st.sampled_from([1, 50, 5000]),
        isolated=st.booleans(),
        repay=st.booleans(),
    )
    def margin_loan(self, user, asset, amount, isolated, repay) -> None:
        u, ref = self._user(user), self._ref(isolated)
        units = amount * COIN // (1 if asset == "USDT" else 10_000)
        try:
            if repay:
                self.services.margin.repay(u["account"], asset, units, ref)
            else:
                self.services.margin.borrow(u["account"], asset, units, ref)
        except REFUSED:
            pass

    @rule(
        user=st.integers(0, 9),
        side=st.sampled_from(Side),
        bps=st.sampled_from([-50, 0, 50]),
        size=st.integers(1, 60),
        market=st.booleans(),
        effect=st.sampled_from(SIDE_EFFECTS),
        isolated=st.booleans(),
    )
    def margin_order(self, user, side, bps, size, market, effect, isolated) -> None:
        u, ref = self._user(user), self._ref(isolated)
        price = self._price("BTCUSDT", bps)
        qty = self._qty("BTCUSDT", price, size)
        req = (
            self._request("BTCUSDT", side, OrderType.MARKET, qty)
            if market
            else self._request("BTCUSDT", side, OrderType.LIMIT, qty, price)
        )
        try:
            placed = self.services.margin.place(u["account"], ref, req, effect)
        except REFUSED:
            return
        order = placed.placement.order
        self.margin_orders.append((order.account, order.symbol, order.order_id))

    @rule(pick=st.integers(0, 10**6))
    def margin_cancel(self, pick) -> None:
        if not self.margin_orders:
            return
        account, symbol, oid = self.margin_orders[pick % len(self.margin_orders)]
        with contextlib.suppress(REFUSED):
            self.venue.cancel(account, symbol, oid, None)
        self.services.margin.settle_auto_repay(self.venue.now())  # autoRepayAtCancel, as the API does

    # ---- convert -------------------------------------------------------------------------------

    @rule(
        user=st.integers(0, 9),
        pair=st.sampled_from([("USDT", "BTC"), ("BTC", "USDT"), ("ETH", "BTC"), ("USDT", "ETH")]),
        amount=st.sampled_from([1, 100, 10**6]),
        by_to=st.booleans(),
        accept=st.booleans(),
        wait_ms=st.sampled_from([0, 0, 20_000]),
    )
    def convert(self, user, pair, amount, by_to, accept, wait_ms) -> None:
        u = self._user(user)
        units = amount * COIN // 1000
        desk = self.services.convert
        try:
            q = desk.quote(u["account"], *pair, **({"to_amount": units} if by_to else {"from_amount": units}))
        except REFUSED:
            return
        self.quotes.append((u["account"], q.quote_id))
        if wait_ms:
            self.clock.advance(wait_ms)
        if accept:
            with contextlib.suppress(REFUSED):
                desk.accept(u["account"], q.quote_id)

    @rule(pick=st.integers(0, 10**6))
    def convert_again(self, pick) -> None:
        """An old quote accepted (again): refused as used or expired, or taken."""
        if not self.quotes:
            return
        account, quote_id = self.quotes[pick % len(self.quotes)]
        with contextlib.suppress(REFUSED):
            self.services.convert.accept(account, quote_id)

    # ---- snapshots -----------------------------------------------------------------------------

    @rule()
    def checkpoint(self) -> None:
        """A periodic snapshot: the newest and the oldest snapshot kept now differ."""
        self.sim.durability.checkpoint()

    @rule()
    def save(self) -> None:
        """An admin snapshot to go back to."""
        self.saved.append(self.sim.durability.save()[0])

    @rule(pick=st.integers(0, 10**6))
    def restore(self, pick) -> None:
        """Back to a saved state: what the directory held before is a history that is gone, and
        every way of rebuilding the directory must give the restored state from then on."""
        if not self.saved:
            return
        self.sim.durability.restore(self.saved[pick % len(self.saved)])
        self.users = [u for u in self.users if self.venue.has_account(u["account"])]  # opened later: gone

    @rule(clean=st.booleans())
    def restart(self, clean) -> None:
        """Stop (cleanly: a last snapshot; or as a crash leaves it) and start on the directory: the
        same state comes back, with no new house account or supply, and goes on from there."""
        with self.venue.lock:
            live = self.sim.durability.fingerprint()
        houses, total = house_accounts(self.venue), supply(self.venue)
        self.client.close()
        if clean:
            self.sim.close()
        else:
            self.sim.liquidity.stop()
            self.sim.durability.close_without_snapshot()
        self.sim = build(config(self.dir / "state"), clock=self.clock)
        self.venue, self.services = self.sim.venue, self.sim.app.services
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms, admin_token=ADMIN)
        self.client = self.api.http
        assert self.sim.recovery.fingerprint == live
        assert (house_accounts(self.venue), supply(self.venue)) == (houses, total)

    # ---- checks --------------------------------------------------------------------------------

    def check_directory(self) -> str:
        """Rebuild a copy of the directory (the server keeps it locked) both ways; returns the
        live fingerprint."""
        self.checks += 1
        copy = self.dir / f"copy-{self.checks}"
        with self.venue.lock:  # nothing is journaled while the files are copied
            live = self.sim.durability.fingerprint()
            shutil.copytree(self.dir / "state", copy, ignore=shutil.ignore_patterns(LOCK_NAME, "saved"))
        for from_start in (False, True):
            report, services = replay_state(config(copy), from_start=from_start)
            assert not report.damage, report.damage
            if report.fingerprint != live:
                raise AssertionError(
                    f"rebuilt {'from the oldest' if from_start else 'from the newest'} snapshot, "
                    f"the state differs from the live one after {self.steps} steps: "
                    + "; ".join(differences(self.sim.durability.holders, services.durability.holders))
                )
        shutil.rmtree(copy)
        return live

    @invariant()
    def conserved_and_now_and_then_rebuilt(self) -> None:
        """Also the background of a running server: time goes by and the liquidity acts."""
        self.steps += 1
        self.clock.advance(BACKGROUND_MS)
        self.sim.liquidity.step()
        assert_conserved(self.venue)
        assert set(house_accounts(self.venue)) >= set(self.houses)
        if self.steps % CHECK_EVERY == 0:
            self.check_directory()

    def teardown(self) -> None:
        try:
            live = self.check_directory()
            houses, total = house_accounts(self.venue), supply(self.venue)
            self.sim.liquidity.stop()
            self.sim.durability.close_without_snapshot()  # a crash: the journal is all there is
            report, _ = replay_state(config(self.dir / "state"))
            assert report.fingerprint == live
            # a start on the directory recovers that state and opens no house account, adds no supply
            again = build(config(self.dir / "state"), clock=ManualClock(self.clock.now_ms()))
            try:
                assert again.recovery.fingerprint == live
                assert house_accounts(again.venue) == houses
                assert supply(again.venue) == total
                assert_conserved(again.venue)
            finally:
                again.close()
        finally:
            self.sim.liquidity.stop()
            self.client.close()
            shutil.rmtree(self.dir, ignore_errors=True)


TestJournalReplay = pytest.mark.slow(JournalReplay.TestCase)
TestJournalReplay.settings = settings(max_examples=6, stateful_step_count=50)  # on top of the loaded profile
