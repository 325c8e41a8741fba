"""Margin orders over HTTP (``/sapi/v1/margin/order`` and its queries), in process, with exact JSON.

Each test runs its own simulator on a ManualClock with the static book: BTCUSDT asks 90045,
90090, ... and bids 89955, 89910, ... (0.05 % apart around 90000), fees 0.1 %. Margin wallets are
funded through the desk, so these tests need no transfer endpoint. Amounts are exact: loans are
compared with ``venue.engine.loan`` and every refused request with the engine's fingerprint.
"""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from simulator.config import DEFAULT_MARKETS
from simulator.margin import CROSS_MARGIN, SPOT, MarginDesk, WalletRef
from simulator.ratelimit import RateLimitConfig
from simulator.wire import format_units

from .test_http_api import T0, Sim, Trader, error, units

BTC = "BTCUSDT"
ISOLATED_BTC = WalletRef("ISOLATED", BTC)
ORDER = "/sapi/v1/margin/order"
OPEN = "/sapi/v1/margin/openOrders"
ALL = "/sapi/v1/margin/allOrders"
TRADES = "/sapi/v1/margin/myTrades"
ASK, ASK2, BID = units("90045"), units("90090"), units("89955")
COIN = 10**8


# ---- helpers ------------------------------------------------------------------------------------


@pytest.fixture()
def m() -> Sim:
    """A simulator with the static book and no rate limits (headers still count)."""
    return Sim(liquidity=True, rate_limits=RateLimitConfig(enabled=False))


def desk_of(m: Sim) -> MarginDesk:
    return m.sim.app.services.margin


def user(
    m: Sim,
    spot: dict[str, str] | None = None,
    cross: dict[str, str] | None = None,
    isolated: dict[str, str] | None = None,
    **key_options,
) -> Trader:
    """A trader with spot balances and margin wallets funded from them (decimal text)."""
    wallets = {CROSS_MARGIN: cross or {}, ISOLATED_BTC: isolated or {}}
    total = {asset: units(amount) for asset, amount in (spot or {}).items()}
    for funds in wallets.values():
        for asset, amount in funds.items():
            total[asset] = total.get(asset, 0) + units(amount)
    t = m.trader({asset: format_units(amount, 8) for asset, amount in total.items()}, **key_options)
    for ref, funds in wallets.items():
        for asset, amount in funds.items():
            desk_of(m).transfer(t.account, asset, units(amount), SPOT, ref)
    return t


def wallet(m: Sim, t: Trader, ref: WalletRef = CROSS_MARGIN) -> int | None:
    return desk_of(m).wallet_of(t.account, ref)


def balance(m: Sim, account: int, asset: str) -> tuple[int, int]:
    b = m.venue.engine.balance(account, asset)
    return b.free, b.locked


def liability(m: Sim, account: int, asset: str) -> int:
    loan = m.venue.engine.loan(account, asset)
    return 0 if loan is None else loan.liability


def send(m: Sim, t: Trader, method: str, path: str, **params) -> httpx.Response:
    return m.signed(method, path, params, t)


def ok(m: Sim, t: Trader, method: str, path: str, **params):
    return m.ok(send(m, t, method, path, **params))


def place(m: Sim, t: Trader, **params) -> dict:
    return ok(m, t, "POST", ORDER, **params)


def limit(side: str = "BUY", qty: str = "0.01", price: str = "80000", **extra) -> dict:
    return {
        "symbol": BTC,
        "side": side,
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": qty,
        "price": price,
        **extra,
    }


def market(side: str = "BUY", **extra) -> dict:
    return {"symbol": BTC, "side": side, "type": "MARKET", **extra}


def snapshot(m: Sim, *traders: Trader) -> tuple:
    """Everything a refused request must leave alone: the engine, the desk's records, the wallets."""
    desk = desk_of(m)
    wallets = [
        (t.account, ref, desk.wallet_of(t.account, ref)) for t in traders for ref in (CROSS_MARGIN, ISOLATED_BTC)
    ]
    return m.venue.engine.fingerprint(), len(desk.loans), wallets, [m.state(t) for t in traders]


# ---- placing ------------------------------------------------------------------------------------


def test_limit_order_rests_in_the_cross_wallet_and_locks_only_it(m: Sim) -> None:
    t = user(m, spot={"USDT": "5000"}, cross={"USDT": "1000"})
    o = place(m, t, **limit(newClientOrderId="m-1"))
    assert o == {
        "symbol": BTC,
        "orderId": o["orderId"],
        "orderListId": -1,
        "clientOrderId": "m-1",
        "transactTime": T0,
        "price": "80000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "NEW",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "workingTime": T0,
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "isIsolated": False,
        "fills": [],
    }
    assert balance(m, wallet(m, t), "USDT") == (units("200"), units("800"))
    assert balance(m, t.account, "USDT") == (units("5000"), 0)
    assert wallet(m, t, ISOLATED_BTC) is None


@pytest.mark.parametrize("flag", ["TRUE", "true", "True"])
def test_isolated_flag_in_any_case_uses_the_isolated_wallet(m: Sim, flag: str) -> None:
    t = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    o = place(m, t, **limit(isIsolated=flag))
    assert (o["isIsolated"], o["status"]) == (True, "NEW")
    assert balance(m, wallet(m, t, ISOLATED_BTC), "USDT") == (units("200"), units("800"))
    assert balance(m, wallet(m, t), "USDT") == (units("1000"), 0)


@pytest.mark.parametrize("flag", ["FALSE", "false", None])
def test_cross_is_the_default_and_false(m: Sim, flag: str | None) -> None:
    t = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    o = place(m, t, **limit(**({"isIsolated": flag} if flag else {})))
    assert o["isIsolated"] is False
    assert balance(m, wallet(m, t), "USDT") == (units("200"), units("800"))


@pytest.mark.parametrize("ref", [CROSS_MARGIN, ISOLATED_BTC], ids=["cross", "isolated"])
def test_market_orders_fill_at_the_static_book(m: Sim, ref: WalletRef) -> None:
    funds = {"USDT": "2000"}
    t = user(m, cross=funds if ref is CROSS_MARGIN else None, isolated=funds if ref is ISOLATED_BTC else None)
    iso = {"isIsolated": "TRUE"} if ref is ISOLATED_BTC else {}
    buy = place(m, t, **market(quantity="0.01", **iso))
    assert (buy["status"], buy["executedQty"], buy["cummulativeQuoteQty"]) == ("FILLED", "0.01000000", "900.45000000")
    assert buy["fills"] == [
        {
            "price": "90045.00000000",
            "qty": "0.01000000",
            "commission": "0.00001000",
            "commissionAsset": "BTC",
            "tradeId": buy["fills"][0]["tradeId"],
        }
    ]
    assert buy["isIsolated"] is (ref is ISOLATED_BTC) and "marginBuyBorrowAmount" not in buy
    sell = place(m, t, **market("SELL", quantity="0.005", **iso))
    assert (sell["cummulativeQuoteQty"], sell["fills"][0]["commission"]) == ("449.77500000", "0.44977500")
    account = wallet(m, t, ref)
    assert balance(m, account, "BTC") == (units("0.00499"), 0)
    assert balance(m, account, "USDT") == (units("2000") - units("900.45") + units("449.775") - units("0.449775"), 0)
    assert m.venue.engine.loans(account) == []


# ---- side effects -------------------------------------------------------------------------------


@pytest.mark.parametrize("side_effect", ["MARGIN_BUY", "AUTO_BORROW_REPAY"])
@pytest.mark.parametrize(
    "params, borrowed",
    [
        (limit(qty="0.02", price="90045"), "800.9"),  # locks 0.02 x 90045 = 1800.90
        (market(quantity="0.02"), "800.9"),  # walks the asks: all of it at 90045
        (market(quoteOrderQty="1500"), "500"),  # locks the budget
    ],
    ids=["limit", "market-qty", "market-quote"],
)
def test_margin_buy_borrows_exactly_the_shortfall(m: Sim, side_effect: str, params: dict, borrowed: str) -> None:
    t = user(m, cross={"USDT": "1000"})
    o = place(m, t, **params, sideEffectType=side_effect)
    assert o["status"] == "FILLED"
    assert (o["marginBuyBorrowAmount"], o["marginBuyBorrowAsset"]) == (f"{units(borrowed) / COIN:.8f}", "USDT")
    account = wallet(m, t)
    loan = m.venue.engine.loan(account, "USDT")
    assert loan is not None and loan.principal == units(borrowed)
    assert balance(m, account, "USDT") == (units("1000") + units(borrowed) - units(o["cummulativeQuoteQty"]), 0)
    assert [(r.kind, r.asset, r.amount) for r in desk_of(m).loans] == [("BORROW", "USDT", units(borrowed))]
    keys = list(o)  # the margin fields come before fills, as Binance orders them
    assert keys[-4:] == ["isIsolated", "marginBuyBorrowAmount", "marginBuyBorrowAsset", "fills"]


def test_margin_buy_with_enough_funds_borrows_nothing(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    o = place(m, t, **market(quantity="0.01"), sideEffectType="MARGIN_BUY")
    assert o["status"] == "FILLED" and "marginBuyBorrowAmount" not in o and "marginBuyBorrowAsset" not in o
    assert m.venue.engine.loans(wallet(m, t)) == [] and desk_of(m).loans == []


def test_margin_sell_borrows_the_base_and_auto_repay_pays_it_back(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    short = place(m, t, **market("SELL", quantity="0.01"), sideEffectType="MARGIN_BUY")
    assert (short["marginBuyBorrowAmount"], short["marginBuyBorrowAsset"]) == ("0.01000000", "BTC")
    account = wallet(m, t)
    assert m.venue.engine.loan(account, "BTC").principal == units("0.01")
    assert balance(m, account, "USDT") == (units("1000") + units("899.55") - units("0.89955"), 0)
    owed = liability(m, account, "BTC")  # 0.01 plus the first hour's interest
    assert owed > units("0.01")

    part = place(m, t, **market(quantity="0.005"), sideEffectType="AUTO_REPAY")
    received = units(part["executedQty"]) - units(part["fills"][0]["commission"])
    assert received == units("0.004995") and "marginBuyBorrowAmount" not in part
    assert liability(m, account, "BTC") == owed - received
    assert balance(m, account, "BTC") == (0, 0)

    rest = place(m, t, **market(quantity="0.006"), sideEffectType="AUTO_REPAY")
    received2 = units(rest["executedQty"]) - units(rest["fills"][0]["commission"])
    assert m.venue.engine.loan(account, "BTC") is None
    assert balance(m, account, "BTC") == (received + received2 - owed, 0)
    repays = [r for r in desk_of(m).loans if r.kind == "REPAY"]
    assert [(r.asset, r.amount) for r in repays] == [("BTC", received), ("BTC", owed - received)]


def test_a_resting_auto_repay_order_repays_when_it_fills_later(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    seller = user(m, spot={"BTC": "0.01"})
    place(m, t, **market("SELL", quantity="0.01"), sideEffectType="MARGIN_BUY")
    account = wallet(m, t)
    owed = liability(m, account, "BTC")
    cover = place(m, t, **limit(qty="0.005", price="90000"), sideEffectType="AUTO_REPAY")  # inside the spread
    assert cover["status"] == "NEW" and liability(m, account, "BTC") == owed
    m.place(seller, **limit("SELL", qty="0.005", price="90000"))  # fills ours: the best bid
    m.clock.advance(1_000)
    m.sim.liquidity.step()  # the margin keeper settles AUTO_REPAY orders on its tick
    received = units("0.005") - units("0.000005")  # the maker fee, in BTC
    assert liability(m, account, "BTC") == owed - received
    assert ok(m, t, "GET", ORDER, symbol=BTC, orderId=cover["orderId"])["status"] == "FILLED"


def test_auto_borrow_repay_borrows_the_quote_and_repays_the_base(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    place(m, t, **market("SELL", quantity="0.01"), sideEffectType="MARGIN_BUY")
    account = wallet(m, t)
    owed_btc = liability(m, account, "BTC")
    free_usdt = balance(m, account, "USDT")[0]
    o = place(
        m, t, **market(quoteOrderQty=f"{(free_usdt + units('500')) / COIN:.8f}"), sideEffectType="AUTO_BORROW_REPAY"
    )
    assert (o["marginBuyBorrowAmount"], o["marginBuyBorrowAsset"]) == ("500.00000000", "USDT")
    assert m.venue.engine.loan(account, "USDT").principal == units("500")
    received = units(o["executedQty"]) - sum(units(f["commission"]) for f in o["fills"])
    assert m.venue.engine.loan(account, "BTC") is None
    assert balance(m, account, "BTC") == (received - owed_btc, 0)


@pytest.mark.parametrize("resp_type", ["ACK", "RESULT", "FULL"])
def test_response_types_carry_is_isolated_and_full_names_the_loan(m: Sim, resp_type: str) -> None:
    t = user(m, isolated={"USDT": "1000"})
    o = place(
        m,
        t,
        **market(quantity="0.02", isIsolated="TRUE", newClientOrderId="r-1"),
        sideEffectType="MARGIN_BUY",
        newOrderRespType=resp_type,
    )
    ack = {
        "symbol": BTC,
        "orderId": o["orderId"],
        "orderListId": -1,
        "clientOrderId": "r-1",
        "transactTime": T0,
        "isIsolated": True,
    }
    if resp_type == "ACK":
        assert o == ack
        return
    assert {k: o[k] for k in ack} == ack and o["status"] == "FILLED"
    assert ("fills" in o, "marginBuyBorrowAmount" in o) == ((resp_type == "FULL",) * 2)
    assert liability(m, wallet(m, t, ISOLATED_BTC), "USDT") > units("800.9")  # borrowed whatever the answer


def test_stop_orders_answer_ack_by_default(m: Sim) -> None:
    t = user(m, cross={"BTC": "0.1"})
    o = place(
        m,
        t,
        symbol=BTC,
        side="SELL",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="80000",
        stopPrice="80100",
    )
    assert set(o) == {"symbol", "orderId", "orderListId", "clientOrderId", "transactTime", "isIsolated"}


# ---- queries --------------------------------------------------------------------------------------


def test_queries_show_the_wallets_orders_and_trades(m: Sim) -> None:
    t = user(m, cross={"USDT": "3000"}, isolated={"USDT": "1000"})
    filled = place(m, t, **market(quantity="0.01", newClientOrderId="filled-1"))
    resting = place(m, t, **limit(newClientOrderId="rest-1"))
    eth = place(m, t, symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="2000")
    iso = place(m, t, **limit(isIsolated="TRUE", newClientOrderId="iso-1"))

    by_id = ok(m, t, "GET", ORDER, symbol=BTC, orderId=resting["orderId"])
    assert by_id == ok(m, t, "GET", ORDER, symbol=BTC, origClientOrderId="rest-1")
    assert {
        k: by_id[k]
        for k in (
            "orderId",
            "clientOrderId",
            "status",
            "price",
            "origQty",
            "stopPrice",
            "time",
            "updateTime",
            "isWorking",
            "isIsolated",
        )
    } == {
        "orderId": resting["orderId"],
        "clientOrderId": "rest-1",
        "status": "NEW",
        "price": "80000.00000000",
        "origQty": "0.01000000",
        "stopPrice": "0.00000000",
        "time": T0,
        "updateTime": T0,
        "isWorking": True,
        "isIsolated": False,
    }
    assert ok(m, t, "GET", ORDER, symbol=BTC, orderId=iso["orderId"], isIsolated="TRUE")["isIsolated"] is True

    ids = lambda rows: [r["orderId"] for r in rows]  # noqa: E731 - a one-line projection, read where it is used
    assert ids(ok(m, t, "GET", OPEN)) == [resting["orderId"], eth["orderId"]]  # cross, every symbol
    assert ids(ok(m, t, "GET", OPEN, symbol=BTC)) == [resting["orderId"]]
    assert ids(ok(m, t, "GET", OPEN, symbol=BTC, isIsolated="TRUE")) == [iso["orderId"]]
    assert all(r["isIsolated"] is False for r in ok(m, t, "GET", OPEN))

    rows = ok(m, t, "GET", ALL, symbol=BTC)
    assert [(r["orderId"], r["status"]) for r in rows] == [(filled["orderId"], "FILLED"), (resting["orderId"], "NEW")]
    assert ids(ok(m, t, "GET", ALL, symbol=BTC, limit=1)) == [resting["orderId"]]
    assert ids(ok(m, t, "GET", ALL, symbol=BTC, orderId=resting["orderId"])) == [resting["orderId"]]
    assert ids(ok(m, t, "GET", ALL, symbol=BTC, isIsolated="TRUE")) == [iso["orderId"]]

    trades = ok(m, t, "GET", TRADES, symbol=BTC)
    trade_id = filled["fills"][0]["tradeId"]
    assert trades == [
        {
            "symbol": BTC,
            "id": trade_id,
            "orderId": filled["orderId"],
            "price": "90045.00000000",
            "qty": "0.01000000",
            "commission": "0.00001000",
            "commissionAsset": "BTC",
            "time": T0,
            "isBuyer": True,
            "isMaker": False,
            "isBestMatch": True,
            "isIsolated": False,
        }
    ]
    assert ok(m, t, "GET", TRADES, symbol=BTC, orderId=filled["orderId"]) == trades
    assert ok(m, t, "GET", TRADES, symbol=BTC, fromId=trade_id + 1) == []
    assert ok(m, t, "GET", TRADES, symbol=BTC, isIsolated="TRUE") == []


# ---- cancel ---------------------------------------------------------------------------------------


def test_cancel_releases_the_lock_and_answers_like_binance(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    o = place(m, t, **limit(newClientOrderId="rest-1"))
    c = ok(m, t, "DELETE", ORDER, symbol=BTC, orderId=o["orderId"], newClientOrderId="cancel-1")
    assert c == {
        "symbol": BTC,
        "origClientOrderId": "rest-1",
        "orderId": str(o["orderId"]),
        "orderListId": -1,
        "clientOrderId": "cancel-1",
        "transactTime": T0,
        "price": "80000.00000000",
        "origQty": "0.01000000",
        "executedQty": "0.00000000",
        "origQuoteOrderQty": "0.00000000",
        "cummulativeQuoteQty": "0.00000000",
        "status": "CANCELED",
        "timeInForce": "GTC",
        "type": "LIMIT",
        "side": "BUY",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "isIsolated": False,
    }
    assert balance(m, wallet(m, t), "USDT") == (units("1000"), 0)
    assert ok(m, t, "GET", ORDER, symbol=BTC, orderId=o["orderId"])["status"] == "CANCELED"
    assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=o["orderId"])) == (400, -2011, "Unknown order sent.")


def test_cancel_by_client_id_in_the_isolated_wallet(m: Sim) -> None:
    t = user(m, isolated={"USDT": "1000"})
    place(m, t, **limit(isIsolated="TRUE", newClientOrderId="iso-1"))
    c = ok(m, t, "DELETE", ORDER, symbol=BTC, origClientOrderId="iso-1", isIsolated="TRUE")
    assert (c["status"], c["isIsolated"], c["origClientOrderId"]) == ("CANCELED", True, "iso-1")
    assert balance(m, wallet(m, t, ISOLATED_BTC), "USDT") == (units("1000"), 0)


def test_cancel_all_cancels_one_symbol_of_one_wallet(m: Sim) -> None:
    t = user(m, spot={"USDT": "1000"}, cross={"USDT": "3000"}, isolated={"USDT": "1000"})
    a = place(m, t, **limit())
    b = place(m, t, **limit(price="79000"))
    eth = place(m, t, symbol="ETHUSDT", side="BUY", type="LIMIT", timeInForce="GTC", quantity="0.1", price="2000")
    iso = place(m, t, **limit(isIsolated="TRUE"))
    spot = m.place(t, **limit())
    rows = ok(m, t, "DELETE", OPEN, symbol=BTC)
    assert [(r["orderId"], r["status"], r["isIsolated"]) for r in rows] == [
        (a["orderId"], "CANCELED", False),
        (b["orderId"], "CANCELED", False),
    ]
    assert [r["orderId"] for r in ok(m, t, "GET", OPEN)] == [eth["orderId"]]
    assert [r["orderId"] for r in ok(m, t, "GET", OPEN, symbol=BTC, isIsolated="TRUE")] == [iso["orderId"]]
    assert [r["orderId"] for r in m.ok(m.signed("GET", "/api/v3/openOrders", {}, t))] == [spot["orderId"]]
    assert error(send(m, t, "DELETE", OPEN, symbol=BTC)) == (400, -2011, "Unknown order sent.")
    iso_rows = ok(m, t, "DELETE", OPEN, symbol=BTC, isIsolated="true")
    assert [(r["orderId"], r["isIsolated"]) for r in iso_rows] == [(iso["orderId"], True)]


# ---- who sees what -------------------------------------------------------------------------------

NOT_FOUND = (400, -2013, "Order does not exist.")
UNKNOWN = (400, -2011, "Unknown order sent.")


def test_spot_and_margin_orders_are_invisible_to_each_other(m: Sim) -> None:
    t = user(m, spot={"USDT": "1000"}, cross={"USDT": "1000"})
    spot = m.place(t, **limit(newClientOrderId="same-id"))
    margin = place(m, t, **limit(price="79000", newClientOrderId="same-id"))  # another account: no duplicate
    before = snapshot(m, t)
    for oid in (spot["orderId"],):
        assert error(send(m, t, "GET", ORDER, symbol=BTC, orderId=oid)) == NOT_FOUND
        assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=oid)) == UNKNOWN
    for oid in (margin["orderId"],):
        assert error(m.signed("GET", "/api/v3/order", {"symbol": BTC, "orderId": oid}, t)) == NOT_FOUND
        assert error(m.signed("DELETE", "/api/v3/order", {"symbol": BTC, "orderId": oid}, t)) == UNKNOWN
    assert snapshot(m, t) == before
    assert ok(m, t, "GET", ORDER, symbol=BTC, origClientOrderId="same-id")["orderId"] == margin["orderId"]
    spot_view = m.ok(m.signed("GET", "/api/v3/order", {"symbol": BTC, "origClientOrderId": "same-id"}, t))
    assert spot_view["orderId"] == spot["orderId"]
    assert [r["orderId"] for r in ok(m, t, "GET", OPEN)] == [margin["orderId"]]
    assert [r["orderId"] for r in ok(m, t, "GET", ALL, symbol=BTC)] == [margin["orderId"]]
    spot_all = m.ok(m.signed("GET", "/api/v3/allOrders", {"symbol": BTC}, t))
    assert [r["orderId"] for r in spot_all] == [spot["orderId"]]
    # canceling everything on one side leaves the other alone
    assert [r["orderId"] for r in ok(m, t, "DELETE", OPEN, symbol=BTC)] == [margin["orderId"]]
    assert m.venue.order(t.account, BTC, spot["orderId"], None).status == "NEW"


def test_margin_trades_are_not_spot_trades(m: Sim) -> None:
    t = user(m, spot={"USDT": "1000"}, cross={"USDT": "1000"})
    place(m, t, **market(quantity="0.01"))
    assert m.ok(m.signed("GET", "/api/v3/myTrades", {"symbol": BTC}, t)) == []
    m.place(t, **market(quantity="0.005"))
    assert [r["qty"] for r in ok(m, t, "GET", TRADES, symbol=BTC)] == ["0.01000000"]


def test_cross_and_isolated_wallets_are_separate(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    cross = place(m, t, **limit())
    iso = place(m, t, **limit(isIsolated="TRUE"))
    assert error(send(m, t, "GET", ORDER, symbol=BTC, orderId=iso["orderId"])) == NOT_FOUND
    assert error(send(m, t, "GET", ORDER, symbol=BTC, orderId=cross["orderId"], isIsolated="TRUE")) == NOT_FOUND
    assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=iso["orderId"])) == UNKNOWN
    assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=cross["orderId"], isIsolated="TRUE")) == UNKNOWN


def test_another_user_can_neither_see_nor_cancel_a_margin_order(m: Sim) -> None:
    a = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    b = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    o = place(m, a, **limit(newClientOrderId="a-1"))
    i = place(m, a, **limit(isIsolated="TRUE", newClientOrderId="a-2"))
    before = snapshot(m, a, b)
    assert error(send(m, b, "GET", ORDER, symbol=BTC, orderId=o["orderId"])) == NOT_FOUND
    assert error(send(m, b, "GET", ORDER, symbol=BTC, origClientOrderId="a-1")) == NOT_FOUND
    assert error(send(m, b, "GET", ORDER, symbol=BTC, orderId=i["orderId"], isIsolated="TRUE")) == NOT_FOUND
    assert error(send(m, b, "DELETE", ORDER, symbol=BTC, orderId=o["orderId"])) == UNKNOWN
    assert error(send(m, b, "DELETE", ORDER, symbol=BTC, orderId=i["orderId"], isIsolated="TRUE")) == UNKNOWN
    assert error(send(m, b, "DELETE", OPEN, symbol=BTC)) == UNKNOWN
    assert ok(m, b, "GET", OPEN) == [] and ok(m, b, "GET", ALL, symbol=BTC) == []
    assert snapshot(m, a, b) == before


@pytest.mark.parametrize("iso", [{}, {"isIsolated": "TRUE"}], ids=["cross", "isolated"])
def test_a_user_without_a_margin_wallet_has_nothing(m: Sim, iso: dict) -> None:
    t = user(m, spot={"USDT": "1000"})
    spot = m.place(t, **limit())
    before = snapshot(m, t)
    assert error(send(m, t, "GET", ORDER, symbol=BTC, orderId=spot["orderId"], **iso)) == NOT_FOUND
    assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=spot["orderId"], **iso)) == UNKNOWN
    assert error(send(m, t, "DELETE", OPEN, symbol=BTC, **iso)) == UNKNOWN
    assert ok(m, t, "GET", OPEN, symbol=BTC, **iso) == []
    assert ok(m, t, "GET", ALL, symbol=BTC, **iso) == []
    assert ok(m, t, "GET", TRADES, symbol=BTC, **iso) == []
    assert snapshot(m, t) == before  # reading opens no wallet
    insufficient = (400, -2010, "Account has insufficient balance for requested action.")
    assert error(send(m, t, "POST", ORDER, **limit(**iso))) == insufficient
    assert error(send(m, t, "POST", ORDER, **limit(**iso), sideEffectType="MARGIN_BUY")) == insufficient
    assert snapshot(m, t) == before  # nor does a refused order


# ---- refusals -------------------------------------------------------------------------------------


def _illegal(name: str, legal: str) -> tuple[int, int, str]:
    return 400, -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."


def _mandatory(name: str) -> tuple[int, int, str]:
    return 400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."


REFUSALS = [
    pytest.param("POST", ORDER, limit(isIsolated="maybe"), _illegal("isIsolated", "true|false"), id="bad-isolated"),
    pytest.param(
        "POST",
        ORDER,
        limit(sideEffectType="BORROW"),
        _illegal("sideEffectType", "AUTO_BORROW_REPAY|AUTO_REPAY|MARGIN_BUY|NO_SIDE_EFFECT"),
        id="bad-side-effect",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(autoRepayAtCancel="yes"),
        _illegal("autoRepayAtCancel", "true|false"),
        id="bad-auto-repay-at-cancel",
    ),
    pytest.param("POST", ORDER, {k: v for k, v in limit().items() if k != "side"}, _mandatory("side"), id="no-side"),
    pytest.param("POST", ORDER, limit(symbol="NOPE"), (400, -1121, "Invalid symbol."), id="bad-symbol"),
    pytest.param(
        "POST",
        ORDER,
        limit(reduceOnly="true"),
        (400, -1104, "Not all sent parameters were read; read '8' parameter(s) but was sent '9'."),
        id="unknown-param",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="0.00001", price="90045", sideEffectType="MARGIN_BUY"),
        (400, -1013, "Filter failure: NOTIONAL"),
        id="margin-buy-notional",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="0.000000001", price="90045", sideEffectType="MARGIN_BUY"),
        (400, -1111, "Parameter 'quantity' has too much precision."),
        id="margin-buy-precision",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="0.123456", price="90045", sideEffectType="AUTO_BORROW_REPAY"),
        (400, -1013, "Filter failure: LOT_SIZE"),
        id="margin-buy-lot-size",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="1", price="90045", sideEffectType="MARGIN_BUY"),
        (400, -3006, "Your borrow amount has exceed maximum borrow amount."),
        id="margin-buy-too-much",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="1", price="90045", sideEffectType="MARGIN_BUY", isIsolated="TRUE"),
        (400, -3006, "Your borrow amount has exceed maximum borrow amount."),
        id="isolated-margin-buy-too-much",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(qty="0.1", price="90045"),
        (400, -2010, "Account has insufficient balance for requested action."),
        id="no-side-effect-short",
    ),
    pytest.param(
        "POST",
        ORDER,
        limit(side="SELL", qty="0.1", price="99000", sideEffectType="AUTO_REPAY"),
        (400, -2010, "Account has insufficient balance for requested action."),
        id="auto-repay-short",
    ),
    pytest.param("GET", OPEN, {"isIsolated": "TRUE"}, _mandatory("symbol"), id="isolated-open-no-symbol"),
    pytest.param(
        "GET",
        ORDER,
        {"symbol": BTC},
        (400, -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
        id="query-no-id",
    ),
    pytest.param(
        "DELETE",
        ORDER,
        {"symbol": BTC, "isIsolated": "TRUE"},
        (400, -1102, "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!"),
        id="cancel-no-id",
    ),
    pytest.param(
        "DELETE",
        ORDER,
        {"symbol": BTC, "orderId": "1", "newClientOrderId": ""},
        (400, -1118, "New client order ID was empty."),
        id="cancel-empty-new-id",
    ),
    pytest.param("DELETE", OPEN, {}, _mandatory("symbol"), id="cancel-all-no-symbol"),
    pytest.param("GET", ALL, {"symbol": BTC, "limit": "501"}, _illegal("limit", "[1, 500]"), id="all-limit"),
    pytest.param("GET", ALL, {}, _mandatory("symbol"), id="all-no-symbol"),
    pytest.param(
        "GET",
        TRADES,
        {"symbol": BTC, "fromId": "1", "startTime": str(T0)},
        (400, -1128, "Combination of optional parameters invalid."),
        id="trades-combo",
    ),
    pytest.param(
        "GET",
        TRADES,
        {"symbol": BTC, "isIsolated": "x"},
        _illegal("isIsolated", "true|false"),
        id="trades-bad-isolated",
    ),
]


@pytest.mark.parametrize("method, path, params, expected", REFUSALS)
def test_refused_requests_answer_binance_errors_and_change_nothing(
    m: Sim, method: str, path: str, params: dict, expected: tuple
) -> None:
    t = user(m, spot={"USDT": "1000"}, cross={"USDT": "1000"}, isolated={"USDT": "1000"})
    place(m, t, **limit(price="70000"))  # something open in each wallet
    place(m, t, **limit(price="70000", isIsolated="TRUE"))
    before = snapshot(m, t)
    assert error(send(m, t, method, path, **params)) == expected
    assert snapshot(m, t) == before


GARBAGE = ["", "-1", "abc", "1e9", "99999999999999999999999", "TRUE", "0.000000001", "%00"]
ENDPOINT_PARAMS = {
    ("POST", ORDER): limit(
        sideEffectType="MARGIN_BUY",
        isIsolated="TRUE",
        newOrderRespType="FULL",
        autoRepayAtCancel="true",
        selfTradePreventionMode="NONE",
    ),
    ("GET", ORDER): {"symbol": BTC, "isIsolated": "TRUE", "orderId": "1", "origClientOrderId": "x"},
    ("DELETE", ORDER): {"symbol": BTC, "isIsolated": "TRUE", "orderId": "1", "newClientOrderId": "y"},
    ("DELETE", OPEN): {"symbol": BTC, "isIsolated": "TRUE"},
    ("GET", OPEN): {"symbol": BTC, "isIsolated": "TRUE"},
    ("GET", ALL): {
        "symbol": BTC,
        "isIsolated": "TRUE",
        "orderId": "1",
        "startTime": str(T0),
        "endTime": str(T0),
        "limit": "10",
    },
    ("GET", TRADES): {"symbol": BTC, "isIsolated": "TRUE", "orderId": "1", "fromId": "1", "limit": "10"},
}


@pytest.mark.parametrize("method, path", list(ENDPOINT_PARAMS), ids=lambda v: v if isinstance(v, str) else None)
def test_garbage_in_any_parameter_is_a_binance_error_never_a_500(m: Sim, method: str, path: str) -> None:
    t = user(m, cross={"USDT": "1000"}, isolated={"USDT": "1000", "BTC": "0.01"})
    for name in ENDPOINT_PARAMS[(method, path)]:
        for value in GARBAGE:
            params = ENDPOINT_PARAMS[(method, path)] | {name: value}
            before = snapshot(m, t)
            response = send(m, t, method, path, **params)
            assert response.status_code < 500, (name, value, response.text)
            if response.status_code != 200:
                assert set(response.json()) == {"code", "msg"}, (name, value, response.text)
                assert snapshot(m, t) == before, (name, value)


def test_pairs_off_the_margin_lists_are_refused() -> None:
    markets = tuple(replace(mc, margin=False) if mc.symbol == "ETHUSDT" else mc for mc in DEFAULT_MARKETS)
    m = Sim(liquidity=True, rate_limits=RateLimitConfig(enabled=False), markets=markets)
    t = user(m, cross={"USDT": "1000"})
    eth = {
        "symbol": "ETHUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.1",
        "price": "2000",
    }
    before = snapshot(m, t)
    not_margin = (400, -3028, "Not a valid margin pair.")
    assert error(send(m, t, "POST", ORDER, **eth)) == not_margin
    assert error(send(m, t, "POST", ORDER, **eth, isIsolated="TRUE")) == not_margin
    assert error(send(m, t, "GET", OPEN, symbol="ETHUSDT", isIsolated="TRUE")) == not_margin
    assert snapshot(m, t) == before
    assert place(m, t, **limit())["status"] == "NEW"  # BTCUSDT still trades on margin


def test_trading_needs_the_margin_permission_reading_does_not(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"}, permissions=("SPOT",))
    rejected = (401, -2015, "Invalid API-key, IP, or permissions for action.")
    assert error(send(m, t, "POST", ORDER, **limit())) == rejected
    assert error(send(m, t, "DELETE", ORDER, symbol=BTC, orderId=1)) == rejected
    assert error(send(m, t, "DELETE", OPEN, symbol=BTC)) == rejected
    assert ok(m, t, "GET", OPEN) == []


def test_request_weights_are_binances(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})

    def weight(method: str, path: str, **params) -> int:
        before = int(m.public("/api/v3/ping").headers["x-mbx-used-weight-1m"])
        send(m, t, method, path, **params)
        return int(m.public("/api/v3/ping").headers["x-mbx-used-weight-1m"]) - before - 1

    o = place(m, t, **limit())
    assert weight("POST", ORDER, **limit()) == 6
    assert weight("GET", ORDER, symbol=BTC, orderId=o["orderId"]) == 10
    assert weight("GET", OPEN) == 10
    assert weight("GET", ALL, symbol=BTC) == 200
    assert weight("GET", TRADES, symbol=BTC) == 10
    assert weight("DELETE", ORDER, symbol=BTC, orderId=o["orderId"]) == 10
    assert weight("DELETE", OPEN, symbol=BTC) == 1


# ---- what the desk still lacks ---------------------------------------------------------------------


def test_canceling_a_margin_buy_repays_its_loan_by_default(m: Sim) -> None:
    t = user(m, cross={"USDT": "1000"})
    o = place(m, t, **limit(qty="0.02", price="80000"), sideEffectType="MARGIN_BUY")  # rests; borrows 600
    assert o["marginBuyBorrowAmount"] == "600.00000000"
    owed = liability(m, wallet(m, t), "USDT")  # 600 and the first hour's interest
    ok(m, t, "DELETE", ORDER, symbol=BTC, orderId=o["orderId"])
    assert liability(m, wallet(m, t), "USDT") == owed - units("600")
    assert [(r.kind, r.amount) for r in desk_of(m).loans] == [("BORROW", units("600")), ("REPAY", units("600"))]
