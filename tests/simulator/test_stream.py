"""The venue's one ordered stream: every complete change told once, in order, with its engine
events; refusals tell nothing; liquidity, desks and admin changes are told like users' orders."""

from __future__ import annotations

import pytest

from engine import (
    BalanceChanged,
    Borrowed,
    OrderAccepted,
    OrderCanceled,
    OrderFilled,
    OrderType,
    SelfTradePrevention,
    Side,
    TimeInForce,
)
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.launcher import build
from simulator.margin import CROSS_MARGIN, SPOT
from simulator.orders import OrderRequest
from simulator.refusals import Refused
from simulator.stream import Change

T0 = 1_700_000_000_000
COIN = 10**8


def limit(side: Side, qty: int, price: int) -> OrderRequest:
    return OrderRequest(
        "BTCUSDT", side, OrderType.LIMIT, TimeInForce.GTC, qty, price, 0, 0, None, SelfTradePrevention.NONE, "FULL"
    )


@pytest.fixture()
def sim():
    s = build(SimulatorConfig(liquidity=False), clock=ManualClock(T0))
    yield s
    s.close()


def listen(sim) -> list[Change]:
    told: list[Change] = []
    sim.venue.stream.subscribe(told.append)
    return told


def test_each_change_is_told_once_in_order_with_its_events(sim) -> None:
    venue = sim.venue
    alice = venue.create_account({"USDT": 100_000 * COIN, "BTC": COIN})
    bob = venue.create_account({"USDT": 100_000 * COIN, "BTC": COIN})
    told = listen(sim)
    resting = venue.place(alice, limit(Side.SELL, COIN // 10, 40_000 * COIN)).order
    taken = venue.place(bob, limit(Side.BUY, COIN // 20, 40_000 * COIN))
    venue.cancel(alice, "BTCUSDT", resting.order_id, None)
    assert [c.source for c in told] == ["venue.place", "venue.place", "venue.cancel"]
    assert [c.seq for c in told] == [told[0].seq, told[0].seq + 1, told[0].seq + 2]
    assert [type(e) for e in told[0].events] == [OrderAccepted]
    fills = [e for e in told[1].events if isinstance(e, OrderFilled)]
    assert [f.trade_id for f in fills] == [f.trade_id for f in taken.fills]
    assert fills[0].maker_order_id == resting.order_id and told[1].time == T0
    assert [type(e) for e in told[2].events] == [OrderCanceled]


def test_a_refused_change_tells_nothing(sim) -> None:
    venue = sim.venue
    poor = venue.create_account({"USDT": COIN})
    told = listen(sim)
    with pytest.raises(Refused, match="INSUFFICIENT_BALANCE"):
        venue.place(poor, limit(Side.BUY, COIN, 40_000 * COIN))
    with pytest.raises(Refused):
        venue.cancel(poor, "BTCUSDT", 12345, None)
    assert told == []


def test_desks_and_admin_changes_are_told_too(sim) -> None:
    venue, desk = sim.venue, sim.app.services.margin
    user = venue.create_account({"USDT": 10_000 * COIN})
    told = listen(sim)
    venue.deposit(user, "BTC", COIN)
    desk.transfer(user, "USDT", 1_000 * COIN, SPOT, CROSS_MARGIN)
    desk.borrow(user, "USDT", 500 * COIN, CROSS_MARGIN)
    assert [c.source for c in told] == ["venue.deposit", "margin.transfer", "margin.borrow"]
    assert any(isinstance(e, BalanceChanged) for e in told[0].events)
    assert any(isinstance(e, Borrowed) and e.amount == 500 * COIN for e in told[2].events)


def test_a_liquidity_step_is_one_change(tmp_path) -> None:
    clock = ManualClock(T0)
    sim = build(SimulatorConfig(), clock=clock)
    try:
        told = listen(sim)
        clock.advance(2_000)
        sim.liquidity.step()
        steps = [c for c in told if c.source == "liquidity.step"]
        assert len(steps) == 1 and steps[0].time == T0 + 2_000
        assert any(isinstance(e, OrderAccepted) for e in steps[0].events)
    finally:
        sim.close()


def test_a_failing_listener_neither_stops_the_exchange_nor_other_listeners(sim) -> None:
    venue = sim.venue
    account = venue.create_account({"USDT": 100_000 * COIN})

    def broken(change: Change) -> None:
        raise RuntimeError("listener bug")

    venue.stream.subscribe(broken)
    told = listen(sim)
    stop = venue.stream.subscribe(lambda change: None)
    stop()
    placed = venue.place(account, limit(Side.BUY, COIN // 100, 30_000 * COIN))
    assert placed.order.status == "NEW" and [c.source for c in told] == ["venue.place"]
