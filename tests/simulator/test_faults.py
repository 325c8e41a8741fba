"""Fault injection (``/sandex/v1/faults``) through the whole ASGI app in process: arming, listing,
counting down, scope, validation, what each kind answers, and what it does (or does not do) to the
exchange's state. ccxt's view of each kind is tests/integration/test_ccxt_faults.py."""

from __future__ import annotations

import asyncio
import threading
import time
from decimal import Decimal

import httpx
import pytest

from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.faults import TIMEOUT_MSG, Fault, FaultBook, parse_fault
from simulator.launcher import build, replay_state
from simulator.margin import CROSS_MARGIN, SPOT
from simulator.wire import format_units, parse_units
from tests.harness import ApiClient

T0 = 1_699_963_200_000
TOKEN = "fault-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DEMO_KEY = "DEMOKEY" + "k" * 57
DEMO_SECRET = "DEMOSECRET" + "s" * 54
ASSETS = ("BTC", "USDT", "ETH", "BNB", "SOL")
INSUFFICIENT = "Account has insufficient balance for requested action."
ORDER_PLACEMENTS = ["POST /api/v3/order", "POST /api/v3/order/cancelReplace", "POST /sapi/v1/margin/order"]
LIMIT_BUY = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "80000",
}  # rests: the static book's best ask is above 90000
MARKET_BUY = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.01"}


def units(text: str) -> int:
    return parse_units(text, 8, "test")


class Sim:
    """A simulator on a ManualClock with the static book, a TestClient and signed requests."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.clock = ManualClock(T0)
        self.sim = build(
            config
            or SimulatorConfig(
                liquidity_mode="static", admin_token=TOKEN, demo_api_key=DEMO_KEY, demo_api_secret=DEMO_SECRET
            ),
            clock=self.clock,
        )
        self.venue = self.sim.venue
        self.services = self.sim.app.services
        self.api = ApiClient.in_process(self.sim.app, self.clock.now_ms, admin_token=TOKEN)
        self.client = self.api.http

    def trader(self, balances: dict[str, str] | None = None) -> tuple[int, str, str]:
        account = self.venue.create_account({a: units(v) for a, v in (balances or {"USDT": "10000"}).items()})
        issued = self.venue.keys.issue(account, now_ms=self.clock.now_ms())
        return account, issued.api_key, issued.secret

    def signed(
        self, method: str, path: str, params: dict | None = None, key: str = DEMO_KEY, secret: str = DEMO_SECRET
    ):
        return self.api.signed(method, path, params or {}, key=key, secret=secret)

    def order(self, params: dict = LIMIT_BUY, key: str = DEMO_KEY, secret: str = DEMO_SECRET):
        return self.signed("POST", "/api/v3/order", params, key, secret)

    def admin(self, method: str, path: str = "/sandex/v1/faults", body=None, headers=AUTH):
        return self.client.request(method, path, json=body, headers=headers)

    def arm(self, **spec) -> dict:
        r = self.admin("POST", body=spec)
        assert r.status_code == 200, r.text
        return r.json()

    def armed(self) -> list[dict]:
        r = self.admin("GET")
        assert r.status_code == 200, r.text
        return r.json()["faults"]

    def fingerprint(self) -> str:
        return self.services.fingerprint()

    def supply(self) -> dict[str, int]:
        return {a: self.venue.engine.total_supply(a) for a in ASSETS}

    def balance(self, account: int, asset: str) -> tuple[int, int]:
        b = self.venue.balances(account)[0][asset]
        return b.free, b.locked


@pytest.fixture()
def sim() -> Sim:
    return Sim()


def error(r) -> tuple[int, int, str]:
    return r.status_code, r.json()["code"], r.json()["msg"]


# ---- arming, listing, counting down ----------------------------------------------------------------


def test_nothing_armed_costs_one_attribute(sim):
    book = sim.services.faults
    assert sim.armed() == [] and book.active is False
    sim.arm(kind="reject", code=-2010)
    assert book.active is True
    assert sim.admin("DELETE").json() == {"cleared": 1}
    assert book.active is False and sim.armed() == []


def test_arm_lists_masked_and_counts_down_to_disarming(sim):
    armed = sim.arm(kind="reject", code=-2010, count=2, apiKey=DEMO_KEY)
    assert armed == {
        "id": 1,
        "kind": "reject",
        "apiKey": "DEMO…",
        "count": 2,
        "remaining": 2,
        "paths": ORDER_PLACEMENTS,
        "ms": 0,
        "code": -2010,
        "msg": INSUFFICIENT,
        "status": 400,
    }
    assert DEMO_KEY not in sim.admin("GET").text
    before = sim.fingerprint()
    assert error(sim.order()) == (400, -2010, INSUFFICIENT)
    assert [f["remaining"] for f in sim.armed()] == [1]
    assert error(sim.order()) == (400, -2010, INSUFFICIENT)
    assert sim.fingerprint() == before  # refused before the handler: nothing placed
    assert sim.armed() == [] and not sim.services.faults.active
    assert sim.order().status_code == 200  # disarmed: orders go through again


def test_faults_fire_in_arming_order_one_per_request(sim):
    sim.arm(kind="reject", code=-1013)
    sim.arm(kind="reject", code=-2010)
    assert error(sim.order()) == (400, -1013, "Filter failure: LOT_SIZE")
    assert error(sim.order()) == (400, -2010, INSUFFICIENT)
    assert sim.order().status_code == 200


def test_disarm_one_and_clear(sim):
    first, second = sim.arm(kind="delay", ms=5), sim.arm(kind="ban")
    r = sim.admin("DELETE", f"/sandex/v1/faults/{first['id']}")
    assert r.status_code == 200 and r.json()["id"] == first["id"]
    assert [f["id"] for f in sim.armed()] == [second["id"]]
    for missing in (first["id"], 999, "abc", "9" * 30):
        assert error(sim.admin("DELETE", f"/sandex/v1/faults/{missing}"))[:2] == (404, -1130)
    assert sim.admin("DELETE").json() == {"cleared": 1}
    assert sim.admin("DELETE").json() == {"cleared": 0}


def test_admin_token_required(sim):
    for method, path in (
        ("GET", "/sandex/v1/faults"),
        ("POST", "/sandex/v1/faults"),
        ("DELETE", "/sandex/v1/faults"),
        ("DELETE", "/sandex/v1/faults/1"),
    ):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = sim.client.request(method, path, json={"kind": "drop"}, headers=headers)
            assert error(r) == (401, -1002, "You are not authorized to execute this request.")
    assert sim.armed() == []


def test_openapi_describes_the_fault_routes(sim):
    paths = sim.client.get("/openapi.json").json()["paths"]
    assert set(paths["/sandex/v1/faults"]) == {"get", "post", "delete"}
    assert set(paths["/sandex/v1/faults/{fault_id}"]) == {"delete"}
    assert "partial_fill" in paths["/sandex/v1/faults"]["post"]["summary"]


# ---- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({}, -1102, "kind is required"),
        ({"kind": "explode"}, -1130, "kind must be one of"),
        ({"kind": ["drop"]}, -1130, "kind must be one of"),
        ({"kind": "drop", "fraction": "0.5"}, -1130, "unknown fields ['fraction'] for a drop fault"),
        ({"kind": "drop", "count": 0}, -1130, "count must be a whole number in [1, 1000000]"),
        ({"kind": "drop", "count": True}, -1130, "count must be a whole number"),
        ({"kind": "drop", "count": "3"}, -1130, "count must be a whole number"),
        ({"kind": "drop", "ms": -1}, -1130, "ms must be a whole number in [0, 300000]"),
        ({"kind": "drop", "executed": "yes"}, -1130, "executed must be true or false"),
        ({"kind": "delay"}, -1102, "ms is required"),
        ({"kind": "delay", "ms": 0}, -1130, "ms must be a whole number in [1, 300000]"),
        ({"kind": "reject"}, -1102, "code is required"),
        ({"kind": "reject", "code": -9999}, -1130, "msg is required for code -9999"),
        ({"kind": "reject", "code": 0}, -1130, "mean success"),
        ({"kind": "reject", "code": -2010, "status": 302}, -1130, "status must be a whole number in [400, 599]"),
        ({"kind": "reject", "code": -2010, "msg": ""}, -1130, "msg must be a non-empty string"),
        ({"kind": "rate_limit", "retryAfter": 0}, -1130, "retryAfter must be a whole number"),
        ({"kind": "partial_fill", "fraction": "1"}, -1130, "fraction must be above 0 and below 1"),
        ({"kind": "partial_fill", "fraction": "0"}, -1130, "fraction must be above 0 and below 1"),
        ({"kind": "partial_fill", "fraction": 0.5}, -1130, "fraction is a decimal string"),
        ({"kind": "partial_fill", "fraction": "1e-1"}, -1130, "is not a decimal"),
        ({"kind": "partial_fill", "fraction": "0.123456789"}, -1130, "at most 8 decimals"),
        ({"kind": "drop", "paths": []}, -1130, "paths must be a non-empty list"),
        ({"kind": "drop", "paths": "*"}, -1130, "paths must be a non-empty list"),
        ({"kind": "drop", "paths": ["POST /api/v3/ordr"]}, -1130, "names no Binance endpoint"),
        ({"kind": "drop", "paths": ["PATCH /api/v3/order"]}, -1130, "names no Binance endpoint"),
        ({"kind": "drop", "paths": ["/sandex/v1/faults"]}, -1130, "names no Binance endpoint"),
        ({"kind": "drop", "apiKey": "NOSUCHKEY" * 7}, -1130, "apiKey names no live API key (got NOSU…)"),
        ({"kind": "drop", "apiKey": 12}, -1130, "apiKey names no live API key (got int)"),
    ],
)
def test_bad_faults_are_refused_with_what_is_allowed(sim, body, code, words):
    r = sim.admin("POST", body=body)
    status, got_code, msg = error(r)
    assert (status, got_code) == (400, code) and words in msg, msg
    assert "NOSUCHKEY" * 2 not in msg  # a key is never echoed whole
    assert sim.armed() == [] and not sim.services.faults.active


def test_body_must_be_a_json_object(sim):
    for raw in (b"[1]", b"not json"):
        r = sim.client.post("/sandex/v1/faults", content=raw, headers={**AUTH, "Content-Type": "application/json"})
        assert error(r)[:2] == (400, -1130)


def test_revoked_key_cannot_be_a_scope(sim):
    _, key, _ = sim.trader()
    sim.venue.keys.revoke(key)
    assert "no live API key" in error(sim.admin("POST", body={"kind": "drop", "apiKey": key}))[2]


def test_paths_accept_method_and_path_bare_path_or_everything(sim):
    f = sim.arm(kind="drop", paths=["post /api/v3/order", "/api/v3/account", "*"])
    assert f["paths"] == ["*", "/api/v3/account", "POST /api/v3/order"]


# ---- scope and paths ----------------------------------------------------------------------------------


def test_a_key_scoped_fault_meets_only_that_key(sim):
    _, other, other_secret = sim.trader()
    sim.arm(kind="reject", code=-2010, apiKey=other)
    assert sim.order().status_code == 200  # the demo key is not in scope
    assert error(sim.order(key=other, secret=other_secret))[1] == -2010


def test_a_global_fault_meets_every_caller_even_anonymous(sim):
    _, other, other_secret = sim.trader()
    sim.arm(kind="reject", code=-1000, count=3, paths=["*"])
    assert error(sim.client.get("/api/v3/ping"))[1] == -1000
    assert error(sim.order(key=other, secret=other_secret))[1] == -1000
    assert error(sim.signed("GET", "/api/v3/account"))[1] == -1000
    assert sim.client.get("/api/v3/ping").status_code == 200


def test_default_paths_are_the_order_placements_only(sim):
    sim.arm(kind="reject", code=-2010)
    assert sim.signed("GET", "/api/v3/account").status_code == 200
    assert sim.signed("POST", "/api/v3/order/test", LIMIT_BUY).status_code == 200  # a test order places nothing
    assert sim.client.get("/api/v3/ping").status_code == 200
    assert error(sim.order())[1] == -2010


def test_method_and_path_narrow_a_bare_path_does_not(sim):
    sim.arm(kind="reject", code=-2013, paths=["GET /api/v3/order"])
    assert sim.order().status_code == 200
    assert error(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": 1}))[1] == -2013
    sim.arm(kind="reject", code=-2011, paths=["/api/v3/openOrders"], count=2)
    assert error(sim.signed("GET", "/api/v3/openOrders"))[1] == -2011
    assert error(sim.signed("DELETE", "/api/v3/openOrders", {"symbol": "BTCUSDT"}))[1] == -2011


def test_a_refused_request_never_meets_a_fault(sim):
    """Faults fire after authentication and the parameter checks: a bad signature stays -1022."""
    sim.arm(kind="reject", code=-2010, apiKey=DEMO_KEY)
    assert error(sim.order(secret="x" * 64))[1] == -1022
    assert error(sim.order({**LIMIT_BUY, "bogus": "1"}))[1] == -1104
    assert [f["remaining"] for f in sim.armed()] == [1]


# ---- each kind ------------------------------------------------------------------------------------------


def test_reject_custom_message_and_status(sim):
    sim.arm(
        kind="reject", code=-1001, msg="Internal error; unable to process your request. Please try again.", status=503
    )
    r = sim.order()
    assert error(r) == (503, -1001, "Internal error; unable to process your request. Please try again.")
    assert r.headers["X-MBX-USED-WEIGHT-1M"]  # the usual headers still come


@pytest.mark.parametrize("executed", [False, True])
def test_timeout_answers_1007_and_runs_only_if_executed(sim, executed):
    armed = sim.arm(kind="timeout", executed=executed, apiKey=DEMO_KEY)
    assert (armed["code"], armed["msg"], armed["status"], armed["executed"]) == (-1007, TIMEOUT_MSG, 503, executed)
    before = sim.fingerprint()
    assert error(sim.order({**LIMIT_BUY, "newClientOrderId": "lost-1"})) == (503, -1007, TIMEOUT_MSG)
    assert (sim.fingerprint() != before) is executed
    found = sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "lost-1"})
    if executed:
        assert found.status_code == 200 and found.json()["status"] == "NEW"
    else:
        assert error(found)[1] == -2013


def test_timeout_executed_hides_the_handlers_own_refusal(sim):
    """Executed or not, the answer is the timeout: an order the exchange refused also looks lost."""
    _, key, secret = sim.trader({"USDT": "100"})
    sim.arm(kind="timeout", executed=True)
    before = sim.fingerprint()
    unaffordable = {**LIMIT_BUY, "newClientOrderId": "too-big"}  # 800 USDT: refused inside with -2010
    assert error(sim.order(unaffordable, key, secret))[1] == -1007
    assert sim.fingerprint() == before


def test_a_refused_order_without_client_id_leaves_the_state_alone(sim):
    _, key, secret = sim.trader({"USDT": "100"})
    before = sim.fingerprint()
    assert error(sim.order(LIMIT_BUY, key, secret))[1] == -2010
    assert sim.fingerprint() == before


@pytest.mark.parametrize("executed", [False, True])
def test_drop_cuts_the_connection_and_runs_only_if_executed(sim, executed):
    sim.arm(kind="drop", executed=executed)
    before = sim.fingerprint()
    with pytest.raises(ConnectionAbortedError):  # in process the cut shows as this; ccxt sees a NetworkError
        sim.order({**LIMIT_BUY, "newClientOrderId": "cut-1"})
    assert (sim.fingerprint() != before) is executed
    assert sim.armed() == []


def test_rate_limit_is_429_with_retry_after(sim):
    sim.arm(kind="rate_limit", retryAfter=7)
    r = sim.order()
    assert error(r) == (
        429,
        -1003,
        "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. "
        "Please use WebSocket Streams for live updates to avoid polling the API.",
    )
    assert r.headers["Retry-After"] == "7"


def test_ban_is_418_until_retry_after(sim):
    sim.arm(kind="ban")
    r = sim.order()
    until = T0 + 120_000
    assert error(r) == (
        418,
        -1003,
        f"Way too much request weight used; IP banned until {until}. "
        "Please use WebSocket Streams for live updates to avoid bans.",
    )
    assert r.headers["Retry-After"] == "120"
    assert sim.client.get("/api/v3/ping").status_code == 200  # a rehearsal: the IP is not really banned


def test_delay_holds_one_request_and_no_other():
    sim = Sim()
    sim.arm(kind="delay", ms=300, paths=["GET /api/v3/time"])

    async def main() -> list[str]:
        done: list[str] = []
        transport = httpx.ASGITransport(app=sim.sim.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandex") as client:

            async def get(path: str) -> None:
                r = await client.get(path)
                assert r.status_code == 200
                done.append(path)

            slow = asyncio.create_task(get("/api/v3/time"))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            await get("/api/v3/ping")
            assert time.monotonic() - started < 0.25  # not queued behind the delayed request
            await slow
        return done

    assert asyncio.run(main()) == ["/api/v3/ping", "/api/v3/time"]


def test_ms_delays_any_kind_first(sim):
    sim.arm(kind="reject", code=-2010, ms=150)
    started = time.monotonic()
    assert error(sim.order())[1] == -2010
    assert time.monotonic() - started >= 0.15


# ---- partial fills ---------------------------------------------------------------------------------------


def test_partial_fill_market_order_fills_half_and_expires(sim):
    account, key, secret = sim.trader({"USDT": "10000"})
    supply = sim.supply()
    sim.arm(kind="partial_fill", apiKey=key)
    body = sim.order(MARKET_BUY, key, secret).json()
    assert (body["status"], body["origQty"], body["executedQty"]) == ("EXPIRED", "0.01000000", "0.00500000")
    assert sum(Decimal(f["qty"]) for f in body["fills"]) == Decimal("0.005")
    spent = units(body["cummulativeQuoteQty"])
    fee = sum(units(f["commission"]) for f in body["fills"])
    assert sim.balance(account, "USDT") == (units("10000") - spent, 0)
    assert sim.balance(account, "BTC") == (units("0.005") - fee, 0)
    assert sim.supply() == supply
    sim.venue.engine.check_invariants()
    again = sim.order(MARKET_BUY, key, secret).json()  # the count was one
    assert (again["status"], again["executedQty"]) == ("FILLED", "0.01000000")


def test_partial_fill_fraction_rounds_down_to_lots(sim):
    sim.arm(kind="partial_fill", fraction="0.333")
    body = sim.order({**MARKET_BUY, "quantity": "0.01"}).json()
    assert (body["status"], body["executedQty"]) == ("EXPIRED", "0.00333000")  # BTCUSDT's lot is 0.00001


def test_partial_fill_quote_order_caps_the_quote(sim):
    account, key, secret = sim.trader({"USDT": "10000"})
    sim.arm(kind="partial_fill", fraction="0.25", apiKey=key)
    body = sim.order(
        {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "1000"}, key, secret
    ).json()
    assert body["status"] == "EXPIRED" and body["origQuoteOrderQty"] == "1000.00000000"
    spent = Decimal(body["cummulativeQuoteQty"])
    assert Decimal("240") < spent <= Decimal("250")  # a quarter of the budget, less what buys no whole lot
    assert body["origQty"] == body["executedQty"]
    assert sim.balance(account, "USDT") == (units("10000") - units(body["cummulativeQuoteQty"]), 0)
    sim.venue.engine.check_invariants()


def test_partial_fill_limit_order_takes_part_then_expires_unlocking_the_rest(sim):
    account, key, secret = sim.trader({"USDT": "10000"})
    sim.arm(kind="partial_fill", fraction="0.4", apiKey=key)
    body = sim.order({**LIMIT_BUY, "price": "95000"}, key, secret).json()  # crosses the asks
    assert (body["status"], body["timeInForce"], body["origQty"], body["executedQty"]) == (
        "EXPIRED",
        "GTC",
        "0.01000000",
        "0.00400000",
    )
    assert sim.balance(account, "USDT") == (units("10000") - units(body["cummulativeQuoteQty"]), 0)
    assert sim.signed("GET", "/api/v3/openOrders", key=key, secret=secret).json() == []
    sim.venue.engine.check_invariants()


def test_partial_fill_of_an_order_that_would_rest_fills_nothing(sim):
    account, key, secret = sim.trader({"USDT": "10000"})
    sim.arm(kind="partial_fill", apiKey=key)
    body = sim.order(LIMIT_BUY, key, secret).json()
    assert (body["status"], body["executedQty"]) == ("EXPIRED", "0.00000000")
    assert sim.balance(account, "USDT") == (units("10000"), 0)


def test_partial_fill_checks_the_whole_order_first(sim):
    """An order the account could afford only in part is refused whole, as without the fault."""
    _account, key, secret = sim.trader({"USDT": "600"})
    sim.arm(kind="partial_fill", apiKey=key)
    before = sim.fingerprint()
    whole = {**LIMIT_BUY, "price": "95000", "newClientOrderId": "whole"}  # 950 USDT; half of it would do
    assert error(sim.order(whole, key, secret)) == (400, -2010, INSUFFICIENT)
    assert sim.fingerprint() == before


def test_partial_fill_below_the_filters_is_refused_by_them(sim):
    sim.arm(kind="partial_fill", fraction="0.00000001")
    before = sim.fingerprint()
    status, code, _ = error(sim.order({**MARKET_BUY, "newClientOrderId": "tiny"}))
    assert (status, code) == (400, -1013)
    assert sim.fingerprint() == before


def test_partial_fill_leaves_limit_maker_alone(sim):
    sim.arm(kind="partial_fill")
    maker = {k: v for k, v in LIMIT_BUY.items() if k != "timeInForce"}
    placed = sim.order({**maker, "type": "LIMIT_MAKER", "newOrderRespType": "RESULT"}).json()
    assert (placed["status"], placed["origQty"]) == ("NEW", "0.01000000")
    assert sim.armed() == []  # it counted the request all the same


def test_partial_fill_on_cancel_replace(sim):
    sim.order({**LIMIT_BUY, "newClientOrderId": "old"})
    sim.arm(kind="partial_fill")
    r = sim.signed(
        "POST",
        "/api/v3/order/cancelReplace",
        {**MARKET_BUY, "cancelReplaceMode": "STOP_ON_FAILURE", "cancelOrigClientOrderId": "old"},
    )
    new = r.json()["newOrderResponse"]
    assert (new["status"], new["executedQty"]) == ("EXPIRED", "0.00500000")


def test_partial_fill_on_a_margin_order(sim):
    account, key, secret = sim.trader({"USDT": "1000"})
    desk = sim.services.margin
    desk.transfer(account, "USDT", units("1000"), SPOT, CROSS_MARGIN)
    sim.arm(kind="partial_fill", apiKey=key)
    body = sim.signed("POST", "/sapi/v1/margin/order", MARKET_BUY, key, secret).json()
    assert (body["status"], body["origQty"], body["executedQty"]) == ("EXPIRED", "0.01000000", "0.00500000")
    cross = desk.wallet_of(account, CROSS_MARGIN)
    spent = units(body["cummulativeQuoteQty"])
    assert sim.venue.engine.balance(cross, "USDT").free == units("1000") - spent
    sim.venue.engine.check_invariants()


def test_partial_fill_does_not_touch_liquidity_or_later_requests(sim):
    sim.arm(kind="partial_fill", paths=["GET /api/v3/account"])
    assert sim.signed("GET", "/api/v3/account").status_code == 200  # fired on a request that places nothing
    body = sim.order(MARKET_BUY).json()
    assert (body["status"], body["executedQty"]) == ("FILLED", "0.01000000")


def test_partial_fills_replay_from_the_journal(tmp_path):
    """The cap travels in the order's request, so replaying the journal from its start rebuilds the
    same state without any fault armed."""
    config = SimulatorConfig(
        liquidity_mode="static",
        admin_token=TOKEN,
        demo_api_key=DEMO_KEY,
        demo_api_secret=DEMO_SECRET,
        state_dir=str(tmp_path),
    )
    sim = Sim(config)
    sim.arm(kind="partial_fill", fraction="0.3", count=2)
    assert sim.order({**MARKET_BUY, "newClientOrderId": "p1"}).json()["status"] == "EXPIRED"
    by_cost = {"symbol": "BTCUSDT", "side": "BUY", "type": "MARKET", "quoteOrderQty": "100", "newClientOrderId": "p2"}
    assert sim.order(by_cost).json()["status"] == "EXPIRED"
    live = sim.fingerprint()
    sim.sim.close()
    replayed, services = replay_state(config, from_start=True)
    assert replayed.replayed > 0 and replayed.fingerprint == live
    record = services.venue.order(sim.sim.demo_account, "BTCUSDT", None, "p1")
    assert (record.status, record.orig_qty, record.executed_qty) == ("EXPIRED", units("0.01"), units("0.003"))


# ---- the book itself -----------------------------------------------------------------------------------


def test_book_counts_exactly_under_threads():
    book = FaultBook()
    book.arm(Fault("drop", 500))
    fired: list[int] = []

    def worker() -> None:
        n = 0
        for _ in range(200):
            if book.take("POST", "/api/v3/order", True, None) is not None:
                n += 1
        fired.append(n)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 500 and len(book) == 0 and not book.active


def test_reprs_and_listings_mask_keys():
    key = "K" * 64
    fault = FaultBook().arm(parse_fault({"kind": "ban", "apiKey": key}, key_exists=lambda k: True, known_paths=()))
    assert key not in repr(fault) and key not in str(fault.describe([])) and "KKKK…" in repr(fault)


def test_fraction_is_shown_as_sent():
    fault = parse_fault({"kind": "partial_fill", "fraction": "0.25"}, key_exists=lambda k: True, known_paths=())
    assert fault.describe([])["fraction"] == "0.25"
    assert format_units(fault.fraction, 8) == "0.25000000"
