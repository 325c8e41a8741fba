"""The simulator's snapshots pickle the whole engine. Before client order ids became the venue's
alone, each market pickled two client id maps and each waiting stop (and open order view) one value
more, its client order id: such a snapshot must still load, and the engine trade on from it."""

from __future__ import annotations

import copyreg
import io
import pickle
from dataclasses import astuple
from typing import Any

from engine import Engine, OpenOrder, OrderType, SelfTradePrevention, Side, TimeInForce
from engine.engine import _Market
from engine.triggers import StopOrder

from .exchange_fixtures import funded_engine, random_commands


def _client_id(order_id: int) -> str | None:
    return f"c{order_id}" if order_id % 3 else None  # some orders had none


def _market_as_before(mk: _Market) -> tuple[Any, ...]:
    """The market's pickle with the client id maps earlier versions kept, naming its open orders."""
    slots = {name: getattr(mk, name) for name in _Market.__slots__}
    named = [(o.order_id, o.owner) for o in mk.book.orders()]
    named += [(s.order_id, s.account) for s in mk.triggers.orders.values()]
    client_ids = {(owner, cid): oid for oid, owner in named if (cid := _client_id(oid)) is not None}
    client_of = {oid: key for key, oid in client_ids.items()}
    return copyreg.__newobj__, (_Market,), (None, {**slots, "client_ids": client_ids, "client_of": client_of})


def _with_client_id(obj: StopOrder | OpenOrder) -> tuple[Any, ...]:
    """A frozen record's pickle with the trailing client order id earlier versions kept."""
    return copyreg.__newobj__, (type(obj),), [*astuple(obj), _client_id(obj.order_id)]


def _pickled_as_before(obj: object) -> bytes:
    buf = io.BytesIO()
    pickler = pickle.Pickler(buf, protocol=5)
    pickler.dispatch_table = {_Market: _market_as_before, StopOrder: _with_client_id, OpenOrder: _with_client_id}
    pickler.dump(obj)
    return buf.getvalue()


def test_an_engine_pickled_with_client_id_maps_loads_and_trades_on() -> None:
    commands = random_commands(seed=11, n=8_000, accounts=4)
    never, earlier = funded_engine(4), funded_engine(4)
    for c in commands[:4_000]:
        never.apply(c)
        earlier.apply(c)
    assert any(never.stop_orders(m.symbol) for m in never.markets())  # waiting stops are in the pickle
    old = _pickled_as_before(earlier)
    assert b"client_ids" in old and b"client_of" in old
    loaded: Engine = pickle.loads(old)
    loaded.check_invariants()
    assert loaded.fingerprint() == never.fingerprint()
    for c in commands[4_000:]:
        assert loaded.apply(c) == never.apply(c), c
    loaded.check_invariants()
    assert loaded.fingerprint() == never.fingerprint()


def test_records_pickled_with_a_client_order_id_load_without_it() -> None:
    stop = StopOrder(7, 1, Side.SELL, OrderType.STOP_LOSS, 3, 0, 50, 50, TimeInForce.GTC, SelfTradePrevention.NONE, 3)
    view = OpenOrder(8, 2, Side.BUY, 40, 2, 5)
    assert pickle.loads(_pickled_as_before([stop, view])) == [stop, view]
    assert pickle.loads(pickle.dumps([stop, view])) == [stop, view]  # the current layout round-trips
