"""Client order ids are the venue's alone (the engine keeps none): an id names one open order of an
account and market, whatever kind of order it is, and is free again once that order closes in any
way, a fill as much as a cancel."""

from __future__ import annotations

from tests.simulator.test_http_api import LIMIT, Sim, error, order

DUPLICATE = (400, -2010, "Duplicate order sent.")


def test_a_waiting_stop_holds_its_id() -> None:
    sim = Sim()
    sim.place(**dict(LIMIT, price="40000", quantity="0.001"))  # a trade at 40000 sets the last price
    seller = sim.trader({"BTC": "1"})
    sim.place(seller, symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
    stop = sim.place(
        symbol="BTCUSDT",
        side="BUY",
        type="STOP_LOSS_LIMIT",
        timeInForce="GTC",
        quantity="0.01",
        price="45000",
        stopPrice="44000",
        newClientOrderId="stop-1",
    )
    assert stop["orderId"] > 0
    before = sim.state()
    assert error(sim.signed("POST", "/api/v3/order", order(price="41000", newClientOrderId="stop-1"))) == DUPLICATE
    assert sim.state() == before
    named = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "stop-1"}))
    assert (named["orderId"], named["type"], named["status"]) == (stop["orderId"], "STOP_LOSS_LIMIT", "NEW")


def test_an_id_is_free_again_once_its_order_fills() -> None:
    sim = Sim()
    first = sim.place(**dict(LIMIT, price="40000", quantity="0.001", newClientOrderId="fills"))
    seller = sim.trader({"BTC": "1"})
    sim.place(seller, symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.001")
    filled = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": first["orderId"]}))
    assert filled["status"] == "FILLED"
    again = sim.place(**dict(LIMIT, price="39000", quantity="0.001", newClientOrderId="fills"))
    assert again["status"] == "NEW" and again["orderId"] != first["orderId"]
    named = sim.ok(sim.signed("GET", "/api/v3/order", {"symbol": "BTCUSDT", "origClientOrderId": "fills"}))
    assert named["orderId"] == again["orderId"]  # the id now names the newest order
