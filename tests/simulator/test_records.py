"""The journal's record format: plain JSON any tool can read, every value the exchange journals
coming back as it went in, and records of the earlier (pickled) format still read."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from engine import MarketStatus, OrderType, SelfTradePrevention, Side, TimeInForce
from simulator import records
from simulator.accounts import KeyStore
from simulator.clock import ManualClock
from simulator.config import SimulatorConfig
from simulator.journal import read_segment
from simulator.launcher import build, replay_state
from simulator.liquidity.static_book import StaticBook
from simulator.liquidity.synthetic import SyntheticMarkets, SyntheticSettings
from simulator.margin import WalletRef
from simulator.orders import OrderRequest
from tests.harness import hmac_hex

T0 = 1_700_000_000_000
REQUEST = OrderRequest(
    "BTCUSDT",
    Side.SELL,
    OrderType.STOP_LOSS_LIMIT,
    TimeInForce.IOC,
    10**5,
    4 * 10**12,
    0,
    39 * 10**11,
    "my-id",
    SelfTradePrevention.EXPIRE_BOTH,
    "FULL",
    fill_cap=5 * 10**4,
)


def round_trip(*args, **kwargs):
    payload = records.encode(T0, "venue", "place", args, kwargs, None)
    json.loads(payload)  # plain JSON, readable without sandex
    at, holder, method, got_args, got_kwargs, outcome = records.decode(payload)
    assert (at, holder, method, outcome) == (T0, "venue", "place", None)
    return got_args, got_kwargs


def test_plain_values_and_containers_come_back_as_they_went_in() -> None:
    values = (
        7,
        -3,
        "BTC",
        None,
        True,
        1.5,
        [1, [2, "x"]],
        (1, (2, 3)),
        {"USDT": 10**17, "BTC": 0},
        {"$": "not a tag", "v": 1},
        {5: "int key"},
        frozenset({"SPOT", "MARGIN"}),
        b"\x00\xff",
        2**64 + 1,
        -(2**70),
        float("inf"),
    )
    args, kwargs = round_trip(*values, keep=(1, 2))
    assert args == tuple(values[:-1]) + (float("inf"),)
    assert [type(a) for a in args] == [type(v) if not isinstance(v, frozenset) else set for v in values]
    assert kwargs == {"keep": (1, 2)}


def test_the_exchanges_own_types_come_back_equal() -> None:
    key, _ = KeyStore().draft(3, now_ms=T0)
    synthetic = SyntheticMarkets({"BTCUSDT": SyntheticSettings(levels=4)}, 9, {"BTCUSDT": 4 * 10**12})
    static = StaticBook(5, 2, exclude={"ETHBTC"})
    args, _ = round_trip(REQUEST, key, WalletRef("ISOLATED", "BTCUSDT"), MarketStatus.HALT, Side.BUY, synthetic, static)
    assert args[:5] == (REQUEST, key, WalletRef("ISOLATED", "BTCUSDT"), MarketStatus.HALT, Side.BUY)
    assert records.encode(0, "", "", (args[1],), {}, None) == records.encode(0, "", "", (key,), {}, None)
    assert args[1].verify(b"x", "00" * 32) is False
    assert args[5].config_key() == synthetic.config_key() and args[5]._prices == synthetic._prices
    assert args[6].config_key() == static.config_key()


def test_a_key_signs_the_same_after_the_round_trip() -> None:
    key, issued = KeyStore().draft(3, now_ms=T0)
    (back,), _ = round_trip(key)
    signature = hmac_hex(issued.secret, b"symbol=BTCUSDT")
    assert back.verify(b"symbol=BTCUSDT", signature) and key.verify(b"symbol=BTCUSDT", signature)
    assert "secret" not in repr(back) and issued.secret not in repr(back)


def test_what_cannot_be_journaled_is_refused_by_name() -> None:
    with pytest.raises(records.RecordError, match="object cannot be journaled"):
        records.encode(T0, "venue", "place", (object(),), {}, None)
    with pytest.raises(records.RecordError, match="unknown value type 'Nope'"):
        records.decode(b'[1, "venue", "place", [{"$": "Nope", "v": 1}], {}, null]')
    with pytest.raises(records.RecordError, match="not a journal record"):
        records.decode(b"[1, 2")


def config(tmp_path: Path) -> SimulatorConfig:
    return SimulatorConfig(state_dir=str(tmp_path / "state"), liquidity_mode="static", snapshot_every=10**9)


def test_every_record_a_day_of_trading_writes_is_json(tmp_path: Path) -> None:
    sim = build(config(tmp_path), clock=ManualClock(T0))
    venue = sim.venue
    venue.place(
        sim.demo_account,
        REQUEST.__class__(
            "BTCUSDT",
            Side.BUY,
            OrderType.MARKET,
            TimeInForce.GTC,
            10**5,
            0,
            0,
            0,
            None,
            SelfTradePrevention.EXPIRE_MAKER,
            "ACK",
        ),
    )
    sim.durability.close_without_snapshot()
    payloads = [p for segment in sim.durability.dir.segments() for _, p in read_segment(segment)[0]]
    methods = [json.loads(p)[1:3] for p in payloads]
    assert ["venue", "place"] in methods and ["liquidity", "add"] in methods


def test_records_of_the_pickled_format_are_still_replayed(tmp_path: Path) -> None:
    """A state directory written before the JSON format recovers: its records are format 1."""
    sim = build(config(tmp_path), clock=ManualClock(T0))
    live = sim.venue.deposit(sim.demo_account, "USDT", 10**8)
    sim.durability._append(pickle.dumps((T0, "venue", "deposit", (sim.demo_account, "USDT", 10**8), {}, None)))
    sim.durability.close_without_snapshot()
    report, services = replay_state(config(tmp_path))
    assert services.venue.engine.balance(sim.demo_account, "USDT").free == live.free + 10**8
    assert report.replayed == sim.durability.seq
