"""Account isolation: nothing one account does can be seen, found or touched by another.

Alice trades spot, cross and isolated margin, borrows, repays, transfers and converts; Bob, who
has done a little of each himself, then sends every id Alice's objects carry (order ids, client
order ids, quote ids, convert order ids, loan tran ids, her isolated pair) to every endpoint that
takes one. Bob must get Binance's "not found" answer, byte for byte the answer for an id that
never existed (so no endpoint is an oracle for someone else's activity), and nothing may change.
Bob's lists (orders, trades, balances, margin accounts, loan/interest/transfer histories, convert
trade flow) read the same before and after everything Alice did.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import NOT_FOUND_CANCEL, NOT_FOUND_QUERY, T0, Exchange, Pairs, User, answer, error

BTC, ETH = "BTCUSDT", "ETHUSDT"
NEVER_ORDER_ID = 987_654_321_012
NEVER_CLIENT_ID = "never-issued-client-id-0"
NEVER_QUOTE_ID = "0123456789abcdef0123456789abcdef"
NEVER_CONVERT_ID = 987_654_321
NEVER_TRAN_ID = 987_654_321_098
ISOLATED = [("isIsolated", "TRUE")]
DAY = 86_400_000
# fields computed from market prices (which Alice's trades may move), not from the account's records
PRICE_FIELDS = frozenset(
    {
        "indexPrice",
        "liquidatePrice",
        "marginLevel",
        "marginLevelStatus",
        "totalAssetOfBtc",
        "totalLiabilityOfBtc",
        "totalNetAssetOfBtc",
        "TotalCollateralValueInUSDT",
        "netAssetOfBtc",
    }
)


def limit(side: str, qty: str, price: str, cid: str | None = None, symbol: str = BTC) -> list[tuple[str, str]]:
    pairs = [
        ("symbol", symbol),
        ("side", side),
        ("type", "LIMIT"),
        ("timeInForce", "GTC"),
        ("quantity", qty),
        ("price", price),
    ]
    return pairs + ([("newClientOrderId", cid)] if cid else [])


def market(side: str, qty: str, cid: str, symbol: str = BTC) -> list[tuple[str, str]]:
    return [("symbol", symbol), ("side", side), ("type", "MARKET"), ("quantity", qty), ("newClientOrderId", cid)]


def without_prices(value: object) -> object:
    if isinstance(value, dict):
        return {k: without_prices(v) for k, v in value.items() if k not in PRICE_FIELDS}
    if isinstance(value, list):
        return [without_prices(v) for v in value]
    return value


@dataclass
class World:
    """Alice's objects and ids, Bob's own ones, and Bob's lists read before Alice did anything."""

    ex: Exchange
    alice: User
    bob: User
    order_ids: dict[str, tuple[str, int]] = field(default_factory=dict)  # client id -> (symbol, order id)
    margin_ids: dict[str, tuple[str, int]] = field(default_factory=dict)  # margin wallet orders, the same
    bob_order_ids: set[tuple[str, int]] = field(default_factory=set)  # (symbol, id): ids count per market
    bob_trade_ids: list[int] = field(default_factory=list)
    quote_ids: list[str] = field(default_factory=list)  # [accepted, still open]
    convert_ids: list[int] = field(default_factory=list)
    tran_ids: dict[str, int] = field(default_factory=dict)
    bob_lists_before: dict = field(default_factory=dict)
    never: dict = field(default_factory=dict)  # (symbol, call) -> Bob's answer for an id never issued
    digest: str = ""  # services.fingerprint() after the setup (and after the tests that change things)

    @property
    def alice_order_ids(self) -> list[tuple[str, int]]:
        return sorted({*self.order_ids.values(), *self.margin_ids.values()})

    @property
    def alice_client_ids(self) -> list[tuple[str, str]]:
        return sorted((s, cid) for cid, (s, _) in {**self.order_ids, **self.margin_ids}.items())


# Bob's list calls: (name, method, path, params). Each must read the same before and after Alice's activity.
BOB_LISTS: list[tuple[str, str, str, list]] = [
    ("open orders", "GET", "/api/v3/openOrders", []),
    ("open orders BTC", "GET", "/api/v3/openOrders", [("symbol", BTC)]),
    ("all orders BTC", "GET", "/api/v3/allOrders", [("symbol", BTC)]),
    ("all orders ETH", "GET", "/api/v3/allOrders", [("symbol", ETH)]),
    ("trades BTC", "GET", "/api/v3/myTrades", [("symbol", BTC)]),
    ("account", "GET", "/api/v3/account", []),
    ("coins", "GET", "/sapi/v1/capital/config/getall", []),
    ("margin account", "GET", "/sapi/v1/margin/account", []),
    ("isolated accounts", "GET", "/sapi/v1/margin/isolated/account", []),
    ("isolated BTC", "GET", "/sapi/v1/margin/isolated/account", [("symbols", BTC)]),
    ("margin open", "GET", "/sapi/v1/margin/openOrders", []),
    ("isolated open", "GET", "/sapi/v1/margin/openOrders", [("symbol", BTC), *ISOLATED]),
    ("margin all", "GET", "/sapi/v1/margin/allOrders", [("symbol", BTC)]),
    ("isolated all", "GET", "/sapi/v1/margin/allOrders", [("symbol", BTC), *ISOLATED]),
    ("margin trades", "GET", "/sapi/v1/margin/myTrades", [("symbol", BTC)]),
    ("isolated trades", "GET", "/sapi/v1/margin/myTrades", [("symbol", BTC), *ISOLATED]),
    ("borrows", "GET", "/sapi/v1/margin/borrow-repay", [("type", "BORROW")]),
    ("repays", "GET", "/sapi/v1/margin/borrow-repay", [("type", "REPAY")]),
    ("isolated borrows", "GET", "/sapi/v1/margin/borrow-repay", [("type", "BORROW"), ("isolatedSymbol", BTC)]),
    ("isolated repays", "GET", "/sapi/v1/margin/borrow-repay", [("type", "REPAY"), ("isolatedSymbol", BTC)]),
    ("interest", "GET", "/sapi/v1/margin/interestHistory", []),
    ("isolated interest", "GET", "/sapi/v1/margin/interestHistory", [("isolatedSymbol", BTC)]),
    ("liquidations", "GET", "/sapi/v1/margin/forceLiquidationRec", []),
    ("isolated max borrow", "GET", "/sapi/v1/margin/maxBorrowable", [("asset", "BTC"), ("isolatedSymbol", BTC)]),
    ("isolated max out", "GET", "/sapi/v1/margin/maxTransferable", [("asset", "USDT"), ("isolatedSymbol", BTC)]),
    ("to cross", "GET", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN")]),
    ("from cross", "GET", "/sapi/v1/asset/transfer", [("type", "MARGIN_MAIN")]),
    ("to isolated", "GET", "/sapi/v1/asset/transfer", [("type", "MAIN_ISOLATED_MARGIN")]),
    ("to isolated BTC", "GET", "/sapi/v1/asset/transfer", [("type", "MAIN_ISOLATED_MARGIN"), ("toSymbol", BTC)]),
    ("convert flow", "GET", "/sapi/v1/convert/tradeFlow", [("startTime", T0 - DAY), ("endTime", T0 + DAY)]),
]


def bob_lists(w: World) -> dict:
    return {name: without_prices(w.ex.ok(w.bob, method, path, params)) for name, method, path, params in BOB_LISTS}


def _place(w: World, user: User, path: str, pairs: list, into: dict) -> dict:
    body = w.ex.ok(user, "POST", path, pairs)
    into[body["clientOrderId"]] = (body["symbol"], body["orderId"])
    return body


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with Exchange() as ex:
        yield _world(ex)


@pytest.fixture(autouse=True)
def unchanged(world: World) -> Iterator[None]:
    """Whatever a test here sends, ``services.fingerprint()`` (all of the exchange's state) is the same
    after it, but where the test itself says otherwise (by refreshing ``world.digest``)."""
    yield
    assert world.ex.services.fingerprint() == world.digest


def _world(ex: Exchange) -> World:
    funds = {"USDT": "100000", "BTC": "2", "ETH": "20"}
    w = World(ex, ex.new_user(funds), ex.new_user(funds))
    bob, alice = w.bob, w.alice
    # Bob's own activity, so that his lists are not trivially empty
    bob_orders: dict = {}
    _place(w, bob, "/api/v3/order", limit("BUY", "0.01", "79000", "bob-open-1"), bob_orders)
    _place(w, bob, "/api/v3/order", market("BUY", "0.001", "bob-filled"), bob_orders)
    ex.ok(bob, "POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "1000")])
    ex.ok(bob, "POST", "/sapi/v1/margin/borrow-repay", [("asset", "BTC"), ("amount", "0.001"), ("type", "BORROW")])
    _place(w, bob, "/sapi/v1/margin/order", limit("SELL", "0.001", "99999", "bob-m-open"), bob_orders)
    quote = ex.ok(
        bob, "POST", "/sapi/v1/convert/getQuote", [("fromAsset", "USDT"), ("toAsset", "ETH"), ("fromAmount", "50")]
    )
    ex.ok(bob, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", quote["quoteId"])])
    w.bob_order_ids = set(bob_orders.values())
    w.bob_trade_ids = [t["id"] for t in ex.ok(bob, "GET", "/api/v3/myTrades", [("symbol", BTC)])]
    ex.clock.advance(1000)
    w.bob_lists_before = bob_lists(w)

    # Alice: spot
    ex.clock.advance(1000)
    _place(w, alice, "/api/v3/order", limit("BUY", "0.01", "80000", "alice-open-1"), w.order_ids)
    _place(w, alice, "/api/v3/order", limit("SELL", "0.01", "99000", "alice-open-2"), w.order_ids)
    _place(w, alice, "/api/v3/order", limit("BUY", "0.1", "2500", "alice-eth", symbol=ETH), w.order_ids)
    _place(w, alice, "/api/v3/order", market("BUY", "0.01", "alice-filled"), w.order_ids)
    _place(w, alice, "/api/v3/order", limit("BUY", "0.01", "81000", "alice-canceled"), w.order_ids)
    ex.ok(alice, "DELETE", "/api/v3/order", [("symbol", BTC), ("origClientOrderId", "alice-canceled")])
    ex.ok(
        alice,
        "PUT",
        "/api/v3/order/amend/keepPriority",
        [("symbol", BTC), ("origClientOrderId", "alice-open-2"), ("newQty", "0.005")],
    )
    # Alice: cross margin
    w.tran_ids["to cross"] = ex.ok(
        alice, "POST", "/sapi/v1/asset/transfer", [("type", "MAIN_MARGIN"), ("asset", "USDT"), ("amount", "20000")]
    )["tranId"]
    w.tran_ids["borrow"] = ex.ok(
        alice, "POST", "/sapi/v1/margin/borrow-repay", [("asset", "BTC"), ("amount", "0.05"), ("type", "BORROW")]
    )["tranId"]
    _place(w, alice, "/sapi/v1/margin/order", limit("SELL", "0.01", "99500", "alice-m-open"), w.margin_ids)
    _place(w, alice, "/sapi/v1/margin/order", market("BUY", "0.01", "alice-m-filled"), w.margin_ids)
    w.tran_ids["repay"] = ex.ok(
        alice, "POST", "/sapi/v1/margin/borrow-repay", [("asset", "BTC"), ("amount", "0.01"), ("type", "REPAY")]
    )["tranId"]
    # Alice: isolated margin on BTCUSDT
    w.tran_ids["to isolated"] = ex.ok(
        alice,
        "POST",
        "/sapi/v1/asset/transfer",
        [("type", "MAIN_ISOLATED_MARGIN"), ("asset", "USDT"), ("amount", "5000"), ("toSymbol", BTC)],
    )["tranId"]
    w.tran_ids["isolated borrow"] = ex.ok(
        alice,
        "POST",
        "/sapi/v1/margin/borrow-repay",
        [("asset", "BTC"), ("amount", "0.01"), ("type", "BORROW"), ("isIsolated", "TRUE"), ("symbol", BTC)],
    )["tranId"]
    _place(w, alice, "/sapi/v1/margin/order", limit("SELL", "0.01", "99600", "alice-i-open") + ISOLATED, w.margin_ids)
    _place(w, alice, "/sapi/v1/margin/order", market("BUY", "0.001", "alice-i-filled") + ISOLATED, w.margin_ids)
    # Alice: convert (one quote accepted, one left open)
    for from_asset, to_asset, amount in (("USDT", "BTC", "100"), ("BTC", "USDT", "0.001")):
        q = ex.ok(
            alice,
            "POST",
            "/sapi/v1/convert/getQuote",
            [("fromAsset", from_asset), ("toAsset", to_asset), ("fromAmount", amount), ("validTime", "2m")],
        )
        w.quote_ids.append(q["quoteId"])
    accepted = ex.ok(alice, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", w.quote_ids[0])])
    w.convert_ids.append(int(accepted["orderId"]))
    ex.clock.advance(1000)
    assert len(ex.services.margin.wallets.isolated_symbols(alice.account)) == 1
    assert not ex.services.margin.wallets.isolated_symbols(bob.account)
    assert not w.bob_order_ids & set(w.alice_order_ids)
    w.digest = ex.services.fingerprint()
    return w


# ---- probes that name one of Alice's objects ------------------------------------------------------------

NEW_ORDER = {BTC: limit("BUY", "0.001", "70000"), ETH: limit("BUY", "0.01", "2000", symbol=ETH)}


def order_probes(symbol: str, oid: int | None = None, cid: str | None = None) -> list[tuple[str, str, str, list]]:
    """(name, method, path, params) of every call that names one order, by id or by client id."""
    ident = [("orderId", oid)] if oid is not None else [("origClientOrderId", cid)]
    cancel_ident = [("cancelOrderId", oid)] if oid is not None else [("cancelOrigClientOrderId", cid)]
    s = [("symbol", symbol)]
    return [
        ("query", "GET", "/api/v3/order", s + ident),
        ("cancel", "DELETE", "/api/v3/order", s + ident),
        ("cancel ONLY_NEW", "DELETE", "/api/v3/order", s + ident + [("cancelRestrictions", "ONLY_NEW")]),
        ("amend", "PUT", "/api/v3/order/amend/keepPriority", s + ident + [("newQty", "0.001")]),
        (
            "cancel-replace",
            "POST",
            "/api/v3/order/cancelReplace",
            NEW_ORDER[symbol] + cancel_ident + [("cancelReplaceMode", "STOP_ON_FAILURE")],
        ),
        ("margin query", "GET", "/sapi/v1/margin/order", s + ident),
        ("isolated query", "GET", "/sapi/v1/margin/order", s + ident + ISOLATED),
        ("margin cancel", "DELETE", "/sapi/v1/margin/order", s + ident),
        ("isolated cancel", "DELETE", "/sapi/v1/margin/order", s + ident + ISOLATED),
    ]


def expected_error(name: str) -> tuple[int, int, str]:
    if name == "cancel-replace":
        return 400, -2022, "Order cancel-replace failed."
    return NOT_FOUND_CANCEL if "cancel" in name else NOT_FOUND_QUERY


def probe(w: World, method: str, path: str, params: Pairs) -> tuple[int, object]:
    """Bob's call; the whole exchange and Alice's every record must be as before."""
    before = (w.ex.state(full=False), w.ex.account_state(w.alice), w.ex.account_state(w.bob))
    r = w.ex.call(w.bob, method, path, params)
    assert (w.ex.state(full=False), w.ex.account_state(w.alice), w.ex.account_state(w.bob)) == before, (
        method,
        path,
        params,
    )
    return answer(r)


def test_alice_ids_by_order_id_are_not_found_for_bob(world: World) -> None:
    w = world
    assert len(w.alice_order_ids) == 9
    for symbol, oid in w.alice_order_ids:
        never = {name: probe(w, m, p, params) for name, m, p, params in order_probes(symbol, NEVER_ORDER_ID)}
        for name, method, path, params in order_probes(symbol, oid):
            got = probe(w, method, path, params)
            assert got == never[name], (name, oid, got)
            status, body = got
            assert (status, body["code"], body["msg"]) == expected_error(name), (name, body)


def test_alice_client_ids_are_not_found_for_bob(world: World) -> None:
    w = world
    for symbol, cid in w.alice_client_ids:
        never = {name: probe(w, m, p, params) for name, m, p, params in order_probes(symbol, cid=NEVER_CLIENT_ID)}
        for name, method, path, params in order_probes(symbol, cid=cid):
            assert probe(w, method, path, params) == never[name], (name, cid)
    # an id of Bob's own with Alice's client id: Binance requires both to match, so still not found
    own = next(oid for symbol, oid in w.bob_order_ids if symbol == BTC)
    assert (
        error(
            w.ex.call(
                w.bob,
                "GET",
                "/api/v3/order",
                [("symbol", BTC), ("orderId", own), ("origClientOrderId", "alice-open-1")],
            )
        )
        == NOT_FOUND_QUERY
    )


def test_cancel_replace_allow_failure_leaves_alice_alone(world: World) -> None:
    """ALLOW_FAILURE places the caller's new order; the cancel half fails exactly as for an id never
    issued. (Carol, a third account, sends it: Bob's lists must stay as they were.)"""
    w = world
    carol = w.ex.new_user({"USDT": "1000"})
    answers = []
    for _symbol, oid in (w.order_ids["alice-open-1"], (BTC, NEVER_ORDER_ID)):
        alice_before = w.ex.account_state(w.alice)
        r = w.ex.call(
            carol,
            "POST",
            "/api/v3/order/cancelReplace",
            NEW_ORDER[BTC] + [("cancelOrderId", oid), ("cancelReplaceMode", "ALLOW_FAILURE")],
        )
        assert w.ex.account_state(w.alice) == alice_before
        body = r.json()
        assert (r.status_code, body["code"], body["data"]["cancelResult"]) == (409, -2021, "FAILURE"), body
        answers.append((body["msg"], body["data"]["cancelResponse"], body["data"]["newOrderResult"]))
        w.ex.ok(
            carol,
            "DELETE",
            "/api/v3/order",
            [("symbol", BTC), ("orderId", body["data"]["newOrderResponse"]["orderId"])],
        )
    w.digest = w.ex.services.fingerprint()
    assert answers[0] == answers[1]
    assert answers[0][1] == {"code": -2011, "msg": "Unknown order sent."}


def test_bob_cannot_cancel_all_of_alices_orders(world: World) -> None:
    """Bob has no open order on ETHUSDT (Alice has): his cancel-all finds nothing, as on a market nobody uses."""
    w = world
    for symbol in (ETH, "SOLUSDT"):
        assert error_of(probe(w, "DELETE", "/api/v3/openOrders", [("symbol", symbol)])) == NOT_FOUND_CANCEL
    for symbol in (BTC, "SOLUSDT"):  # Bob has no isolated wallet on either; Alice has one on BTCUSDT
        assert error_of(probe(w, "DELETE", "/sapi/v1/margin/openOrders", [("symbol", symbol), *ISOLATED])) == (
            NOT_FOUND_CANCEL
        )


def error_of(got: tuple[int, object]) -> tuple[int, int, str]:
    status, body = got
    assert set(body) == {"code", "msg"}, body
    return status, body["code"], body["msg"]


def test_convert_ids_are_not_found_for_bob(world: World) -> None:
    w = world
    status = "/sapi/v1/convert/orderStatus"
    never_order = probe(w, "GET", status, [("orderId", NEVER_CONVERT_ID)])
    never_quote = probe(w, "GET", status, [("quoteId", NEVER_QUOTE_ID)])
    never_accept = probe(w, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", NEVER_QUOTE_ID)])
    assert error_of(never_order) == error_of(never_quote) == NOT_FOUND_QUERY
    assert error_of(never_accept) == (400, -1130, "Invalid data sent for a parameter. Unknown quoteId.")
    for oid in w.convert_ids:
        assert probe(w, "GET", status, [("orderId", oid)]) == never_order
    for qid in w.quote_ids:  # accepted and still open alike
        assert probe(w, "GET", status, [("quoteId", qid)]) == never_quote
        assert probe(w, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", qid)]) == never_accept
    # Bob's attempts did not use up Alice's open quote: she can still accept it
    before = w.ex.account_state(w.alice)
    accepted = w.ex.ok(w.alice, "POST", "/sapi/v1/convert/acceptQuote", [("quoteId", w.quote_ids[1])])
    assert accepted["orderStatus"] == "SUCCESS"
    assert w.ex.account_state(w.alice) != before
    w.convert_ids.append(int(accepted["orderId"]))
    w.digest = w.ex.services.fingerprint()


def test_loan_tran_ids_are_not_found_for_bob(world: World) -> None:
    w = world
    path = "/sapi/v1/margin/borrow-repay"
    for kind, wallet in (("BORROW", []), ("REPAY", []), ("BORROW", [("isolatedSymbol", BTC)])):
        never = probe(w, "GET", path, [("type", kind), ("txId", NEVER_TRAN_ID), *wallet])
        assert never == (200, {"rows": [], "total": 0})
        for tran_id in w.tran_ids.values():
            assert probe(w, "GET", path, [("type", kind), ("txId", tran_id), *wallet]) == never


def test_bobs_lists_never_show_alices_objects(world: World) -> None:
    w = world
    after = bob_lists(w)
    assert after == w.bob_lists_before
    text = json.dumps(after)
    for _, cid in w.alice_client_ids:
        assert cid not in text
    for qid in w.quote_ids:
        assert qid not in text
    assert after["isolated accounts"]["assets"] == []
    assert {(BTC, o["orderId"]) for o in after["all orders BTC"] + after["margin all"]} <= w.bob_order_ids


def test_bob_may_reuse_alices_client_ids(world: World) -> None:
    """Client order ids are per account (as on Binance): no "Duplicate order sent." across accounts,
    so an open one of Alice's is neither revealed nor blocked; Bob's lookups find his own order."""
    w = world
    before = w.ex.account_state(w.alice)
    mine = w.ex.ok(w.bob, "POST", "/api/v3/order", limit("BUY", "0.001", "70000", "alice-open-1"))
    assert mine["orderId"] != w.order_ids["alice-open-1"][1]
    found = w.ex.ok(w.bob, "GET", "/api/v3/order", [("symbol", BTC), ("origClientOrderId", "alice-open-1")])
    assert found["orderId"] == mine["orderId"]
    canceled = w.ex.ok(w.bob, "DELETE", "/api/v3/order", [("symbol", BTC), ("origClientOrderId", "alice-open-1")])
    assert canceled["orderId"] == mine["orderId"]
    assert w.ex.account_state(w.alice) == before
    theirs = w.ex.ok(w.alice, "GET", "/api/v3/order", [("symbol", BTC), ("origClientOrderId", "alice-open-1")])
    assert theirs["status"] == "NEW"
    w.digest = w.ex.services.fingerprint()


# ---- any id: Alice's, its neighbours, the house's ---------------------------------------------------------


def never_answer(w: World, symbol: str, name: str) -> tuple[int, object]:
    """Bob's answer to call ``name`` for an order id nobody was ever given (asked once, then kept)."""
    key = (symbol, name)
    if key not in w.never:
        call = next(c for c in order_probes(symbol, NEVER_ORDER_ID) if c[0] == name)
        w.never[key] = probe(w, *call[1:])
    return w.never[key]


def _ids(w: World, symbol: str) -> st.SearchStrategy[int]:
    """Order ids on ``symbol`` that are not Bob's: Alice's (on any market: ids count per market), their
    neighbours, and any other id up to past the last one (the house's, the demo account's, unused)."""
    alice = [oid for _, oid in w.alice_order_ids]
    top = max(alice) + 5
    return st.one_of(
        st.sampled_from(alice), st.sampled_from(alice).flatmap(lambda i: st.integers(i - 3, i + 3)), st.integers(0, top)
    ).filter(lambda i: i >= 0 and (symbol, i) not in w.bob_order_ids)


@settings(max_examples=40)
@given(data=st.data())
def test_any_id_not_bobs_answers_not_found(world: World, data: st.DataObject) -> None:
    w = world
    symbol = data.draw(st.sampled_from([BTC, ETH]), label="symbol")
    oid = data.draw(_ids(w, symbol), label="orderId")
    name, method, path, params = data.draw(st.sampled_from(order_probes(symbol, oid)), label="call")
    got = probe(w, method, path, params)
    assert got == never_answer(w, symbol, name), (name, oid, got)
    status, body = got
    assert (status, body["code"], body["msg"]) == expected_error(name), (name, oid, body)


_CID_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@settings(max_examples=30)
@given(data=st.data())
def test_alices_client_ids_and_variants_answer_not_found(world: World, data: st.DataObject) -> None:
    w = world
    symbol, cid = data.draw(st.sampled_from(w.alice_client_ids), label="client id")
    variant = data.draw(st.sampled_from(["same", "upper", "suffix", "prefix"]), label="variant")
    extra = data.draw(_CID_CHARS)
    cid = {"same": cid, "upper": cid.upper(), "suffix": cid + extra, "prefix": extra + cid}[variant]
    name, method, path, params = data.draw(st.sampled_from(order_probes(symbol, cid=cid)), label="call")
    status, body = probe(w, method, path, params)
    assert (status, body["code"], body["msg"]) == expected_error(name), (name, cid, body)


@settings(max_examples=30)
@given(data=st.data())
def test_bobs_paging_by_alices_ids_shows_only_bobs_records(world: World, data: st.DataObject) -> None:
    """allOrders?orderId= and myTrades?fromId=/orderId= page through Bob's own records whatever id is sent."""
    w = world
    oid = data.draw(
        st.one_of(_ids(w, BTC), st.sampled_from(sorted(i for s, i in w.bob_order_ids if s == BTC))), label="id"
    )
    mine = w.ex.ok(w.bob, "GET", "/api/v3/allOrders", [("symbol", BTC)])
    trades = w.ex.ok(w.bob, "GET", "/api/v3/myTrades", [("symbol", BTC)])
    _, orders = probe(w, "GET", "/api/v3/allOrders", [("symbol", BTC), ("orderId", oid)])
    assert orders == [o for o in mine if o["orderId"] >= oid]
    _, by_order = probe(w, "GET", "/api/v3/myTrades", [("symbol", BTC), ("orderId", oid)])
    assert by_order == [t for t in trades if t["orderId"] == oid]
    _, from_id = probe(w, "GET", "/api/v3/myTrades", [("symbol", BTC), ("fromId", oid)])
    assert from_id == [t for t in trades if t["id"] >= oid]


def test_alices_isolated_pair_is_no_different_from_any_other_for_bob(world: World) -> None:
    """Bob naming BTCUSDT (where Alice has an isolated wallet, a loan and orders) in moves of money
    gets the answer he gets for SOLUSDT (where nobody has one), symbol aside; nothing moves."""
    w = world
    calls = [
        (
            "POST",
            "/sapi/v1/asset/transfer",
            [("type", "ISOLATED_MARGIN_MAIN"), ("asset", "USDT"), ("amount", "1"), ("fromSymbol", "{s}")],
        ),
        (
            "POST",
            "/sapi/v1/asset/transfer",
            [("type", "ISOLATEDMARGIN_MARGIN"), ("asset", "USDT"), ("amount", "1"), ("fromSymbol", "{s}")],
        ),
        (
            "POST",
            "/sapi/v1/margin/isolated/transfer",
            [
                ("asset", "USDT"),
                ("symbol", "{s}"),
                ("amount", "1"),
                ("transFrom", "ISOLATED_MARGIN"),
                ("transTo", "SPOT"),
            ],
        ),
        (
            "POST",
            "/sapi/v1/margin/borrow-repay",
            [("asset", "USDT"), ("amount", "1"), ("type", "REPAY"), ("isIsolated", "TRUE"), ("symbol", "{s}")],
        ),
        (
            "POST",
            "/sapi/v1/margin/order",
            [("symbol", "{s}"), ("side", "SELL"), ("type", "MARKET"), ("quantity", "1"), *ISOLATED],
        ),
        ("GET", "/sapi/v1/margin/openOrders", [("symbol", "{s}"), *ISOLATED]),
        ("GET", "/sapi/v1/margin/allOrders", [("symbol", "{s}"), *ISOLATED]),
        ("GET", "/sapi/v1/margin/myTrades", [("symbol", "{s}"), *ISOLATED]),
    ]
    for method, path, params in calls:
        got = {
            symbol: probe(w, method, path, [(k, v.format(s=symbol)) for k, v in params]) for symbol in (BTC, "SOLUSDT")
        }
        assert got[BTC] == got["SOLUSDT"], (path, got)
